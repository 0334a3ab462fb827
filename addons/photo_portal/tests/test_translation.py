"The Russian catalogue translates every message photo_portal raises."
import unittest

from trytond.modules.photo_booking.tests.translation import (
    MessageTranslationTestMixin)


class PhotoPortalTranslationTestCase(
        MessageTranslationTestMixin, unittest.TestCase):
    "photo_portal's Russian translation"
    module = 'photo_portal'
