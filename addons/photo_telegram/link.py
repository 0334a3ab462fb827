"""Deep-link tokens of the bot (t.me/<bot>?start=<token>), in plain Python.

A token names who is linked (a client's party or a staff user), until
when, and the state of their link when it was made; it is signed with the
server's secret (photo_booking.security.sign). Telegram's start parameter
allows 64 characters of [A-Za-z0-9_-]: a token has about 45.

The signature covers the link's current chat: once the token has linked a
chat (or another one has), the same token no longer verifies, so each is
used once.
"""
import datetime as dt
import hmac
import re

from trytond.modules.photo_booking import security

KINDS = {'p': 'party', 'u': 'user'}
TOKEN_RE = re.compile(r'^([pu])(\d{1,10})-([0-9a-z]{1,8})-([0-9a-f]{24})$')
EPOCH = dt.datetime(1970, 1, 1)


class InvalidToken(ValueError):
    "Not one of our tokens, forged, or for a link that changed since."


class ExpiredToken(InvalidToken):
    "A genuine token past its expiry."


def _base36(number):
    digits = '0123456789abcdefghijklmnopqrstuvwxyz'
    text = ''
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _signature(kind, id_, expires, state):
    return security.sign(
        'telegram-link', f'{kind}:{id_}:{expires}:{state or ""}')[:24]


def make_token(kind, id_, expires, state=None):
    """The token linking record id_ of kind ('party' or 'user') until
    expires (naive UTC); state: its current chat, if any."""
    letter = {v: k for k, v in KINDS.items()}[kind]
    seconds = _base36(int((expires - EPOCH).total_seconds()))
    return (f'{letter}{id_}-{seconds}-'
        f'{_signature(letter, id_, seconds, state)}')


def read_token(token):
    """(kind, id) the token names, unchecked: the caller looks the current
    state up and verifies with check_token. InvalidToken if malformed."""
    match = TOKEN_RE.match(token or '')
    if not match:
        raise InvalidToken(token)
    return KINDS[match.group(1)], int(match.group(2))


def check_token(token, state, now):
    "Raise InvalidToken or ExpiredToken unless token is valid for state."
    match = TOKEN_RE.match(token or '')
    if not match:
        raise InvalidToken(token)
    letter, id_, seconds, signature = match.groups()
    if not hmac.compare_digest(
            _signature(letter, id_, seconds, state), signature):
        raise InvalidToken(token)
    if EPOCH + dt.timedelta(seconds=int(seconds, 36)) <= now:
        raise ExpiredToken(token)


def start_link(bot_username, token):
    "The link that opens the bot and sends /start token."
    return f'https://t.me/{bot_username}?start={token}'
