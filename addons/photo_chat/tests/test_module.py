from contextlib import ExitStack
from email.message import EmailMessage

from trytond import backend
from trytond.model.exceptions import AccessError
from trytond.modules.party.tests.test_module import PartyCheckEraseMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking import security
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, erase_party, local, set_config, staff_users,
    tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)
from trytond.modules.photo_chat.attachment import file_line
from trytond.modules.photo_chat.chat import reply_address
from trytond.modules.photo_chat.exceptions import (
    ChatFileError, ChatMessageError)
from trytond.modules.photo_chat.text import REPLY_MARK

from .files import HTML, PDF, image


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
        PartyCheckEraseMixin, CatalogueTranslationTestMixin, ModuleTestCase):
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
    def test_bus_keeps_chat_channels_of_readable_bookings(self):
        """Subscribing to the bus, a photographer keeps the live channels of
        their own bookings' conversations only; a manager every one"""
        from trytond.modules.photo_chat.bus import readable
        w, staff, mine, theirs = two_bookings()
        anna = staff.photographers[0]
        channels = {f'user:{anna.id}', f'chat:{mine}', f'chat:{theirs}',
            'chat:photo.booking,x', 'chat:no.such.model,1'}

        with Transaction().set_user(anna.id):
            self.assertEqual(readable(channels),
                {f'user:{anna.id}', f'chat:{mine}'})
        with Transaction().set_user(staff.manager.id):
            self.assertEqual(readable(channels),
                {f'user:{anna.id}', f'chat:{mine}', f'chat:{theirs}'})

    @with_transaction()
    def test_bus_without_listen_reads_new_messages(self):
        """Where the database has no LISTEN (SQLite), the bus answers a
        booking's chat channel with its conversation's messages one after
        the other, never another booking's"""
        from trytond.modules.photo_chat.bus import (
            POLLED, newest_message, next_message)
        Channel = Pool().get('ir.chat.channel')
        w, staff, mine, theirs = two_bookings()
        resources = {str(mine)}
        self.assertEqual(newest_message(resources), 0)
        Channel.post(str(mine), "First")
        Channel.post(str(theirs), "Not yours")
        Channel.post(str(mine), "Second")

        seen, after = [], 0
        while found := next_message(resources, after):
            channel, content = found
            self.assertEqual(channel, f'chat:{mine}')
            self.assertEqual(content['type'], 'message')
            seen.append(content['message']['content'])
            after = int(content['message_id'][len(POLLED):])
        self.assertEqual(seen, ["First", "Second"])
        self.assertEqual(newest_message(resources), after)

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


    def attach(self, booking, name, data, share=True):
        Attachment = Pool().get('ir.attachment')
        attachment, = Attachment.create([{
                    'resource': str(booking), 'name': name, 'data': data,
                    'chat_share': share}])
        return attachment

    @with_transaction()
    def test_staff_share_files_in_chat(self):
        """A photo or PDF ticked "Shared in Chat" in the booking's
        attachments is announced in its conversation by its sender;
        another file type is refused; unshared files stay staff's"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Attachment = pool.get('ir.attachment')
        w, staff, mine, theirs = two_bookings()
        anna = staff.photographers[0]
        with as_user(anna):
            plan = self.attach(mine, "plan.pdf", PDF)
            private = self.attach(mine, "notes.pdf", PDF, share=False)
            with self.assertRaises(ChatFileError) as caught:
                self.attach(mine, "page.jpg", HTML)
            self.assertEqual(caught.exception.message,
                "Only photos (JPEG, PNG, WebP) and PDF documents can be "
                "sent in the chat.")
        self.assertEqual(
            [(m['author'], m['content'], m['audience'])
                for m in Channel.get(str(mine))],
            [("Anna", file_line("plan.pdf"), 'public')])
        self.assertEqual(len(plan.chat_token), 32)
        self.assertIsNone(private.chat_message)

        # Ticked later: announced then, once.
        with as_user(anna):
            Attachment.write([Attachment(private.id)], {'chat_share': True})
            Attachment.write([Attachment(private.id)], {'description': "v2"})
        self.assertEqual(
            [m['content'] for m in Channel.get(str(mine))],
            [file_line("plan.pdf"), file_line("notes.pdf")])

        with self.assertRaises(ChatFileError):
            self.attach(w.client, "card.png", image())

    @with_transaction()
    def test_other_photographer_cannot_read_files(self):
        "Boris neither reads nor shares the files of Anna's booking"
        Attachment = Pool().get('ir.attachment')
        w, staff, mine, theirs = two_bookings()
        anna, boris, _ = staff.photographers
        with as_user(anna):
            plan = self.attach(mine, "plan.pdf", PDF)
        with as_user(boris):
            self.assertEqual(Attachment.search([]), [])
            with self.assertRaises(AccessError):
                Attachment.read([plan.id], ['data'])
            with self.assertRaises(AccessError):
                self.attach(mine, "mine.pdf", PDF)
        with as_user(staff.manager):
            self.assertEqual(
                bytes(Attachment.read([plan.id], ['data'])[0]['data']), PDF)

    @with_transaction()
    def test_message_size_and_rate_limits(self):
        """Over 4000 characters is refused with a clear error; past the
        rate limit a staff member is told to wait"""
        Channel = Pool().get('ir.chat.channel')
        w, staff, mine, theirs = two_bookings()
        anna = staff.photographers[0]
        with chatting_as(anna):
            with self.assertRaises(ChatMessageError) as caught:
                Channel.post(str(mine), "x" * 4001, 'public')
            self.assertEqual(caught.exception.message,
                "A message is at most 4000 characters.")
        with self.assertRaises(ChatMessageError):
            Channel.post_from_client(
                str(mine), 'client@example.com', "y" * 4001)

        set_config(self.addCleanup, 'photo_booking', 'rate_limit_chat',
            '3/60')
        set_config(self.addCleanup, 'photo_booking', 'redis_url', '')
        security._memory._hits.clear()
        with chatting_as(anna):
            for i in range(3):
                Channel.post(str(mine), f"Message {i}", 'public')
            with self.assertRaises(ChatMessageError) as caught:
                Channel.post(str(mine), "One too many", 'public')
            self.assertRegex(caught.exception.message,
                r"^Too many messages at once: wait \d+ seconds")
        # Another author is counted apart.
        with chatting_as(staff.manager):
            Channel.post(str(mine), "Manager's word", 'public')

    def reply(self, booking, sender, body, to=None):
        "A mail from sender answering the chat mail of booking."
        Channel = Pool().get('ir.chat.channel')
        channel, = Channel.search([('resource', '=', str(booking))])
        mail = EmailMessage()
        mail['From'] = f"Someone <{sender}>"
        mail['To'] = to or reply_address(channel.identifier)
        mail['Subject'] = "Re: New message"
        mail['Message-ID'] = '<reply-1@mail.example.net>'
        mail.set_content(body, cte='quoted-printable')
        return mail

    @with_transaction()
    def test_mail_reply_posts_in_chat(self):
        """A reply from the client to the conversation's address is posted
        as their public message, without the quote; strangers, other
        addresses and another conversation's address post nothing"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Booking = pool.get('photo.booking')
        set_config(self.addCleanup, 'email', 'from',
            'Studio <studio@example.com>')
        w, staff, mine, theirs = two_bookings()
        Booking.write([mine], {'email': 'maria@example.net'})
        Channel.post(str(mine), "Bring a hat", 'public')
        Channel.post(str(theirs), "Bring a scarf", 'public')
        body = ("Хорошо, возьму шляпу.\n\n"
            "On Sun, 6 Dec 2026, Studio <studio@example.com> wrote:\n"
            f"> {REPLY_MARK}\n> Write your reply above this line.\n"
            "> Bring a hat\n")

        message = Channel.post_from_email(
            self.reply(mine, 'Maria@Example.net', body))
        self.assertTrue(message)
        self.assertEqual(
            [(m['author'], m['content'], m['audience'])
                for m in Channel.get(str(mine))][-1],
            ('Maria@Example.net', "Хорошо, возьму шляпу.", 'public'))
        self.assertEqual(message.reference, '<reply-1@mail.example.net>')

        stranger = self.reply(mine, 'mallory@example.org', body)
        elsewhere = self.reply(mine, 'maria@example.net', body,
            to='studio@example.com')
        self.assertIsNone(Channel.post_from_email(stranger))
        self.assertIsNone(Channel.post_from_email(elsewhere))
        # Her address is not a party of the other booking's conversation.
        self.assertIsNone(Channel.post_from_email(
                self.reply(theirs, 'maria@example.net', body)))
        # A photographer who follows may answer by mail too.
        pool.get('res.user').write(
            [staff.photographers[0]], {'email': 'anna@example.com'})
        self.assertTrue(Channel.post_from_email(
                self.reply(mine, 'anna@example.com', "OK")))
        self.assertEqual(
            [m['content'] for m in Channel.get(str(mine))],
            ["Bring a hat", "Хорошо, возьму шляпу.", "OK"])



class PhotoChatExtrasTestCase(CatalogueTranslationTestMixin, ModuleTestCase):
    """Test photo_chat with photo_notify and photo_telegram (the
    chat_message and chat_telegram events, the bot's bridge)"""
    module = 'photo_chat'
    extras = ['photo_notify', 'photo_telegram']


del ModuleTestCase
