"""A self-hosted proof of work in ALTCHA's format (altcha.org, "PoW v1"),
so the `altcha` widget, or our small solver, can answer it.

The server hands out a challenge: a random salt (with its expiry as the
`?expires=<unix time>&` parameter), the SHA-256 of salt + a secret number
up to maxnumber, and the HMAC-SHA-256 of that hash with the server's key.
The client finds the number by trying them all and sends back the payload:
base64 of the JSON `{algorithm, challenge, number, salt, signature}`. The
server checks it without keeping anything; refusing a payload sent twice is
the caller's (abuse.py keeps the spent signatures until their expiry).

Plain functions, no trytond import: unit-tested directly.
"""
import base64
import binascii
import hashlib
import hmac
import json
import secrets
from urllib.parse import parse_qsl

ALGORITHM = 'SHA-256'


class ProofError(ValueError):
    "A payload that does not prove the work: malformed, forged or expired."


def _hash(salt, number):
    return hashlib.sha256(
        f'{salt}{number}'.encode('utf-8', 'surrogatepass')).hexdigest()


def _signature(key, challenge_hash):
    return hmac.new(
        key.encode(), challenge_hash.encode(), hashlib.sha256).hexdigest()


def create_challenge(key, max_number, expires, number=None, salt=None):
    """A challenge as ALTCHA's widget fetches it (its `challengeurl`).

    expires is a unix time; number is drawn up to max_number unless
    given (tests)."""
    salt = f'{salt or secrets.token_hex(12)}?expires={int(expires)}&'
    if number is None:
        number = secrets.randbelow(max_number + 1)
    challenge_hash = _hash(salt, number)
    return {
        'algorithm': ALGORITHM,
        'challenge': challenge_hash,
        'maxnumber': max_number,
        'salt': salt,
        'signature': _signature(key, challenge_hash),
        }


def solve(challenge, start=0):
    "The number of a challenge, found as a client does (tests, benches)."
    for number in range(start, challenge['maxnumber'] + 1):
        if _hash(challenge['salt'], number) == challenge['challenge']:
            return number
    return None


def payload(challenge, number):
    "What the widget sends once it found number: base64 of the JSON."
    return base64.b64encode(json.dumps({
                'algorithm': challenge['algorithm'],
                'challenge': challenge['challenge'],
                'number': number,
                'salt': challenge['salt'],
                'signature': challenge['signature'],
                }).encode()).decode()


def verify(key, value, now):
    """The verified payload (a dict) of value, base64 of the JSON or its
    decoded dict; ProofError if it does not prove the work before its
    expiry. now is a unix time."""
    if isinstance(value, str):
        try:
            value = json.loads(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise ProofError('malformed')
    if not isinstance(value, dict):
        raise ProofError('malformed')
    fields = {name: value.get(name) for name in (
            'algorithm', 'challenge', 'number', 'salt', 'signature')}
    number = fields['number']
    if (fields['algorithm'] != ALGORITHM
            or not all(isinstance(fields[n], str)
                for n in ('challenge', 'salt', 'signature'))
            or not isinstance(number, int) or isinstance(number, bool)
            or number < 0):
        raise ProofError('malformed')
    params = dict(parse_qsl(fields['salt'].partition('?')[2]))
    try:
        expires = int(params['expires'])
    except (KeyError, ValueError):
        raise ProofError('malformed')
    if expires <= now:
        raise ProofError('expired')
    if not _same(_hash(fields['salt'], number), fields['challenge']):
        raise ProofError('wrong number')
    if not _same(_signature(key, fields['challenge']), fields['signature']):
        raise ProofError('forged')
    fields['expires'] = expires
    return fields


def _same(expected, given):
    # compare_digest refuses str with other than ASCII: compare bytes.
    return hmac.compare_digest(
        expected.encode(), given.encode('utf-8', 'surrogatepass'))
