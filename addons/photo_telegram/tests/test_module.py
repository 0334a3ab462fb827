from trytond.tests.test_tryton import ModuleTestCase


class PhotoTelegramTestCase(ModuleTestCase):
    "Test photo_telegram module"
    module = 'photo_telegram'


del ModuleTestCase
