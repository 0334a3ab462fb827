from trytond.tests.test_tryton import ModuleTestCase


class PhotoBookingTestCase(ModuleTestCase):
    "Test Photo Booking module"
    module = 'photo_booking'


del ModuleTestCase
