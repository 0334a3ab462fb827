"""SMS through an SMS.ru-style HTTP API (https://sms.ru/api/send):
POST {sms_api}/sms/send with api_id, to, msg and json=1."""
import json
import urllib.error
import urllib.parse
import urllib.request

import trytond.config as config

from .channel import Channel, PermanentFailure, TemporaryFailure

SECTION = 'photo_notify'
# SMS.ru status codes worth trying again: 220 "service temporarily
# unavailable", 230 "daily limit for the number", 231/232 "too many
# messages to the number".
TEMPORARY_CODES = {220, 230, 231, 232}
TIMEOUT = 10


def classify(status_code, text):
    if status_code in TEMPORARY_CODES:
        return TemporaryFailure(f'SMS {status_code}: {text}')
    return PermanentFailure(f'SMS {status_code}: {text}')


class SmsChannel(Channel):
    """[photo_notify] sms_api (default https://sms.ru) and sms_api_id (from
    the environment); sms_from, the sender name if the account has one."""
    name = 'sms'

    def __init__(self):
        self.api = config.get(SECTION, 'sms_api', default='https://sms.ru')
        self.api_id = config.get(SECTION, 'sms_api_id')
        self.sender = config.get(SECTION, 'sms_from')
        if not self.api_id:
            raise TemporaryFailure("no [photo_notify] sms_api_id")

    def send(self, message):
        phone = ''.join(c for c in message.address if c.isdigit())
        text = message.subject
        if message.link:
            text = f'{text} {message.link}'
        params = {'api_id': self.api_id, 'to': phone, 'msg': text,
            'json': 1}
        if self.sender:
            params['from'] = self.sender
        request = urllib.request.Request(
            self.api.rstrip('/') + '/sms/send',
            data=urllib.parse.urlencode(params).encode(), method='POST')
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as exception:
            if exception.code >= 500 or exception.code == 429:
                raise TemporaryFailure(str(exception)) from exception
            raise PermanentFailure(str(exception)) from exception
        except (OSError, ValueError) as exception:
            raise TemporaryFailure(str(exception)) from exception
        if answer.get('status') != 'OK':
            raise classify(answer.get('status_code'),
                answer.get('status_text'))
        result = answer.get('sms', {}).get(phone, {})
        if result.get('status') != 'OK':
            raise classify(result.get('status_code'),
                result.get('status_text'))
