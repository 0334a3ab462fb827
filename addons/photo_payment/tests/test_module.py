from trytond.tests.test_tryton import ModuleTestCase


class PhotoPaymentTestCase(ModuleTestCase):
    "Test photo_payment module"
    module = 'photo_payment'


del ModuleTestCase
