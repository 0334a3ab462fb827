"The Russian catalogue translates every text of photo_chat's portal pages."
import unittest

from trytond.modules.photo_portal.tests.texts import PageTextsTestMixin


class PhotoChatTranslationTestCase(PageTextsTestMixin, unittest.TestCase):
    "photo_chat's Russian translation"
    module = 'photo_chat'
