"""A local fake of FCM's HTTP v1 API and of Google's OAuth 2 token
endpoint, for tests: the service account it makes signs its token requests
(RFC 7523 JWT bearer grant, RS256), the bearer token it issues authorises
`POST /v1/projects/<project>/messages:send`, whose answers and errors are
the documented ones (google.firebase.fcm.v1.FcmError).

    with FakeFCM() as fcm:
        info = fcm.service_account()      # its token_uri is the fake's
        fcm.unregistered.add(token)       # 404 UNREGISTERED from now on
        fcm.sent                          # [message dicts]
"""
import base64
import json
import secrets
import time
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .fake_http import FakeHTTPService, Handler

PROJECT = 'photo-studio-test'
SCOPE = 'https://www.googleapis.com/auth/firebase.messaging'
GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
# The assertion's audience Google asks for, whatever the token_uri
# (developers.google.com/identity/protocols/oauth2/service-account)
AUDIENCE = 'https://oauth2.googleapis.com/token'


def b64decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def fcm_error(status, code, message, error_code=None):
    error = {'code': status, 'message': message, 'status': code}
    if error_code:
        error['details'] = [{
                '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
                'errorCode': error_code}]
    return status, {'error': error}


class FakeFCM(FakeHTTPService):
    def __init__(self, project=PROJECT):
        self.project = project
        self.key = rsa.generate_private_key(public_exponent=65537,
            key_size=2048)
        self.email = f'notify@{project}.iam.gserviceaccount.com'
        self.tokens = {}          # access token: expiry
        self.sent = []
        self.unregistered = set()
        self.unavailable = False  # answer 503 to sends
        self.token_requests = 0
        super().__init__()

    def service_account(self):
        "The service account JSON a Firebase console would give."
        return {
            'type': 'service_account',
            'project_id': self.project,
            'private_key_id': 'test-key-1',
            'private_key': self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode(),
            'client_email': self.email,
            'client_id': '1234567890',
            'token_uri': f'{self.origin}/token',
            }

    # --- the endpoints --------------------------------------------------

    def token(self, form):
        "RFC 7523 §2.1: the assertion signed by the service account's key."
        if form.get('grant_type') != GRANT:
            return 400, {'error': 'unsupported_grant_type'}
        try:
            header64, claims64, signature64 = form['assertion'].split('.')
            header = json.loads(b64decode(header64))
            claims = json.loads(b64decode(claims64))
            self.key.public_key().verify(b64decode(signature64),
                f'{header64}.{claims64}'.encode(), padding.PKCS1v15(),
                hashes.SHA256())
        except (KeyError, ValueError, InvalidSignature):
            return 400, {'error': 'invalid_grant',
                'error_description': 'Invalid JWT Signature.'}
        now = time.time()
        if (header.get('alg') != 'RS256' or claims.get('iss') != self.email
                or claims.get('aud') != AUDIENCE
                or SCOPE not in (claims.get('scope') or '').split()
                or not claims.get('iat', 0) - 60 <= now < claims.get('exp', 0)):
            return 400, {'error': 'invalid_grant',
                'error_description': 'Invalid JWT claims.'}
        token = 'ya29.' + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = now + 3600
            self.token_requests += 1
        return 200, {'access_token': token, 'expires_in': 3600,
            'token_type': 'Bearer'}

    def send(self, path, authorization, body):
        if path != f'/v1/projects/{self.project}/messages:send':
            return fcm_error(404, 'NOT_FOUND', 'Unknown project or method.')
        scheme, _, token = (authorization or '').partition(' ')
        if scheme != 'Bearer' or self.tokens.get(token, 0) < time.time():
            return fcm_error(401, 'UNAUTHENTICATED',
                'Request had invalid authentication credentials.')
        if self.unavailable:
            return fcm_error(503, 'UNAVAILABLE', 'The service is unavailable.',
                'UNAVAILABLE')
        try:
            message = json.loads(body)['message']
        except (ValueError, KeyError, TypeError):
            return fcm_error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload.')
        targets = [k for k in ('token', 'topic', 'condition') if k in message]
        if len(targets) != 1:
            return fcm_error(400, 'INVALID_ARGUMENT',
                'Exactly one of token, topic or condition is required.',
                'INVALID_ARGUMENT')
        data = message.get('data') or {}
        if not all(isinstance(v, str) for v in data.values()):
            return fcm_error(400, 'INVALID_ARGUMENT',
                'data values must be strings.', 'INVALID_ARGUMENT')
        if message.get('token') in self.unregistered:
            return fcm_error(404, 'NOT_FOUND',
                'Requested entity was not found.', 'UNREGISTERED')
        with self.lock:
            self.sent.append(message)
            number = len(self.sent)
        return 200, {'name': f'projects/{self.project}/messages/{number}'}

    def _handler(self):
        fake = self

        class FcmHandler(Handler):
            def do_POST(self):
                body = self.body().decode()
                if self.path == '/token':
                    status, answer = fake.token(dict(parse_qsl(body)))
                else:
                    status, answer = fake.send(self.path,
                        self.headers.get('Authorization'), body)
                self.answer(status, answer)

        return FcmHandler
