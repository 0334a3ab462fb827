"""Calendar abuse: the proof of work, the CAPTCHA adapters and the hold
limits as plain functions, then the API's holds over HTTP."""
import base64
import datetime as dt
import json
import threading
import time
import unittest
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking import abuse, altcha, captcha, security
from trytond.modules.photo_booking.openapi import document
from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, create_world, relax_abuse_limits, set_config)

KEY = 'test-hmac-key'
NOW = 1_900_000_000
MOSCOW = ZoneInfo('Europe/Moscow')


def solved(challenge):
    return altcha.payload(challenge, altcha.solve(challenge))


class AltchaTestCase(unittest.TestCase):
    "The proof of work in ALTCHA's format"

    def challenge(self, **kwargs):
        return altcha.create_challenge(KEY, 2000, NOW + 60, **kwargs)

    def test_solved_challenge_verifies(self):
        "A solved challenge verifies, as the widget sends it (with `took`)"
        challenge = self.challenge()
        self.assertEqual(set(challenge), {
                'algorithm', 'challenge', 'maxnumber', 'salt', 'signature'})
        self.assertEqual(challenge['algorithm'], 'SHA-256')
        self.assertTrue(challenge['salt'].endswith(f'?expires={NOW + 60}&'))
        number = altcha.solve(challenge)
        widget = base64.b64encode(json.dumps({
                    **{k: challenge[k] for k in (
                            'algorithm', 'challenge', 'salt', 'signature')},
                    'number': number, 'took': 420}).encode()).decode()
        verified = altcha.verify(KEY, widget, NOW)
        self.assertEqual(verified['number'], number)
        self.assertEqual(verified['expires'], NOW + 60)

    def test_known_vector(self):
        "The challenge is SHA-256 of salt + number, signed by HMAC-SHA-256"
        import hashlib
        import hmac
        challenge = self.challenge(number=42, salt='abc')
        self.assertEqual(challenge['challenge'], hashlib.sha256(
                f'abc?expires={NOW + 60}&42'.encode()).hexdigest())
        self.assertEqual(challenge['signature'], hmac.new(
                KEY.encode(), challenge['challenge'].encode(),
                hashlib.sha256).hexdigest())

    def test_refused_payloads(self):
        "Wrong, forged, expired or malformed payloads are refused"
        challenge = self.challenge()
        number = altcha.solve(challenge)
        forged = altcha.create_challenge('other key', 2000, NOW + 60)
        expired = altcha.create_challenge(KEY, 2000, NOW - 1)
        unsigned = dict(challenge, salt=challenge['salt'].split('?')[0])
        for value in [
                altcha.payload(challenge, number + 1),
                altcha.payload(forged, altcha.solve(forged)),
                altcha.payload(expired, altcha.solve(expired)),
                altcha.payload(unsigned, number),
                altcha.payload(dict(challenge, algorithm='SHA-1'), number),
                altcha.payload(challenge, True),
                altcha.payload(challenge, -1),
                'not base64!', base64.b64encode(b'[1]').decode(),
                base64.b64encode(b'{"number": "1"}').decode(),
                base64.b64encode('{"salt": "\\ud800"}'.encode()).decode(),
                {'algorithm': 'SHA-256', 'challenge': 'é', 'number': 1,
                    'salt': 'x?expires=9999999999&', 'signature': 'é'},
                42, None]:
            with self.subTest(value=value):
                with self.assertRaises(altcha.ProofError):
                    altcha.verify(KEY, value, NOW)


