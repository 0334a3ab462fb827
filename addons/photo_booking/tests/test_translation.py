"The Russian catalogue translates every message photo_booking raises."
import unittest

from trytond.modules.photo_booking.tests.translation import (
    MessageTranslationTestMixin)


class PhotoBookingTranslationTestCase(
        MessageTranslationTestMixin, unittest.TestCase):
    "photo_booking's Russian translation"
    module = 'photo_booking'
