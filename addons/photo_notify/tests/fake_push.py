"""A local web push service (RFC 8030) as the browsers' push services
answer, for tests: it hands out subscriptions as a browser's
PushManager.subscribe() would, checks each push's VAPID JWT (RFC 8292)
against the key the subscription was made with, and decrypts its
aes128gcm payload (RFC 8291) with the subscription's private keys. The
decryption is written here from the RFC with `cryptography`, not with the
sender's library, so a wire format mistake cannot cancel out.

    with FakePushService() as push:
        subscription = push.subscribe(application_server_key)
        …                          # the server pushes to it
        push.received              # [{'payload': {…}, 'claims': {…}, …}]
        push.gone.add(subscription['endpoint'])   # answers 410 from now on
"""
import base64
import json
import os
import secrets
import struct
import time

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .fake_http import FakeHTTPService, Handler

MAX_EXP = 24 * 3600  # RFC 8292 §2: no more than 24 hours ahead


def b64decode(text):
    if isinstance(text, str):
        text = text.encode()
    return base64.urlsafe_b64decode(text + b'=' * (-len(text) % 4))


def b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def _hmac(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def raw_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.UncompressedPoint)


class PushError(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def decrypt(body, ua_private, auth_secret):
    """RFC 8291 §3.4 and RFC 8188 §2: the plaintext of an aes128gcm body
    sent to the user agent holding ua_private and auth_secret."""
    if len(body) < 21:
        raise PushError(400, "body too short for an aes128gcm header")
    salt, rs, idlen = body[:16], struct.unpack('!I', body[16:20])[0], body[20]
    as_public = body[21:21 + idlen]
    records = body[21 + idlen:]
    if idlen != 65 or rs < 18:
        raise PushError(400, "keyid is not the sender's P-256 public key")
    sender = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), as_public)
    ecdh_secret = ua_private.exchange(ec.ECDH(), sender)
    ua_public = raw_public(ua_private)
    # HKDF (RFC 5869) step by step, as RFC 8291 §3.4 writes it
    prk_key = _hmac(auth_secret, ecdh_secret)
    ikm = _hmac(prk_key,
        b'WebPush: info\x00' + ua_public + as_public + b'\x01')
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b'Content-Encoding: aes128gcm\x00\x01')[:16]
    nonce = _hmac(prk, b'Content-Encoding: nonce\x00\x01')[:12]
    plaintext = b''
    chunks = [records[i:i + rs] for i in range(0, len(records), rs)]
    for seq, chunk in enumerate(chunks):
        iv = nonce[:4] + struct.pack(
            '!Q', struct.unpack('!Q', nonce[4:])[0] ^ seq)
        try:
            data = AESGCM(cek).decrypt(iv, chunk, None)
        except InvalidTag:
            raise PushError(400, "payload does not decrypt")
        data = data.rstrip(b'\x00')
        last = seq == len(chunks) - 1
        if not data or data[-1] != (2 if last else 1):
            raise PushError(400, "bad padding delimiter")
        plaintext += data[:-1]
    return plaintext


def verify_vapid(authorization, audience, server_key, now=None):
    """RFC 8292: the claims of 'vapid t=<JWT>, k=<key>', signed ES256 by
    server_key (the subscription's applicationServerKey), for audience."""
    now = now or time.time()
    scheme, _, params = (authorization or '').partition(' ')
    if scheme.lower() != 'vapid':
        raise PushError(401, "no VAPID authorization")
    values = dict(p.strip().split('=', 1) for p in params.split(',')
        if '=' in p)
    token, key = values.get('t'), values.get('k')
    if not token or not key:
        raise PushError(401, "VAPID t= and k= are required")
    if b64decode(key) != server_key:
        # RFC 8292 §4.2: not the key the subscription is restricted to
        raise PushError(403, "VAPID key differs from the subscription's")
    try:
        header64, claims64, signature64 = token.split('.')
        header = json.loads(b64decode(header64))
        claims = json.loads(b64decode(claims64))
        signature = b64decode(signature64)
    except ValueError:
        raise PushError(401, "malformed JWT")
    if header.get('alg') != 'ES256' or len(signature) != 64:
        raise PushError(401, "the JWT must be ES256")
    public = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), server_key)
    der = utils.encode_dss_signature(
        int.from_bytes(signature[:32], 'big'),
        int.from_bytes(signature[32:], 'big'))
    try:
        public.verify(der, f'{header64}.{claims64}'.encode(),
            ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise PushError(401, "bad JWT signature")
    if claims.get('aud') != audience:
        raise PushError(401, f"aud {claims.get('aud')!r} is not {audience}")
    exp = claims.get('exp')
    if not isinstance(exp, int) or not now < exp <= now + MAX_EXP + 60:
        raise PushError(401, "exp must be within 24 hours")
    sub = claims.get('sub') or ''
    if not sub.startswith(('mailto:', 'https:')):
        raise PushError(401, "sub must be a mailto: or https: contact")
    return claims


class FakePushService(FakeHTTPService):
    received_list = 'received'

    def __init__(self):
        self.subscriptions = {}  # id: (ua private key, auth, server key)
        self.received = []
        self.refused = []        # (status, reason)
        self.gone = set()        # endpoints answered 410
        super().__init__()

    def subscribe(self, application_server_key):
        """A new subscription restricted to application_server_key
        (base64url), as PushSubscription.toJSON() gives it."""
        ua_private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        sid = secrets.token_urlsafe(16)
        self.subscriptions[sid] = (
            ua_private, auth, b64decode(application_server_key))
        return {
            'endpoint': f'{self.origin}/push/{sid}',
            'expirationTime': None,
            'keys': {'p256dh': b64encode(raw_public(ua_private)),
                'auth': b64encode(auth)},
            }

    def accept(self, path, headers, body):
        "(status, location) for a push request, or PushError."
        sid = path.rpartition('/')[2]
        endpoint = f'{self.origin}/push/{sid}'
        if endpoint in self.gone:
            raise PushError(410, "the subscription expired")
        if sid not in self.subscriptions or not path.startswith('/push/'):
            raise PushError(404, "no such subscription")
        ua_private, auth, server_key = self.subscriptions[sid]
        if headers.get('TTL') is None or not headers['TTL'].isdigit():
            raise PushError(400, "TTL header required (RFC 8030 §5.2)")
        if headers.get('Content-Encoding') != 'aes128gcm':
            raise PushError(415, "Content-Encoding must be aes128gcm")
        claims = verify_vapid(
            headers.get('Authorization'), self.origin, server_key)
        plaintext = decrypt(body, ua_private, auth)
        with self.lock:
            self.received.append({
                    'endpoint': endpoint,
                    'payload': json.loads(plaintext),
                    'claims': claims,
                    'ttl': int(headers['TTL']),
                    'urgency': headers.get('Urgency'),
                    'time': time.monotonic(),
                    })
            number = len(self.received)
        return 201, f'{self.origin}/message/{number}'

    def _handler(self):
        service = self

        class PushHandler(Handler):
            def do_POST(self):
                try:
                    status, location = service.accept(
                        self.path, self.headers, self.body())
                except PushError as error:
                    service.refused.append((error.status, error.reason))
                    self.answer(error.status, {'code': error.status,
                            'message': error.reason})
                else:
                    self.answer(status, headers=[('Location', location)])

        return PushHandler
