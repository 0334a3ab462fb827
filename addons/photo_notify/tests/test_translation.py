"""The Russian catalogue translates every text of photo_notify's portal
fragment (the push opt-in)."""
import unittest

from trytond.modules.photo_portal.tests.texts import PageTextsTestMixin


class PhotoNotifyPageTextsTestCase(PageTextsTestMixin, unittest.TestCase):
    "photo_notify's portal texts in Russian"
    module = 'photo_notify'
