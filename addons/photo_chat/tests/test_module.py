from trytond.tests.test_tryton import ModuleTestCase

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoChatTestCase(
        OverBookingMixin, CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_chat module"
    module = 'photo_chat'


del ModuleTestCase