class KeysTestCase(unittest.TestCase):
    "What a hold is counted under"

    def test_same_subscriber_same_key(self):
        "An IPv6 /64, an e-mail in any case and a phone in any format"
        same = [
            (abuse.Keys.of('2001:db8:1:2::1'),
                abuse.Keys.of('2001:db8:1:2:ffff::9')),
            (abuse.Keys.of(contacts=['Anna@Example.com ']),
                abuse.Keys.of(contacts=['anna@example.com'])),
            (abuse.Keys.of(contacts=['+7 (900) 123-45-67']),
                abuse.Keys.of(contacts=['79001234567'])),
            (abuse.Keys.of('::ffff:10.1.2.3'), abuse.Keys.of('10.1.2.3')),
            ]
        for first, second in same:
            self.assertEqual(first, second)
        self.assertNotEqual(abuse.Keys.of('2001:db8:1:2::1'),
            abuse.Keys.of('2001:db8:1:3::1'))
        self.assertNotEqual(abuse.Keys.of('10.1.2.3'),
            abuse.Keys.of('10.1.2.4'))

    def test_keys_hide_contacts(self):
        keys = abuse.Keys.of('10.1.2.3', ['anna@example.com', '+7900123'],
            'device-1')
        self.assertEqual([k for k, _ in keys.items],
            ['ip', 'contact', 'contact', 'device'])
        text = repr(keys)
        for value in ['10.1.2.3', 'anna', '7900123', 'device-1']:
            self.assertNotIn(value, text)
        self.assertEqual(abuse.Keys.of(contacts=[None, 42, '12']).items, ())


class LedgerTests:
    "The hold limits on a ledger (memory, or Redis)"

    def setUp(self):
        super().setUp()
        self.database = 'ledger-' + uuid.uuid4().hex
        for key, value in [
                ('holds_per_contact', '4/3600'), ('holds_per_ip', '6/3600'),
                ('open_holds_per_contact', '2'), ('proof_after_contact', '3'),
                ('proof_after_ip', '100'), ('altcha_max_number', '2000')]:
            set_config(self.addCleanup, 'photo_booking', key, value)

    def check(self, keys, anonymous=True, proof=None, now=NOW):
        "A request's check, done with before it returns."
        abuse.done(abuse.check(self.database, keys, anonymous, proof, now=now))

    def record(self, keys, now=NOW, end=NOW + 900):
        token = uuid.uuid4().hex
        abuse.record(self.database, keys, token, end, now=now)
        return token

    def test_attempts_counted_with_the_check(self):
        "An address past its attempts is refused before its hold is checked"
        set_config(self.addCleanup, 'photo_booking', 'rate_limit_api_write',
            '2/60')
        anna = abuse.Keys.of('10.0.0.7', ['anna@example.com'])
        boris = abuse.Keys.of('10.0.0.7', ['boris@example.com'])

        def attempt(keys):
            return abuse.check(self.database, keys, False,
                attempt=security.Attempt.of(
                    'api_write', '10.0.0.7', '10/60', self.database))
        abuse.done(attempt(anna))
        reservation = attempt(boris)
        with self.assertRaises(security.TooManyRequests) as refused:
            attempt(anna)
        self.assertGreater(refused.exception.retry_after, 0)
        self.assertLessEqual(refused.exception.retry_after, 60)
        # The refused attempt reserved nothing: anna is one hold away from
        # her open cap (2) while boris's reservation is pending.
        self.record(anna)
        self.check(anna, anonymous=False)
        abuse.done(reservation)
        # Without keys, the attempt is still counted.
        with self.assertRaises(security.TooManyRequests):
            attempt(abuse.Keys.of())

    def test_open_holds_capped_until_released(self):
        "Two holds open per contact; a released one frees its place"
        anna = abuse.Keys.of('10.0.0.1', ['anna@example.com'])
        first = self.record(anna)
        self.record(anna, end=NOW + 300)
        with self.assertRaises(abuse.Refused) as refused:
            self.check(anna)
        self.assertEqual(refused.exception.status, 429)
        self.assertEqual(refused.exception.message, 'msg_abuse_open_holds')
        self.assertEqual(refused.exception.retry_after, 300)
        # Another client of the same address books.
        self.check(abuse.Keys.of('10.0.0.1', ['boris@example.com']))
        abuse.release([first])
        self.check(anna)
        # Held times run out.
        self.check(abuse.Keys.of(contacts=['anna@example.com']),
            now=NOW + 1000)

    def test_racing_holds_count(self):
        "Holds being made count: clients racing cannot pass a cap together"
        anna = abuse.Keys.of(contacts=['anna@example.com'])
        racing = [abuse.check(self.database, anna, False, now=NOW)
            for _ in range(2)]
        with self.assertRaises(abuse.Refused):
            abuse.check(self.database, anna, False, now=NOW)
        for reservation in racing:
            abuse.done(reservation)
        self.check(anna, anonymous=False)

    def test_recorded_with_its_reservation(self):
        """A hold recorded with its reservation is pending no longer, once:
        another one still being made keeps counting"""
        anna = abuse.Keys.of(contacts=['anna@example.com'])
        made = abuse.check(self.database, anna, False, now=NOW)
        racing = abuse.check(self.database, anna, False, now=NOW)
        abuse.record(self.database, anna, uuid.uuid4().hex, NOW + 900,
            now=NOW, reservation=made)
        abuse.done(made)  # the route's finally: nothing left to do
        # One open and one being made: the cap of two is reached.
        with self.assertRaises(abuse.Refused) as refused:
            abuse.check(self.database, anna, False, now=NOW)
        self.assertEqual(refused.exception.message, 'msg_abuse_open_holds')
        abuse.done(racing)
        self.check(anna, anonymous=False)

    def test_holds_made_per_window(self):
        "Four holds an hour per contact, released or not"
        anna = abuse.Keys.of(contacts=['anna@example.com'])
        for minute in range(4):
            abuse.release([self.record(anna, now=NOW + minute * 60)])
        with self.assertRaises(abuse.Refused) as refused:
            self.check(anna, anonymous=False, now=NOW + 600)
        self.assertEqual(refused.exception.status, 429)
        self.assertEqual(refused.exception.retry_after, 3600 - 600)
        self.check(anna, anonymous=False, now=NOW + 3601)

    def test_proof_after_threshold(self):
        "Past three holds an anonymous one proves some work, once"
        anna = abuse.Keys.of(contacts=['anna@example.com'])
        for _ in range(3):
            self.check(anna)
            abuse.release([self.record(anna)])
        # A signed-in client is not asked.
        self.check(anna, anonymous=False)
        for proof, status in [(None, 403), ({'altcha': 'nope'}, 422)]:
            with self.assertRaises(abuse.Refused) as refused:
                self.check(anna, proof=proof)
            self.assertEqual(refused.exception.status, status)
            self.assertTrue(refused.exception.wants_proof)
        challenge = abuse.new_challenge(now=NOW)
        self.assertEqual(challenge['maxnumber'], 2000)
        proof = {'altcha': solved(challenge)}
        self.check(anna, proof=proof)
        with self.assertRaises(abuse.Refused) as refused:
            self.check(anna, proof=proof)
        self.assertEqual(refused.exception.message, 'msg_abuse_proof_spent')
        # Another server's challenge is not ours.
        with self.assertRaises(abuse.Refused):
            self.check(anna, proof={'altcha': solved(altcha.create_challenge(
                            'other', 2000, NOW + 60))})


