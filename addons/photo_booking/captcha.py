"""Optional third-party CAPTCHAs, checked on the server by each provider's
documented verify call; chosen by `[photo_booking] captcha`.

| provider | call | answer that passes |
|---|---|---|
| `recaptcha` (Google reCAPTCHA v3) | POST form `secret`, `response`, `remoteip` to `https://www.google.com/recaptcha/api/siteverify` | `success` true and `score` >= `captcha_min_score` |
| `turnstile` (Cloudflare) | POST form `secret`, `response`, `remoteip` to `https://challenges.cloudflare.com/turnstile/v0/siteverify` | `success` true |
| `smartcaptcha` (Yandex) | POST form `secret`, `token`, `ip` to `https://smartcaptcha.yandexcloud.net/validate` | `status` "ok" |

`captcha_verify_url` replaces the address (the tests' local fake), the
secret comes from `captcha_secret` (environment only). No trytond model:
configured at call time, unit-tested against a local fake.
"""
import json
import logging
import urllib.parse
import urllib.request

import trytond.config as config

logger = logging.getLogger(__name__)

SECTION = 'photo_booking'
TIMEOUT = 5
PROVIDERS = {
    'recaptcha': 'https://www.google.com/recaptcha/api/siteverify',
    'turnstile': 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    'smartcaptcha': 'https://smartcaptcha.yandexcloud.net/validate',
    }


def provider():
    "The configured provider, or None (the self-hosted proof of work only)."
    name = config.get(SECTION, 'captcha', default='') or None
    return name if name in PROVIDERS else None


def _form(name, secret, token, remote_ip):
    if name == 'smartcaptcha':
        return {'secret': secret, 'token': token, 'ip': remote_ip or ''}
    form = {'secret': secret, 'response': token}
    if remote_ip:
        form['remoteip'] = remote_ip
    return form


def _passes(name, answer):
    if not isinstance(answer, dict):
        return False
    if name == 'smartcaptcha':
        return answer.get('status') == 'ok'
    if answer.get('success') is not True:
        return False
    if name == 'recaptcha':
        score = answer.get('score')
        minimum = config.getfloat(SECTION, 'captcha_min_score', default=0.5)
        return isinstance(score, (int, float)) and score >= minimum
    return True


def verify(token, remote_ip=None):
    """Whether the provider accepts token (from remote_ip). False without a
    provider, a secret, or an answer from the provider in TIMEOUT s."""
    name = provider()
    secret = config.get(SECTION, 'captcha_secret', default='')
    if not name or not secret or not isinstance(token, str) or not token \
            or len(token) > 4096:
        return False
    url = config.get(SECTION, 'captcha_verify_url', default='') \
        or PROVIDERS[name]
    try:
        data = urllib.parse.urlencode(
            _form(name, secret, token, remote_ip)).encode()
        with urllib.request.urlopen(url, data=data, timeout=TIMEOUT) as r:
            answer = json.loads(r.read())
    except (OSError, ValueError):
        logger.warning("%s verification failed at %s", name, url,
            exc_info=True)
        return False
    return _passes(name, answer)
