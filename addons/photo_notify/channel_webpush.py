"""Web push to the installed portal (RFC 8030) through pywebpush: the
payload encrypted for the browser (RFC 8291, aes128gcm), the request signed
with the studio's VAPID key (RFC 8292). The portal's service worker shows
the notification and opens the booking on click.

    python -m trytond.modules.photo_notify.channel_webpush

prints a new VAPID key pair ([photo_notify] vapid_private_key goes to the
environment only)."""
import json

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush

import trytond.config as config

from . import outbox
from .channel import (
    Channel, PermanentFailure, RecipientGone, TemporaryFailure, short_text)

SECTION = 'photo_notify'
TIMEOUT = 10


def vapid():
    "The Vapid of [photo_notify] vapid_private_key, or None."
    key = config.get(SECTION, 'vapid_private_key')
    return Vapid.from_string(private_key=key.strip()) if key else None


def application_server_key(key=None):
    """The public key browsers subscribe with (PushManager.subscribe's
    applicationServerKey), base64url, or None without a VAPID key."""
    key = key or vapid()
    if not key:
        return None
    return b64urlencode(key.public_key.public_bytes(
            serialization.Encoding.X962,
            serialization.PublicFormat.UncompressedPoint))


def subject():
    "The VAPID contact: [photo_notify] vapid_subject, else mailto: the sender."
    value = config.get(SECTION, 'vapid_subject')
    if value:
        return value
    sender = config.get('email', 'from', default='') or ''
    address = sender.rpartition('<')[2].strip('> ') or 'root@localhost'
    return f'mailto:{address}'


def payload(message):
    "What the service worker gets: the notification to show and its link."
    return json.dumps({
            'title': message.subject,
            'body': short_text(message),
            'url': message.link or '/account',
            'tag': message.key,
            'lang': message.language,
            }, ensure_ascii=False)


def classify(status, text):
    """The failure of a push service's answer (RFC 8030 §5, RFC 8292 §4):
    404/410 the subscription is gone; 429 and 5xx later; else for good."""
    reason = f'push service {status}: {text[:200]}'
    if status in {404, 410}:
        return RecipientGone(reason)
    if status == 429 or status >= 500:
        return TemporaryFailure(reason)
    return PermanentFailure(reason)


class WebPushChannel(Channel):
    """[photo_notify] vapid_private_key (environment only), vapid_subject,
    webpush_ttl (seconds a push service keeps an undelivered message)."""
    name = 'webpush'

    def __init__(self):
        self.vapid = vapid()
        if not self.vapid:
            raise TemporaryFailure("no [photo_notify] vapid_private_key")
        self.subject = subject()
        self.ttl = config.getint(SECTION, 'webpush_ttl', default=24 * 3600)
        self.session = requests.Session()

    def send(self, message):
        if not message.keys:
            raise RecipientGone("the subscription was removed")
        try:
            webpush({'endpoint': message.address, 'keys': message.keys},
                data=payload(message), vapid_private_key=self.vapid,
                # A new dict each time: webpush writes aud and exp in it
                vapid_claims={'sub': self.subject}, ttl=self.ttl,
                timeout=TIMEOUT, requests_session=self.session,
                # The same Topic replaces an undelivered resend (RFC 8030
                # §5.4), the same tag a shown one: a resend shows once.
                headers={'Urgency': 'high',
                    'Topic': outbox.digest(message.key, 32)})
        except WebPushException as exception:
            response = exception.response
            if response is None:
                raise PermanentFailure(exception.message) from exception
            raise classify(response.status_code, response.text) \
                from exception
        except requests.RequestException as exception:
            raise TemporaryFailure(str(exception)) from exception

    def close(self):
        self.session.close()


if __name__ == '__main__':
    key = Vapid()
    key.generate_keys()
    private = key.private_key.private_numbers().private_value.to_bytes(
        32, 'big')
    print(f'TRYTOND_PHOTO_NOTIFY__VAPID_PRIVATE_KEY={b64urlencode(private)}')
    print(f'application server key: {application_server_key(key)}')
