from trytond.tests.test_tryton import ModuleTestCase

from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoChatTestCase(CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_chat module"
    module = 'photo_chat'


del ModuleTestCase
