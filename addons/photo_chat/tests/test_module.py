from trytond.model.exceptions import AccessError
from trytond.modules.party.tests.test_module import PartyCheckEraseMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, erase_party, local, staff_users, tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoChatTestCase(
        PartyCheckEraseMixin, OverBookingMixin,
        CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_chat module"
    module = 'photo_chat'

    @with_transaction()
    def test_photographer_chats_on_own_bookings_only(self):
        """A photographer reads and posts on their own bookings' chats, as
        themselves only; a manager reads every chat"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Message = pool.get('photo.chat.message')
        w = create_world(photographers=2, equipment_quantity=2)
        staff = staff_users(w)
        start = local(w.studio, tomorrow(), 11)
        mine, theirs = [
            Booking.create_hold(
                w.service, start, w.client, w.studio, photographer=p)
            for p in w.photographers]
        _, other = Message.create([
                {'booking': b.id, 'author': 'client', 'body': "Hello"}
                for b in [mine, theirs]])
        anna = staff.photographers[0]

        with as_user(anna):
            self.assertEqual(
                [m.booking for m in Message.search([])], [mine])
            with self.assertRaises(AccessError):
                Message.read([other.id], ['body'])
            Message.create([{
                        'booking': mine.id, 'author': 'photographer',
                        'body': "See you tomorrow"}])
            with self.assertRaises(AccessError):
                Message.create([{
                            'booking': mine.id, 'author': 'client',
                            'body': "Cancel it"}])
            with self.assertRaises(AccessError):
                Message.create([{
                            'booking': theirs.id, 'author': 'photographer',
                            'body': "Come to me instead"}])
        with as_user(staff.manager):
            self.assertEqual(
                {m.booking for m in Message.search([])}, {mine, theirs})

    @with_transaction()
    def test_erase_clears_client_messages(self):
        "An erased client's messages lose their words, the studio's stay"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Message = pool.get('photo.chat.message')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        Booking.cancel([booking], by='client')
        Message.create([
                {'booking': booking.id, 'author': 'client',
                    'body': "I live at Lenina 7"},
                {'booking': booking.id, 'author': 'photographer',
                    'body': "See you there"}])
        erase_party(w.client)
        self.assertEqual(
            [(m.author, m.body) for m in Message.search([])],
            [('client', '****'), ('photographer', "See you there")])


del ModuleTestCase
