from trytond.tests.test_tryton import ModuleTestCase

from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoPortalTestCase(CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_portal module"
    module = 'photo_portal'


del ModuleTestCase
