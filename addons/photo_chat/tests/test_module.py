from contextlib import ExitStack

from trytond import backend
from trytond.model.exceptions import AccessError
from trytond.modules.party.tests.test_module import PartyCheckEraseMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.tools import (
    create_world, erase_party, local, staff_users, tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


def chatting_as(user):
    """Act as user in sao's chat panel: ir.chat.channel's RPC methods run
    without the access checks of other calls (check_access=False)."""
    stack = ExitStack()
    stack.enter_context(Transaction().set_user(user.id))
    stack.enter_context(Transaction().set_context(_check_access=False))
    return stack


def two_bookings():
    """Anna's and Boris's bookings for the same client, and the staff
    (Clara is free)."""
    pool = Pool()
    Booking = pool.get('photo.booking')
    w = create_world(photographers=3, equipment_quantity=2)
    staff = staff_users(w)
    start = local(w.studio, tomorrow(), 11)
    # As the portal and the bot do: root enters them.
    with Transaction().set_user(0):
        mine, theirs = [
            Booking.create_hold(
                w.service, start, w.client, w.studio, photographer=p)
            for p in w.photographers[:2]]
    return w, staff, mine, theirs


class PhotoChatTestCase(
        PartyCheckEraseMixin, OverBookingMixin,
        CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_chat module"
    module = 'photo_chat'

    @with_transaction()
    def test_photographer_chats_on_own_bookings_only(self):
        """A photographer reads, posts and follows in their own bookings'
        conversations only; a manager in every one"""
        Channel = Pool().get('ir.chat.channel')
        w, staff, mine, theirs = two_bookings()
        Channel.post(str(theirs), "Boris's note")
        anna, boris, _ = staff.photographers

        with chatting_as(anna):
            Channel.post(str(mine), "See you tomorrow", 'public')
            self.assertEqual(
                [m['content'] for m in Channel.get(str(mine))],
                ["See you tomorrow"])
            for call in [
                    lambda: Channel.get(str(theirs)),
                    lambda: Channel.post(str(theirs), "Come to me"),
                    lambda: Channel.subscribe(str(theirs)),
                    lambda: Channel.get_followers(str(theirs)),
                    ]:
                with self.assertRaises(AccessError):
                    call()
        with chatting_as(boris):
            with self.assertRaises(AccessError):
                Channel.get(str(mine))
            self.assertEqual(
                [m['content'] for m in Channel.get(str(theirs))],
                ["Boris's note"])
        with chatting_as(staff.manager):
            for booking in [mine, theirs]:
                self.assertEqual(len(Channel.get(str(booking))), 1)
            Channel.post(str(theirs), "Manager's note")

    @with_transaction()
    def test_followers_and_unread(self):
        """The photographer follows the conversation from its first
        message, sees the client's messages counted unread in the bookings
        list until they open the chat; a new photographer follows on"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Channel = pool.get('ir.chat.channel')
        w, staff, mine, theirs = two_bookings()
        anna, boris, clara = staff.photographers

        for text in ["Hello", "Can we start at 11:30?"]:
            Channel.post_from_client(
                str(mine), "client@example.com", text)
        channel, = Channel.search([('resource', '=', str(mine))])
        self.assertEqual(
            [f.user for f in channel.followers], [anna])

        with chatting_as(anna):
            self.assertEqual(
                [b.chat_unread for b in Booking.browse([mine, theirs])],
                [2, 0])
            Channel.get(str(mine))
            self.assertEqual(Booking(mine.id).chat_unread, 0)
            Channel.post(str(mine), "Yes", 'public')
        with chatting_as(boris):
            self.assertEqual(Booking(mine.id).chat_unread, 0)

        Booking.write([mine], {'photographer': w.photographers[2].id})
        self.assertEqual(
            {f.user for f in channel.followers}, {anna, clara})
        Channel.post_from_client(str(mine), "client@example.com", "Clara?")
        with chatting_as(clara):
            self.assertEqual(Booking(mine.id).chat_unread, 1)

    @with_transaction()
    def test_manager_follows_bookings_they_enter(self):
        "The manager who enters a booking in the back office follows it"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Channel = pool.get('ir.chat.channel')
        w = create_world()
        staff = staff_users(w)
        with chatting_as(staff.manager):
            booking = Booking.create_hold(
                w.service, local(w.studio, tomorrow(), 11), w.client,
                w.studio)
        Channel.post_from_client(str(booking), "client@example.com", "Hi")
        channel, = Channel.search([('resource', '=', str(booking))])
        self.assertEqual(
            {f.user for f in channel.followers},
            {staff.manager, staff.photographers[0]})
        with chatting_as(staff.manager):
            self.assertEqual(Booking(booking.id).chat_unread, 1)

    @with_transaction()
    def test_staff_note_is_internal(self):
        "A note ticked internal in sao stays internal; client mail is public"
        Channel = Pool().get('ir.chat.channel')
        w, staff, mine, theirs = two_bookings()
        with chatting_as(staff.photographers[0]):
            Channel.post(str(mine), "Client is late often", 'internal')
        Channel.post_from_client(str(mine), "client@example.com", "Hi")
        self.assertEqual(
            [(m['audience'], m['author']) for m in Channel.get(str(mine))],
            [('internal', "Anna"), ('public', "client@example.com")])

    @with_transaction()
    def test_old_messages_move_to_tryton_chat(self):
        """Upgrading a database that kept photo_chat_message moves each
        message into its booking's conversation and drops the table"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        w, staff, mine, theirs = two_bookings()
        pool.get('party.contact_mechanism').create([{
                    'party': w.client.id, 'type': 'email',
                    'value': "client@example.com"}])
        cursor = Transaction().connection.cursor()
        cursor.execute(
            "CREATE TABLE photo_chat_message (id INTEGER PRIMARY KEY, "
            "booking INTEGER, author VARCHAR, body TEXT, seen BOOLEAN, "
            "create_date TIMESTAMP)")
        cursor.execute(
            "INSERT INTO photo_chat_message VALUES "
            f"(1, {mine.id}, 'client', 'Hello', false, '2026-01-01 10:00'), "
            f"(2, {mine.id}, 'photographer', 'Hi!', false, "
            "'2026-01-01 10:05'), "
            f"(3, {theirs.id}, 'client', 'Bonjour', false, "
            "'2026-01-02 10:00')")

        Channel._migrate_photo_chat_message()

        self.assertEqual(
            [(m['author'], m['content'], m['audience'], str(m['timestamp']))
                for m in Channel.get(str(mine))],
            [("client@example.com", "Hello", 'public', '2026-01-01 10:00:00'),
                ("Anna", "Hi!", 'public', '2026-01-01 10:05:00')])
        self.assertEqual(
            [m['content'] for m in Channel.get(str(theirs))], ["Bonjour"])
        self.assertFalse(
            backend.TableHandler.table_exist('photo_chat_message'))

    @with_transaction()
    def test_erase_clears_client_messages(self):
        "An erased client's messages lose their words, the studio's stay"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        Booking.cancel([booking], by='client')
        Channel.post_from_client(
            str(booking), 'client@example.com', "I live at Lenina 7")
        Channel.post(str(booking), "See you there", 'public')
        erase_party(w.client)
        self.assertEqual(
            [(m.email, m.content) for m in Message.search(
                    [], order=[('id', 'ASC')])],
            [('erased@invalid', '****'), (None, "See you there")])


del ModuleTestCase
