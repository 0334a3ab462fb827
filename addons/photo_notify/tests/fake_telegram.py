"""A local fake of the Telegram Bot API (https://core.telegram.org/bots/api)
for tests: the methods the notifications and the bot use, answering as the
real server does ({"ok": true, "result": …} or {"ok": false,
"error_code": …, "description": …}).

    with FakeBotAPI() as api:      # api.base_url for Bot(base_url=…)
        api.blocked.add(42)        # chat 42 blocked the bot: 403
        …
        api.sent                   # [(chat_id, text, reply_markup, time)]
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

TOKEN = '123456:TEST-token'


class FakeBotAPI:
    def __init__(self, token=TOKEN, per_chat_interval=1.0):
        self.token = token
        self.per_chat_interval = per_chat_interval
        self.sent = []
        self.blocked = set()
        self.updates = []
        self.webhook = None
        self.flood_refused = 0
        self.lock = threading.Lock()
        self._last = {}
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self):
        host, port = self._server.server_address
        return f'http://{host}:{port}/bot'

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length).decode()
                if 'json' in (self.headers.get('Content-Type') or ''):
                    params = json.loads(body or '{}')
                else:
                    params = dict(parse_qsl(body))
                self._answer(*api.call(self.path, params))

            do_GET = do_POST

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        return Handler

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
            message_id = len(self.sent)
        return 200, ok({'message_id': message_id, 'date': int(time.time()),
                'chat': {'id': chat_id, 'type': 'private'},
                'text': params['text'],
                **({'reply_markup': markup} if markup else {})})

    def api_getupdates(self, params):
        with self.lock:
            updates, self.updates = self.updates, []
        return 200, ok(updates)

    def api_setwebhook(self, params):
        self.webhook = params.get('url')
        return 200, ok(True)

    def api_deletewebhook(self, params):
        self.webhook = None
        return 200, ok(True)


def ok(result):
    return {'ok': True, 'result': result}


def error(code, description, retry_after=None):
    payload = {'ok': False, 'error_code': code, 'description': description}
    if retry_after is not None:
        payload['parameters'] = {'retry_after': retry_after}
    return payload
