"""Through the web: the push opt-in of the booking page and its round trip
to a browser's push service, the app's FCM token API, and a booking whose
transaction is rolled back."""
import datetime as dt
import json
import re
from http import HTTPStatus

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking.booking import utc_now
from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    create_world, local, set_config, tomorrow)

from ..outbox import digest
from .fake_push import FakePushService
from .fake_smtp import SMTPServer
from .test_module import new_vapid_key

CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
KEY_RE = re.compile(r'data-key="([^"]+)"')
PASSWORD = 'Correct-Horse-7-Battery'
ANDROID_CHROME = ('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 '
    '(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36')


class NotifyPortalTestCase(RouteTestCase):
    "photo_notify on the web"
    module = 'photo_notify'
    extras = ['photo_portal']

    @classmethod
    def setUpClass(cls):
        cls.smtp = cls.enterClassContext(SMTPServer())
        cls.push = cls.enterClassContext(FakePushService())
        for section, key, value in [
                ('photo_booking', 'portal_database', DB_NAME),
                ('photo_booking', 'redis_url', ''),
                ('photo_booking', 'rate_limit_login', '1000/60'),
                ('email', 'uri', f'smtp://127.0.0.1:{cls.smtp.port}'),
                ('email', 'from', 'studio@example.com'),
                ('photo_notify', 'portal_url', 'https://studio.example.com'),
                ('photo_notify', 'vapid_private_key', new_vapid_key()),
                ('photo_notify', 'webpush_hosts', '127.0.0.1'),
                ]:
            set_config(cls.addClassCleanup, section, key, value)
        super().setUpClass()

    @classmethod
    def setUpDatabase(cls):
        world = create_world()
        pool = Pool()
        WebUser = pool.get('web.user')
        ivan, = pool.get('party.party').create([{'name': "Ivan Client"}])
        web_user, other = WebUser.create([{
                    'email': 'maria@example.com', 'password': PASSWORD,
                    'email_valid': True, 'party': world.client.id}, {
                    'email': 'ivan@example.com', 'password': PASSWORD,
                    'email_valid': True, 'party': ivan.id}])
        cls.world = {'service': world.service.id, 'studio': world.studio.id,
            'client': world.client.id, 'web_user': web_user.id,
            'ivan': ivan.id, 'ivan_user': other.id}
        cls.hour = 9

    def setUp(self):
        super().setUp()
        self.smtp.messages.clear()
        self.push.received.clear()

    def book(self, client='client', web_user=None):
        """A confirmed booking of the world's client (a new hour each time),
        committed: (id, token)."""
        type(self).hour += 1
        with Transaction().start(DB_NAME, 0) as own:
            pool = Pool()
            Booking = pool.get('photo.booking')
            Studio = pool.get('photo.studio')
            studio = Studio(self.world['studio'])
            booking = Booking.create_hold(
                pool.get('photo.service')(self.world['service']),
                local(studio, tomorrow(3), self.hour),
                pool.get('party.party')(self.world[client]), studio,
                email='maria@example.com', source='web',
                web_user=(pool.get('web.user')(self.world[web_user])
                    if web_user else None))
            Booking.submit([booking])
            result = booking.id, booking.token
            own.commit()
        return result

    def send_due(self, now=None):
        with Transaction().start(DB_NAME, 0) as transaction:
            Notification = Pool().get('photo.notification')
            sent = Notification.deliver(Notification.claim(now=now), now=now)
            transaction.commit()
        return sent

    def rows(self, booking_id, **where):
        with Transaction().start(DB_NAME, 0, readonly=True):
            Notification = Pool().get('photo.notification')
            return [(n.event, n.recipient, n.channel, n.address, n.state)
                for n in Notification.search([
                        ('booking', '=', booking_id),
                        *[(k, '=', v) for k, v in where.items()]])]

    def test_push_opt_in_round_trip(self):
        """The booking page offers notifications; the browser's
        subscription posted, the reminder reaches it, decrypted by the
        browser's keys"""
        booking_id, token = self.book()
        client = self.client()
        html = client.get(f'/booking/{token}?lang=en').get_data(as_text=True)
        self.assertIn('Turn on notifications', html)
        self.assertIn('/static/photo_notify/push.js', html)
        key = KEY_RE.search(html).group(1)
        subscription = self.push.subscribe(key)

        response = client.post(f'/booking/{token}/push', data={
                'csrf': CSRF_RE.search(html).group(1),
                'subscription': json.dumps(subscription)})

        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        reminders = self.rows(booking_id, event='reminder', state='pending')
        self.assertEqual({r[2:4] for r in reminders},
            {('webpush', subscription['endpoint'])})
        # A day and an hour later: both reminders are due
        self.send_due(now=utc_now() + dt.timedelta(days=3, hours=20))
        self.assertEqual(self.push.refused, [])
        # (the client's other coming bookings' reminders come here too)
        titles = [r['payload']['title'] for r in self.push.received
            if r['payload']['url']
            == f'https://studio.example.com/booking/{token}']
        self.assertEqual(len(titles), 2)
        self.assertTrue(all('Reminder' in t for t in titles), titles)

    def signed_in(self, web_user):
        "A client with the session of web_user (its portal cookie)."
        with Transaction().start(DB_NAME, 0) as transaction:
            key = Pool().get('web.user')(self.world[web_user]).new_session()
            transaction.commit()
        client = self.client()
        client.set_cookie('pb_session', key)
        return client, key

    def test_profile_channels_per_kind_of_news(self):
        """The profile page chooses a channel for booking news and one for
        reminders; the coming reminders follow the choice at once"""
        client, _ = self.signed_in('ivan_user')
        booking_id, _ = self.book(client='ivan', web_user='ivan_user')
        self.assertEqual({r[2] for r in self.rows(booking_id,
                        event='reminder', state='pending')}, {'email'})
        html = client.get('/account/profile?lang=en').get_data(as_text=True)
        self.assertIn('name="news_channel"', html)
        self.assertIn('name="reminder_channel"', html)
        self.assertNotIn('name="email_reminders"', html)
        self.assertIn('Turn on notifications', html)

        response = client.post('/account/profile', data={
                'csrf': CSRF_RE.search(html).group(1), 'name': "Ivan Client",
                'phone': '+7 900 555-44-33', 'language': 'en',
                'news_channel': 'telegram', 'reminder_channel': 'sms'})

        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        html = client.get('/account/profile?lang=en').get_data(as_text=True)
        self.assertIn('<option value="sms" selected>', html)
        self.assertIn('<option value="telegram" selected>', html)
        reminders = self.rows(booking_id, event='reminder', state='pending')
        self.assertEqual({r[2:4] for r in reminders},
            {('sms', '+7 900 555-44-33')})
        # Telegram not linked: the news go by e-mail
        second, _ = self.book(client='ivan', web_user='ivan_user')
        self.assertEqual([r[2] for r in self.rows(
                    second, event='confirmed', recipient='client')],
            ['email'])

        response = client.post('/account/profile', data={
                'csrf': CSRF_RE.search(html).group(1), 'name': "Ivan Client",
                'phone': '+7 900 555-44-33', 'language': 'en',
                'news_channel': 'email', 'reminder_channel': 'none'})
        self.assertEqual(self.rows(booking_id, event='reminder',
                state='pending'), [])

    def test_signed_in_browser_subscribes(self):
        "The profile's opt-in subscribes the signed-in client's browser"
        client, _ = self.signed_in('ivan_user')
        html = client.get('/account/profile?lang=en').get_data(as_text=True)
        subscription = self.push.subscribe(KEY_RE.search(html).group(1))
        response = client.post('/account/push', data={
                'csrf': CSRF_RE.search(html).group(1),
                'subscription': json.dumps(subscription)})
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Device = Pool().get('photo.notification.device')
            device, = Device.search(
                [('address', '=', subscription['endpoint'])])
            self.assertEqual((device.party.id, device.web_user.id),
                (self.world['ivan'], self.world['ivan_user']))
        response = self.client().post('/account/push', data={
                'subscription': json.dumps(subscription)})
        self.assertIn(response.status_code,
            {HTTPStatus.BAD_REQUEST, HTTPStatus.SEE_OTHER})
        with Transaction().start(DB_NAME, 0) as transaction:
            Device = Pool().get('photo.notification.device')
            Device.delete(Device.search([('party', '=', self.world['ivan'])]))
            transaction.commit()

    def test_profile_lists_and_removes_devices(self):
        """The profile lists the browsers with notifications on (a readable
        name, when turned on, last used); the client stops one, the
        reminders go by e-mail again; nobody else can remove it (404), nor
        a form without the CSRF token"""
        with Transaction().start(DB_NAME, 0) as transaction:
            WebUser = Pool().get('web.user')
            WebUser.write([WebUser(self.world['ivan_user'])], {
                    'news_channel': 'email', 'reminder_channel': 'email'})
            transaction.commit()
        client, _ = self.signed_in('ivan_user')
        booking_id, _ = self.book(client='ivan', web_user='ivan_user')
        html = client.get('/account/profile?lang=en').get_data(as_text=True)
        self.assertIn('Notifications are not turned on in any browser',
            html)
        subscription = self.push.subscribe(KEY_RE.search(html).group(1))
        response = client.post('/account/push', data={
                'csrf': CSRF_RE.search(html).group(1),
                'subscription': json.dumps(subscription)},
            headers={'User-Agent': ANDROID_CHROME})
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        token = digest(subscription['endpoint'])
        self.assertEqual({r[2:4] for r in self.rows(booking_id,
                        event='reminder', state='pending')},
            {('webpush', subscription['endpoint'])})
        self.send_due(now=utc_now() + dt.timedelta(days=3, hours=20))

        html = client.get('/account/profile?lang=en').get_data(as_text=True)
        self.assertIn('<strong>Chrome on Android</strong>', html)
        self.assertIn(f'data-device="{token}"', html)
        self.assertIn('Turned on ', html)
        self.assertIn('Last notification ', html)
        self.assertNotIn(subscription['endpoint'], html)  # stays ours
        # (the name in Russian: the browser test, on a database with ru)
        html_ru = client.get('/account/profile?lang=ru').get_data(
            as_text=True)
        self.assertIn('Отключить уведомления на этом устройстве', html_ru)

        # Another client, with their own session and token: not theirs
        other, _ = self.signed_in('web_user')
        other_html = other.get('/account/profile?lang=en').get_data(
            as_text=True)
        self.assertNotIn(token, other_html)
        response = other.post('/account/devices/remove', data={
                'csrf': CSRF_RE.search(other_html).group(1),
                'device': token})
        self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND)
        # No CSRF token: refused
        response = client.post('/account/devices/remove',
            data={'device': token})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Device = Pool().get('photo.notification.device')
            self.assertEqual(len(Device.search(
                        [('address', '=', subscription['endpoint'])])), 1)

        response = client.post('/account/devices/remove', data={
                'csrf': CSRF_RE.search(html).group(1), 'device': token})

        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(response.headers['Location'],
            '/account/profile?notice=device_removed#push-devices')
        html = client.get('/account/profile?lang=en&notice=device_removed'
            ).get_data(as_text=True)
        self.assertIn('Notifications on that device are stopped.', html)
        self.assertNotIn(token, html)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Device = Pool().get('photo.notification.device')
            self.assertEqual(Device.search(
                    [('address', '=', subscription['endpoint'])]), [])
        self.assertEqual({r[2] for r in self.rows(booking_id,
                        event='reminder', state='pending')}, {'email'})
        # Gone already: 404, not a 500
        response = client.post('/account/devices/remove', data={
                'csrf': CSRF_RE.search(html).group(1), 'device': token})
        self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND)

    def test_push_script_served(self):
        "The opt-in script is served as JavaScript"
        response = self.client().get('/static/photo_notify/push.js')
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.mimetype, 'text/javascript')
        self.assertIn(b'requestPermission', response.get_data())

    def test_bad_subscription_refused(self):
        "A subscription that is not one: 400 with a message, nothing kept"
        _, token = self.book()
        client = self.client()
        html = client.get(f'/booking/{token}?lang=en').get_data(as_text=True)
        csrf = CSRF_RE.search(html).group(1)
        good = self.push.subscribe(KEY_RE.search(html).group(1))
        for subscription in ['not json', json.dumps([1]), json.dumps(
                    {**good, 'endpoint': 'https://attacker.example/x'})]:
            with self.subTest(subscription=subscription):
                response = client.post(f'/booking/{token}/push', data={
                        'csrf': csrf, 'subscription': subscription})
                self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
                self.assertIn('could not be subscribed',
                    response.get_data(as_text=True))
        response = client.post(f'/booking/{token}/push', data={
                'subscription': json.dumps(good)})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Device = Pool().get('photo.notification.device')
            self.assertEqual(Device.search(
                    [('address', '=', good['endpoint'])]), [])
        response = client.post('/booking/0123456789abcdef/push',
            data={'csrf': csrf, 'subscription': json.dumps(good)})
        self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND)

    def test_app_registers_its_fcm_token(self):
        "The app posts its FCM token with the client's session: 201; 401 without"
        client, key = self.signed_in('web_user')
        url = f'/{DB_NAME}/photo_notify/api/v1/devices'
        response = client.post(url, json={'token': 'fcm-app-token'})
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        response = client.post(url, json={'token': 'bad token'},
            headers={'Authorization': f'Bearer {key}'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        response = client.post(url, json={'token': 'fcm-app-token'},
            headers={'Authorization': f'Bearer {key}'})
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Device = Pool().get('photo.notification.device')
            device, = Device.search([('address', '=', 'fcm-app-token')])
            self.assertEqual((device.channel, device.party.id),
                ('fcm', self.world['client']))
        response = client.delete(url, json={'token': 'fcm-app-token'},
            headers={'Authorization': f'Bearer {key}'})
        self.assertEqual(response.status_code, HTTPStatus.NO_CONTENT)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Device = Pool().get('photo.notification.device')
            self.assertEqual(Device.search([
                        ('address', '=', 'fcm-app-token')]), [])

    def test_device_api_in_the_openapi_document(self):
        """The API's document, served where photo_notify is activated,
        describes its device routes under their own prefix, and stays
        valid OpenAPI"""
        from openapi_spec_validator import validate
        response = self.client().get(
            f'/{DB_NAME}/photo_booking/api/v1/openapi.json')
        self.assertEqual(response.status_code, HTTPStatus.OK)
        document = response.json
        devices = document['paths']['/devices']
        self.assertEqual(devices['servers'],
            [{'url': f'/{DB_NAME}/photo_notify/api/v1'}])
        self.assertEqual({'post', 'delete'} & set(devices), {'post', 'delete'})
        self.assertEqual(set(devices['post']['responses']),
            {'201', '400', '401', '409', '503'})
        validate(document)

    def test_rolled_back_booking_notifies_nobody(self):
        """A booking whose transaction is rolled back leaves no outbox row:
        the dispatcher has nothing to send"""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            Notification = pool.get('photo.notification')
            studio = pool.get('photo.studio')(self.world['studio'])
            booking = Booking.create_hold(
                pool.get('photo.service')(self.world['service']),
                local(studio, tomorrow(5), 10),
                pool.get('party.party')(self.world['client']), studio,
                email='rolled-back@example.com', source='web')
            Booking.submit([booking])
            keys = [n.key for n in Notification.search(
                    [('booking', '=', booking.id)])]
            self.assertTrue(keys)  # written with the booking…
            transaction.rollback()  # …and gone with it
        with Transaction().start(DB_NAME, 0, readonly=True):
            Notification = Pool().get('photo.notification')
            self.assertEqual(
                Notification.search([('key', 'in', keys)]), [])
        self.send_due(now=utc_now() + dt.timedelta(days=10))
        self.assertEqual([m for m in self.smtp.messages
                if m['To'] == 'rolled-back@example.com'], [])


del RouteTestCase