class MemoryLedgerTestCase(LedgerTests, unittest.TestCase):
    "The hold limits of one process"

    def setUp(self):
        set_config(self.addCleanup, 'photo_booking', 'redis_url', '')
        super().setUp()


class RedisLedgerTestCase(LedgerTests, unittest.TestCase):
    "The hold limits shared through Redis"

    def setUp(self):
        import redis
        url = 'redis://127.0.0.1:6379/0'
        try:
            redis.Redis.from_url(url, socket_timeout=0.2).ping()
        except redis.RedisError:
            self.skipTest("no Redis at 127.0.0.1:6379")
        set_config(self.addCleanup, 'photo_booking', 'redis_url', url)
        super().setUp()
        self.addCleanup(abuse._memory.__init__)

    def test_shared_not_in_process(self):
        "The holds are in Redis, not in this process's ledger"
        anna = abuse.Keys.of(contacts=['anna@example.com'])
        self.record(anna)
        self.record(anna)
        abuse._memory.__init__()  # another worker
        with self.assertRaises(abuse.Refused):
            self.check(anna)


class FakeCaptcha(BaseHTTPRequestHandler):
    "reCAPTCHA's, Turnstile's and SmartCaptcha's verify calls, answered."
    answers = {}
    posted = []

    def do_POST(self):
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(
                    int(self.headers['Content-Length'])).decode()).items()}
        self.posted.append((self.path, form))
        answer = self.answers.get(form.get('response') or form.get('token'),
            {'success': False, 'status': 'failed'})
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class CaptchaTestCase(unittest.TestCase):
    "The optional CAPTCHA adapters against a local fake of their APIs"

    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(('127.0.0.1', 0), FakeCaptcha)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)

    def use(self, provider):
        url = f'http://127.0.0.1:{self.server.server_port}/{provider}'
        for key, value in [('captcha', provider), ('captcha_secret', 's3')
                , ('captcha_verify_url', url)]:
            set_config(self.addCleanup, 'photo_booking', key, value)
        FakeCaptcha.posted.clear()

    def test_recaptcha_score(self):
        "reCAPTCHA v3 passes with success and a score over the minimum"
        self.use('recaptcha')
        FakeCaptcha.answers.update({
                'human': {'success': True, 'score': 0.9, 'action': 'hold'},
                'bot': {'success': True, 'score': 0.1},
                'noscore': {'success': True}})
        self.assertTrue(captcha.verify('human', '10.0.0.9'))
        self.assertEqual(FakeCaptcha.posted[-1], ('/recaptcha', {
                    'secret': 's3', 'response': 'human',
                    'remoteip': '10.0.0.9'}))
        self.assertFalse(captcha.verify('bot', '10.0.0.9'))
        self.assertFalse(captcha.verify('noscore'))
        self.assertFalse(captcha.verify('unknown'))

    def test_turnstile_and_smartcaptcha(self):
        "Turnstile passes on success, SmartCaptcha on status ok"
        self.use('turnstile')
        FakeCaptcha.answers['ts-ok'] = {'success': True}
        self.assertTrue(captcha.verify('ts-ok', '10.0.0.9'))
        self.assertFalse(captcha.verify('ts-bad'))
        self.use('smartcaptcha')
        FakeCaptcha.answers['ya-ok'] = {'status': 'ok', 'message': ''}
        self.assertTrue(captcha.verify('ya-ok', '10.0.0.9'))
        self.assertEqual(FakeCaptcha.posted[-1], ('/smartcaptcha', {
                    'secret': 's3', 'token': 'ya-ok', 'ip': '10.0.0.9'}))
        self.assertFalse(captcha.verify('ya-bad'))

    def test_unreachable_or_unset(self):
        "No provider, no secret or no answer: not verified"
        self.assertFalse(captcha.verify('human'))
        self.use('turnstile')
        FakeCaptcha.answers['ts-ok'] = {'success': True}
        set_config(self.addCleanup, 'photo_booking', 'captcha_verify_url',
            'http://127.0.0.1:1/')
        self.assertFalse(captcha.verify('ts-ok'))

    def test_token_passes_for_proof(self):
        "Where one is configured, a CAPTCHA token stands for the work"
        self.use('turnstile')
        FakeCaptcha.answers['ts-ok'] = {'success': True}
        set_config(self.addCleanup, 'photo_booking', 'proof_after_ip', '0')
        keys = abuse.Keys.of(f'10.9.{uuid.uuid4().int % 250}.1')
        abuse.check('captcha', keys, True, {'captcha': 'ts-ok'})
        with self.assertRaises(abuse.Refused) as refused:
            abuse.check('captcha', keys, True, {'captcha': 'ts-bad'})
        self.assertEqual(refused.exception.status, 422)


