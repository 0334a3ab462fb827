from trytond.tests.test_tryton import ModuleTestCase


class PhotoCrmTestCase(ModuleTestCase):
    "Test photo_crm module"
    module = 'photo_crm'


del ModuleTestCase
