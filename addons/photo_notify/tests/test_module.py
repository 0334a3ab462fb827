from trytond.tests.test_tryton import ModuleTestCase

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoNotifyTestCase(
        OverBookingMixin, CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_notify module"
    module = 'photo_notify'
    extras = ['photo_payment', 'photo_telegram']


del ModuleTestCase
