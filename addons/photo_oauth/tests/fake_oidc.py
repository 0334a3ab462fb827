"""A local fake of the sign-in providers, for the tests of every module that
needs one: Google and Apple (OpenID Connect: discovery, JWKS, authorization
endpoint, token endpoint issuing signed ID tokens), VK ID (id.vk.com's
/authorize, /oauth2/auth, /oauth2/user_info) and Yandex ID
(oauth.yandex.ru's /authorize and /token, login.yandex.ru's /info), each
under its own path with the documented parameters and answers.

    with FakeProviders() as fake:
        fake.register('google', 'client-id', 'client-secret')
        fake.person = {'sub': '1', 'email': 'ann@example.com', ...}
        fake.provider_config('google')   # [photo_oauth] keys pointing here
        fake.authorize(url)              # what the browser would be sent to

The "person" consents at once (no login page). Knobs for the next ID
token: fake.forge (signed with another key under the same key id),
fake.audience, fake.expired, fake.nonce (a value, or DROP to leave it out);
fake.info_client_id: Yandex's /info answers for another application.
The authorization endpoint checks the client and the redirect URI; the token
endpoint checks the code (single use), the redirect URI, the PKCE verifier
(S256), the client's secret (Apple: the ES256 client-secret JWT against
the registered developer key) and VK ID's device_id and state.
"""
import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, parse_qs

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from trytond.modules.photo_notify.tests.fake_http import (
    FakeHTTPService, Handler)

DROP = object()
OIDC = ('google', 'apple')


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b'=').decode()


def apple_developer_key():
    "A developer key as Apple's console gives it: (key id, private PEM)."
    key = ECKey.generate_key('P-256', private=True)
    return key, key.as_pem(private=True).decode()