def moscow(days, hour):
    day = dt.datetime.now(MOSCOW).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), MOSCOW).isoformat()


class AbuseRouteTestCase(RouteTestCase):
    "The API's holds: consent, limits and proof of work"
    module = 'photo_booking'

    @classmethod
    def setUpClass(cls):
        set_config(cls.addClassCleanup, 'photo_booking', 'redis_url', '')
        set_config(cls.addClassCleanup, 'photo_booking',
            'rate_limit_api_write', '1000/60')
        relax_abuse_limits(cls.addClassCleanup)
        super().setUpClass()

    @classmethod
    def setUpDatabase(cls):
        Lang = Pool().get('ir.lang')
        Lang.load_translations(Lang.search([('code', '=', 'ru')]))
        w = create_world(photographers=2)
        cls.service, cls.studio = w.service.id, w.studio.id
        cls.anna, cls.bob = [p.id for p in w.photographers]

    def setUp(self):
        super().setUp()
        self.address = f'10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}'
        self.email = f'{uuid.uuid4().hex[:8]}@example.com'

    def limit(self, **values):
        for key, value in values.items():
            set_config(self.addCleanup, 'photo_booking', key, str(value))

    def url(self, path):
        return f'/{self.db_name}/photo_booking/api/v1/{path}'

    def hold(self, days, hour, address=None, email=None, language='en',
            headers=None, **extra):
        body = {
            'service': self.service, 'studio': self.studio,
            'photographer': self.anna, 'start': moscow(days, hour),
            'client': {'name': "Guest", 'email': email or self.email},
            'consent': True, **extra}
        return AddressedClient(address or self.address).post(
            self.url('holds'), json=body,
            headers={'Accept-Language': language, **(headers or {})})

    def assertDocumented(self, response, path='/holds', method='post'):
        from openapi_schema_validator import OAS30Validator
        doc = document()
        spec = doc['paths'][path][method]['responses'][
            str(response.status_code)]
        if '$ref' in spec:
            spec = doc['components']['responses'][
                spec['$ref'].rsplit('/', 1)[1]]
        OAS30Validator({'allOf': [spec['content']['application/json'][
                        'schema']], 'components': doc['components']}
            ).validate(response.json)

    def test_consent_required_and_recorded(self):
        "A guest's hold needs their consent, kept with the booking"
        refused = self.hold(3, 10, consent=None)
        self.assertEqual(refused.status_code, HTTPStatus.BAD_REQUEST)
        self.assertEqual(refused.json['field'], 'consent')
        self.assertIn('consent', refused.json['error'])
        self.assertDocumented(refused)
        russian = self.hold(3, 10, consent=False, language='ru')
        self.assertIn('согласие', russian.json['error'])
        held = self.hold(3, 10)
        self.assertEqual(held.status_code, HTTPStatus.CREATED, held.data)
        with Transaction().start(self.db_name, 0):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', held.json['token'])])
            self.assertIsNotNone(booking.consent_at)

    def test_proof_of_work_past_threshold(self):
        "Past two holds, a guest solves a challenge for each further one"
        self.limit(proof_after_contact=2, altcha_max_number=3000)
        for hour in (10, 11):
            response = self.hold(4, hour)
            self.assertEqual(response.status_code, 201, response.data)
        asked = self.hold(4, 12)
        self.assertEqual(asked.status_code, HTTPStatus.FORBIDDEN)
        self.assertDocumented(asked)
        self.assertEqual(asked.json['proof'], 'altcha')
        self.assertIn('robot', asked.json['error'])
        self.assertIn('робот', self.hold(4, 12, language='ru').json['error'])

        proof = solved(asked.json['challenge'])
        key = {'Idempotency-Key': uuid.uuid4().hex}
        held = self.hold(4, 12, altcha=proof, headers=key)
        self.assertEqual(held.status_code, HTTPStatus.CREATED, held.data)
        # Sent again (its answer lost), the same request keeps its proof.
        replayed = self.hold(4, 12, altcha=proof, headers=key)
        self.assertEqual(replayed.status_code, HTTPStatus.CREATED)
        self.assertEqual(replayed.headers['Idempotent-Replayed'], 'true')
        self.assertEqual(replayed.json['token'], held.json['token'])
        again = self.hold(4, 13, altcha=proof)
        self.assertEqual(again.status_code, 422)
        self.assertDocumented(again)
        self.assertIn('already been used', again.json['error'])
        wrong = dict(asked.json['challenge'])
        wrong = altcha.payload(wrong, altcha.solve(wrong) + 1)
        self.assertEqual(self.hold(4, 13, altcha=wrong).status_code, 422)

        # From GET /challenge, as the ALTCHA widget fetches it.
        response = self.client().get(self.url('challenge'))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertDocumented(response, '/challenge', 'get')
        held = self.hold(4, 13, altcha=solved(response.json))
        self.assertEqual(held.status_code, HTTPStatus.CREATED, held.data)
        with Transaction().start(self.db_name, 0):
            self.assertEqual(Pool().get('photo.booking').search_count(
                    [('email', '=', self.email)]), 4)

    def test_open_holds_until_confirmed(self):
        "A contact holds two times at once; confirming one frees a place"
        self.limit(open_holds_per_contact=2)
        first, second = [self.hold(5, hour).json for hour in (10, 11)]
        refused = self.hold(5, 12)
        self.assertEqual(refused.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertDocumented(refused)
        self.assertIn(int(refused.headers['Retry-After']), range(1, 901))
        self.assertIn('(2)', refused.json['error'])
        # Another client of the same address is not refused.
        other = self.hold(5, 12, email='other-' + self.email)
        self.assertEqual(other.status_code, HTTPStatus.CREATED, other.data)
        confirmed = AddressedClient(self.address).post(
            self.url(f"bookings/{first['token']}/confirm"))
        self.assertEqual(confirmed.status_code, HTTPStatus.OK)
        held = self.hold(5, 13)
        self.assertEqual(held.status_code, HTTPStatus.CREATED, held.data)

    def test_deeply_nested_json(self):
        "A body nested past Python's recursion limit is a 400, not a 500"
        response = AddressedClient(self.address).post(
            self.url('holds'), data='[' * 100000 + ']' * 100000,
            content_type='application/json')
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertTrue(response.json['error'])

    def test_writes_per_booking(self):
        "A booking's confirmations and cancellations are limited, from anywhere"
        self.limit(rate_limit_api_booking='2/3600')
        token = self.hold(8, 10).json['token']
        statuses = [AddressedClient(f'10.80.0.{i}').post(
                self.url(f'bookings/{token}/confirm')).status_code
            for i in range(3)]
        self.assertEqual(statuses, [200, 200, 429])

    def test_holds_per_address(self):
        "One address makes three holds an hour; other clients go on"
        self.limit(holds_per_ip='3/3600')
        for hour in (10, 11, 12):
            response = self.hold(6, hour, email=f'{hour}-{self.email}')
            self.assertEqual(response.status_code, 201, response.data)
        refused = self.hold(6, 13, email='13-' + self.email)
        self.assertEqual(refused.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertIn(int(refused.headers['Retry-After']),
            range(3500, 3601))
        elsewhere = self.hold(6, 13, address='10.78.0.1',
            email='13-' + self.email)
        self.assertEqual(elsewhere.status_code, 201, elsewhere.data)

    def test_device_and_refused_without_work(self):
        "Holds count per device; a refused hold writes no booking"
        self.limit(holds_per_device='1/3600')
        client = AddressedClient(self.address)
        body = {
            'service': self.service, 'studio': self.studio,
            'photographer': self.bob, 'start': moscow(7, 10),
            'client': {'name': "Guest", 'email': self.email},
            'consent': True}
        device = {'X-Device-Id': uuid.uuid4().hex}
        first = client.post(self.url('holds'), json=body, headers=device)
        self.assertEqual(first.status_code, HTTPStatus.CREATED, first.data)
        body['start'] = moscow(7, 11)
        refused = AddressedClient('10.79.0.1').post(
            self.url('holds'), json=body, headers=device)
        self.assertEqual(refused.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        with Transaction().start(self.db_name, 0):
            self.assertEqual(Pool().get('photo.booking').search_count(
                    [('email', '=', self.email)]), 1)


class SecretKeyTestCase(unittest.TestCase):
    "The proof's HMAC key"

    def test_key_from_config_or_secret(self):
        derived = abuse.altcha_key()
        self.assertEqual(derived, security.sign('altcha-key', ''))
        set_config(self.addCleanup, 'photo_booking', 'altcha_hmac_key', 'k')
        self.assertEqual(abuse.altcha_key(), 'k')
        challenge = abuse.new_challenge(now=time.time())
        proof = altcha.payload(challenge, altcha.solve(challenge))
        self.assertTrue(altcha.verify('k', proof, time.time()))
        with self.assertRaises(altcha.ProofError):
            altcha.verify(derived, proof, time.time())
