"""Time-based one-time passwords (RFC 6238) and recovery codes.

Plain functions over plain values, no trytond import: the models keep the
secret, the last accepted time step and the hashes of the recovery codes,
and call these. Unit-tested directly (tests/test_totp.py).
"""
import hashlib
import hmac
import io
import secrets
import time

import pyotp

# A code of the step before or after the current one is accepted too: the
# phone's clock may be 30 s off, and typing takes time.
VALID_WINDOW = 1
RECOVERY_CODES = 10
# 10 characters of base 32: 50 random bits each. A fast salted hash is
# enough for such codes (a password needs a slow one, these do not).
RECOVERY_LENGTH = 10
RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'


def new_secret():
    "A random base-32 secret of 160 bits, as authenticator apps expect."
    return pyotp.random_base32(32)


def provisioning_uri(secret, account, issuer):
    "The otpauth:// URI an authenticator app reads from the QR code."
    return pyotp.TOTP(secret).provisioning_uri(
        name=account, issuer_name=issuer)


def qr_png(uri):
    "The PNG image of a QR code of uri."
    import qrcode
    image = qrcode.make(uri, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format='PNG')
    return buffer.getvalue()


def normalize(code):
    "code as typed, without spaces and dashes, lower case."
    return ''.join((code or '').split()).replace('-', '').lower()


def match(secret, code, last_step=None, now=None):
    """The time step whose code is code, or None.

    A step at or before last_step (the last one accepted) is refused: a
    code works once."""
    code = normalize(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def now_code(secret, now=None):
    "The code of secret at now (what the phone shows)."
    return pyotp.TOTP(secret).at(time.time() if now is None else now)


def new_recovery_codes(count=RECOVERY_CODES):
    "count random codes to show once, as 'xxxxx-xxxxx'."
    codes = []
    for _ in range(count):
        raw = ''.join(secrets.choice(RECOVERY_ALPHABET)
            for _ in range(RECOVERY_LENGTH))
        codes.append(f'{raw[:5]}-{raw[5:]}')
    return codes


def hash_recovery_code(code, salt=None):
    "'salt$sha256' of the normalized code."
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f'{salt}:{normalize(code)}'.encode()).hexdigest()
    return f'{salt}${digest}'


def hash_recovery_codes(codes):
    "The stored form of codes: one hash a line."
    return '\n'.join(hash_recovery_code(c) for c in codes)


def use_recovery_code(stored, code):
    """stored without the hash of code, or None if code is none of them.

    stored is hash_recovery_codes' text."""
    code = normalize(code)
    if len(code) != RECOVERY_LENGTH:
        return None
    hashes = (stored or '').split()
    for i, hashed in enumerate(hashes):
        salt, _, _ = hashed.partition('$')
        if hmac.compare_digest(hash_recovery_code(code, salt), hashed):
            return '\n'.join(hashes[:i] + hashes[i + 1:])
    return None


def count_recovery_codes(stored):
    return len((stored or '').split())
