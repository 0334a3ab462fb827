"""Scripted conversations with the bot through the fake Bot API.

    bot = BotDriver(api)                 # the Application, on this test's
    anna = bot.chat(1001)                # transaction (InlineStore)
    anna.send("/book"); anna.tap("Portrait · 5,000.00 RUB")
    anna.screen                          # the last message as seen now
"""
import asyncio
import re

from telegram import Update
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.tools import set_config
from trytond.modules.photo_notify.tests.fake_telegram import (
    TOKEN, FakeBotAPI, person)

from trytond.modules.photo_telegram import bot as bot_module


# What the conversations with the bot need besides the fake Bot API.
CONVERSATION_SETTINGS = [
    ('photo_notify', 'portal_url', 'https://studio.example.com'),
    ('photo_telegram', 'bot_username', 'studio_test_bot'),
    ('photo_telegram', 'flood_limit', '1000/10'),
    ]


def start_bot_api(cls, *settings):
    """cls.api: a fake Bot API (no flood limit of its own) for the test
    class cls, the bot's token and API pointed at it, and settings
    ((section, key, value)), until the class's cleanups."""
    cls.api = cls.enterClassContext(FakeBotAPI(per_chat_interval=0))
    for section, key, value in [
            ('photo_notify', 'telegram_token', TOKEN),
            ('photo_notify', 'telegram_api', cls.api.base_url),
            *settings]:
        set_config(cls.addClassCleanup, section, key, value)
    return cls.api


def bot_driver(test):
    "A BotDriver on test's fake Bot API, closed after test."
    driver = BotDriver(test.api)
    test.addCleanup(driver.close)
    return driver


async def serve_until_answered(api, serve, stop, timeout=5):
    """Run the coroutine serve (a bot loop watching stop) until the fake
    Bot API has been sent a message, then stop it."""
    sent = len(api.sent)
    task = asyncio.ensure_future(serve)
    for _ in range(int(timeout / 0.05)):
        if len(api.sent) > sent:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task


class InlineStore(bot_module.Store):
    """The bot's store on the test's own transaction (as root), so each
    test's world is rolled back after it; production commits each step."""

    def __init__(self):
        super().__init__(Transaction().database.name)
        self.closed = False

    def call(self, func, *args, **kwargs):
        if self.closed:
            # The bot's shutdown after the test: its data went with it.
            return None
        with Transaction().set_user(0):
            return func(*args, **kwargs)

    async def run(self, func, *args, **kwargs):
        return self.call(func, *args, **kwargs)


class BotDriver:
    "The bot's Application handling the fake's updates, as the webhook does."

    def __init__(self, api, loop=None):
        self.api = api
        self.loop = loop or asyncio.new_event_loop()
        self.store = InlineStore()
        self.application = bot_module.build(self.store, token=TOKEN,
            base_url=api.base_url)
        self.run(self.application.initialize())

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def handle(self, update):
        "Handle one update as Telegram delivered it."
        # Taken from the long-polling queue: the webhook delivered it.
        self.api.updates.remove(update)
        self.run(self.application.process_update(
                Update.de_json(update, self.application.bot)))

    def restart(self):
        """A new process: a new Application that knows only what the
        persistence kept (the old one is dropped, not stopped)."""
        return BotDriver(self.api, self.loop)

    def close(self):
        self.store.closed = True
        self.run(self.application.shutdown())

    def chat(self, chat_id, first_name="Anna", language='en'):
        return ChatDriver(self, chat_id, first_name, language)


class ChatDriver:
    "One person writing to the bot from their private chat."

    def __init__(self, driver, chat_id, first_name, language):
        self.driver = driver
        self.chat_id = chat_id
        self.user = person(chat_id, first_name, language)

    @property
    def api(self):
        return self.driver.api

    def _handle(self, update):
        before = len(self.api.sent), len(self.api.edits), len(
            self.api.answers)
        self.driver.handle(update)
        return before

    def send(self, text):
        "Write text; the texts the bot sent back."
        sent, _, _ = self._handle(self.api.message(
                self.chat_id, text, self.user))
        return [t for c, t, _, _ in self.api.sent[sent:]
            if c == self.chat_id]

    def share_contact(self, phone, own=True):
        sent, _, _ = self._handle(self.api.contact(
                self.chat_id, phone, self.user, own=own))
        return [t for c, t, _, _ in self.api.sent[sent:]
            if c == self.chat_id]

    def share_location(self, latitude, longitude):
        "Share a location (the keyboard's button); the texts sent back."
        sent, _, _ = self._handle(self.api.location(
                self.chat_id, latitude, longitude, self.user))
        return [t for c, t, _, _ in self.api.sent[sent:]
            if c == self.chat_id]

    def keyboard(self):
        "The reply keyboard sent last to this chat (None: none or removed)."
        for chat, _, markup, _ in reversed(self.api.sent):
            if chat == self.chat_id and markup and (
                    'keyboard' in markup or 'remove_keyboard' in markup):
                return markup.get('keyboard')
        return None

    def messages(self):
        "[(message id, message)] the bot sent to this chat, oldest first."
        return [(i, m) for i, m in sorted(self.api.messages.items())
            if m['chat'] == self.chat_id and 'reply_markup' in m]

    @property
    def screen(self):
        "The text of the bot's last message to this chat."
        return self.messages()[-1][1]['text']

    def buttons(self, message_id=None):
        "[(label, callback data or url)] under a message (the last)."
        message = (self.api.messages[message_id] if message_id
            else self.messages()[-1][1])
        markup = message['reply_markup'] or {}
        return [(b['text'], b.get('callback_data') or b.get('url'))
            for row in markup.get('inline_keyboard', []) for b in row]

    def find(self, label):
        "(message id, data) of the newest button labelled label (a regex)."
        for message_id, message in reversed(self.messages()):
            for text, data in self.buttons(message_id):
                if re.fullmatch(label, text):
                    return message_id, data
        raise AssertionError(f"no button {label!r} in {self.transcript()}")

    def tap(self, label, message_id=None):
        """Tap the button labelled label (a regex); what the bot answered:
        the alert's text if it showed one, else the message's new text."""
        if message_id is None:
            message_id, data = self.find(label)
        else:
            data = dict(self.buttons(message_id))[label]
        return self.tap_data(message_id, data)

    def tap_data(self, message_id, data):
        sent, edits, answers = self._handle(self.api.callback(
                self.chat_id, message_id, data, self.user))
        answer = self.api.answers[answers:]
        assert answer, "the bot did not answer the tap"
        _, text, alert = answer[-1]
        if alert:
            return text
        return self.api.messages[message_id]['text']

    def transcript(self):
        return [m['text'] for _, m in self.messages()]
