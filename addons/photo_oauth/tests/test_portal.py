"""Sign-in with the providers on the portal, over HTTP, against the fake
providers: new accounts with consent, linking by a verified address only,
replays and forgeries refused, linking and unlinking from the cabinet."""
import re
import uuid
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

from werkzeug.exceptions import Forbidden

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, set_config)
from trytond.modules.photo_oauth import providers
from trytond.modules.photo_oauth.tests.fake_oidc import (
    DROP, FakeProviders)

CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
PORTAL = 'https://studio.example'
PASSWORD = 'Correct-Horse-7-Battery'


class OAuthPortalTestCase(RouteTestCase):
    "Sign-in with Google, VK ID, Yandex ID and Apple on the portal"
    module = 'photo_oauth'

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProviders().__enter__()
        cls.addClassCleanup(cls.fake.__exit__, None, None, None)
        settings = [
            ('photo_booking', 'portal_database', DB_NAME),
            ('photo_booking', 'redis_url', ''),
            ('photo_booking', 'rate_limit_signup', '1000/60'),
            ('photo_booking', 'rate_limit_login', '1000/60'),
            ('photo_booking', 'rate_limit_oauth', '1000/60'),
            ('photo_portal', 'url', PORTAL),
            *(('photo_oauth', key, value)
                for key, value in cls.fake.register_all().items()),
            # Apple's form post comes from the provider's origin.
            ('web', 'cors', cls.fake.base_url),
            ]
        for section, key, value in settings:
            set_config(cls.addClassCleanup, section, key, value)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        providers.clear_cache()
        fake = self.fake
        fake.forge = fake.expired = False
        fake.audience = fake.nonce = None
        self.person('ann@example.com')

    def person(self, email, verified=True, sub=None, name="Ann Smith"):
        "Who consents at the fake next."
        self.fake.person = {'sub': sub or str(uuid.uuid4().int % 10 ** 9),
            'email': email, 'email_verified': verified, 'name': name,
            'phone': '+79001234567'}
        return self.fake.person

    # --- helpers -------------------------------------------------------------

    def client(self):
        "A visitor reading English (the lang cookie set)."
        client = AddressedClient(
            f'10.1.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}')
        client.get('/account/login?lang=en')
        return client

    def csrf(self, client, path):
        return CSRF_RE.search(
            client.get(path).get_data(as_text=True)).group(1)

    def go_to_provider(self, client, path):
        "Follow the portal to the provider: its answer (method, path, params)."
        response = client.get(path)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER,
            response.get_data(as_text=True))
        method, uri, params = self.fake.authorize(response.headers['Location'])
        self.assertTrue(uri.startswith(PORTAL + '/account/oauth/'))
        return method, urlsplit(uri).path, params

    def come_back(self, client, method, path, params):
        if method == 'GET':
            return client.get(path + '?' + urlencode(params))
        # A cross-site form post: the browser sends no SameSite cookie,
        # and the provider's Origin.
        return self.client().post(path, data=params,
            headers={'Origin': self.fake.base_url})

    def sign_in(self, client, name, path=None):
        "The response of the portal's last step of a sign-in with name."
        answer = self.go_to_provider(client, path or f'/account/oauth/{name}')
        response = self.come_back(client, *answer)
        if response.status_code != HTTPStatus.SEE_OTHER:
            return response
        location = response.headers['Location']
        self.assertTrue(location.startswith('/account/oauth/finish?state='))
        return client.get(location)

    def accept(self, client, response, consent='yes',
            phone='+7 900 123-45-67'):
        "Fill the sign-up page the provider's sign-in led to."
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        page = response.headers['Location']
        self.assertTrue(page.startswith('/account/oauth/signup?state='))
        html = client.get(page).get_data(as_text=True)
        state = re.search(r'name="state" value="([^"]+)"', html).group(1)
        return client.post('/account/oauth/signup', data={
                'csrf': CSRF_RE.search(html).group(1), 'state': state,
                'name': "Ann Smith", 'phone': phone, 'consent': consent})

    def signed_in(self, client):
        return client.get('/account').status_code == HTTPStatus.OK

    def password_account(self, email, valid=True):
        with Transaction().start(DB_NAME, 0) as transaction:
            User = Pool().get('web.user')
            user = User(email=email, email_valid=valid)
            user.password = PASSWORD
            user.save()
            transaction.commit()
            return user.id

    def log_in(self, client, email, password=PASSWORD):
        return client.post('/account/login', data={
                'csrf': self.csrf(client, '/account/login'),
                'email': email, 'password': password})

    def identities(self, email=None):
        with Transaction().start(DB_NAME, 0):
            Identity = Pool().get('photo.oauth.identity')
            domain = [('web_user.email', '=', email)] if email else []
            return sorted((i.provider, i.subject, i.web_user.email)
                for i in Identity.search(domain))

    def user(self, email):
        with Transaction().start(DB_NAME, 0):
            User = Pool().get('web.user')
            user, = User.search([('email', '=', email)])
            return {'email_valid': user.email_valid,
                'password': bool(user.password_hash),
                'party': user.party.name if user.party else None,
                'lang': user.party.lang.code
                if user.party and user.party.lang else None}

    # --- tests ---------------------------------------------------------------

    def test_login_page_offers_providers(self):
        "The sign-in and sign-up pages offer every configured provider"
        client = self.client()
        html = client.get('/account/login?lang=en').get_data(as_text=True)
        for label in ("Google", "VK ID", "Yandex ID", "Apple"):
            self.assertIn(f"Sign in with {label}", html)
        html = client.get('/account/signup?lang=ru').get_data(as_text=True)
        self.assertIn("Войти через Google", html)
        self.assertIn('href="/account/oauth/vk"', html)

    def test_unconfigured_provider_is_404(self):
        "A provider without a client id is neither offered nor served"
        client = self.client()
        set_config(self.addCleanup, 'photo_oauth', 'vk_client_id', '')
        self.assertEqual(client.get('/account/oauth/vk').status_code,
            HTTPStatus.NOT_FOUND)
        self.assertEqual(client.get('/account/oauth/facebook').status_code,
            HTTPStatus.NOT_FOUND)
        html = client.get('/account/login?lang=en').get_data(as_text=True)
        self.assertNotIn("VK ID", html)

    def test_new_client_signs_up_with_google(self):
        "A new client signs up with Google after the consent, then back in"
        client = self.client()
        person = self.person('new.client@example.com', name="Nina New")
        response = self.sign_in(client, 'google')
        html = client.get(response.headers['Location']).get_data(
            as_text=True)
        self.assertIn('value="Nina New"', html)
        self.assertIn("new.client@example.com", html)
        self.assertIn('name="consent"', html)
        self.assertFalse(self.signed_in(client))
        # The consent is required, as on the sign-up page.
        refused = self.accept(client, response, consent='')
        self.assertEqual(refused.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn("agree to the processing", refused.get_data(
                as_text=True))
        self.assertEqual(self.identities('new.client@example.com'), [])
        done = self.accept(client, response)
        self.assertEqual(done.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(done.headers['Location'], '/account?notice=welcome')
        cabinet = client.get(done.headers['Location']).get_data(as_text=True)
        self.assertIn("Welcome! Your account is ready.", cabinet)
        self.assertRegex(cabinet, r'Google</strong>\s*<span class="muted">'
            r'linked · new.client@example.com')
        self.assertEqual(self.identities('new.client@example.com'),
            [('google', person['sub'], 'new.client@example.com')])
        self.assertEqual(self.user('new.client@example.com'), {
                'email_valid': True, 'password': False, 'party': "Ann Smith",
                'lang': 'en'})
        # Signed out, Google signs the client in again at once.
        client.post('/account/logout', data={
                'csrf': self.csrf(client, '/account')})
        self.assertFalse(self.signed_in(client))
        response = self.sign_in(client, 'google')
        self.assertEqual(response.headers['Location'], '/account')
        self.assertTrue(self.signed_in(client))

    def test_existing_account_linked_by_verified_email(self):
        "A verified address signs in to the account that has it and links it"
        self.password_account('maria@example.com')
        person = self.person('Maria@Example.com')
        client = self.client()
        response = self.sign_in(client, 'apple')
        self.assertEqual(
            response.headers['Location'], '/account?notice=linked')
        self.assertTrue(self.signed_in(client))
        self.assertEqual(self.identities('maria@example.com'),
            [('apple', person['sub'], 'maria@example.com')])
        self.assertTrue(self.user('maria@example.com')['password'])

    def test_unverified_email_links_nothing(self):
        "An address the provider did not verify neither links nor creates"
        self.password_account('olga@example.com')
        for email in ['olga@example.com', 'nobody.yet@example.com']:
            with self.subTest(email=email):
                self.person(email, verified=False)
                client = self.client()
                response = self.sign_in(client, 'google')
                self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
                self.assertIn("has not confirmed your email",
                    response.get_data(as_text=True))
                self.assertFalse(self.signed_in(client))
                self.assertEqual(self.identities(email), [])
        # Yandex and VK ID send no verification flag: the same.
        self.person('olga@example.com')
        client = self.client()
        self.assertEqual(self.sign_in(client, 'yandex').status_code,
            HTTPStatus.BAD_REQUEST)
        self.assertEqual(self.identities('olga@example.com'), [])

    def test_unverified_signup_does_not_keep_its_password(self):
        """Someone signed up with Ann's address and never confirmed it: Ann
        signing in with Google takes the account, their password no more"""
        self.password_account('ann.owner@example.com', valid=False)
        squatter = self.client()
        self.assertEqual(self.log_in(squatter, 'ann.owner@example.com')
            .status_code, HTTPStatus.SEE_OTHER)
        self.assertTrue(self.signed_in(squatter))
        self.person('ann.owner@example.com')
        ann = self.client()
        self.sign_in(ann, 'google')
        self.assertTrue(self.signed_in(ann))
        self.assertEqual(self.user('ann.owner@example.com'), {
                'email_valid': True, 'password': False, 'party': None,
                'lang': None})
        self.assertFalse(self.signed_in(squatter))
        self.assertEqual(self.log_in(squatter, 'ann.owner@example.com')
            .status_code, HTTPStatus.BAD_REQUEST)

    def test_replayed_state(self):
        "The provider's answer works once: a replay signs nobody in"
        self.password_account('replay@example.com')
        self.person('replay@example.com')
        client = self.client()
        method, path, params = self.go_to_provider(
            client, '/account/oauth/google')
        first = self.come_back(client, method, path, params)
        self.assertEqual(first.status_code, HTTPStatus.SEE_OTHER)
        again = self.come_back(client, method, path, params)
        self.assertEqual(again.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn("expired or was already used",
            again.get_data(as_text=True))
        finish = first.headers['Location']
        self.assertEqual(client.get(finish).status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(client.get(finish).status_code,
            HTTPStatus.BAD_REQUEST)
        # A made-up state is refused the same way.
        self.assertEqual(client.get(path + '?' + urlencode(
                    {'state': 'made-up', 'code': 'x'})).status_code,
            HTTPStatus.BAD_REQUEST)

    def test_apple_needs_its_origin_allowed(self):
        "Without [web] cors listing Apple, its form post is refused"
        set_config(self.addCleanup, 'web', 'cors', '')
        method, path, params = self.go_to_provider(
            self.client(), '/account/oauth/apple')
        self.assertEqual(method, 'POST')
        with self.assertLogs('trytond.modules.photo_oauth', 'WARNING'):
            self.client().get('/account/login')
        # trytond refuses it before any route (photo_portal's SecurityHeaders
        # middleware answers the 403).
        with self.assertRaises(Forbidden):
            self.come_back(self.client(), method, path, params)

    def test_answer_finished_in_another_browser(self):
        "A sign-in finishes only in the browser that started it"
        self.password_account('bound@example.com')
        self.person('bound@example.com')
        victim = self.client()
        method, path, params = self.go_to_provider(
            victim, '/account/oauth/google')
        attacker = self.client()
        response = attacker.get(path + '?' + urlencode(params))
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(attacker.get(response.headers['Location'])
            .status_code, HTTPStatus.BAD_REQUEST)
        self.assertFalse(self.signed_in(attacker))

    def test_forged_and_misdirected_tokens(self):
        "Forged, misdirected, expired or nonce-less ID tokens sign nobody in"
        self.password_account('target@example.com')
        self.person('target@example.com')
        for knob, value in [('forge', True), ('audience', 'other-client'),
                ('expired', True), ('nonce', DROP), ('nonce', 'other')]:
            with self.subTest(knob=knob, value=value):
                setattr(self.fake, knob, value)
                try:
                    client = self.client()
                    response = self.sign_in(client, 'google')
                    self.assertEqual(
                        response.status_code, HTTPStatus.BAD_REQUEST)
                    self.assertFalse(self.signed_in(client))
                    self.assertEqual(self.identities('target@example.com'), [])
                finally:
                    self.setUp()
                    self.person('target@example.com')

    def test_link_and_unlink_from_cabinet(self):
        "A client links VK ID and Yandex ID in the cabinet and unlinks them"
        self.password_account('pavel@example.com')
        client = self.client()
        self.log_in(client, 'pavel@example.com')
        # VK ID's address is not trusted, but linking needs none.
        vk = self.person('pavel.vk@example.com', verified=False)
        response = self.sign_in(client, 'vk', '/account/oauth/vk/link')
        self.assertEqual(
            response.headers['Location'], '/account?notice=linked')
        self.assertEqual(self.identities('pavel@example.com'),
            [('vk', vk['sub'], 'pavel@example.com')])
        cabinet = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn("Unlink VK ID", cabinet)
        self.assertIn('href="/account/oauth/yandex/link"', cabinet)
        # Signed out, VK ID signs Pavel in.
        other = self.client()
        self.person('pavel.vk@example.com', verified=False, sub=vk['sub'])
        self.assertEqual(self.sign_in(other, 'vk').headers['Location'],
            '/account')
        self.assertTrue(self.signed_in(other))
        # An account at VK ID linked to Pavel cannot be linked to Olga.
        self.password_account('olga.other@example.com')
        olga = self.client()
        self.log_in(olga, 'olga.other@example.com')
        self.assertEqual(self.sign_in(olga, 'vk', '/account/oauth/vk/link')
            .status_code, HTTPStatus.BAD_REQUEST)
        response = client.post('/account/oauth/vk/unlink', data={
                'csrf': self.csrf(client, '/account')})
        self.assertEqual(response.headers['Location'],
            '/account?notice=unlinked')
        self.assertEqual(self.identities('pavel@example.com'), [])
        # Linking needs a signed-in client.
        self.assertEqual(self.client().get('/account/oauth/vk/link')
            .status_code, HTTPStatus.SEE_OTHER)

    def test_last_way_in_stays(self):
        "An account without a password keeps its last linked provider"
        self.person('only.google@example.com')
        client = self.client()
        self.accept(client, self.sign_in(client, 'google'))
        csrf = self.csrf(client, '/account')
        cabinet = client.get('/account?lang=en').get_data(as_text=True)
        self.assertNotIn("Unlink Google", cabinet)
        self.assertIn("Your only way to sign in", cabinet)
        refused = client.post('/account/oauth/google/unlink',
            data={'csrf': csrf})
        self.assertEqual(refused.status_code, HTTPStatus.BAD_REQUEST)
        self.assertEqual(len(self.identities('only.google@example.com')), 1)
        # With Yandex ID linked too, Google may go.
        self.person('whatever@yandex.ru')
        self.sign_in(client, 'yandex', '/account/oauth/yandex/link')
        response = client.post('/account/oauth/google/unlink',
            data={'csrf': csrf})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual([p for p, _, _ in self.identities(
                    'only.google@example.com')], ['yandex'])

    def test_deleted_account_keeps_no_way_in(self):
        "A deleted account's providers no longer sign in to it"
        person = self.person('leaving@example.com')
        client = self.client()
        self.accept(client, self.sign_in(client, 'google'))
        response = client.post('/account/delete', data={
                'csrf': self.csrf(client, '/account'), 'confirm': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertNotIn(person['sub'],
            [subject for _, subject, _ in self.identities()])
        again = self.client()
        response = self.sign_in(again, 'google')
        # A new sign-up, not the closed account.
        self.assertTrue(response.headers['Location'].startswith(
                '/account/oauth/signup'))
        self.assertFalse(self.signed_in(again))
