"The Russian catalogue translates every message photo_payment raises."
import unittest

from trytond.modules.photo_booking.tests.translation import (
    MessageTranslationTestMixin)


class PhotoPaymentTranslationTestCase(
        MessageTranslationTestMixin, unittest.TestCase):
    "photo_payment's Russian translation"
    module = 'photo_payment'
