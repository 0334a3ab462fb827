from trytond.modules.party.tests.test_module import (
    PartyCheckEraseMixin, PartyCheckReplaceMixin)

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoBookingTestCase(
        PartyCheckEraseMixin, PartyCheckReplaceMixin,
        CatalogueTranslationTestMixin, ModuleTestCase):
    "Test Photo Booking module"
    module = 'photo_booking'


del ModuleTestCase
