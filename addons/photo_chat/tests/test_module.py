from trytond.tests.test_tryton import ModuleTestCase


class PhotoChatTestCase(ModuleTestCase):
    "Test photo_chat module"
    module = 'photo_chat'


del ModuleTestCase
