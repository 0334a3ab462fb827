"""A local fake of the SMS.ru HTTP API (https://sms.ru/api/send) for tests:
`POST /sms/send` with api_id, to, msg, json=1 (and from), answered as the
real one does — the request's status, then one status per number.

    with FakeSms(api_id) as sms:   # sms.url for [photo_notify] sms_api
        sms.codes['79000000000'] = 202   # this number is refused
        sms.sent                         # [{'to', 'msg', 'from'}]
"""
import time
from urllib.parse import parse_qsl

from .fake_http import FakeHTTPService, Handler

API_ID = 'TEST-0000-1111-2222'
TEXTS = {
    100: "Сообщение принято к отправке",
    200: "Неправильный api_id",
    202: "Неправильно указан получатель",
    220: "Сервис временно недоступен, попробуйте чуть позже",
    }


class FakeSms(FakeHTTPService):
    def __init__(self, api_id=API_ID):
        self.api_id = api_id
        self.sent = []
        self.codes = {}   # number: status code to answer for it
        super().__init__()

    @property
    def url(self):
        return self.origin

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

        class SmsHandler(Handler):
            def do_POST(self):
                params = dict(parse_qsl(self.body().decode()))
                if self.path != '/sms/send':
                    self.answer(404)
                else:
                    self.answer(200, fake.answer(params))

        return SmsHandler
