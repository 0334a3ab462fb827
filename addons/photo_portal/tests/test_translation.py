"""The Russian catalogues translate every message photo_portal raises and every
text of its portal pages."""
import unittest

from trytond.modules.photo_booking.tests.translation import (
    MessageTranslationTestMixin)
from trytond.modules.photo_portal.tests.texts import PageTextsTestMixin


class PhotoPortalTranslationTestCase(
        MessageTranslationTestMixin, PageTextsTestMixin, unittest.TestCase):
    "photo_portal's Russian translation"
    module = 'photo_portal'
