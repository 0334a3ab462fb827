"""The Russian catalogues translate every message photo_oauth raises and every
text of its portal pages."""
import unittest

from trytond.modules.photo_booking.tests.translation import (
    MessageTranslationTestMixin)
from trytond.modules.photo_portal.tests.texts import PageTextsTestMixin


class PhotoOAuthTranslationTestCase(
        MessageTranslationTestMixin, PageTextsTestMixin, unittest.TestCase):
    "photo_oauth's Russian translation"
    module = 'photo_oauth'
