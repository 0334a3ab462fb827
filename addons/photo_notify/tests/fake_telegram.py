"""A local fake of the Telegram Bot API (https://core.telegram.org/bots/api)
for tests: the methods the notifications and the bot use, answering as the
real server does ({"ok": true, "result": …} or {"ok": false,
"error_code": …, "description": …}).

    with FakeBotAPI() as api:      # api.base_url for Bot(base_url=…)
        api.blocked.add(42)        # chat 42 blocked the bot: 403
        …
        api.sent                   # [(chat_id, text, reply_markup, time)]
        api.messages[message_id]   # {'chat', 'text', 'reply_markup'}: as
                                   # the person sees it now (after edits)
        api.answers                # answerCallbackQuery calls

The person's side: api.message(chat, "/start"), api.callback(chat,
message_id, data), api.contact(chat, phone), api.location(chat, lat, lon)
build the Update objects Telegram would deliver, queue them for getUpdates
(long polling, with offset and timeout) and return them (for a webhook).
"""
import json
import threading
import time
from urllib.parse import parse_qsl

from .fake_http import FakeHTTPService, Handler

TOKEN = '123456:TEST-token'


class FakeBotAPI(FakeHTTPService):
    def __init__(self, token=TOKEN, per_chat_interval=1.0):
        self.token = token
        self.per_chat_interval = per_chat_interval
        self.sent = []
        self.blocked = set()
        self.updates = []
        self.messages = {}
        self.edits = []
        self.answers = []
        self.webhook = None
        self.webhook_secret = None
        self._next_update = 1
        self._next_message = 1
        self._arrived = threading.Condition()
        self.flood_refused = 0
        self._last = {}
        super().__init__()

    @property
    def base_url(self):
        return f'{self.origin}/bot'

    def _handler(self):
        api = self

        class BotHandler(Handler):
            def do_POST(self):
                body = self.body().decode()
                if 'json' in (self.headers.get('Content-Type') or ''):
                    params = json.loads(body or '{}')
                else:
                    params = dict(parse_qsl(body))
                self.answer(*api.call(self.path, params))

            do_GET = do_POST
        return BotHandler

    def call(self, path, params):
        "(HTTP status, JSON) of a Bot API call."
        prefix = f'/bot{self.token}/'
        if not path.startswith(prefix):
            return 404, error(404, "Not Found")
        method = path[len(prefix):].split('?')[0]
        handler = getattr(self, f'api_{method.lower()}', None)
        if handler is None:
            return 404, error(404, "Not Found: method not found")
        return handler(params)

    def api_getme(self, params):
        return 200, ok({'id': 123456, 'is_bot': True,
                'first_name': "Studio", 'username': 'studio_test_bot',
                'can_join_groups': False,
                'can_read_all_group_messages': False,
                'supports_inline_queries': False})

    def api_sendmessage(self, params):
        chat_id = int(params['chat_id'])
        if chat_id in self.blocked:
            return 403, error(403, "Forbidden: bot was blocked by the user")
        if not params.get('text'):
            return 400, error(400, "Bad Request: message text is empty")
        now = time.monotonic()
        with self.lock:
            last = self._last.get(chat_id)
            if last is not None and now - last < self.per_chat_interval:
                self.flood_refused += 1
                return 429, error(429,
                    "Too Many Requests: retry after 1", retry_after=1)
            self._last[chat_id] = now
            markup = params.get('reply_markup')
            if isinstance(markup, str):
                markup = json.loads(markup)
            self.sent.append((chat_id, params['text'], markup, now))
            message_id = self._message_id()
            self.messages[message_id] = {'chat': chat_id,
                'text': params['text'], 'reply_markup': markup}
        return 200, ok(bot_message(message_id, chat_id, params['text'],
                markup))

    def _message_id(self):
        message_id = self._next_message
        self._next_message += 1
        return message_id

    def api_editmessagetext(self, params):
        chat_id = int(params['chat_id'])
        message_id = int(params['message_id'])
        markup = params.get('reply_markup')
        if isinstance(markup, str):
            markup = json.loads(markup)
        with self.lock:
            message = self.messages.get(message_id)
            if not message or message['chat'] != chat_id:
                return 400, error(400,
                    "Bad Request: message to edit not found")
            if (message['text'] == params.get('text')
                    and message['reply_markup'] == markup):
                return 400, error(400, "Bad Request: message is not "
                    "modified: specified new message content and reply "
                    "markup are exactly the same as a current content and "
                    "reply markup of the message")
            message.update(text=params['text'], reply_markup=markup)
            self.edits.append((chat_id, message_id, params['text'], markup))
        return 200, ok(bot_message(message_id, chat_id, params['text'],
                markup))

    def api_answercallbackquery(self, params):
        show_alert = params.get('show_alert') in (True, 'true', 'True')
        with self.lock:
            self.answers.append((params['callback_query_id'],
                    params.get('text'), show_alert))
        return 200, ok(True)

    def api_setmycommands(self, params):
        return 200, ok(True)

    def api_getupdates(self, params):
        "Long polling: the updates from offset on, waiting up to timeout."
        offset = int(params.get('offset') or 0)
        timeout = min(float(params.get('timeout') or 0), 1.0)
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                with self.lock:
                    # Asking from offset confirms the earlier ones.
                    self.updates = [u for u in self.updates
                        if u['update_id'] >= offset]
                    updates = list(self.updates)
                left = deadline - time.monotonic()
                if updates or left <= 0:
                    return 200, ok(updates)
                self._arrived.wait(left)

    def api_setwebhook(self, params):
        self.webhook = params.get('url')
        self.webhook_secret = params.get('secret_token')
        return 200, ok(True)

    # --- the person's side: updates as Telegram delivers them -------------

    def _update(self, **content):
        with self.lock:
            update = {'update_id': self._next_update, **content}
            self._next_update += 1
            self.updates.append(update)
        with self._arrived:
            self._arrived.notify_all()
        return update

    def _incoming(self, chat_id, user, **content):
        with self.lock:
            message_id = self._message_id()
        return {'message_id': message_id, 'date': int(time.time()),
            'chat': {'id': chat_id, 'type': 'private',
                'first_name': user.get('first_name', "")},
            'from': user, **content}

    def message(self, chat_id, text, user=None, reply_to=None):
        """A text message from the person (a /command has its entity, as
        Telegram marks it); reply_to: the id of the bot's message it
        answers (Telegram's reply_to_message)."""
        user = user or person(chat_id)
        entities = []
        if text.startswith('/'):
            entities = [{'type': 'bot_command', 'offset': 0,
                    'length': len(text.split()[0])}]
        extra = {'entities': entities} if entities else {}
        if reply_to is not None:
            replied = self.messages[reply_to]
            extra['reply_to_message'] = bot_message(
                reply_to, replied['chat'], replied['text'],
                replied['reply_markup'])
        return self._update(message=self._incoming(chat_id, user, text=text,
                **extra))

    def contact(self, chat_id, phone, user=None, own=True):
        "The person shares a contact: theirs (own) or someone else's."
        user = user or person(chat_id)
        contact = {'phone_number': phone,
            'first_name': user.get('first_name', "")}
        if own:
            contact['user_id'] = user['id']
        return self._update(message=self._incoming(
                chat_id, user, contact=contact))

    def location(self, chat_id, latitude, longitude, user=None):
        user = user or person(chat_id)
        return self._update(message=self._incoming(chat_id, user,
                location={'latitude': latitude, 'longitude': longitude}))

    def callback(self, chat_id, message_id, data, user=None):
        "The person taps the button of data under the bot's message."
        user = user or person(chat_id)
        message = self.messages[message_id]
        with self.lock:
            query_id = str(self._next_update * 1000 + 7)
        return self._update(callback_query={
                'id': query_id, 'from': user, 'chat_instance': str(chat_id),
                'data': data,
                'message': bot_message(message_id, chat_id,
                    message['text'], message['reply_markup']),
                })

    def api_deletewebhook(self, params):
        self.webhook = None
        return 200, ok(True)


def person(chat_id, first_name="Anna", language_code='en'):
    "A Telegram user writing from their private chat (same id)."
    return {'id': chat_id, 'is_bot': False, 'first_name': first_name,
        'language_code': language_code}


def bot_message(message_id, chat_id, text, markup=None):
    return {'message_id': message_id, 'date': int(time.time()),
        'chat': {'id': chat_id, 'type': 'private'},
        'from': {'id': 123456, 'is_bot': True, 'first_name': "Studio",
            'username': 'studio_test_bot'},
        # A message carries only an inline keyboard, never the reply
        # keyboards (or their removal) sent with it.
        'text': text, **({'reply_markup': markup}
            if markup and 'inline_keyboard' in markup else {})}


def ok(result):
    return {'ok': True, 'result': result}


def error(code, description, retry_after=None):
    payload = {'ok': False, 'error_code': code, 'description': description}
    if retry_after is not None:
        payload['parameters'] = {'retry_after': retry_after}
    return payload
