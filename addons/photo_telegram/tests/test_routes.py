"The webhook Telegram posts updates to, and the bot process that takes them."
import asyncio
import json

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.tools import set_config
from trytond.modules.photo_notify.tests.fake_telegram import (
    TOKEN, FakeBotAPI)

from trytond.modules.photo_telegram import bot as bot_module

URL = f'/{DB_NAME}/photo_telegram/webhook'
SECRET = 'webhook-secret-for-tests'


class SyncStore(bot_module.Store):
    """The production store (a committed transaction per step), run in the
    test's thread: SQLite's in-memory test database is per thread."""

    async def run(self, func, *args, **kwargs):
        return self.call(func, *args, **kwargs)


class PhotoTelegramRouteTestCase(RouteTestCase):
    "Telegram webhook"
    module = 'photo_telegram'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = cls.enterClassContext(FakeBotAPI(per_chat_interval=0))
        for section, key, value in [
                ('photo_telegram', 'webhook_secret', SECRET),
                ('photo_notify', 'telegram_token', TOKEN),
                ('photo_notify', 'telegram_api', cls.api.base_url),
                ]:
            set_config(cls.addClassCleanup, section, key, value)

    def tearDown(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            Pool().get('photo.telegram.update').take(size=1000)
            transaction.commit()
        super().tearDown()

    def queued(self):
        with Transaction().start(DB_NAME, 0):
            Update = Pool().get('photo.telegram.update')
            return [u.update_id for u in Update.search([])]

    def post(self, body, secret=SECRET):
        headers = {'Content-Type': 'application/json'}
        if secret is not None:
            headers['X-Telegram-Bot-Api-Secret-Token'] = secret
        return self.client().post(URL, data=body, headers=headers)

    def test_webhook_needs_the_secret(self):
        "Without the secret token, or with another, 403 and nothing queued"
        update = json.dumps(self.api.message(42, '/start'))
        self.assertEqual(self.post(update, secret=None).status_code, 403)
        self.assertEqual(self.post(update, secret='guess').status_code, 403)
        self.assertEqual(self.queued(), [])

    def test_webhook_refuses_what_is_no_update(self):
        "Not JSON, or no update_id: 400"
        for body in ['not json', '{}', '{"update_id": "7"}', '[1]']:
            with self.subTest(body=body):
                self.assertEqual(self.post(body).status_code, 400)
        self.assertEqual(self.queued(), [])

    def test_webhook_queues_once_and_the_bot_answers(self):
        "An update is queued once however often it comes; the bot answers"
        update = self.api.message(42, '/help')
        self.api.updates.clear()
        for _ in range(2):  # Telegram sends again what was not answered
            self.assertEqual(self.post(json.dumps(update)).status_code, 200)
        self.assertEqual(self.queued(), [update['update_id']])

        store = SyncStore(DB_NAME)
        application = bot_module.build(store)
        sent = len(self.api.sent)

        async def handle_queue():
            stop = asyncio.Event()
            task = asyncio.ensure_future(
                bot_module.run_queue(application, store, stop, interval=0.05))
            for _ in range(100):
                if len(self.api.sent) > sent:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await task
        asyncio.run(handle_queue())

        (chat, text, _, _), = self.api.sent[sent:]
        self.assertEqual(chat, 42)
        self.assertIn("Share your phone number", text)
        self.assertEqual(self.queued(), [])
