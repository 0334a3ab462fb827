"The webhook Telegram posts updates to, and the bot process that takes them."
import asyncio
import datetime as dt
import json

from werkzeug.test import Client

from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.photo_booking.common import utc_now

from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import set_config
from trytond.modules.photo_notify.tests.fake_telegram import (
    TOKEN, FakeBotAPI)

from trytond.modules.photo_telegram import alerts, wsgi
from trytond.modules.photo_telegram import bot as bot_module
from trytond.modules.photo_telegram.tests.tools import serve_until_answered

URL = f'/{DB_NAME}/photo_telegram/webhook'
SECRET = 'webhook-secret-for-tests'
STAFF_CHAT = -900


@app.route('/<database_name>/photo_telegram/test/fail/<token>')
def failing_route(request, database_name, token):
    "A route that fails, as a bug would: the server answers 500."
    raise RuntimeError("failing on purpose")


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
            pool = Pool()
            pool.get('photo.telegram.update').take(size=1000)
            ServerError = pool.get('photo.telegram.server_error')
            ServerError.delete(ServerError.search([]))
            State = pool.get('photo.telegram.state')
            State.delete(State.search([('kind', '=', alerts.KIND)]))
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
            await serve_until_answered(self.api, bot_module.run_queue(
                    application, store, stop, interval=0.05), stop)
        asyncio.run(handle_queue())

        (chat, text, _, _), = self.api.sent[sent:]
        self.assertEqual(chat, 42)
        self.assertIn("Share your phone number", text)
        self.assertEqual(self.queued(), [])

    def test_server_error_spike_alerts_the_staff_once(self):
        "More than N 5xx in M minutes: one alert, then one recovery"
        for section, key, value in [
                ('photo_telegram', 'staff_chat', str(STAFF_CHAT)),
                ('photo_telegram', 'errors_alert_count', '3'),
                ('photo_telegram', 'errors_alert_minutes', '5'),
                ('photo_booking', 'portal_database', DB_NAME),
                ]:
            set_config(self.addCleanup, section, key, value)
        wsgi.BUDGET.window = None
        # The web application as configured: [wsgi middleware] errors.
        client = Client(wsgi.ServerErrors(app), Response)
        store = SyncStore(DB_NAME)
        application = bot_module.build(store)

        def told():
            sent = len(self.api.sent)
            asyncio.run(bot_module.send_alerts(application, store))
            self.assertTrue(all(c == STAFF_CHAT
                    for c, *_ in self.api.sent[sent:]))
            return [t for _, t, _, _ in self.api.sent[sent:]]
        told()      # what the database had before

        fail = f'/{DB_NAME}/photo_telegram/test/fail/' + 'ab12' * 8
        for _ in range(3):
            self.assertEqual(client.get(fail).status_code, 500)
        # Answers that are no server error are not counted.
        self.assertEqual(client.post(URL, data='{}').status_code, 403)
        self.assertEqual(told(), [])        # 3 is not more than 3
        for _ in range(5):
            self.assertEqual(client.get(fail).status_code, 500)

        alert, = told()
        # 4: each process writes at most 3 + 1 rows a window (unless the
        # requests straddled two windows).
        self.assertRegex(alert, r"The website answered [4-8] server errors "
            r"\(5xx\) in the last 5 minutes \(alert above 3\)\.")
        # Where it failed, without the token its URL carried.
        self.assertIn('/photo_telegram/test/fail/[redacted]', alert)
        self.assertEqual(told(), [])        # one alert per spike

        # Five minutes later nothing failed any more: recovered, once.
        later = utc_now() + dt.timedelta(minutes=6)
        self.assertEqual(store.call(alerts.due, later), [
                "✅ Server errors are back to normal: 0 in the last "
                "5 minutes."])
        self.assertEqual(store.call(alerts.due, later), [])
