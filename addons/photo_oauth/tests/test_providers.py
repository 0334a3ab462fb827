"""The protocol against the fake providers, with no database: every
provider signs in, and every forged or misdirected answer is refused."""
import time
import unittest
from urllib.parse import parse_qs, urlsplit

from trytond.modules.photo_oauth import providers
from trytond.modules.photo_oauth.providers import (
    KINDS, AppleKey, Provider, SignInError)
from trytond.modules.photo_oauth.tests.fake_oidc import (
    DROP, FakeProviders, apple_developer_key)

REDIRECT = 'https://studio.example/account/oauth/{}/callback'


class ProvidersTestCase(unittest.TestCase):
    "Sign-in protocol against the fake providers"

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProviders().__enter__()
        cls.settings = cls.fake.register_all()

    @classmethod
    def tearDownClass(cls):
        cls.fake.__exit__(None, None, None)

    def setUp(self):
        providers.clear_cache()
        fake = self.fake
        fake.forge = fake.expired = False
        fake.audience = fake.nonce = None
        fake.person = {'sub': '100200300', 'email': 'Ann@Example.com',
            'email_verified': True, 'name': "Ann Smith",
            'phone': '+79001234567'}

    def provider(self, name, **extra):
        config = {k.split('_', 1)[1]: v
            for k, v in self.fake.provider_config(name).items()}
        client = self.fake.clients[name]
        values = dict(name=name, kind=KINDS[name],
            client_id=client['client_id'], client_secret=client['secret'],
            **config)
        if name == 'apple':
            values['apple_key'] = AppleKey('TEAM123456', 'KEY7654321',
                self.settings['apple_private_key'].replace('\\n', '\n'))
        values.update(extra)
        return Provider(**values)

    def sign_in(self, provider, tamper=None):
        """Start, let the person consent at the fake, come back: the
        Person, or SignInError."""
        redirect = REDIRECT.format(provider.name)
        started = providers.authorize(provider, redirect)
        method, uri, params = self.fake.authorize(started.url)
        self.assertEqual(uri, redirect)
        self.assertEqual(params['state'], started.state)
        if tamper:
            tamper(params)
        return providers.finish(provider, redirect, params, started.nonce,
            started.code_verifier, started.state), method

    def test_authorization_request(self):
        "The authorization URL carries PKCE S256, state, and nonce for OIDC"
        for name in KINDS:
            with self.subTest(provider=name):
                provider = self.provider(name)
                started = providers.authorize(provider, REDIRECT.format(name))
                query = parse_qs(urlsplit(started.url).query)
                self.assertEqual(query['response_type'], ['code'])
                self.assertEqual(query['code_challenge_method'], ['S256'])
                self.assertNotIn(started.code_verifier, started.url)
                self.assertEqual(query['state'], [started.state])
                self.assertEqual(
                    'nonce' in query, KINDS[name].protocol == 'oidc')
                self.assertEqual(query.get('response_mode'),
                    ['form_post'] if name == 'apple' else None)

    def test_google(self):
        "Google: the ID token's subject, address and its verification"
        person, method = self.sign_in(self.provider('google'))
        self.assertEqual(method, 'GET')
        self.assertEqual(person, providers.Person('100200300',
                'ann@example.com', True, "Ann Smith", None))

    def test_apple_form_post_and_client_secret(self):
        "Apple: form_post, a client-secret JWT (ES256), the name posted once"
        person, method = self.sign_in(self.provider('apple'))
        self.assertEqual(method, 'POST')
        self.assertEqual(person.subject, '100200300')
        self.assertTrue(person.email_verified)   # "true" as a string
        self.assertEqual(person.name, "Ann Smith")
        token_request, = [p for f, e, p in self.fake.requests[-2:]
            if f == 'apple' and e == 'token']
        self.assertEqual(token_request['client_secret'].count('.'), 2)

    def test_apple_wrong_developer_key(self):
        "Apple refuses a client secret signed with another key"
        _key, other_pem = apple_developer_key()
        provider = self.provider('apple', apple_key=AppleKey(
                'TEAM123456', 'KEY7654321', other_pem))
        with self.assertRaises(SignInError):
            self.sign_in(provider)

    def test_vk_id(self):
        "VK ID: device_id and state in the token request, user_info"
        person, _ = self.sign_in(self.provider('vk'))
        self.assertEqual(person.subject, '100200300')
        self.assertEqual(person.email, 'ann@example.com')
        self.assertEqual(person.phone, '+79001234567')
        # VK ID sends no verification flag: not trusted unless configured.
        self.assertFalse(person.email_verified)
        person, _ = self.sign_in(self.provider('vk', trust_email=True))
        self.assertTrue(person.email_verified)

    def test_vk_id_without_device(self):
        "VK ID refuses a code without the device it was issued to"
        with self.assertRaises(SignInError):
            self.sign_in(self.provider('vk'),
                tamper=lambda p: p.pop('device_id'))

    def test_yandex_id(self):
        "Yandex ID: /info with an OAuth token, for our client_id"
        person, _ = self.sign_in(self.provider('yandex'))
        self.assertEqual(person, providers.Person('100200300',
                'ann@example.com', False, "Ann Smith", '+79001234567'))

    def test_yandex_token_of_another_application(self):
        "Yandex ID's answer about a token of another application is refused"
        self.fake.info_client_id = 'another-application'
        try:
            with self.assertRaisesRegex(SignInError, 'another application'):
                self.sign_in(self.provider('yandex'))
        finally:
            self.fake.info_client_id = None

    def test_forged_token(self):
        "An ID token signed with another key (same key id) is refused"
        self.fake.forge = True
        with self.assertRaisesRegex(SignInError, 'signature'):
            self.sign_in(self.provider('google'))

    def test_wrong_audience(self):
        "An ID token for another client is refused"
        self.fake.audience = 'someone-else'
        with self.assertRaisesRegex(SignInError, 'aud'):
            self.sign_in(self.provider('google'))

    def test_expired_token(self):
        "An expired ID token is refused"
        self.fake.expired = True
        with self.assertRaisesRegex(SignInError, 'claims'):
            self.sign_in(self.provider('google'))

    def test_wrong_or_missing_nonce(self):
        "An ID token without our nonce, or with another, is refused"
        for nonce in [DROP, 'another-nonce']:
            with self.subTest(nonce=nonce):
                self.fake.nonce = nonce
                with self.assertRaisesRegex(SignInError, 'nonce'):
                    self.sign_in(self.provider('apple'))

    def answered(self, name):
        "(provider, redirect URI, started sign-in, the provider's answer)"
        provider = self.provider(name)
        redirect = REDIRECT.format(name)
        started = providers.authorize(provider, redirect)
        _, _, params = self.fake.authorize(started.url)
        return provider, redirect, started, params

    def test_wrong_issuer(self):
        "An ID token whose issuer is not the discovered one is refused"
        provider, _, started, _ = self.answered('google')
        metadata = providers._metadata(provider)
        token = self.fake.id_token('apple', 'google-client',
            self.fake.person, started.nonce)
        with self.assertRaisesRegex(SignInError, 'iss'):
            providers.verify_id_token(
                token, metadata, 'google-client', started.nonce)

    def test_wrong_verifier(self):
        "A code exchanged without its PKCE verifier is refused"
        provider, redirect, started, params = self.answered('google')
        with self.assertRaises(SignInError):
            providers.finish(provider, redirect, params, started.nonce,
                'not-the-verifier', started.state)

    def test_code_used_once(self):
        "A code works once"
        provider, redirect, started, params = self.answered('google')
        args = (provider, redirect, params, started.nonce,
            started.code_verifier, started.state)
        providers.finish(*args)
        with self.assertRaises(SignInError):
            providers.finish(*args)

    def test_provider_error(self):
        "The visitor who declines comes back with an error"
        with self.assertRaisesRegex(SignInError, 'access_denied'):
            self.sign_in(self.provider('google'), tamper=lambda p: p.update(
                    error='access_denied'))

    def test_unreachable(self):
        "A provider that does not answer is a SignInError, not a crash"
        provider = self.provider('google',
            discovery_url='http://127.0.0.1:9/.well-known/x')
        started = time.monotonic()
        with self.assertRaises(SignInError):
            providers.authorize(provider, REDIRECT.format('google'))
        self.assertLess(time.monotonic() - started, providers.TIMEOUT + 1)
