from trytond.tests.test_tryton import ModuleTestCase

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoTelegramTestCase(
        OverBookingMixin, CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_telegram module"
    module = 'photo_telegram'


del ModuleTestCase
