from trytond.tests.test_tryton import ModuleTestCase

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoCrmTestCase(
        OverBookingMixin, CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_crm module"
    module = 'photo_crm'


del ModuleTestCase
