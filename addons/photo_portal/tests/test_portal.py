"The client portal over HTTP: pages, forms, safety and accounts."
import datetime as dt
import io
import re
import socket
import time
import unittest
import uuid
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import icalendar
from PIL import Image

import trytond.config as config
from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking import setup_cache
from trytond.modules.photo_portal import security as portal_security
from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, create_on_location, create_world, no_free_connection,
    recording_queries, relax_abuse_limits, set_config)
from trytond.modules.photo_notify.tests.fake_smtp import SMTPServer

MOSCOW = ZoneInfo('Europe/Moscow')
CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
SLOT_RE = re.compile(
    r'name="start" value="([0-9T:-]+)"')
PASSWORD = 'Correct-Horse-7-Battery'
# The portal's configured address; requests come to "localhost".
PORTAL = 'https://studio.example'


def jpeg(width, height):
    "A JPEG picture of width × height pixels."
    out = io.BytesIO()
    Image.new('RGB', (width, height), (200, 180, 160)).save(out, 'JPEG')
    return out.getvalue()


def moscow_day(days):
    return dt.datetime.now(MOSCOW).date() + dt.timedelta(days=days)


def utc_start(days, hour):
    "The form value of hour o'clock in Moscow, days from today."
    local = dt.datetime.combine(moscow_day(days), dt.time(hour), MOSCOW)
    return local.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M')


def reads_bookings(queries):
    return [sql for sql, _ in queries if '"photo_booking"' in sql]


class ForgedHost(AddressedClient):
    "A client whose every request says Host: evil.example."

    def open(self, *args, **kwargs):
        kwargs['headers'] = {**kwargs.get('headers', {}),
            'Host': 'evil.example'}
        return super().open(*args, **kwargs)