class FakeProviders(FakeHTTPService):
    received_list = 'requests'

    def __init__(self, port=0):
        self.signing_key = RSAKey.generate_key(
            2048, parameters={'kid': 'fake-1', 'use': 'sig'}, private=True)
        # Another key under the same id: what a forger would sign with.
        self.other_key = RSAKey.generate_key(
            2048, parameters={'kid': 'fake-1', 'use': 'sig'}, private=True)
        self.clients = {}      # flavour -> dict(client_id, secret, ...)
        self.person = {'sub': '100200300', 'email': 'ann@example.com',
            'email_verified': True, 'name': "Ann Smith"}
        self.forge = False
        self.audience = None
        self.expired = False
        self.nonce = None
        self.info_client_id = None   # Yandex /info: another application's
        self.codes = {}
        self.tokens = {}
        self.requests = []     # (flavour, endpoint, params)
        super().__init__(port)

    # --- set-up --------------------------------------------------------------

    @property
    def base_url(self):
        return self.origin

    def issuer(self, flavour):
        return f'{self.base_url}/{flavour}'

    def register(self, flavour, client_id, secret=None, apple=None):
        """A client of flavour; apple: (team id, key id, public ECKey) whose
        client-secret JWTs the token endpoint accepts."""
        self.clients[flavour] = {
            'client_id': client_id, 'secret': secret, 'apple': apple}

    def register_all(self, flavours=('google', 'vk', 'yandex', 'apple')):
        """Test clients of flavours; the [photo_oauth] settings of a portal
        that uses them here (Apple's key on one line, as the environment
        holds it)."""
        clients = {
            'google': ('google-client', 'google-secret'),
            'yandex': ('yandex-client', 'yandex-secret'),
            'vk': ('51234567', None),
            'apple': ('com.studio.web', None),
            }
        settings = {}
        for flavour in flavours:
            client_id, secret = clients[flavour]
            settings[f'{flavour}_client_id'] = client_id
            if secret:
                settings[f'{flavour}_client_secret'] = secret
            apple = None
            if flavour == 'apple':
                key, pem = apple_developer_key()
                apple = ('TEAM123456', 'KEY7654321', key)
                settings.update(apple_team_id=apple[0], apple_key_id=apple[1],
                    apple_private_key=pem.replace('\n', '\\n'))
            self.register(flavour, client_id, secret, apple=apple)
            settings.update(self.provider_config(flavour))
        return settings

    def provider_config(self, flavour):
        "The [photo_oauth] keys that point a provider at this fake."
        base = self.issuer(flavour)
        if flavour in OIDC:
            return {f'{flavour}_discovery_url':
                f'{base}/.well-known/openid-configuration'}
        if flavour == 'vk':
            return {'vk_authorize_url': f'{base}/authorize',
                'vk_token_url': f'{base}/oauth2/auth',
                'vk_userinfo_url': f'{base}/oauth2/user_info'}
        return {'yandex_authorize_url': f'{base}/authorize',
            'yandex_token_url': f'{base}/token',
            'yandex_userinfo_url': f'{base}/info'}

    # --- the browser's side --------------------------------------------------

    def authorize(self, url):
        """The visitor at the authorization URL consents: (method, redirect
        URI, parameters) the provider sends them back with (method 'POST'
        for response_mode=form_post, as Apple does)."""
        parts = urlsplit(url)
        flavour = parts.path.strip('/').split('/')[0]
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        status, answer = self._authorize(flavour, params)
        if status != 302:
            raise AssertionError(f"authorize refused: {answer}")
        return answer

    def _authorize(self, flavour, params):
        client = self.clients.get(flavour)
        self.requests.append((flavour, 'authorize', params))
        if not client or params.get('client_id') != client['client_id']:
            return 400, {'error': 'invalid_client'}
        if params.get('response_type') != 'code':
            return 400, {'error': 'unsupported_response_type'}
        if not params.get('redirect_uri') or not params.get('state'):
            return 400, {'error': 'invalid_request'}
        if params.get('code_challenge_method') != 'S256' \
                or not params.get('code_challenge'):
            return 400, {'error': 'invalid_request',
                'error_description': 'PKCE S256 required'}
        code = secrets.token_urlsafe(24)
        answer = {'code': code, 'state': params['state']}
        device_id = None
        if flavour == 'vk':
            device_id = secrets.token_urlsafe(12)
            answer.update({'device_id': device_id, 'type': 'code_v2',
                    'expires_in': '600', 'ext_id': secrets.token_hex(8)})
        if flavour == 'apple' and params.get('response_mode') == 'form_post' \
                and 'name' in (params.get('scope') or '').split():
            # The name comes once, with the form, never in the ID token.
            first, _, last = self.person.get('name', '').partition(' ')
            answer['user'] = json.dumps({'name': {
                        'firstName': first, 'lastName': last},
                    'email': self.person.get('email')})
        with self.lock:
            self.codes[code] = {
                'flavour': flavour, 'client_id': client['client_id'],
                'redirect_uri': params['redirect_uri'],
                'challenge': params['code_challenge'],
                'nonce': params.get('nonce'), 'state': params['state'],
                'device_id': device_id, 'person': dict(self.person)}
        method = 'POST' if params.get('response_mode') == 'form_post' \
            else 'GET'
        return 302, (method, params['redirect_uri'], answer)

    # --- the server's side ---------------------------------------------------

    def discovery(self, flavour):
        base = self.issuer(flavour)
        return {
            'issuer': base,
            'authorization_endpoint': f'{base}/authorize',
            'token_endpoint': f'{base}/token',
            'userinfo_endpoint': f'{base}/userinfo',
            'jwks_uri': f'{base}/jwks',
            'response_types_supported': ['code'],
            'response_modes_supported': ['query', 'form_post'],
            'subject_types_supported': ['public'],
            'id_token_signing_alg_values_supported': ['RS256'],
            'scopes_supported': ['openid', 'email', 'profile', 'name'],
            'token_endpoint_auth_methods_supported': [
                'client_secret_post', 'client_secret_basic'],
            'code_challenge_methods_supported': ['S256'],
            'claims_supported': ['sub', 'email', 'email_verified', 'name'],
            }

    def jwks(self):
        return KeySet([self.signing_key]).as_dict(private=False)

    def token(self, flavour, params, headers):
        self.requests.append((flavour, 'token', params))
        if params.get('grant_type') != 'authorization_code':
            return 400, {'error': 'unsupported_grant_type'}
        client = self.clients.get(flavour)
        client_id, secret = params.get('client_id'), params.get(
            'client_secret')
        basic = headers.get('Authorization') or ''
        if basic.startswith('Basic '):
            client_id, _, secret = base64.b64decode(
                basic[6:]).decode().partition(':')
        if not client or client_id != client['client_id']:
            return 401, {'error': 'invalid_client'}
        if not self._client_secret_ok(flavour, client, secret):
            return 401, {'error': 'invalid_client'}
        with self.lock:
            grant = self.codes.pop(params.get('code'), None)
        if not grant or grant['flavour'] != flavour \
                or grant['client_id'] != client_id:
            return 400, {'error': 'invalid_grant'}
        if flavour != 'yandex' \
                and params.get('redirect_uri') != grant['redirect_uri']:
            return 400, {'error': 'invalid_grant',
                'error_description': 'redirect_uri mismatch'}
        if s256(params.get('code_verifier') or '') != grant['challenge']:
            return 400, {'error': 'invalid_grant',
                'error_description': 'code_verifier mismatch'}
        if flavour == 'vk' and (params.get('device_id') != grant['device_id']
                or params.get('state') != grant['state']):
            return 400, {'error': 'invalid_request',
                'error_description': 'device_id or state mismatch'}
        access = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access] = (flavour, client_id, grant['person'])
        answer = {'access_token': access, 'token_type': 'Bearer',
            'expires_in': 3600, 'refresh_token': secrets.token_urlsafe(24)}
        if flavour in OIDC:
            answer['id_token'] = self.id_token(
                flavour, client_id, grant['person'], grant['nonce'])
        if flavour == 'vk':
            answer.update({'user_id': int(grant['person']['sub']),
                    'state': grant['state'],
                    'scope': 'vkid.personal_info email',
                    'id_token': 'not-checked'})
        return 200, answer

    def _client_secret_ok(self, flavour, client, secret):
        if flavour == 'vk':
            return True   # a public client: PKCE instead of a secret
        if client['apple']:
            team_id, key_id, public = client['apple']
            try:
                token = jwt.decode(secret or '', public, algorithms=['ES256'])
                jwt.JWTClaimsRegistry(
                    iss={'essential': True, 'value': team_id},
                    sub={'essential': True, 'value': client['client_id']},
                    aud={'essential': True, 'value': self.issuer(flavour)},
                    exp={'essential': True}).validate(token.claims)
            except (JoseError, ValueError):
                return False
            return token.header.get('kid') == key_id
        return secret == client['secret']

    def id_token(self, flavour, client_id, person, nonce):
        now = int(time.time())
        if self.expired:
            now -= 3 * 3600
        claims = {
            'iss': self.issuer(flavour), 'sub': person['sub'],
            'aud': self.audience or client_id, 'iat': now,
            'exp': now + 600, 'auth_time': now,
            'email': person.get('email'),
            'email_verified': person.get('email_verified', False)}
        if flavour == 'apple':
            # Apple writes the flag as a string and no name.
            claims['email_verified'] = str(claims['email_verified']).lower()
        else:
            claims['name'] = person.get('name')
        nonce = nonce if self.nonce is None else self.nonce
        if nonce is not DROP and nonce is not None:
            claims['nonce'] = nonce
        key = self.other_key if self.forge else self.signing_key
        return jwt.encode({'alg': 'RS256', 'kid': key.kid}, claims, key)

    def vk_user_info(self, params):
        self.requests.append(('vk', 'user_info', params))
        grant = self.tokens.get(params.get('access_token'))
        client = self.clients.get('vk')
        if not grant or grant[0] != 'vk' or not client \
                or params.get('client_id') != client['client_id']:
            return 401, {'error': 'invalid_token',
                'error_description': 'access_token is missing or invalid'}
        person = grant[2]
        first, _, last = person.get('name', '').partition(' ')
        return 200, {'user': {
                'user_id': str(person['sub']), 'first_name': first,
                'last_name': last, 'phone': person.get('phone', ''),
                'avatar': '', 'email': person.get('email', ''),
                'sex': 0, 'verified': False, 'birthday': ''}}

    def yandex_info(self, headers):
        auth = headers.get('Authorization') or ''
        grant = self.tokens.get(auth[6:]) if auth.startswith('OAuth ') \
            else None
        self.requests.append(('yandex', 'info', {'auth': auth[:6]}))
        if not grant or grant[0] != 'yandex':
            return 401, {'error': 'invalid token'}
        person = grant[2]
        first, _, last = person.get('name', '').partition(' ')
        answer = {'id': str(person['sub']), 'login': 'ann',
            'client_id': self.info_client_id or grant[1],
            'psuid': 'psuid-' + str(person['sub']),
            'default_email': person.get('email'),
            'emails': [person.get('email')] if person.get('email') else [],
            'real_name': person.get('name'), 'first_name': first,
            'last_name': last, 'display_name': first, 'sex': None}
        if person.get('phone'):
            answer['default_phone'] = {'id': 1, 'number': person['phone']}
        return 200, answer

    # --- HTTP ----------------------------------------------------------------

    def _route(self, method, path, params, headers):
        flavour, _, endpoint = path.strip('/').partition('/')
        if flavour not in ('google', 'apple', 'vk', 'yandex'):
            return 404, {'error': 'not_found'}
        if endpoint == '.well-known/openid-configuration' and flavour in OIDC:
            return 200, self.discovery(flavour)
        if endpoint == 'jwks' and flavour in OIDC:
            return 200, self.jwks()
        if endpoint == 'authorize':
            return self._authorize(flavour, params)
        if method == 'POST' and (endpoint == 'token' and flavour != 'vk'
                or endpoint == 'oauth2/auth' and flavour == 'vk'):
            return self.token(flavour, params, headers)
        if flavour == 'vk' and endpoint == 'oauth2/user_info' \
                and method == 'POST':
            return self.vk_user_info(params)
        if flavour == 'yandex' and endpoint == 'info':
            return self.yandex_info(headers)
        return 404, {'error': 'not_found'}

    def _handler(self):
        fake = self

        class ProviderHandler(Handler):
            def _serve(self, method):
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                if method == 'POST':
                    params.update(parse_qsl(self.body().decode()))
                status, answer = fake._route(
                    method, parts.path, params, self.headers)
                if status == 302:
                    self._redirect(*answer)
                    return
                self.answer(status, answer)

            def _redirect(self, method, uri, answer):
                if method == 'GET':
                    self.send_response(302)
                    self.send_header('Location', uri + (
                            '&' if '?' in uri else '?') + urlencode(answer))
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                # response_mode=form_post: a page that posts the answer
                fields = ''.join(
                    f'<input type="hidden" name="{k}" value="{_attr(v)}">'
                    for k, v in answer.items())
                page = (f'<!doctype html><title>Sign in</title>'
                    f'<body onload="document.forms[0].submit()">'
                    f'<form method="post" action="{_attr(uri)}">{fields}'
                    f'<noscript><button>Continue</button></noscript>'
                    f'</form></body>').encode()
                self.send_response(200)
                self.send_header('Content-Type', 'text/html; charset=utf-8')
                self.send_header('Content-Length', str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def do_GET(self):
                self._serve('GET')

            def do_POST(self):
                self._serve('POST')
        return ProviderHandler


def _attr(value):
    return (str(value).replace('&', '&amp;').replace('"', '&quot;')
        .replace('<', '&lt;').replace('>', '&gt;'))


def main():
    """Serve the fake providers to try the portal's sign-in by hand: prints
    the environment that points a portal at them (every person consents
    at once as ann@example.com)."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument('--port', type=int, default=8030)
    args = parser.parse_args()
    fake = FakeProviders(port=args.port)
    settings = fake.register_all()
    for key_, value in settings.items():
        print(f"export TRYTOND_PHOTO_OAUTH__{key_.upper()}='{value}'")
    # Apple's form post comes from the provider's origin.
    print(f"export TRYTOND_WEB__CORS='{fake.base_url}'")
    print(f"# fake providers on {fake.base_url}; Ctrl-C to stop", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
