"""A local fake of the SMS.ru HTTP API (https://sms.ru/api/send) for tests:
`POST /sms/send` with api_id, to, msg, json=1 (and from), answered as the
real one does — the request's status, then one status per number.

    with FakeSms(api_id) as sms:   # sms.url for [photo_notify] sms_api
        sms.codes['79000000000'] = 202   # this number is refused
        sms.sent                         # [{'to', 'msg', 'from'}]
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

API_ID = 'TEST-0000-1111-2222'
TEXTS = {
    100: "Сообщение принято к отправке",
    200: "Неправильный api_id",
    202: "Неправильно указан получатель",
    220: "Сервис временно недоступен, попробуйте чуть позже",
    }


class FakeSms:
    def __init__(self, api_id=API_ID):
        self.api_id = api_id
        self.sent = []
        self.codes = {}   # number: status code to answer for it
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self._server.server_address
        return f'http://{host}:{port}'

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def answer(self, params):
        if params.get('api_id') != self.api_id:
            return {'status': 'ERROR', 'status_code': 200,
                'status_text': TEXTS[200]}
        result = {}
        for number in (params.get('to') or '').split(','):
            code = self.codes.get(number, 100)
            if code == 100 and not (number.isdigit() and len(number) >= 10):
                code = 202
            if code == 100:
                with self.lock:
                    self.sent.append({'to': number, 'msg': params.get('msg'),
                            'from': params.get('from'),
                            'time': time.monotonic()})
                    sms_id = f'000000-{len(self.sent)}'
                result[number] = {'status': 'OK', 'status_code': 100,
                    'sms_id': sms_id}
            else:
                result[number] = {'status': 'ERROR', 'status_code': code,
                    'status_text': TEXTS.get(code, 'Ошибка')}
        return {'status': 'OK', 'status_code': 100, 'sms': result,
            'balance': 4122.56}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                if self.path != '/sms/send':
                    self.send_response(404)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                data = json.dumps(fake.answer(params),
                    ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header('Content-Type',
                    'application/json; charset=utf-8')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
