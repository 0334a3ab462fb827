from trytond.modules.party.tests.test_module import PartyCheckEraseMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import erase_party
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoTelegramTestCase(
        PartyCheckEraseMixin, CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_telegram module"
    module = 'photo_telegram'

    @with_transaction()
    def test_erase_forgets_chat(self):
        "The bot writes no more to an erased client"
        Party = Pool().get('party.party')
        party, = Party.create([{'name': "Vera", 'telegram_chat': '4242'}])
        erase_party(party)
        self.assertIsNone(Party(party.id).telegram_chat)


del ModuleTestCase
