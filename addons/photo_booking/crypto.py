"""Encryption at rest, as plain functions: AES-256-GCM values that name
their key, and keyed hashes (HMAC-SHA256) of normalised phones and e-mails
so they can still be found by equality.

No trytond import here (`encryption.py` is the glue with the ORM and the
configuration): unit-tested directly.

A stored value reads `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
The associated data (`aad`) binds it to where it is kept (model and field),
so a value copied into another column does not decrypt. A value without the
prefix is clear text from before encryption, returned as it is (the module
update and the rotation command encrypt it).
"""
import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 'v1'
PREFIX = VERSION + ':'
NONCE_SIZE = 12
KEY_SIZE = 32
KID = re.compile(r'[A-Za-z0-9_.-]{1,32}')
_PHONE_PUNCTUATION = re.compile(r'[\s().\-]')
_PHONE = re.compile(r'\+?\d{3,20}')


class CryptoError(Exception):
    "A value or a key that cannot be used."


class KeyMissing(CryptoError):
    "The value was encrypted with a key that is not configured."

    def __init__(self, kid):
        super().__init__(kid)
        self.kid = kid


class NoKey(CryptoError):
    "No encryption key at all."


class BadKeys(CryptoError):
    "The configured keys cannot be parsed."


class Undecryptable(CryptoError):
    "The value is damaged, was moved from elsewhere or the key is wrong."


def _b64decode(text):
    text = text.strip()
    padded = text + '=' * (-len(text) % 4)
    try:
        if '-' in text or '_' in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exception:
        raise BadKeys(f"not base64: {exception}") from None


def parse_keys(text):
    """The (key id, key) pairs of "kid:base64key,kid2:base64key", the
    first being the current one."""
    keys = []
    for item in (text or '').replace('\n', ',').split(','):
        item = item.strip()
        if not item:
            continue
        kid, sep, encoded = item.partition(':')
        kid = kid.strip()
        if not sep or not KID.fullmatch(kid):
            raise BadKeys(
                f"expected kid:base64key with kid of [A-Za-z0-9_.-], "
                f"got {kid!r}")
        key = _b64decode(encoded)
        if len(key) != KEY_SIZE:
            raise BadKeys(
                f"key {kid!r} has {len(key)} bytes, AES-256 needs {KEY_SIZE}")
        if kid in dict(keys):
            raise BadKeys(f"key id {kid!r} given twice")
        keys.append((kid, key))
    return keys


def parse_hash_key(text):
    key = _b64decode(text or '')
    if len(key) < 16:
        raise BadKeys("the hash key needs at least 16 bytes")
    return key


def new_key():
    "A fresh key, base64 as the configuration takes it."
    return base64.b64encode(os.urandom(KEY_SIZE)).decode('ascii')


def normalise(value):
    """The form of an e-mail or phone that its keyed hash is of: a phone
    loses spaces, dashes, dots and brackets (+7 (900) 123-45-67 →
    +79001234567), anything else is lower-cased; both are stripped and
    NFKC-normalised."""
    value = unicodedata.normalize('NFKC', value).strip()
    compact = _PHONE_PUNCTUATION.sub('', value)
    if _PHONE.fullmatch(compact):
        return compact
    return value.casefold()


def is_encrypted(value):
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id(value):
    "The key id of an encrypted value, None for clear text."
    if not is_encrypted(value):
        return None
    return value.split(':', 2)[1]


class Keyring:
    "The configured keys: the first encrypts, all decrypt."

    def __init__(self, keys, hash_key):
        if not keys:
            raise NoKey("no encryption key")
        self.current = keys[0][0]
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}
        self._hash_key = hash_key

    @property
    def kids(self):
        return list(self._ciphers)

    def encrypt(self, plain, aad):
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._ciphers[self.current].encrypt(
            nonce, plain.encode('utf-8'), aad)
        return '%s%s:%s' % (PREFIX, self.current,
            base64.urlsafe_b64encode(nonce + sealed).decode('ascii'))

    def decrypt(self, value, aad):
        "The clear text of value (returned as is when it is not encrypted)."
        if not is_encrypted(value):
            return value
        try:
            _, kid, encoded = value.split(':', 2)
        except ValueError:
            raise Undecryptable("malformed value") from None
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise KeyMissing(kid)
        try:
            sealed = base64.urlsafe_b64decode(encoded)
            plain = cipher.decrypt(
                sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], aad)
        except (binascii.Error, ValueError, InvalidTag):
            raise Undecryptable("value does not decrypt") from None
        return plain.decode('utf-8')

    def is_current(self, value):
        return key_id(value) == self.current

    def index(self, value):
        "The keyed hash of value's normalised form (hex), None for empty."
        if value is None or value == '':
            return None
        return hmac.new(self._hash_key, normalise(value).encode('utf-8'),
            hashlib.sha256).hexdigest()
