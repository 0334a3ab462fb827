import datetime as dt
import json
import socket
from decimal import Decimal
from email import policy
from unittest.mock import patch

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.booking import utc_now
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, local, set_config, soon, staff_users, tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)
from trytond.modules.photo_payment.tests.tools import (
    configure, create_gateways, create_paid_world, hold, run_queued,
    start_fakes)

from .fake_fcm import FakeFCM
from .fake_push import FakePushService
from .fake_sms import API_ID, FakeSms
from .fake_smtp import SMTPServer
from .fake_telegram import TOKEN, FakeBotAPI

H = dt.timedelta(hours=1)


def new_vapid_key():
    "A VAPID private key as [photo_notify] vapid_private_key takes it."
    from py_vapid import Vapid
    from py_vapid.utils import b64urlencode
    key = Vapid()
    key.generate_keys()
    return b64urlencode(
        key.private_key.private_numbers().private_value.to_bytes(32, 'big'))


def staff(world):
    "staff_users of world, each with an e-mail address (login@example.com)."
    User = Pool().get('res.user')
    users = staff_users(world)
    for user in users.photographers + [users.manager]:
        User.write([user], {'email': f'{user.login}@example.com'})
    return users


class PhotoNotifyTestCase(
        CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_notify module"
    module = 'photo_notify'
    extras = ['photo_payment', 'photo_portal', 'photo_telegram']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.smtp = cls.enterClassContext(SMTPServer())
        cls.telegram = cls.enterClassContext(FakeBotAPI())
        cls.push = cls.enterClassContext(FakePushService())
        cls.fcm = cls.enterClassContext(FakeFCM())
        cls.sms = cls.enterClassContext(FakeSms())
        start_fakes(cls)
        for section, key, value in [
                ('email', 'uri', f'smtp://127.0.0.1:{cls.smtp.port}'),
                ('email', 'from', 'studio@example.com'),
                ('photo_notify', 'portal_url', 'https://studio.example.com'),
                ('photo_notify', 'telegram_token', TOKEN),
                ('photo_notify', 'telegram_api', cls.telegram.base_url),
                ('photo_notify', 'vapid_private_key', new_vapid_key()),
                ('photo_notify', 'webpush_hosts', '127.0.0.1'),
                ('photo_notify', 'fcm_credentials',
                    json.dumps(cls.fcm.service_account())),
                ('photo_notify', 'fcm_api', cls.fcm.origin),
                ('photo_notify', 'sms_api', cls.sms.url),
                ('photo_notify', 'sms_api_id', API_ID),
                ]:
            set_config(cls.addClassCleanup, section, key, value)

    @with_transaction()
    def test_portal_leaves_the_client_mail_to_the_outbox(self):
        "With notifications on, the portal does not mail a booking itself"
        Booking = Pool().get('photo.booking')
        self.assertFalse(Booking().portal_mails_client())

    def setUp(self):
        super().setUp()
        configure(self)
        self.smtp.messages.clear()
        self.telegram.sent.clear()
        self.telegram.blocked.clear()
        for fake in [self.push.received, self.push.refused, self.push.gone,
                self.fcm.sent, self.fcm.unregistered, self.sms.sent,
                self.sms.codes]:
            fake.clear()

    def book(self, world, start, email='anna@example.com', submit=True,
            **values):
        Booking = Pool().get('photo.booking')
        booking = Booking.create_hold(world.service, start, world.client,
            world.studio, email=email, source='web', **values)
        if submit:
            Booking.submit([booking])
        return booking

    def rows(self, booking, **where):
        return [n for n in booking.notifications
            if all(getattr(n, k) == v for k, v in where.items())]

    def send_due(self, now=None):
        "Claim and deliver what is due, as a dispatcher's batch does."
        Notification = Pool().get('photo.notification')
        return Notification.deliver(Notification.claim(now=now), now=now)

    def dead_client_row(self, booking, error):
        "The client's news of booking confirmed, dead of error."
        row, = self.rows(booking, event='confirmed', recipient='client')
        self.assertEqual(row.state, 'dead')
        self.assertIn(error, row.last_error)
        return row

    def assert_next_by_email(self, world, **values):
        "The client's news of a new booking go by e-mail."
        booking = self.book(world, local(world.studio, tomorrow(3), 13),
            **values)
        self.assertEqual([n.channel for n in self.rows(
                    booking, event='confirmed', recipient='client')],
            ['email'])

    # --- events and reminders ---------------------------------------------

    @with_transaction()
    def test_confirmed_booking_tells_client_and_photographer(self):
        "A confirmed booking writes the client's and photographer's mails"
        world = create_world()
        staff(world)
        start = local(world.studio, tomorrow(3), 11)

        booking = self.book(world, start)

        confirmed = self.rows(booking, event='confirmed')
        self.assertEqual(
            sorted((n.recipient, n.channel, n.address, n.state)
                for n in confirmed), [
                ('client', 'email', 'anna@example.com', 'pending'),
                ('photographer', 'email', 'anna@example.com', 'pending')])
        reminders = self.rows(booking, event='reminder')
        self.assertEqual(sorted(n.scheduled_at for n in reminders),
            [start - 24 * H, start - H])

    @with_transaction()
    def test_booked_inside_window_skips_reminder(self):
        "Booked for in three hours: only the 1 h reminder is planned"
        world = create_world(opening=(dt.time(0), dt.time(23, 59)),
            working=(dt.time(0), dt.time(23, 59)))
        start = soon(world.studio, hours=4)
        booking = self.book(world, start)
        self.assertEqual([n.scheduled_at for n in self.rows(
                    booking, event='reminder')], [start - H])

    @with_transaction()
    def test_reschedule_replans_reminders(self):
        "Moving a booking withdraws its reminders and plans new ones"
        Booking = Pool().get('photo.booking')
        world = create_world()
        start = local(world.studio, tomorrow(3), 11)
        booking = self.book(world, start)
        new_start = local(world.studio, tomorrow(4), 15)

        Booking.reschedule(booking, new_start)

        live = self.rows(booking, event='reminder', state='pending')
        self.assertEqual(sorted(n.scheduled_at for n in live),
            [new_start - 24 * H, new_start - H])
        self.assertEqual(
            len(self.rows(booking, event='reminder', state='withdrawn')), 2)
        moved, = self.rows(booking, event='rescheduled', recipient='client')
        self.assertEqual(moved.state, 'pending')

    @with_transaction()
    def test_cancel_withdraws_reminders(self):
        "A cancelled booking is reminded of never; both sides are told"
        Booking = Pool().get('photo.booking')
        world = create_world()
        booking = self.book(world, local(world.studio, tomorrow(3), 11))

        Booking.cancel_by_client(booking)

        self.assertEqual({n.state for n in self.rows(
                    booking, event='reminder')}, {'withdrawn'})
        self.assertEqual(len(self.rows(
                    booking, event='cancelled_by_client', recipient='client')),
            1)

    @with_transaction()
    def test_hold_released_tells_nobody(self):
        "A hold the client let lapse is no news to anyone"
        Booking = Pool().get('photo.booking')
        world = create_world()
        booking = self.book(
            world, local(world.studio, tomorrow(3), 11), submit=False)
        Booking.release_expired_holds(now=utc_now() + H)
        self.assertEqual(booking.state, 'cancelled')
        self.assertEqual(booking.notifications, ())

    @with_transaction()
    def test_event_written_once(self):
        "Writing the same event again keeps the one notification"
        Notification = Pool().get('photo.notification')
        world = create_world()
        booking = self.book(world, local(world.studio, tomorrow(3), 11))
        count = len(booking.notifications)
        Notification.enqueue('confirmed', f'photo.booking,{booking.id}',
            booking)
        self.assertEqual(len(Notification.search(
                    [('booking', '=', booking.id)])), count)

    # --- e-mail -----------------------------------------------------------

    @with_transaction()
    def test_email_in_client_language_with_calendar(self):
        "The client reads their confirmation in Russian, with the .ics"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Party = pool.get('party.party')
        world = create_world()
        ru, = Lang.search([('code', '=', 'ru')])
        Lang.load_translations([ru])
        Party.write([world.client], {'lang': ru.id})
        start = local(world.studio, tomorrow(3), 11)
        booking = self.book(world, start)

        self.send_due()

        mail, = [m for m in self.smtp.wait(1)
            if m['To'] == 'anna@example.com']
        self.assertEqual(mail['Subject'],
            f'Запись {booking.number} подтверждена')
        self.assertIsNone(mail['List-Unsubscribe'])
        text = mail.get_body(('plain',)).get_content()
        html = mail.get_body(('html',)).get_content()
        self.assertIn('Здравствуйте, Anna Client!', text)
        self.assertIn(f'/booking/{booking.token}', text)
        self.assertIn(f'href="https://studio.example.com/booking/'
            f'{booking.token}"', html)
        calendar, = [p for p in mail.iter_attachments()
            if p.get_content_type() == 'text/calendar']
        self.assertIn(f'DTSTART:{start:%Y%m%dT%H%M%S}Z',
            calendar.get_content())
        notification, = self.rows(booking, event='confirmed',
            recipient='client')
        self.assertEqual(notification.state, 'sent')
        self.assertEqual(mail['Message-ID'], outbox_message_id(
                notification.key))

    @with_transaction()
    def test_reminder_is_sent_once_when_due_with_unsubscribe(self):
        "The 24 h reminder leaves when due, once, with List-Unsubscribe"
        world = create_world()
        start = local(world.studio, tomorrow(3), 11)
        booking = self.book(world, start)
        self.send_due()
        self.smtp.messages.clear()

        self.send_due(now=start - 24 * H - dt.timedelta(minutes=1))
        self.assertEqual(self.smtp.messages, [])
        self.send_due(now=start - 24 * H)
        self.send_due(now=start - 24 * H + dt.timedelta(minutes=1))

        mail, = self.smtp.wait(1)
        self.assertTrue(mail['Subject'].startswith('Reminder: Portrait'))
        self.assertEqual(mail['List-Unsubscribe'],
            '<https://studio.example.com/account/profile>')
        self.assertEqual([n.state for n in self.rows(
                    booking, event='reminder')].count('sent'), 1)

    @with_transaction()
    def test_smtp_4xx_retries_5xx_dead(self):
        "A busy mailbox is tried again later; an unknown one is given up"
        world = create_world()
        busy = self.book(world, local(world.studio, tomorrow(3), 11),
            email='busy@example.com')
        gone = self.book(world, local(world.studio, tomorrow(3), 13),
            email='gone@example.com')
        now = utc_now()

        self.send_due(now=now)

        retried, = self.rows(busy, event='confirmed', recipient='client')
        self.assertEqual((retried.state, retried.attempts),
            ('pending', 1))
        self.assertGreater(retried.scheduled_at, now)
        self.assertIn('451', retried.last_error)
        dead, = self.rows(gone, event='confirmed', recipient='client')
        self.assertEqual(dead.state, 'dead')
        self.assertIn('550', dead.last_error)

    @with_transaction()
    def test_channel_down_an_hour_loses_nothing(self):
        """The mail server unreachable for an hour, each retry at the
        shortest wait jitter allows: no row becomes a dead letter, and
        every one leaves, once, when the server is back"""
        world = create_world()
        bookings = [self.book(world, local(world.studio, tomorrow(3), hour),
                email=f'client{hour}@example.com') for hour in [11, 13]]
        rows = [n for b in bookings for n in self.rows(b)
            if n.state == 'pending' and n.channel == 'email'
            and n.event != 'reminder']
        self.assertEqual(len(rows), 2)  # the clients' news
        with socket.socket() as closed:
            closed.bind(('127.0.0.1', 0))
            port = closed.getsockname()[1]
        set_config(self.addCleanup, 'email', 'uri', f'smtp://127.0.0.1:{port}')
        down = utc_now()
        now = down
        with patch('random.uniform', lambda low, high: low):
            while now - down <= H:
                self.send_due(now=now)
                self.assertEqual({n.state for n in rows}, {'pending'},
                    [(n.attempts, n.last_error) for n in rows])
                now = min(n.scheduled_at for n in rows)
            self.assertEqual({n.attempts for n in rows}, {7})
            set_config(self.addCleanup, 'email', 'uri',
                f'smtp://127.0.0.1:{self.smtp.port}')
            self.send_due(now=now)

        self.assertEqual({n.state for n in rows}, {'sent'})
        self.assertEqual(sorted(m['To'] for m in self.smtp.wait(2)), sorted(
                n.address for n in rows))

    @with_transaction()
    def test_dead_after_attempts_then_retry_and_discard(self):
        "After N failures a dead letter; a manager retries or discards it"
        pool = Pool()
        Notification = pool.get('photo.notification')
        world = create_world()
        set_config(self.addCleanup, 'photo_notify', 'attempts', '2')
        booking = self.book(world, local(world.studio, tomorrow(3), 11),
            email='busy@example.com')
        notification, = self.rows(booking, event='confirmed',
            recipient='client')
        later = utc_now()
        for _ in range(2):
            later += 7 * H
            self.send_due(now=later)
        self.assertEqual((notification.state, notification.attempts),
            ('dead', 2))

        Notification.retry([notification])
        self.assertEqual((notification.state, notification.attempts),
            ('pending', 0))
        Notification.discard([notification])
        self.assertEqual(notification.state, 'discarded')

    @with_transaction()
    def test_template_error_is_a_dead_letter_not_a_crash(self):
        "A row that cannot be rendered dies alone; the batch goes on"
        pool = Pool()
        Notification = pool.get('photo.notification')
        world = create_world()
        broken = self.book(world, local(world.studio, tomorrow(3), 11))
        fine = self.book(world, local(world.studio, tomorrow(3), 13),
            email='boris@example.com')
        row, = self.rows(broken, event='confirmed', recipient='client')
        Notification.write([row], {'language': 'xx'})
        # An event without messages cannot be rendered
        Notification.write([row], {'event': 'done'})

        self.send_due()

        self.assertEqual(row.state, 'dead')
        self.assertIn('msg_done_client_subject', row.last_error)
        sent, = self.rows(fine, event='confirmed', recipient='client')
        self.assertEqual(sent.state, 'sent')

    # --- channels and preferences -----------------------------------------

    @with_transaction()
    def test_telegram_preferred_falls_back_to_email(self):
        """A client who chose Telegram gets it there once linked; without
        a chat, by e-mail"""
        pool = Pool()
        WebUser = pool.get('web.user')
        Party = pool.get('party.party')
        world = create_world()
        user, = WebUser.create([{'email': 'anna@example.com',
                    'party': world.client.id,
                    'telegram_notifications': True}])
        first = self.book(world, local(world.studio, tomorrow(3), 11),
            web_user=user)
        Party.write([world.client], {'telegram_chat': '4242'})
        second = self.book(world, local(world.studio, tomorrow(3), 13),
            web_user=user)

        self.assertEqual([n.channel for n in self.rows(
                    first, event='confirmed', recipient='client')], ['email'])
        by_telegram, = self.rows(second, event='confirmed',
            recipient='client')
        self.assertEqual((by_telegram.channel, by_telegram.address),
            ('telegram', '4242'))

        self.send_due()

        (chat, text, markup, _), = [s for s in self.telegram.sent]
        self.assertEqual(chat, 4242)
        self.assertTrue(text.startswith(f'Booking {second.number} confirmed'))
        self.assertEqual(markup['inline_keyboard'][0][0]['url'],
            f'https://studio.example.com/booking/{second.token}')
        self.assertEqual(by_telegram.state, 'sent')

    @with_transaction()
    def test_telegram_blocked_chat_stops_and_falls_back(self):
        "A chat that blocked the bot is marked; later news go by e-mail"
        pool = Pool()
        WebUser = pool.get('web.user')
        Party = pool.get('party.party')
        Blocked = pool.get('photo.notification.blocked')
        world = create_world()
        Party.write([world.client], {'telegram_chat': '777'})
        user, = WebUser.create([{'email': 'anna@example.com',
                    'party': world.client.id,
                    'telegram_notifications': True}])
        self.telegram.blocked.add(777)
        first = self.book(world, local(world.studio, tomorrow(3), 11),
            web_user=user)

        self.send_due()

        row = self.dead_client_row(first, 'blocked')
        self.assertEqual(len(Blocked.search([('address', '=', '777')])), 1)
        # Addresses are stored encrypted, the outbox's and the blocked one.
        cursor = Transaction().connection.cursor()
        for Model, id_ in [(type(row), row.id), (Blocked, None)]:
            table = Model.__table__()
            cursor.execute(*table.select(table.address,
                    where=(table.id == id_) if id_ else None))
            stored, = cursor.fetchone()
            self.assertTrue(stored.startswith('v1:'), stored)
        self.assert_next_by_email(world, web_user=user)

    @with_transaction()
    def test_telegram_one_message_a_second_per_chat(self):
        "Three news to one chat reach it, never two within a second"
        pool = Pool()
        Preference = pool.get('photo.notification.preference')
        world = create_world()
        users = staff(world)
        Preference.create([{'user': users.photographers[0].id,
                    'channel': 'telegram', 'address': '555'}])
        for hour in [11, 13, 15]:
            self.book(world, local(world.studio, tomorrow(3), hour))

        self.send_due()

        times = [t for chat, _, _, t in self.telegram.sent if chat == 555]
        self.assertEqual(len(times), 3)
        self.assertEqual(self.telegram.flood_refused, 0)
        self.assertTrue(all(b - a >= 0.99 for a, b in zip(times, times[1:])))

    @with_transaction()
    def test_photographer_sees_own_notifications_only(self):
        "A photographer reads the notifications of their bookings only"
        pool = Pool()
        Notification = pool.get('photo.notification')
        world = create_world(photographers=2, equipment_quantity=2)
        users = staff(world)
        anna, boris = world.photographers
        mine = self.book(world, local(world.studio, tomorrow(3), 11),
            photographer=anna)
        self.book(world, local(world.studio, tomorrow(3), 11),
            photographer=boris)
        with as_user(users.photographers[0]):
            seen = Notification.search([])
        self.assertTrue(seen)
        self.assertEqual({n.booking.id for n in seen}, {mine.id})

    # --- web push, FCM, SMS -----------------------------------------------

    def subscribe(self, party, key=None):
        "A browser of party subscribed (to the fake push service)."
        from trytond.modules.photo_notify.channel_webpush import (
            application_server_key)
        Device = Pool().get('photo.notification.device')
        subscription = self.push.subscribe(key or application_server_key())
        Device.subscribe(party, subscription, user_agent='Test browser')
        return subscription

    @with_transaction()
    def test_webpush_round_trip(self):
        """A client who turned push on is told on their browser: the push
        service checks the VAPID signature and the browser's keys decrypt
        the payload, whose link opens the booking"""
        world = create_world()
        subscription = self.subscribe(world.client)
        booking = self.book(world, local(world.studio, tomorrow(3), 11))
        row, = self.rows(booking, event='confirmed', recipient='client')
        self.assertEqual((row.channel, row.address),
            ('webpush', subscription['endpoint']))

        self.send_due()

        self.assertEqual(self.push.refused, [])
        received, = self.push.received
        payload = received['payload']
        self.assertEqual(payload['title'], f'Booking {booking.number} confirmed')
        self.assertIn(world.service.rec_name, payload['body'])
        self.assertEqual(payload['url'],
            f'https://studio.example.com/booking/{booking.token}')
        self.assertEqual(payload['tag'], row.key)
        self.assertEqual(received['claims']['sub'],
            'mailto:studio@example.com')
        self.assertEqual(received['claims']['aud'], self.push.origin)
        self.assertEqual(received['ttl'], 24 * 3600)
        self.assertEqual(row.state, 'sent')

    @with_transaction()
    def test_push_turned_on_after_booking_takes_the_reminders(self):
        """Push turned on after booking: the coming reminders go to the
        browser, the e-mail ones are withdrawn; the browser gone, they go
        back to e-mail"""
        world = create_world()
        booking = self.book(world, local(world.studio, tomorrow(3), 11))
        self.assertEqual({n.channel for n in self.rows(
                    booking, event='reminder', state='pending')}, {'email'})

        subscription = self.subscribe(world.client)

        pending = self.rows(booking, event='reminder', state='pending')
        self.assertEqual({(n.channel, n.address) for n in pending},
            {('webpush', subscription['endpoint'])})
        self.assertEqual(len(pending), 2)
        self.assertEqual(len(self.rows(
                    booking, event='reminder', state='withdrawn')), 2)

        Pool().get('photo.notification.device').forget(
            'webpush', [subscription['endpoint']])
        self.assertEqual({n.channel for n in self.rows(
                    booking, event='reminder', state='pending')}, {'email'})

    @with_transaction()
    def test_webpush_every_device_of_the_client(self):
        "Two browsers subscribed: each gets its own notification, once"
        world = create_world()
        phone = self.subscribe(world.client)
        laptop = self.subscribe(world.client)
        booking = self.book(world, local(world.studio, tomorrow(3), 11))

        self.send_due()
        self.send_due()

        rows = self.rows(booking, event='confirmed', recipient='client')
        self.assertEqual(sorted(r.address for r in rows),
            sorted([phone['endpoint'], laptop['endpoint']]))
        self.assertEqual(sorted(r['endpoint'] for r in self.push.received),
            sorted([phone['endpoint'], laptop['endpoint']]))

    @with_transaction()
    def test_webpush_gone_subscription_is_removed(self):
        """A subscription the push service answers 410 for is deleted; the
        client's later news go by e-mail"""
        Device = Pool().get('photo.notification.device')
        world = create_world()
        subscription = self.subscribe(world.client)
        self.push.gone.add(subscription['endpoint'])
        first = self.book(world, local(world.studio, tomorrow(3), 11))

        self.send_due()

        self.dead_client_row(first, '410')
        self.assertEqual(Device.search([]), [])
        self.assert_next_by_email(world)

    @with_transaction()
    def test_webpush_wrong_vapid_key_refused(self):
        """A subscription made for another server's key refuses our
        pushes (RFC 8292 403): a dead letter, nothing delivered"""
        from trytond.modules.photo_notify.channel_webpush import (
            application_server_key)
        from py_vapid import Vapid
        other = Vapid()
        other.generate_keys()
        world = create_world()
        self.subscribe(world.client, key=application_server_key(other))
        booking = self.book(world, local(world.studio, tomorrow(3), 11))

        self.send_due()

        self.dead_client_row(booking, '403')
        self.assertEqual(self.push.received, [])

    @with_transaction()
    def test_push_subscription_checked(self):
        "Only a subscription of a push service, with valid keys, is kept"
        from trytond.modules.photo_notify.exceptions import DeviceError
        Device = Pool().get('photo.notification.device')
        world = create_world()
        good = self.push.subscribe('BAAA')
        for bad in [
                None, {}, {'endpoint': 'https://attacker.example/x',
                    'keys': good['keys']},
                {**good, 'keys': {'p256dh': 'AAAA', 'auth': good['keys'][
                            'auth']}},
                {**good, 'keys': {'p256dh': good['keys']['p256dh'],
                        'auth': '!!'}},
                ]:
            with self.subTest(bad=bad), self.assertRaises(DeviceError):
                Device.subscribe(world.client, bad)
        Device.subscribe(world.client, good)
        Device.subscribe(world.client, good)
        self.assertEqual(len(Device.search([])), 1)

    def use_fcm(self, world, token='fcm-token-1'):
        Device = Pool().get('photo.notification.device')
        Device.register_token(world.client, token)
        return token

    @with_transaction()
    def test_staff_device_first_then_removed(self):
        """A photographer's device (of their party) is told first and
        marked used; removed in the back office, their channels take
        over"""
        Device = Pool().get('photo.notification.device')
        world = create_world()
        users = staff(world)
        Device.register_token(world.photographer.party, 'staff-token')
        first = self.book(world, local(world.studio, tomorrow(3), 11))
        row, = self.rows(first, event='confirmed', recipient='photographer')
        self.assertEqual((row.channel, row.address), ('fcm', 'staff-token'))

        self.send_due()

        self.assertEqual(row.state, 'sent')
        device, = Device.search([('address', '=', 'staff-token')])
        self.assertIsNotNone(device.last_used)
        with Transaction().set_user(users.photographers[0].id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Device.search([]), [device])
            Device.delete([device])
        second = self.book(world, local(world.studio, tomorrow(3), 13))
        self.assertEqual([n.channel for n in self.rows(
                    second, event='confirmed', recipient='photographer')],
            ['email'])

    @with_transaction()
    def test_fcm_message_through_v1_api(self):
        """The app's token gets the news through FCM's v1 API, authorised
        by the service account's OAuth token"""
        world = create_world()
        token = self.use_fcm(world)
        booking = self.book(world, local(world.studio, tomorrow(3), 11))
        row, = self.rows(booking, event='confirmed', recipient='client')
        self.assertEqual((row.channel, row.address), ('fcm', token))

        self.send_due()

        message, = self.fcm.sent
        self.assertEqual(message['token'], token)
        self.assertEqual(message['notification']['title'],
            f'Booking {booking.number} confirmed')
        self.assertEqual(message['data']['url'],
            f'https://studio.example.com/booking/{booking.token}')
        self.assertEqual(message['android']['collapse_key'],
            message['apns']['headers']['apns-collapse-id'])
        self.assertGreaterEqual(self.fcm.token_requests, 1)
        self.assertEqual(row.state, 'sent')

    @with_transaction()
    def test_fcm_unregistered_token_dropped(self):
        "A token FCM calls UNREGISTERED is dropped; e-mail takes over"
        Device = Pool().get('photo.notification.device')
        world = create_world()
        token = self.use_fcm(world)
        self.fcm.unregistered.add(token)
        first = self.book(world, local(world.studio, tomorrow(3), 11))

        self.send_due()

        self.dead_client_row(first, 'UNREGISTERED')
        self.assertEqual(Device.search([]), [])
        self.assert_next_by_email(world)

    @with_transaction()
    def test_fcm_outage_retried(self):
        "FCM unavailable (503): tried again later, not given up"
        world = create_world()
        self.use_fcm(world)
        self.fcm.unavailable = True
        self.addCleanup(setattr, self.fcm, 'unavailable', False)
        booking = self.book(world, local(world.studio, tomorrow(3), 11))

        self.send_due()

        row, = self.rows(booking, event='confirmed', recipient='client')
        self.assertEqual((row.state, row.attempts), ('pending', 1))
        self.assertIn('503', row.last_error)

    @with_transaction()
    def test_sms_only_to_who_chose_it(self):
        """A photographer who chose SMS gets the booking by SMS.ru's API;
        the client, who did not, gets no SMS"""
        Preference = Pool().get('photo.notification.preference')
        world = create_world()
        users = staff(world)
        Preference.create([{'user': users.photographers[0].id,
                    'channel': 'sms', 'address': '+7 (900) 123-45-67'}])
        booking = self.book(world, local(world.studio, tomorrow(3), 11),
            phone='+7 911 000-00-00')

        self.send_due()

        sms, = self.sms.sent
        self.assertEqual(sms['to'], '79001234567')
        self.assertTrue(sms['msg'].startswith(f'New booking {booking.number}'))
        self.assertTrue(sms['msg'].endswith(
                f'/admin/#{Transaction().database.name}/model/photo.booking/'
                f'{booking.id}'))
        row, = self.rows(booking, event='confirmed', recipient='photographer')
        self.assertEqual((row.channel, row.state), ('sms', 'sent'))
        client, = self.rows(booking, event='confirmed', recipient='client')
        self.assertEqual(client.channel, 'email')

    @with_transaction()
    def test_sms_refused_number_dead_busy_gateway_retried(self):
        "SMS.ru refuses the number (202): dead letter; unavailable (220): later"
        Preference = Pool().get('photo.notification.preference')
        world = create_world(photographers=2, equipment_quantity=2)
        users = staff(world)
        anna, boris = world.photographers
        Preference.create([
                {'user': users.photographers[0].id, 'channel': 'sms',
                    'address': '79000000202'},
                {'user': users.photographers[1].id, 'channel': 'sms',
                    'address': '79000000220'}])
        self.sms.codes.update({'79000000202': 202, '79000000220': 220})
        refused = self.book(world, local(world.studio, tomorrow(3), 11),
            photographer=anna)
        busy = self.book(world, local(world.studio, tomorrow(3), 11),
            photographer=boris)

        self.send_due()

        dead, = self.rows(refused, event='confirmed',
            recipient='photographer')
        self.assertEqual(dead.state, 'dead')
        self.assertIn('202', dead.last_error)
        later, = self.rows(busy, event='confirmed', recipient='photographer')
        self.assertEqual(later.state, 'pending')
        self.assertIn('220', later.last_error)
        self.assertEqual(self.sms.sent, [])

    # --- claims -----------------------------------------------------------

    @with_transaction()
    def test_claims_do_not_overlap_and_leases_expire(self):
        "A claimed row is not claimed again until its worker's lease ends"
        Notification = Pool().get('photo.notification')
        world = create_world()
        for hour in [11, 13, 15]:
            self.book(world, local(world.studio, tomorrow(3), hour))
        now = utc_now()
        first = Notification.claim(2, now=now)
        rest = Notification.claim(100, now=now)
        self.assertFalse(set(first) & set(rest))
        self.assertEqual(Notification.claim(100, now=now), [])
        # The worker died: after its lease the rows are claimed again
        again = Notification.claim(100, now=now + dt.timedelta(minutes=6))
        self.assertEqual(set(again), set(first) | set(rest))

    @with_transaction()
    def test_worker_died_while_sending(self):
        """A mail in flight when its worker died is sent again (same
        Message-ID); a Telegram message is not: its outcome is unknown"""
        pool = Pool()
        Notification = pool.get('photo.notification')
        Preference = pool.get('photo.notification.preference')
        world = create_world()
        users = staff(world)
        Preference.create([{'user': users.photographers[0].id,
                    'channel': 'telegram', 'address': '555'}])
        booking = self.book(world, local(world.studio, tomorrow(3), 11))
        now = utc_now()
        claimed = Notification.claim(100, now=now)
        mail, = self.rows(booking, event='confirmed', recipient='client')
        chat, = self.rows(booking, event='confirmed',
            recipient='photographer')
        self.assertEqual(set(claimed), {mail.id, chat.id})
        Notification.write([mail, chat], {'in_flight': now})

        again = Notification.claim(100, now=now + dt.timedelta(minutes=6))

        self.assertEqual(again, [mail.id])
        self.assertEqual(chat.state, 'dead')
        self.assertIn('may have been delivered', chat.last_error)

    # --- requests that wait -----------------------------------------------

    @with_transaction()
    def test_request_alert_reminder_warning_and_lapse_with_refund(self):
        """A paid request: the photographer is alerted and reminded, the
        managers warned; at the deadline it lapses, the prepayment is
        refunded and the client and photographer are told"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        stripe_gateway, _ = create_gateways()
        world = create_paid_world(confirmation='manual')
        staff(world)
        booking = hold(world, day=tomorrow(5))
        with Transaction().set_context(
                photo_payment_gateway=stripe_gateway.id):
            Booking.submit([booking])
            run_queued()
        payment, = booking.transactions
        self.stripe.succeed(payment.gateway_id)
        Payment.reconcile()
        self.assertEqual(booking.state, 'requested')
        requested_at = utc_now()

        waiting, = self.rows(booking, event='request_waiting')
        self.assertAlmostEqual(waiting.scheduled_at, requested_at + 2 * H,
            delta=dt.timedelta(minutes=1))
        expiring = self.rows(booking, event='request_expiring')
        self.assertEqual({n.recipient for n in expiring}, {'manager'})
        self.assertAlmostEqual(expiring[0].scheduled_at,
            requested_at + 22 * H, delta=dt.timedelta(minutes=1))
        self.assertEqual(len(self.rows(booking, event='requested',
                    recipient='photographer')), 1)
        paid, = self.rows(booking, event='payment_succeeded')
        self.assertEqual(paid.amount, '1500.00 RUB')

        self.assertEqual(Booking.lapse_requests(
                now=requested_at + 23 * H), [])
        lapsed = Booking.lapse_requests(now=requested_at + 25 * H)

        self.assertEqual(lapsed, [booking])
        self.assertEqual((booking.state, booking.cancelled_by),
            ('cancelled', 'studio'))
        refund, = payment.refunds
        self.assertEqual(refund.amount, Decimal('1500.00'))
        self.assertEqual({n.recipient for n in self.rows(
                    booking, event='request_expired')},
            {'client', 'photographer'})
        self.assertEqual(self.rows(booking, event='cancelled_by_studio'), [])
        self.assertEqual({n.state for n in self.rows(
                    booking, event='request_waiting')}, {'withdrawn'})

    @with_transaction()
    def test_approved_request_withdraws_its_timers(self):
        "Approving a request ends its reminders to the photographer"
        Booking = Pool().get('photo.booking')
        world = create_world(confirmation='manual')
        staff(world)
        booking = self.book(world, local(world.studio, tomorrow(3), 11))
        self.assertEqual(booking.state, 'requested')
        Booking.approve([booking])
        self.assertEqual({n.state for n in self.rows(
                    booking, event='request_waiting')}, {'withdrawn'})
        self.assertEqual(len(self.rows(booking, event='reminder')), 2)

    @with_transaction()
    def test_bad_reminder_offsets_refused(self):
        "A service's reminders must be hours before the shoot"
        from trytond.model.exceptions import ValidationError
        Service = Pool().get('photo.service')
        world = create_world()
        with self.assertRaises(ValidationError):
            Service.write([world.service], {'reminder_offsets': '24h'})
        Service.write([world.service], {'reminder_offsets': '48, 2'})
        self.assertEqual(world.service.reminders, [48 * H, 2 * H])


def outbox_message_id(key):
    from trytond.modules.photo_notify import outbox
    return outbox.message_id(key, 'example.com')


del ModuleTestCase, policy