class PortalTestCase(RouteTestCase):
    "Client web portal"
    module = 'photo_portal'

    @classmethod
    def setUpClass(cls):
        cls.smtp = cls.enterClassContext(SMTPServer())
        port = cls.smtp.port
        for section, key, value in [
                ('photo_booking', 'portal_database', DB_NAME),
                ('photo_booking', 'redis_url', ''),
                ('photo_booking', 'rate_limit_booking', '1000/60'),
                ('photo_booking', 'rate_limit_signup', '1000/60'),
                ('photo_booking', 'rate_limit_login', '1000/60'),
                ('photo_booking', 'rate_limit_reset', '1000/60'),
                ('photo_booking', 'rate_limit_reset_confirm', '1000/60'),
                ('email', 'uri', f'smtp://127.0.0.1:{port}'),
                ('email', 'from', 'studio@example.com'),
                ('photo_portal', 'url', PORTAL),
                ('web', 'email_validation_url', f'{PORTAL}/account/verify'),
                ('web', 'reset_password_url',
                    f'{PORTAL}/account/reset/confirm'),
                ]:
            set_config(cls.addClassCleanup, section, key, value)
        relax_abuse_limits(cls.addClassCleanup)
        super().setUpClass()

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Review = pool.get('photo.review')
        Booking = pool.get('photo.booking')
        w = create_world(photographers=2, min_notice=dt.timedelta(hours=2))
        w.studio.street = "Tverskaya 1"
        w.studio.latitude = Decimal('55.7600')
        w.studio.longitude = Decimal('37.6100')
        w.studio.save()
        anna, bob = w.photographers
        anna.name = "Anna <b>Lens</b>"
        anna.bio = "Portraits in natural light."
        anna.save()
        # A done shoot reviewed by a client, shown on the home page.
        past = Booking(
            service=w.service, photographer=anna, studio=w.studio,
            room=w.rooms[0], client=w.client, source='backoffice',
            start=dt.datetime(2024, 1, 10, 9), end=dt.datetime(2024, 1, 10, 10),
            price=Decimal(5000), currency=w.currency, state='done')
        past.save()
        Review.publish(Review.create([{'booking': past.id, 'rating': 5,
                    'comment': "Wonderful <i>shoot</i>"}]))
        cls.service, cls.studio = w.service.id, w.studio.id
        cls.anna, cls.bob = anna.id, bob.id
        outdoor, olga = create_on_location(w)
        cls.outdoor, cls.olga = outdoor.id, olga.id

    def setUp(self):
        super().setUp()
        self.smtp.messages.clear()

    # --- helpers ---------------------------------------------------------------

    def client(self, address=None):
        return AddressedClient(
            address or f'10.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}')

    def csrf(self, client, path='/book'):
        response = client.get(path)
        return CSRF_RE.search(response.get_data(as_text=True)).group(1)

    def hold(self, client, start, photographer=None, **extra):
        data = {
            'csrf': self.csrf(client), 'service': self.service,
            'studio': self.studio,
            'photographer': photographer or self.anna, 'start': start}
        data.update(extra)
        return client.post('/book/hold', data=data)

    def book(self, client, start, email='guest@example.com',
            name="Guest Client", photographer=None, phone='+7 900 123-45-67'):
        response = self.hold(client, start, photographer=photographer)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        details = response.headers['Location']
        response = client.post(details, data={
                'csrf': self.csrf(client, details), 'name': name,
                'phone': phone, 'email': email,
                'comment': 'Bring a hat', 'consent': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER,
            response.get_data(as_text=True))
        return response.headers['Location']

    def book_on_location(self, client, start, name, email, location,
            phone='+7 900 123-45-67', comment=''):
        "Book Olga's outdoor shoot at location; the booking's token."
        response = client.post('/book/hold', data={
                'csrf': self.csrf(client), 'service': self.outdoor,
                'photographer': self.olga, 'studio': 'location',
                'start': start})
        details = response.headers['Location']
        response = client.post(details, data={
                'csrf': self.csrf(client, details), 'name': name,
                'phone': phone, 'email': email, 'comment': comment,
                'consent': 'yes', 'location': location})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        return response.headers['Location'].rsplit('/', 1)[1]

    def ask_signup(self, client, email, name="Maria Client"):
        "Send the sign-up form: the page that says a mail went out."
        response = client.post('/account/signup', data={
                'csrf': self.csrf(client, '/account/signup'),
                'name': name, 'email': email, 'phone': '+79001234567',
                'password': PASSWORD, 'consent': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.OK,
            response.get_data(as_text=True))
        return response

    def signup(self, client, email, name="Maria Client"):
        "Sign up, open the mailed link and log in."
        self.ask_signup(client, email, name=name)
        self.assertEqual(self.verify(client).status_code,
            HTTPStatus.SEE_OTHER)
        self.smtp.messages.clear()
        return self.log_in(client, email)

    def login(self, client, email, password=PASSWORD, **headers):
        "Send the login form; the response tells whether it worked."
        return client.post('/account/login', data={
                'csrf': self.csrf(client, '/account/login'),
                'email': email, 'password': password}, headers=headers)

    def log_in(self, client, email):
        "Log in, which must work."
        response = self.login(client, email)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        return response

    def verify(self, client):
        mail, = self.smtp.wait(1)
        link = re.search(r'/account/verify\?token=\w+',
            mail.get_payload(decode=True).decode())
        return client.get(link.group(0))

    def assert_zone_named(self, html):
        "Times carry the studio's time zone by name, not its identifier."
        self.assertNotIn('Europe/Moscow', html)
        self.assertRegex(html, 'Москва|Moscow time')
    def mail_to(self, address):
        "The text of the one mail sent to address."
        self.smtp.wait(1)
        mail, = [m for m in self.smtp.messages if m['To'] == address]
        return mail.get_payload(decode=True).decode()

    # --- public site -------------------------------------------------------------

    def test_home_in_russian_by_default(self):
        "The home page lists services, photographers and studios in Russian"
        response = self.client().get('/')
        html = response.get_data(as_text=True)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn('lang="ru"', html)
        self.assertIn('Услуги', html)
        self.assertIn('Portrait', html)
        self.assertIn('5\xa0000\xa0RUB', html)
        self.assertIn('Portraits in natural light.', html)
        self.assertIn('★ 5', html)
        self.assertIn('Tverskaya 1, Moscow', html)
        self.assertIn('Profoto B10', html)
        self.assertIn('openstreetmap.org', html)
        self.assert_zone_named(html)
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')

    @unittest.skipUnless(backend.name == 'postgresql', "SQLite has no pool")
    def test_no_connection(self):
        """No free connection in the pool: a 503 page in the visitor's
        language within [photo_booking] connection_wait"""
        set_config(self.addCleanup, 'photo_booking', 'connection_wait', '1')
        with no_free_connection(self.addCleanup, DB_NAME):
            started = time.monotonic()
            response = self.client().get('/')
            waited = time.monotonic() - started

        self.assertEqual(response.status_code, HTTPStatus.SERVICE_UNAVAILABLE)
        self.assertEqual(response.headers['Retry-After'], '2')
        self.assertIn("Сервис сейчас перегружен. Повторите попытку через "
            "минуту.", response.get_data(as_text=True))
        self.assertGreaterEqual(waited, 1)
        self.assertLess(waited, 2.5)

    def test_english_switch_is_remembered(self):
        "?lang=en switches to English and sets a cookie"
        client = self.client()
        response = client.get('/?lang=en')
        self.assertIn('Services', response.get_data(as_text=True))
        self.assertIn('pb_lang=en', ' '.join(
                response.headers.getlist('Set-Cookie')))
        html = client.get('/studios').get_data(as_text=True)
        self.assertIn('lang="en"', html)

    def test_output_is_escaped(self):
        "Names and comments with markup show as text"
        html = self.client().get('/').get_data(as_text=True)
        self.assertIn('Anna &lt;b&gt;Lens&lt;/b&gt;', html)
        self.assertIn('Wonderful &lt;i&gt;shoot&lt;/i&gt;', html)
        self.assertNotIn('<b>Lens</b>', html)

    def test_nearest_studio(self):
        "Studios sort by distance from a position or a known city"
        with Transaction().start(DB_NAME, 0):
            kazan, = Pool().get('photo.studio').create([{
                        'name': "Kazan Loft", 'city': "Kazan",
                        'street': "Baumana 1",
                        'latitude': Decimal('55.7900'),
                        'longitude': Decimal('49.1200'),
                        'timezone': 'Europe/Moscow', 'active': False}])
            Transaction().commit()
        # Out of the other tests' catalogue.
        self.addCleanup(self.reactivate, kazan.id, False)
        self.reactivate(kazan.id, True)

        def cards(path):
            "The studios' names and distances, in the page's order."
            html = self.client().get(path).get_data(as_text=True)
            return re.findall(r'<h3>([^<]*)</h3>\s*(?:<p class="distance">'
                r'([^<]*)</p>)?', html)
        in_moscow = '/studios?lat=55.75&lon=37.62'
        [(first, near), (second, far)] = cards(in_moscow + '&lang=en')
        self.assertEqual((first, second), ('Loft', 'Kazan Loft'))
        self.assertRegex(near, r'^1\.\d km away$')
        self.assertRegex(far, r'^7\d\d\.\d km away$')
        [(_, near), _] = cards(in_moscow + '&lang=ru')
        self.assertRegex(near, r'^1,\d км от вас$')
        # The searched city's own studios first, "in this city", not
        # "0.0 km away".
        for city, own, other in [
                ('Kazan', 'Kazan Loft', 'Loft'),
                ('Moscow', 'Loft', 'Kazan Loft')]:
            [(first, here), (second, far)] = cards(
                f'/studios?city={city}&lang=en')
            self.assertEqual((first, here, second),
                (own, 'In this city', other))
            self.assertRegex(far, r'^7\d\d\.\d km from the city centre$')
        response = self.client().get('/studios?lat=abc&lon=1')
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_page_titles(self):
        "Each page has its own title"
        client = self.client()
        titles = set()
        for path in ['/?lang=en', '/book', f'/book?service={self.service}',
                '/studios', '/account/login', '/account/signup',
                '/nonexistent']:
            html = client.get(path).get_data(as_text=True)
            titles.add(re.search(r'<title>(.*)</title>', html).group(1))
        self.assertEqual(len(titles), 7, titles)
        self.assertIn('Choose a photographer · Photo studio booking', titles)

    def test_signup_prefilled_from_guest_booking(self):
        "Signing up after a guest booking starts from its contacts"
        client = self.client()
        confirmation = self.book(client, utc_start(12, 12),
            email='dina@example.com', name="Dina Guest")
        html = client.get(confirmation).get_data(as_text=True)
        link = re.search(r'href="(/account/signup\?booking=\w+)"', html)
        html = client.get(link.group(1)).get_data(as_text=True)
        self.assertIn('value="Dina Guest"', html)
        self.assertIn('value="dina@example.com"', html)
        self.assertIn('value="+7 900 123-45-67"', html)
        html = client.get('/account/signup?booking=nonsense').get_data(
            as_text=True)
        self.assertNotIn('dina@example.com', html)

    def test_studio_card_and_pictures(self):
        "Studio cards show phone, hours, rooms and pictures sized by srcset"
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Studio = pool.get('photo.studio')
            studio = Studio(self.studio)
            studio.phone = '+7 495 120-45-67'
            studio.description = "Three halls by the metro."
            studio.photo = jpeg(1280, 800)
            studio.save()
            room = studio.rooms[0]
            room.photo = jpeg(1280, 800)
            room.save()
            room_id = room.id
        client = self.client()
        html = client.get('/studios?lang=en').get_data(as_text=True)
        self.assertIn('href="tel:+74951204567"', html)
        self.assertIn('Three halls by the metro.', html)
        self.assertRegex(html, r'Opening hours: Mon–Sun \d\d:\d\d–\d\d:\d\d')
        self.assertIn(f'/media/studio/{self.studio}?w=320 320w', html)
        self.assertIn(f'/media/room/{room_id}?w=160 160w', html)
        for path, width in [
                (f'/media/studio/{self.studio}?w=320', 320),
                (f'/media/room/{room_id}?w=640', 640),
                (f'/media/studio/{self.studio}', 1280)]:
            response = client.get(path)
            self.assertEqual(response.status_code, HTTPStatus.OK, path)
            self.assertEqual(response.mimetype, 'image/jpeg')
            with Image.open(io.BytesIO(response.get_data())) as image:
                self.assertEqual(image.width, width, path)
        for path in [f'/media/studio/{self.studio}?w=333',
                '/media/studio/999999', '/media/party/1']:
            self.assertEqual(client.get(path).status_code,
                HTTPStatus.NOT_FOUND, path)

    def test_legal_pages(self):
        "Legal pages come from the back office model"
        client = self.client()
        for code in ['privacy', 'offer', 'consent']:
            response = client.get(f'/legal/{code}?lang=en')
            self.assertEqual(response.status_code, HTTPStatus.OK, code)
        self.assertEqual(
            client.get('/legal/nothing').status_code, HTTPStatus.NOT_FOUND)

    def test_pwa(self):
        "Manifest, service worker, offline page and icons are served"
        client = self.client()
        manifest = client.get('/manifest.webmanifest').get_json(force=True)
        self.assertEqual(manifest['display'], 'standalone')
        for icon in manifest['icons']:
            self.assertEqual(
                client.get(icon['src']).status_code, HTTPStatus.OK)
        response = client.get('/sw.js')
        self.assertEqual(response.headers['Service-Worker-Allowed'], '/')
        self.assertIn('/offline', response.get_data(as_text=True))
        self.assertEqual(client.get('/offline').status_code, HTTPStatus.OK)
        self.assertEqual(client.get('/static/../portal.py').status_code,
            HTTPStatus.NOT_FOUND)

    def free_days(self, client, photographer, day):
        "The days the month calendar of day's month marks as free."
        html = client.get(f'/book?service={self.service}'
            f'&photographer={photographer}&studio={self.studio}'
            f'&month={day:%Y-%m}').get_data(as_text=True)
        return set(re.findall(r'data-day="([0-9-]+)"', html))

    # --- booking -------------------------------------------------------------

    def test_calendar_follows_booking_changes(self):
        "A booking created or moved shows in the calendar at once"
        client = self.client()
        day, next_day = moscow_day(40), moscow_day(41)
        days = self.free_days(client, self.bob, day)
        self.assertIn(day.isoformat(), days)
        self.assertIn(next_day.isoformat(), days)

        def whole(day):
            return [dt.datetime.combine(d, dt.time(0), MOSCOW).astimezone(
                    dt.timezone.utc).replace(tzinfo=None)
                for d in (day, day + dt.timedelta(days=1))]
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            service = pool.get('photo.service')(self.service)
            room, = pool.get('photo.studio.room').search(
                [('studio', '=', self.studio)], limit=1)
            party, = pool.get('party.party').search([], limit=1)
            start, end = whole(day)
            booking, = Booking.create([{
                        'service': service.id, 'photographer': self.bob,
                        'studio': self.studio, 'room': room.id,
                        'client': party.id, 'source': 'backoffice',
                        'start': start, 'end': end, 'price': service.price,
                        'currency': service.currency.id,
                        'state': 'confirmed'}])
            transaction.commit()
        days = self.free_days(client, self.bob, day)
        self.assertNotIn(day.isoformat(), days)
        self.assertIn(next_day.isoformat(), days)

        with Transaction().start(DB_NAME, 0) as transaction:
            Booking = Pool().get('photo.booking')
            start, end = whole(next_day)
            Booking.write([Booking(booking.id)], {'start': start, 'end': end})
            transaction.commit()
        days = self.free_days(client, self.bob, day)
        self.assertIn(day.isoformat(), days)
        self.assertNotIn(next_day.isoformat(), days)

    def test_cached_calendar_reads_no_booking(self):
        "A calendar shown again is not computed again, nor versioned"
        client = self.client()
        day = moscow_day(75)
        with Transaction().start(DB_NAME, 0) as transaction:
            setup_cache.answers.clear()
            transaction.commit()
        with recording_queries() as first:
            self.assertTrue(self.free_days(client, self.anna, day))
        # Writing what availability does not read keeps the calendar.
        with Transaction().start(DB_NAME, 0) as transaction:
            Booking = Pool().get('photo.booking')
            Booking.write(Booking.search([], limit=1), {'notes': "Tripod"})
            transaction.commit()
        with recording_queries() as again:
            self.assertTrue(self.free_days(client, self.anna, day))
        self.assertTrue(reads_bookings(first))
        self.assertEqual(reads_bookings(again), [])
        self.assertLess(len(again), len(first))

    def test_booking_steps(self):
        "Service, photographer, studio and a calendar marking free days"
        client = self.client()
        html = client.get('/book?lang=en').get_data(as_text=True)
        self.assertIn(f'/book?service={self.service}', html)
        html = client.get(f'/book?service={self.service}').get_data(
            as_text=True)
        self.assertIn('Any available', html)
        # One studio only: chosen at once.
        response = client.get(f'/book?service={self.service}&photographer=any')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        day = moscow_day(2)
        response = client.get(
            f'/book?service={self.service}&photographer=any'
            f'&studio={self.studio}&day={day.isoformat()}')
        html = response.get_data(as_text=True)
        self.assertIn(f'data-day="{day.isoformat()}"', html)
        self.assertIn(utc_start(2, 10), html)
        self.assert_zone_named(html)

    def test_cards_lead_to_booking(self):
        "Photographer and studio cards start a booking with them"
        client = self.client()
        html = client.get('/?lang=en').get_data(as_text=True)
        self.assertIn(f'href="/book?photographer={self.bob}"', html)
        self.assertIn(f'href="/book?studio={self.studio}"', html)
        html = client.get('/studios?city=Moscow&lang=en').get_data(
            as_text=True)
        self.assertIn(f'href="/book?studio={self.studio}"', html)
        # Only what Bob offers (not Olga's shoot on location), with Bob.
        html = client.get(f'/book?photographer={self.bob}').get_data(
            as_text=True)
        self.assertIn(
            f'/book?photographer={self.bob}&amp;service={self.service}', html)
        self.assertNotIn(f'service={self.outdoor}', html)
        response = client.get(
            f'/book?service={self.service}&photographer={self.bob}')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn(f'photographer={self.bob}&studio={self.studio}',
            response.headers['Location'])

    def dearer_manual_bob(self):
        "Bob takes 6 000 for the service and approves each booking."
        def set_bob(price, confirmation):
            with Transaction().start(DB_NAME, 0) as transaction:
                pool = Pool()
                bob = pool.get('photo.photographer')(self.bob)
                Offer = pool.get('photo.photographer.service')
                Offer.write(Offer.search([('photographer', '=', bob.id)]),
                    {'price': price})
                bob.confirmation = confirmation
                bob.save()
                transaction.commit()
        set_bob(Decimal(6000), 'manual')
        self.addCleanup(set_bob, None, 'auto')

    def test_any_photographer_shows_prices_and_approval(self):
        "Prices range over the photographers; the final one shows before"
        self.dearer_manual_bob()
        client = self.client()
        html = client.get(f'/book?service={self.service}&lang=en').get_data(
            as_text=True)
        self.assertIn('RUB5,000 – RUB6,000', html)
        self.assertIn('confirms bookings personally', html)
        html = client.get(f'/book?service={self.service}&photographer=any'
            f'&studio={self.studio}&lang=en').get_data(as_text=True)
        self.assertIn('RUB5,000 – RUB6,000', html)
        self.assertIn('the next page shows their final price', html)
        details = self.hold(client, utc_start(12, 10),
            photographer=self.bob).headers['Location']
        html = client.get(details + '?lang=en').get_data(as_text=True)
        self.assertIn(
            'Final price: <strong class="price">RUB6,000</strong>', html)
        self.assertIn('confirms each booking personally', html)
        self.assertIn('Send the request', html)

    def test_guest_books(self):
        "A guest holds a time, gives details and gets a confirmation"
        client = self.client()
        confirmation = self.book(client, utc_start(3, 12))
        html = client.get(confirmation + '?lang=en').get_data(as_text=True)
        self.assertIn('Booking confirmed', html)
        self.assertIn('12:00 (Moscow time)', html)
        self.assertIn('calendar.google.com', html)
        response = client.get(confirmation + '.ics')
        self.assertEqual(response.mimetype, 'text/calendar')
        self.assertIn('BEGIN:VEVENT', response.get_data(as_text=True))
        mail, = self.smtp.wait(1)
        self.assertEqual(mail['To'], 'guest@example.com')
        # The cancellation terms, on the page and in the mail.
        terms = ('Бесплатная отмена не позднее чем за 24 ч до начала, '
            'позже — 50 % цены.')
        self.assertIn(terms, mail.get_payload(decode=True).decode())
        terms = ('Free cancellation until 24 h before the start, then 50 % '
            'of the price.')
        self.assertIn(terms, html)
        self.assertIn(terms, client.get('/book').get_data(as_text=True))

    def test_on_location_booking(self):
        "A shoot at the client's address asks for it and shows it"
        client = self.client()
        base = f'/book?service={self.outdoor}&photographer={self.olga}'
        html = client.get(f'{base}&lang=en').get_data(as_text=True)
        self.assertIn('On location (at your address)', html)
        self.assertIn(f"{base.replace('&', '&amp;')}&amp;studio=location",
            html)
        # A studio service or photographer gets no such choice.
        response = client.get(f'/book?service={self.service}'
            f'&photographer={self.anna}&studio=location')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn(f'studio={self.studio}', response.headers['Location'])

        day = moscow_day(4).isoformat()
        html = client.get(f'{base}&studio=location&day={day}').get_data(
            as_text=True)
        self.assertIn(utc_start(4, 11), html)
        self.assert_zone_named(html)
        response = client.post('/book/hold', data={
                'csrf': self.csrf(client), 'service': self.outdoor,
                'photographer': self.olga, 'studio': 'location',
                'start': utc_start(4, 11)})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        details = response.headers['Location']
        html = client.get(details + '?lang=en').get_data(as_text=True)
        self.assertIn('Address of the shoot', html)
        data = {'csrf': self.csrf(client, details), 'name': "Guest",
            'phone': '+7 900 123-45-67', 'email': 'out@example.com',
            'consent': 'yes', 'location': '  '}
        response = client.post(details, data=data)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        html = response.get_data(as_text=True)
        self.assertIn('Give the address where the shoot takes place', html)
        self.assertEqual(html.count('class="field-error"'), 1)
        response = client.post(details, data=dict(
                data, location='Kremlevskaya 18,  Kazan'))
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        confirmation = response.headers['Location']
        html = client.get(confirmation + '?lang=en').get_data(as_text=True)
        self.assertIn('Booking confirmed', html)
        self.assertIn('On location: Kremlevskaya 18, Kazan', html)
        self.assertIn('11:00 (Moscow time)', html)
        self.assertIn('Kazan', client.get(confirmation + '.ics').get_data(
                as_text=True))
        with Transaction().start(DB_NAME, 0):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', confirmation.rsplit('/', 1)[1])])
            self.assertIsNone(booking.studio)
            self.assertEqual(booking.location, 'Kremlevskaya 18, Kazan')
            self.assertEqual(booking.state, 'confirmed')

    def test_on_location_reschedule(self):
        "A client moves an on-location shoot in the photographer's zone"
        client = self.client()
        self.signup(client, 'rita@example.com', name="Rita")
        token = self.book_on_location(client, utc_start(5, 10), "Rita",
            'rita@example.com', 'Lenina 1, Moscow')
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn('On location: Lenina 1, Moscow', html)
        self.assertIn(f'/account/booking/{token}/reschedule', html)
        base = f'/account/booking/{token}/reschedule'
        html = client.get(f'{base}?day={moscow_day(6).isoformat()}').get_data(
            as_text=True)
        self.assertIn(utc_start(6, 16), html)
        self.assert_zone_named(html)
        response = client.post(base, data={
                'csrf': self.csrf(client, '/account'),
                'start': utc_start(6, 16)})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        html = client.get('/account?lang=en').get_data(as_text=True)
        # The date as each language writes it (ir.lang)
        self.assertIn(
            f'{moscow_day(6):%m/%d/%Y} 16:00 (Moscow time)', html)
        self.assertIn(f'{moscow_day(6):%d.%m.%Y} 16:00 (Москва)',
            client.get('/account?lang=ru').get_data(as_text=True))
        self.assertIn('On location: Lenina 1, Moscow', html)

    def test_details_validation(self):
        "Bad details show clear messages with a 400, not an error page"
        client = self.client()
        details = self.hold(client, utc_start(3, 13)).headers['Location']
        response = client.post(details, data={
                'csrf': self.csrf(client, details), 'name': '',
                'phone': 'abc', 'email': 'not-an-email'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        html = response.get_data(as_text=True)
        self.assertEqual(html.count('class="field-error"'), 4)
        self.assertIn('name="consent" value="yes">', html)
        # A ticked consent box stays ticked when another field is wrong.
        response = client.post(details, data={
                'csrf': self.csrf(client, details), 'name': 'Anna',
                'phone': '+7 900 123-45-67', 'email': 'not-an-email',
                'consent': 'yes'})
        html = response.get_data(as_text=True)
        self.assertEqual(html.count('class="field-error"'), 1)
        self.assertIn('name="consent" value="yes" checked>', html)

    def test_name_with_markup(self):
        "A client named <script> is shown as text"
        client = self.client()
        confirmation = self.book(
            client, utc_start(3, 14), name='<script>alert(1)</script>',
            email='script@example.com')
        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('photo.booking')
            booking, = Booking.search([
                    ('token', '=', confirmation.rsplit('/', 1)[1])])
            self.assertEqual(booking.client.name, '<script>alert(1)</script>')

    def test_slot_taken(self):
        "A time taken meanwhile offers the nearest alternatives"
        first, second = self.client(), self.client('10.9.9.9')
        start = utc_start(4, 11)
        csrf = self.csrf(second)
        self.assertEqual(self.hold(first, start).status_code,
            HTTPStatus.SEE_OTHER)
        response = second.post('/book/hold?lang=en', data={
                'csrf': csrf, 'service': self.service, 'studio': self.studio,
                'photographer': self.anna, 'start': start})
        self.assertEqual(response.status_code, HTTPStatus.CONFLICT)
        html = response.get_data(as_text=True)
        self.assertIn('this time has just been taken', html)
        self.assertIn(utc_start(4, 12), html)
        self.assertNotIn(f'value="{start}"', html)

    def test_back_and_pick_again(self):
        "Picking another time gives up the visitor's earlier hold"
        client, other = self.client(), self.client()
        start = utc_start(4, 15)
        self.assertEqual(self.hold(client, start).status_code,
            HTTPStatus.SEE_OTHER)
        # The same time again, after going back: not taken by oneself.
        self.assertEqual(self.hold(client, start).status_code,
            HTTPStatus.SEE_OTHER)
        self.assertEqual(self.hold(client, utc_start(4, 16)).status_code,
            HTTPStatus.SEE_OTHER)
        self.assertEqual(self.hold(other, start).status_code,
            HTTPStatus.SEE_OTHER)

    def test_replaced_hold_not_in_cabinet(self):
        "A time given up by picking another is no cancellation of the client"
        client = self.client()
        self.signup(client, 'lena@example.com', name="Lena")
        self.assertEqual(self.hold(client, utc_start(11, 10)).status_code,
            HTTPStatus.SEE_OTHER)
        self.book(client, utc_start(11, 12), email='lena@example.com')
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn('12:00', html)
        self.assertNotIn('Cancelled', html)
        self.assertIn('No past bookings.', html)
        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('photo.booking')
            given_up, = Booking.search([
                    ('web_user.email', '=', 'lena@example.com'),
                    ('state', '=', 'cancelled'),
                    ('start', '=', dt.datetime.strptime(
                            utc_start(11, 10), '%Y-%m-%dT%H:%M'))])
            self.assertEqual(given_up.cancelled_by, 'system')

    def test_unknown_addresses(self):
        "Mistyped addresses get the portal's 404 page; the favicon is real"
        client = self.client()
        for path in ['/book/', '/nonexistent', '/account/', '/a/b/c.html',
                '/booking/']:
            response = client.get(path + '?lang=en')
            self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND, path)
            html = response.get_data(as_text=True)
            self.assertIn('This page does not exist.', html)
            self.assertIn('href="/book"', html)
        response = client.get('/favicon.ico')
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.mimetype, 'image/vnd.microsoft.icon')
        self.assertEqual(response.get_data()[:4], b'\0\0\1\0')
        # Tryton's own POST routes are still there.
        self.assertNotEqual(
            client.post('/', json={'method': 'common.server.version',
                    'params': []}).status_code, HTTPStatus.NOT_FOUND)

    def test_hold_expired(self):
        "Details sent after the hold expired offer other times"
        client = self.client()
        details = self.hold(client, utc_start(4, 17)).headers['Location']
        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('photo.booking')
            booking, = Booking.search(
                [('token', '=', details.rsplit('/', 1)[1])])
            Booking.write([booking], {
                    'hold_expires': dt.datetime(2020, 1, 1)})
        response = client.post(details + '?lang=en', data={
                'csrf': self.csrf(client, details), 'name': 'Late',
                'phone': '+7 900 000-00-00', 'email': 'late@example.com',
                'consent': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.CONFLICT)
        html = response.get_data(as_text=True)
        self.assertIn('has been released', html)
        self.assertIn('The nearest free times', html)

    def test_csrf_required(self):
        "A form without the session's token is refused"
        client = self.client()
        response = client.post('/book/hold', data={
                'service': self.service, 'studio': self.studio,
                'photographer': 'any', 'start': utc_start(3, 15)})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        other = self.client()
        response = client.post('/book/hold', data={
                'csrf': self.csrf(other), 'service': self.service})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_honeypot(self):
        "A filled honeypot field is refused"
        response = self.hold(self.client(), utc_start(3, 16),
            website='http://spam.example')
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_bad_input_is_400(self):
        """Garbage in forms and URLs never gives a 500: each bad request
        gets the status that tells what is wrong with it"""
        client = self.client()
        BAD, NOT_FOUND, OK = (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND,
            HTTPStatus.OK)
        for data, status in [
                # Not a service nor a time
                ({'service': 'x', 'studio': self.studio, 'start': 'y'}, BAD),
                # A service that does not exist
                ({'service': 999999, 'studio': self.studio,
                        'photographer': 'any', 'start': utc_start(3, 10)},
                    BAD),
                # Long past, beyond the horizon, before the calendar
                ({'service': self.service, 'studio': self.studio,
                        'photographer': 'any', 'start': '2000-01-01T10:00'},
                    BAD),
                ({'service': self.service, 'studio': self.studio,
                        'photographer': 'any', 'start': '9999-12-31T23:00'},
                    BAD),
                ({'service': self.service, 'studio': self.studio,
                        'photographer': self.anna,
                        'start': '0001-01-01T00:00'},
                    BAD),
                ]:
            data['csrf'] = self.csrf(client)
            response = client.post('/book/hold', data=data)
            self.assertEqual(response.status_code, status, data)
        base = (f'/book?service={self.service}&photographer=any'
            f'&studio={self.studio}')
        for path, status in [
                # Days and months out of range fall back to this month
                (base + '&day=9999-12-31', OK), (base + '&month=9999-12', OK),
                (base + '&day=0001-01-01', OK), (base + '&month=0001-01', OK),
                ('/book?service=abc&studio=-1&month=13-99', OK),
                # Not a position
                ('/studios?lat=nan&lon=1', BAD),
                ('/studios?lat=1e400&lon=1', BAD),
                # No such city, page, picture, file or booking
                ('/studios?city=' + 'x' * 5000, OK),
                ('/legal/' + 'x' * 300, NOT_FOUND),
                ('/media/photographer/999999', NOT_FOUND),
                ('/static/nothing.css', NOT_FOUND),
                ('/booking/nope', NOT_FOUND),
                ('/booking/' + 'a' * 32, NOT_FOUND),
                ('/book/details/xyz', NOT_FOUND),
                ]:
            self.assertEqual(client.get(path).status_code, status, path)

    def test_rate_limit(self):
        "Too many booking attempts from one address are refused"
        config.set('photo_booking', 'rate_limit_booking', '2/60')
        self.addCleanup(config.set, 'photo_booking', 'rate_limit_booking',
            '1000/60')
        client = self.client(f'10.200.{uuid.uuid4().int % 250}.7')
        statuses = [self.hold(client, utc_start(5, 10),
                website='bot').status_code for _ in range(2)]
        statuses.append(self.hold(client, utc_start(5, 10)).status_code)
        self.assertEqual(statuses[-1], HTTPStatus.TOO_MANY_REQUESTS)

    def test_studio_without_photographers(self):
        "A studio where nobody offers the service shows no times, not a 500"
        with Transaction().start(DB_NAME, 0):
            studio, = Pool().get('photo.studio').create([{
                        'name': "Empty", 'city': "Moscow",
                        'timezone': 'Europe/Moscow',
                        'rooms': [('create', [{'name': "Hall"}])]}])
            studio.active = False  # out of the other tests' catalogue
            studio.save()
            Transaction().commit()
            self.addCleanup(self.reactivate, studio.id, False)
        self.reactivate(studio.id, True)
        client = self.client()
        for args in ['photographer=any', f'photographer={self.anna}']:
            with self.subTest(args=args):
                response = client.get(
                    f'/book?service={self.service}&{args}'
                    f'&studio={studio.id}&day={moscow_day(2).isoformat()}')
                # The photographer does not work there: choose again.
                self.assertIn(response.status_code, {HTTPStatus.OK,
                        HTTPStatus.SEE_OTHER, HTTPStatus.BAD_REQUEST})
                self.assertNotIn(
                    utc_start(2, 10), response.get_data(as_text=True))

    def reactivate(self, studio_id, active):
        with Transaction().start(DB_NAME, 0):
            Studio = Pool().get('photo.studio')
            Studio.write([Studio(studio_id)], {'active': active})
            Transaction().commit()

    def test_bad_characters_and_ids(self):
        "NUL bytes and ids past the database's integers are 4xx"
        client = self.client()
        for path in ['/book?service=%00', '/book?service=1%002',
                f'/book?service={2 ** 64}&photographer=any',
                f'/book?service={self.service}&photographer={2 ** 63 + 1}',
                f'/media/photographer/{2 ** 64}',
                '/booking/' + 'a' * 31 + '%00']:
            with self.subTest(path=path):
                self.assertIn(client.get(path).status_code,
                    {HTTPStatus.OK, HTTPStatus.NOT_FOUND,
                        HTTPStatus.BAD_REQUEST})
        response = client.post('/account/reset', data={
                'csrf': self.csrf(client, '/account/reset'),
                'email': 'nul\x00@example.com'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_calendar_file(self):
        """The .ics is RFC 5545: lines folded at 75 octets, the studio's zone
        with its VTIMEZONE, a stable UID that is not the booking's token, a
        SEQUENCE that grows with each change, and a cancelled booking's
        STATUS"""
        client = self.client()
        self.signup(client, 'ical@example.com', name="Ivan")
        confirmation = self.book(client, utc_start(10, 14))
        token = confirmation.rsplit('/', 1)[1]

        def calendar():
            data = client.get(confirmation + '.ics').get_data()
            for line in data.split(b'\r\n'):
                self.assertLessEqual(len(line), 75, line)
            return data, icalendar.Calendar.from_ical(data)
        data, first = calendar()
        self.assertIn(b'\r\n ', data)  # long lines are folded, not cut
        event, = first.walk('VEVENT')
        timezone, = first.walk('VTIMEZONE')
        self.assertEqual(timezone['TZID'], 'Europe/Moscow')
        self.assertEqual(event.decoded('DTSTART'), dt.datetime.combine(
                moscow_day(10), dt.time(14), MOSCOW))
        self.assertEqual(event['STATUS'], 'CONFIRMED')
        self.assertEqual(str(event['SUMMARY']), 'Portrait — Anna <b>Lens</b>')
        uid = str(event['UID'])
        self.assertNotIn(token, uid)
        self.assertTrue(uid.endswith('@studio.example'), uid)

        response = client.post(f'/account/booking/{token}/reschedule',
            data={'csrf': self.csrf(client, '/account'),
                'start': utc_start(10, 16)})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        _, moved = calendar()
        moved, = moved.walk('VEVENT')
        self.assertEqual(str(moved['UID']), uid)
        self.assertGreater(moved['SEQUENCE'], event['SEQUENCE'])
        self.assertEqual(moved.decoded('DTSTART').hour, 16)

        html = client.get(
            f'/account/booking/{token}/cancel').get_data(as_text=True)
        fee = re.search(r'name="fee" value="([^"]*)"', html).group(1)
        client.post(f'/account/booking/{token}/cancel', data={
                'csrf': self.csrf(client, '/account'), 'fee': fee})
        _, cancelled = calendar()
        cancelled, = cancelled.walk('VEVENT')
        self.assertEqual(str(cancelled['UID']), uid)
        self.assertEqual(cancelled['STATUS'], 'CANCELLED')
        self.assertGreater(cancelled['SEQUENCE'], moved['SEQUENCE'])

    def test_links_never_from_host_header(self):
        """A reset asked with a forged Host mails the owner a link to the
        configured site, and so do sign-up, booking mails and the .ics"""
        self.signup(self.client(), 'olga@example.com', name="Olga")
        attacker = ForgedHost(f'10.0.77.{uuid.uuid4().int % 250}')
        self.ask_reset(attacker, 'olga@example.com')
        mail = self.mail_to('olga@example.com')
        self.assertNotIn('evil.example', mail)
        self.assertIn(f'{PORTAL}/account/reset/confirm?', mail)
        self.smtp.messages.clear()

        for email in ['olga@example.com', 'new@example.com']:
            self.ask_signup(attacker, email)
            mail = self.mail_to(email)
            self.assertNotIn('evil.example', mail)
            self.assertIn(PORTAL, mail)
            self.smtp.messages.clear()
        self.ask_reset(attacker, 'nobody@example.com')
        mail = self.mail_to('nobody@example.com')
        self.assertIn(f'{PORTAL}/account/signup', mail)
        self.assertNotIn('evil.example', mail)
        self.smtp.messages.clear()

        confirmation = self.book(attacker, utc_start(11, 15),
            email='eve@example.com')
        mail = self.mail_to('eve@example.com')
        self.assertIn(f'{PORTAL}{confirmation}', mail)
        self.assertNotIn('evil.example', mail)
        ics = attacker.get(confirmation + '.ics').get_data(as_text=True)
        self.assertNotIn('evil.example', ics)

    def test_forms_need_a_server_issued_session(self):
        "A visitor id the client chose is replaced; tokens follow sign-in"
        client = self.client()
        client.set_cookie('pb_sid', 'attacker-chosen-session-id-0000')
        response = client.get('/account/reset')
        cookies = ' '.join(response.headers.getlist('Set-Cookie'))
        self.assertIn('pb_sid=', cookies)
        self.assertNotIn('attacker-chosen', cookies)
        # A token taken before signing in is no good once signed in.
        token = self.csrf(client, '/account/signup')
        self.signup(client, 'csrf@example.com')
        response = client.post('/account/logout', data={'csrf': token})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertEqual(client.get('/account').status_code, HTTPStatus.OK)

    def test_secure_cookies_behind_tls_proxy(self):
        "With [web] num_proxies, a proxy's HTTPS gives Secure cookies"
        from trytond.wsgi import NumProxyFix, app
        forwarded = {
            'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '1.2.3.4'}
        direct = self.client().get('/', headers=forwarded)
        self.assertNotIn('Secure', direct.headers['Set-Cookie'])
        proxied = AddressedClient('10.1.1.1', NumProxyFix(app, 1)).get(
            '/', headers=forwarded)
        self.assertIn('Secure', proxied.headers['Set-Cookie'])

    # --- accounts --------------------------------------------------------------

    def test_wrong_passwords_lock_one_address_not_the_owner(self):
        "Failures count per account and address; the owner's device goes on"
        owner = self.client()
        self.signup(owner, 'locked@example.com', name="Lock")
        owner.post('/account/logout', data={
                'csrf': self.csrf(owner, '/account')})
        response = self.login(owner, 'locked@example.com', PASSWORD)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        device = owner.get_cookie('pb_device', path='/account/login')
        self.assertTrue(device)

        attacker = self.client('10.77.0.1')
        started = time.monotonic()
        statuses = [self.login(attacker, 'locked@example.com',
                f'guess-{i}').status_code for i in range(7)]
        # web_user slept 2**n - 1 s after each: 57 s for the first six.
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(statuses,
            [HTTPStatus.BAD_REQUEST] * 6 + [HTTPStatus.TOO_MANY_REQUESTS])
        response = self.login(attacker, 'locked@example.com', PASSWORD)
        self.assertEqual(response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertGreater(int(response.headers['Retry-After']), 0)

        elsewhere = self.client('10.77.0.2')
        self.assertEqual(self.login(
                elsewhere, 'locked@example.com', PASSWORD).status_code,
            HTTPStatus.SEE_OTHER)
        # The owner's known device, even at the attacker's address.
        same_address = self.client('10.77.0.1')
        same_address.set_cookie(
            'pb_device', device.value, path='/account/login')
        self.assertEqual(self.login(
                same_address, 'locked@example.com', PASSWORD).status_code,
            HTTPStatus.SEE_OTHER)

    def test_reset_confirm_refused_not_slept_on(self):
        "Wrong reset tokens get 429 at once, for their address only"
        self.signup(self.client(), 'reset-flood@example.com', name="Flood")
        attacker = self.client('10.78.0.1')

        def confirm(client):
            return client.post('/account/reset/confirm', data={
                    'csrf': self.csrf(client, '/account/reset'),
                    'email': 'reset-flood@example.com',
                    'token': uuid.uuid4().hex,
                    'password': 'New-password-42'}).status_code
        started = time.monotonic()
        statuses = [confirm(attacker) for _ in range(7)]
        # web_user slept up to 2**n - 1 s (random) in the worker after each.
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(statuses,
            [HTTPStatus.BAD_REQUEST] * 6 + [HTTPStatus.TOO_MANY_REQUESTS])
        self.assertEqual(
            confirm(self.client('10.78.0.2')), HTTPStatus.BAD_REQUEST)

        # And per address, whatever the account.
        set_config(self.addCleanup, 'photo_booking',
            'rate_limit_reset_confirm', '3/60')
        flood = self.client('10.78.0.3')
        statuses = [confirm(flood) for _ in range(4)]
        self.assertEqual(statuses[-1], HTTPStatus.TOO_MANY_REQUESTS)

    def test_signup_verify_attaches_guest_bookings(self):
        "Guest bookings join the account once its email is confirmed"
        guest = self.client()
        self.book(guest, utc_start(6, 10), email='maria@example.com')
        self.smtp.wait(1)
        self.smtp.messages.clear()
        client = self.client()
        self.ask_signup(client, 'Maria@Example.com')
        # Not logged in before the link is opened.
        self.assertEqual(client.get('/account').status_code,
            HTTPStatus.SEE_OTHER)
        response = self.verify(client)
        self.assertEqual(response.headers['Location'],
            '/account/login?notice=verified')
        # The link does not log in: a forwarded one would log someone else
        # into this account.
        self.assertEqual(client.get('/account').status_code,
            HTTPStatus.SEE_OTHER)
        self.log_in(client, 'maria@example.com')
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn('10:00 (Moscow time)', html)
        self.assertIn('Confirmed', html)

    def test_send_validation_link_again(self):
        "A client who got no validation mail asks for a new link"
        client = self.client()
        self.ask_signup(client, 'ira@example.com', name="Ira")
        self.smtp.wait(1)
        self.smtp.messages.clear()
        self.log_in(client, 'ira@example.com')
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn('Send the link again', html)
        response = client.post('/account/verify/resend', data={
                'csrf': self.csrf(client, '/account')})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn('notice=resent', response.headers['Location'])
        self.assertEqual(self.verify(client).status_code,
            HTTPStatus.SEE_OTHER)
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertNotIn('Send the link again', html)

    def test_failed_mail_notifies_managers(self):
        "A mail that cannot be sent is told to the managers, on the booking"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            group = pool.get('ir.model.data').get_id(
                'photo_booking', 'group_photo_manager')
            manager, = pool.get('res.user').create([{
                        'name': "Manager", 'login': 'mail-manager',
                        'groups': [('add', [group])]}])
            transaction.commit()
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            closed = probe.getsockname()[1]
        uri = config.get('email', 'uri')
        config.set('email', 'uri', f'smtp://127.0.0.1:{closed}')
        self.addCleanup(config.set, 'email', 'uri', uri)
        confirmation = self.book(self.client(), utc_start(12, 15),
            email='lost@example.com')
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            booking, = pool.get('photo.booking').search(
                [('token', '=', confirmation.rsplit('/', 1)[1])])
            self.assertEqual(booking.state, 'confirmed')
            notification, = pool.get('res.notification').search(
                [('user', '=', manager.id)])
            self.assertIn('lost@example.com', notification.label)
            self.assertEqual(notification.model, 'photo.booking')
            self.assertEqual(notification.records, f'[{booking.id}]')

    def test_delete_refused_sends_back(self):
        "A refused account deletion leads back to the cabinet"
        client = self.client()
        self.signup(client, 'zoe@example.com', name="Zoe")
        response = client.post('/account/delete?lang=en', data={
                'csrf': self.csrf(client, '/account')})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        html = response.get_data(as_text=True)
        self.assertIn('Tick the box', html)
        self.assertIn('<a class="button" href="/account">Back</a>', html)

    def test_delete_anonymises_guest_bookings(self):
        """Deleting the account erases the contacts given as a guest too,
        the address of an on-location shoot among them"""
        token = self.book_on_location(self.client(), utc_start(9, 10),
            "Vera Guest", 'vera@example.com', 'Lenina 7, flat 12, Moscow',
            phone='+7 900 765-43-21', comment="Ring twice")
        self.smtp.wait(1)
        self.smtp.messages.clear()
        client = self.client()
        self.signup(client, 'vera@example.com', name="Vera")
        html = client.get(
            f'/account/booking/{token}/cancel?lang=en').get_data(as_text=True)
        fee = re.search(r'name="fee" value="([^"]*)"', html).group(1)
        client.post(f'/account/booking/{token}/cancel', data={
                'csrf': self.csrf(client, '/account'), 'fee': fee})
        response = client.post('/account/delete', data={
                'csrf': self.csrf(client, '/account'), 'confirm': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        with Transaction().start(DB_NAME, 0):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', token)])
            self.assertEqual(booking.state, 'cancelled')
            self.assertIsNone(booking.location)
            self.assertIsNone(booking.phone)
            self.assertIsNone(booking.email)
            self.assertIsNone(booking.notes)
            self.assertIsNone(booking.client.name)
            self.assertFalse(booking.client.active)
            self.assertEqual(
                {c.value for c in booking.client.contact_mechanisms}, set())
        # A new guest booking with the email gets a party of its own.
        self.book(self.client(), utc_start(9, 12), email='vera@example.com',
            name="Vera Again")

    def test_login_logout_and_reset(self):
        "Log in, log out, reset a forgotten password"
        client = self.client()
        self.signup(client, 'ivan@example.com', name="Ivan")
        client.post('/account/logout', data={
                'csrf': self.csrf(client, '/account')})
        self.assertEqual(client.get('/account').status_code,
            HTTPStatus.SEE_OTHER)
        response = client.post('/account/login', data={
                'csrf': self.csrf(client, '/account/login'),
                'email': 'ivan@example.com', 'password': 'wrong-password'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        response = client.post('/account/reset', data={
                'csrf': self.csrf(client, '/account/reset'),
                'email': 'ivan@example.com'})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        mail, = self.smtp.wait(1)
        link = re.search(r'/account/reset/confirm\?\S+', 
            mail.get_payload(decode=True).decode())
        page = client.get(link.group(0))
        token = re.search(r'name="token" value="(\w+)"',
            page.get_data(as_text=True)).group(1)
        response = client.post('/account/reset/confirm', data={
                'csrf': self.csrf(client, '/account/reset'),
                'email': 'ivan@example.com', 'token': token,
                'password': 'New-password-42'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        response = client.post('/account/login', data={
                'csrf': self.csrf(client, '/account/login'),
                'email': 'ivan@example.com', 'password': 'New-password-42'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(client.get('/account').status_code, HTTPStatus.OK)

    def ask_reset(self, client, email):
        response = client.post('/account/reset', data={
                'csrf': self.csrf(client, '/account/reset'), 'email': email})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        return response

    def reset_token(self, address):
        "The token of the reset link mailed to address; clears the mails."
        token = re.search(r'token=(\w+)', self.mail_to(address)).group(1)
        self.smtp.messages.clear()
        return token

    def confirm_reset(self, client, email, token, password):
        return client.post('/account/reset/confirm', data={
                'csrf': self.csrf(client, '/account/reset'),
                'email': email, 'token': token, 'password': password})

    def test_reset_asked_by_someone_else(self):
        """A reset asked for by someone else does not keep the owner from
        getting a working link, and ends the earlier one"""
        self.signup(self.client(), 'sofia@example.com', name="Sofia")
        self.ask_reset(self.client(), 'sofia@example.com')
        planted = self.reset_token('sofia@example.com')
        owner = self.client()
        self.ask_reset(owner, 'sofia@example.com')
        token = self.reset_token('sofia@example.com')
        self.assertNotEqual(token, planted)
        self.assertEqual(self.confirm_reset(self.client(),
                'sofia@example.com', planted, 'Attacker-42-Pass').status_code,
            HTTPStatus.BAD_REQUEST)
        self.assertEqual(self.confirm_reset(owner,
                'sofia@example.com', token, 'Owner-42-Password').status_code,
            HTTPStatus.SEE_OTHER)

    def test_reset_ends_sessions(self):
        "After a password reset, a browser logged in before is logged out"
        client = self.client()
        self.signup(client, 'gleb@example.com', name="Gleb")
        self.assertEqual(client.get('/account').status_code, HTTPStatus.OK)
        other = self.client()
        self.ask_reset(other, 'gleb@example.com')
        token = self.reset_token('gleb@example.com')
        self.confirm_reset(other, 'gleb@example.com', token, 'New-password-42')
        self.assertEqual(client.get('/account').status_code,
            HTTPStatus.SEE_OTHER)

    def test_accounts_not_disclosed(self):
        """Sign-up and reset answer the same for a known and an unknown email;
        the owner of a known one is told by mail"""
        self.signup(self.client(), 'lev@example.com', name="Lev")

        def notice(response):
            return re.search(r'<p class="notice"[^>]*>(.*?)</p>',
                response.get_data(as_text=True)).group(1)
        known = self.client()
        taken = self.ask_signup(known, 'lev@example.com', name="Mallory")
        taken_mail = self.mail_to('lev@example.com')
        self.assertIn('/account/reset', taken_mail)
        self.assertNotIn('/account/verify', taken_mail)
        self.smtp.messages.clear()
        new = self.ask_signup(self.client(), 'mark@example.com', name="Mark")
        self.assertIn('/account/verify?token=',
            self.mail_to('mark@example.com'))
        self.smtp.messages.clear()
        self.assertEqual(notice(taken).replace('lev@', 'mark@'), notice(new))
        # Nobody got into Lev's account, whose password did not change.
        self.assertEqual(known.get('/account').status_code,
            HTTPStatus.SEE_OTHER)
        self.log_in(self.client(), 'lev@example.com')

        known = self.ask_reset(self.client(), 'lev@example.com')
        self.assertIn('token=', self.mail_to('lev@example.com'))
        self.smtp.messages.clear()
        unknown = self.ask_reset(self.client(), 'nobody@example.com')
        unknown_mail = self.mail_to('nobody@example.com')
        self.assertIn('/account/signup', unknown_mail)
        self.assertNotIn('token=', unknown_mail)
        self.assertEqual(notice(known), notice(unknown))

    def test_guest_booking_with_a_clients_email(self):
        """A booking made without login with someone's email does not join
        their account, party or contacts"""
        client = self.client()
        self.signup(client, 'zoya@example.com', name="Zoya")
        self.book(self.client(), utc_start(10, 12), email='zoya@example.com',
            name="Mallory")
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertNotIn('12:00 (Europe/Moscow)', html)
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            user, = pool.get('web.user').search(
                [('email', '=', 'zoya@example.com')])
            booking, = pool.get('photo.booking').search(
                [('email', '=', 'zoya@example.com')])
            self.assertIsNone(booking.web_user)
            self.assertNotEqual(booking.client, user.party)
            self.assertEqual(
                sorted(c.value for c in user.party.contact_mechanisms),
                ['+79001234567', 'zoya@example.com'])

    def test_cabinet(self):
        "Reschedule, cancel with the fee shown, download data, delete"
        client = self.client()
        self.signup(client, 'olga@example.com', name="Olga")
        confirmation = self.book(client, utc_start(7, 10),
            email='olga@example.com')
        token = confirmation.rsplit('/', 1)[1]
        base = f'/account/booking/{token}'
        html = client.get(
            f'{base}/reschedule?day={moscow_day(7).isoformat()}').get_data(
            as_text=True)
        new_start = utc_start(7, 15)
        self.assertIn(new_start, html)
        response = client.post(f'{base}/reschedule', data={
                'csrf': self.csrf(client, '/account'), 'start': new_start})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn('15:00 (Moscow time)', html)

        html = client.get(f'{base}/cancel?lang=en').get_data(as_text=True)
        self.assertIn('free of charge', html)
        fee = re.search(r'name="fee" value="([^"]*)"', html).group(1)
        response = client.post(f'{base}/cancel', data={
                'csrf': self.csrf(client, '/account'), 'fee': fee})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)

        data = client.get('/account/data.json').get_json(force=True)
        self.assertEqual(data['account']['email'], 'olga@example.com')
        self.assertEqual(data['bookings'][0]['state'], 'cancelled')

        response = client.post('/account/delete', data={
                'csrf': self.csrf(client, '/account'), 'confirm': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('photo.booking')
            booking, = Booking.search([('token', '=', token)])
            self.assertIsNone(booking.email)
            self.assertEqual(booking.price, Decimal(5000))
            self.assertNotEqual(booking.client.name, 'Olga')
            self.assertFalse(Pool().get('web.user').search([
                        ('email', '=', 'olga@example.com')]))
            # Erased as the back office erases a party: the account stays
            # as an inactive record without email nor password.
            self.assertFalse(booking.web_user.active)
            self.assertIsNone(booking.web_user.password_hash)
        self.assertEqual(self.login(self.client(),
                'olga@example.com').status_code, HTTPStatus.BAD_REQUEST)

    def test_review_and_profile(self):
        "A client reviews a done shoot and edits the profile"
        client = self.client()
        self.signup(client, 'petr@example.com', name="Petr")
        token = self.book(client, utc_start(8, 10),
            email='petr@example.com').rsplit('/', 1)[1]
        with Transaction().start(DB_NAME, 0):
            Booking = Pool().get('photo.booking')
            booking, = Booking.search([('token', '=', token)])
            Booking.write([booking], {
                    'start': dt.datetime(2025, 1, 1, 9),
                    'end': dt.datetime(2025, 1, 1, 10)})
            Booking.do([booking])
        html = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn('Leave a review', html)
        data = {'csrf': self.csrf(client, '/account'), 'rating': '4',
            'comment': 'Nice <b>light</b>'}
        response = client.post(f'/account/booking/{token}/review', data=data)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        response = client.post(f'/account/booking/{token}/review', data=data)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        # Moderated: live once a manager publishes it.
        self.assertNotIn('Nice &lt;b&gt;light', client.get('/').get_data(
                as_text=True))
        with Transaction().start(DB_NAME, 0):
            Review = Pool().get('photo.review')
            review, = Review.search([('booking.token', '=', token)])
            self.assertEqual(review.state, 'pending')
            Review.publish([review])
        self.assertIn('Nice &lt;b&gt;light', client.get('/').get_data(
                as_text=True))
        response = client.post(
            f'/account/booking/{token}/review', data=dict(data, rating='9'))
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

        response = client.post('/account/profile', data={
                'csrf': self.csrf(client, '/account'), 'name': 'Petr I.',
                'phone': '+7 911 111-11-11', 'language': 'en'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        html = client.get('/account/profile').get_data(as_text=True)
        self.assertIn('Petr I.', html)
        # The chosen language is kept for mails and switches the portal.
        self.assertIn('<option value="en" selected>', html)
        self.assertIn('<h1>Profile</h1>', html)
        with Transaction().start(DB_NAME, 0):
            User = Pool().get('web.user')
            user, = User.search([('email', '=', 'petr@example.com')])
            self.assertEqual(user.party.lang.code, 'en')
        self.assertIn('+7 911 111-11-11', html)
        response = client.post('/account/profile', data={
                'csrf': self.csrf(client, '/account'), 'name': '',
                'phone': 'x'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_notification_preferences(self):
        "Email and Telegram notifications are chosen in the profile"
        client = self.client()
        self.signup(client, 'nina@example.com', name="Nina")
        html = client.get('/account/profile?lang=en').get_data(as_text=True)
        self.assertIn('Email reminders about my bookings', html)
        # No Telegram before the client has started the bot.
        self.assertEqual(html.count(' checked>'), 1)
        self.assertIn('name="telegram_notifications" value="yes">', html)
        data = client.get('/account/data.json').get_json(force=True)
        self.assertEqual(data['account']['notifications'], {
                'email_reminders': 'yes', 'telegram_notifications': 'no'})

        response = client.post('/account/profile', data={
                'csrf': self.csrf(client, '/account'), 'name': 'Nina',
                'phone': '+7 911 111-11-11', 'email_reminders': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        html = client.get('/account/profile').get_data(as_text=True)
        self.assertIn(
            'name="email_reminders" value="yes" checked>', html)
        self.assertIn(
            'name="telegram_notifications" value="yes">', html)
        data = client.get('/account/data.json').get_json(force=True)
        self.assertEqual(data['account']['notifications'], {
                'email_reminders': 'yes', 'telegram_notifications': 'no'})
        # Invalid input keeps the ticks shown and saves nothing.
        response = client.post('/account/profile', data={
                'csrf': self.csrf(client, '/account'), 'name': '',
                'phone': '+7 911 111-11-11',
                'telegram_notifications': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('name="telegram_notifications" value="yes" checked>',
            response.get_data(as_text=True))
        with Transaction().start(DB_NAME, 0):
            user, = Pool().get('web.user').search(
                [('email', '=', 'nina@example.com')])
            self.assertTrue(user.email_reminders)
            self.assertFalse(user.telegram_notifications)

    def test_late_cancel_shows_fee(self):
        "A late cancellation shows its fee before the client confirms"
        client = self.client()
        self.signup(client, 'late@example.com', name="Late")
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Booking = pool.get('photo.booking')
            bob = pool.get('photo.photographer')(self.bob)
            slots = Booking.available_slots(
                pool.get('photo.service')(self.service), moscow_day(0),
                moscow_day(1), studio=pool.get('photo.studio')(self.studio),
                photographers=[bob])
            start = slots[0].start
        self.assertLess(start - dt.datetime.now(dt.timezone.utc),
            dt.timedelta(hours=24))
        confirmation = self.book(
            client, start.strftime('%Y-%m-%dT%H:%M'),
            email='late@example.com', photographer=self.bob)
        token = confirmation.rsplit('/', 1)[1]
        html = client.get(
            f'/account/booking/{token}/cancel?lang=en').get_data(as_text=True)
        self.assertIn('RUB2,500', html)
        response = client.post(f'/account/booking/{token}/cancel', data={
                'csrf': self.csrf(client, '/account'), 'fee': '2500.00'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        with Transaction().start(DB_NAME, 0):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', token)])
            self.assertEqual(booking.state, 'cancelled')
            self.assertEqual(booking.cancellation_fee, Decimal('2500.00'))

    def test_cabinet_needs_login(self):
        "The cabinet sends visitors to the login page"
        response = self.client().get('/account')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(response.headers['Location'], '/account/login')

    # --- speed -----------------------------------------------------------------

    def test_catalogue_pages_answer_the_same_again(self):
        """Catalogue and availability pages answer the same from their
        caches as the first time (their speed: python -m bench.catalogue)"""
        client = self.client()
        day = moscow_day(2).isoformat()
        times = (f'/book?service={self.service}&photographer=any'
            f'&studio={self.studio}&day={day}')
        for path in ['/?lang=en', times]:
            first = client.get(path)
            self.assertEqual(first.status_code, HTTPStatus.OK)
            self.assertEqual(client.get(path).get_data(as_text=True),
                first.get_data(as_text=True), path)
        self.assertIn(utc_start(2, 10), SLOT_RE.findall(
                client.get(times).get_data(as_text=True)))


    # --- calendar abuse (photo_booking's abuse.py) ----------------------------

    def proof_form(self, response):
        "The fields the proof page posts again, and its challenge."
        import html
        import json
        page = response.get_data(as_text=True)
        challenge = json.loads(html.unescape(
                re.search(r'data-challenge="([^"]+)"', page).group(1)))
        fields = dict(re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                page))
        return fields, challenge

    def test_proof_of_work_past_free_holds(self):
        """Past the free holds of a browser, the hold page proves some work
        before the time is held; a proof counts once"""
        from trytond.modules.photo_booking import altcha
        set_config(self.addCleanup, 'photo_booking', 'proof_after_device', '1')
        set_config(self.addCleanup, 'photo_booking', 'altcha_max_number',
            '2000')
        client = self.client()
        first = self.hold(client, utc_start(21, 10))
        self.assertEqual(first.status_code, HTTPStatus.SEE_OTHER)
        asked = self.hold(client, utc_start(21, 11))
        self.assertEqual(asked.status_code, HTTPStatus.FORBIDDEN)
        self.assertIn('/static/altcha.js', asked.get_data(as_text=True))
        fields, challenge = self.proof_form(asked)
        self.assertEqual(fields['start'], utc_start(21, 11))
        self.assertEqual(fields['altcha'], '')
        fields['altcha'] = altcha.payload(challenge, altcha.solve(challenge))
        held = client.post('/book/hold', data=fields)
        self.assertEqual(held.status_code, HTTPStatus.SEE_OTHER,
            held.get_data(as_text=True))
        self.assertIn('/book/details/', held.headers['Location'])
        again = client.post('/book/hold?lang=en', data={
                **fields, 'start': utc_start(21, 12)})
        self.assertEqual(again.status_code, HTTPStatus.UNPROCESSABLE_ENTITY)
        self.assertIn('already been used', again.get_data(as_text=True))
        with Transaction().start(DB_NAME, 0):
            self.assertEqual(Pool().get('photo.booking').search_count([
                        ('start', '=', dt.datetime.strptime(
                                utc_start(21, 12), '%Y-%m-%dT%H:%M')),
                        ]), 0)

    def test_consent_and_bookings_per_contact(self):
        """The details record the client's consent; one e-mail books a
        limited number of times an hour, whatever the address"""
        set_config(self.addCleanup, 'photo_booking', 'holds_per_contact',
            '1/3600')
        email = f'{uuid.uuid4().hex[:8]}@example.com'
        # A phone of its own: the other tests' bookings share theirs.
        phone = f'+7 901 {uuid.uuid4().int % 10 ** 7:07d}'
        confirmation = self.book(self.client(), utc_start(22, 10),
            email=email, phone=phone)
        token = confirmation.rsplit('/', 1)[1]
        with Transaction().start(DB_NAME, 0):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', token)])
            self.assertIsNotNone(booking.consent_at)
        client = self.client()
        details = self.hold(client, utc_start(22, 11)).headers['Location']
        refused = client.post(details + '?lang=en', data={
                'csrf': self.csrf(client, details), 'name': "Guest",
                'phone': f'+7 902 {uuid.uuid4().int % 10 ** 7:07d}',
                'email': email.upper(), 'consent': 'yes'})
        self.assertEqual(refused.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertTrue(refused.headers['Retry-After'])
        with Transaction().start(DB_NAME, 0):
            held, = Pool().get('photo.booking').search(
                [('token', '=', details.rsplit('/', 1)[1])])
            self.assertEqual(held.state, 'hold')
            self.assertIsNone(held.email)

    def test_mails_per_address_and_forms_per_visitor(self):
        """Sign-up mails to one address are limited whoever asks; every
        form is limited per visitor address"""
        set_config(self.addCleanup, 'photo_booking',
            'rate_limit_signup_contact', '1/3600')
        email = f'{uuid.uuid4().hex[:8]}@example.com'
        self.ask_signup(self.client(), email)
        client = self.client()
        response = client.post('/account/signup', data={
                'csrf': self.csrf(client, '/account/signup'),
                'name': "Maria", 'email': email, 'phone': '+79001234567',
                'password': PASSWORD, 'consent': 'yes'})
        self.assertEqual(response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        set_config(self.addCleanup, 'photo_booking',
            'rate_limit_portal_write', '2/60')
        client = self.client()
        statuses = [client.post('/account/logout', data={
                    'csrf': self.csrf(client, '/')}).status_code
            for _ in range(3)]
        self.assertEqual(statuses[-1], HTTPStatus.TOO_MANY_REQUESTS)
        self.assertNotIn(HTTPStatus.TOO_MANY_REQUESTS, statuses[:2])

class SecurityTestCase(__import__('unittest').TestCase):
    "Visitor ids and CSRF tokens as plain functions"

    def test_csrf_bound_to_session(self):
        "Tokens hold for a server-issued visitor id and its sign-in only"
        sid, other = (portal_security.new_session_id() for _ in range(2))
        token = portal_security.csrf_token(sid)
        self.assertTrue(portal_security.check_csrf(sid, token))
        self.assertFalse(portal_security.check_csrf(other, token))
        self.assertFalse(portal_security.check_csrf('', token))
        self.assertFalse(portal_security.check_csrf(sid, token, 'key'))
        signed_in = portal_security.csrf_token(sid, 'key')
        self.assertTrue(portal_security.check_csrf(sid, signed_in, 'key'))
        self.assertFalse(portal_security.check_csrf(sid, signed_in, 'other'))
        # A visitor id the client made up is not accepted, even with the
        # token the server would give it.
        chosen = 'attacker-chosen-session-id'
        self.assertFalse(portal_security.valid_session_id(chosen))
        self.assertFalse(portal_security.check_csrf(
                chosen, portal_security.csrf_token(chosen)))


del RouteTestCase
