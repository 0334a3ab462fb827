"""The conversation bridged to Telegram, through the fake Bot API: each
message reaches the others' linked chats, and a reply to it there is
posted into the conversation (seen in the portal and in sao)."""
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.database import cache_modules
from trytond.modules.photo_booking.tests.tools import (
    create_world, portal_booking, staff_users)
from trytond.modules.photo_notify.tests.fake_telegram import person
from trytond.modules.photo_telegram.tests.tools import (
    CONVERSATION_SETTINGS, bot_driver, start_bot_api)

CLIENT_CHAT = 5101
ANNA_CHAT = 7101
STRANGER_CHAT = 9101


class ChatTelegramTestCase(unittest.TestCase):
    "The booking's conversation in Telegram"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        modules = ['photo_chat', 'photo_telegram', 'photo_portal']
        cache_modules(modules)
        activate_module(modules)
        start_bot_api(cls, *CONVERSATION_SETTINGS,
            ('photo_booking', 'redis_url', ''))

    def setUp(self):
        super().setUp()
        self.api.sent.clear()
        self.api.messages.clear()

    def world(self):
        """A booking of the client (linked to CLIENT_CHAT, with a portal
        account) with Anna (linked to ANNA_CHAT)."""
        pool = Pool()
        Party = pool.get('party.party')
        Photographer = pool.get('photo.photographer')
        w = create_world()
        staff = staff_users(w)
        Party.write([w.client], {'telegram_chat': str(CLIENT_CHAT)})
        Photographer.write(
            [w.photographers[0]], {'telegram_chat': str(ANNA_CHAT)})
        _, booking = portal_booking(w)
        return w, staff, booking

    def deliver(self):
        Notification = Pool().get('photo.notification')
        Notification.deliver(Notification.claim())

    def bridged(self, chat):
        "[(message id, text)] of the bridged chat messages sent to chat."
        return [(i, m['text']) for i, m in sorted(self.api.messages.items())
            if m['chat'] == chat and m['text'].startswith('[')]

    def driver(self):
        return bot_driver(self)

    def reply(self, driver, chat, message_id, text):
        "chat answers the bot's message_id with text; the bot's answers."
        before = len(self.api.sent)
        driver.handle(self.api.message(
                chat, text, person(chat), reply_to=message_id))
        return [t for c, t, _, _ in self.api.sent[before:] if c == chat]

    @with_transaction()
    def test_conversation_in_telegram(self):
        """Anna's public message reaches the client's Telegram (not her
        own, not an internal note); the client's reply there is posted as
        the client, reaches Anna's Telegram, and her reply is posted as
        her"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        w, staff, booking = self.world()
        anna = staff.photographers[0]
        with Transaction().set_user(anna.id):
            Channel.post(str(booking), "Bring a hat", 'public')
            Channel.post(str(booking), "Client is often late", 'internal')
        self.deliver()
        (message_id, text), = self.bridged(CLIENT_CHAT)
        self.assertEqual(text.split('\n')[0], f"[{booking.number}] Anna")
        self.assertIn("Bring a hat", text)
        # The follower's chat gets the internal note, not her own words.
        self.assertEqual([t for _, t in self.bridged(ANNA_CHAT)], [])

        driver = self.driver()
        answers = self.reply(driver, CLIENT_CHAT, message_id, "Sure, a red one")
        self.assertEqual(answers,
            [f"Sent to the conversation of booking {booking.number}."])
        # The portal (the client's public conversation) and sao show it.
        self.assertEqual(
            [(m.email, m.content) for m in booking.chat_client_messages()],
            [(None, "Bring a hat"), ('maria@example.com', "Sure, a red one")])
        with Transaction().set_user(anna.id):
            self.assertEqual(Channel.get(str(booking))[-1]['content'],
                "Sure, a red one")

        self.deliver()
        (anna_message, text), = self.bridged(ANNA_CHAT)
        self.assertEqual(text.split('\n')[0],
            f"[{booking.number}] maria@example.com")
        self.reply(driver, ANNA_CHAT, anna_message, "Perfect")
        last = Channel.get(str(booking))[-1]
        self.assertEqual((last['author'], last['content']), ("Anna", "Perfect"))
        self.assertEqual(
            [m.content for m in booking.chat_client_messages()][-1],
            "Perfect")

    @with_transaction()
    def test_only_parties_post_from_telegram(self):
        """A chat not linked to the booking's parties, replying to a
        bridged message it was shown, posts nothing"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Party = pool.get('party.party')
        w, staff, booking = self.world()
        with Transaction().set_user(staff.photographers[0].id):
            Channel.post(str(booking), "Bring a hat", 'public')
        self.deliver()
        (message_id, _), = self.bridged(CLIENT_CHAT)
        # The client's chat moves to another party (a second account).
        other = Party(name="Other Client")
        other.save()
        Party.write([w.client], {'telegram_chat': None})
        Party.write([other], {'telegram_chat': str(CLIENT_CHAT)})
        driver = self.driver()
        answers = self.reply(driver, CLIENT_CHAT, message_id, "Pay me")
        self.assertEqual(answers, ["This conversation is not one of yours, "
                "or this Telegram account is not linked to the studio."])
        self.assertEqual(
            [m['content'] for m in Channel.get(str(booking))],
            ["Bring a hat"])
