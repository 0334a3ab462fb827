"""Google Calendar two-way sync, through the real google-api-python-client,
google-auth and google-auth-oauthlib, against the local fake of Google's
OAuth endpoints and Calendar v3 (fake_google.py)."""
import datetime as dt
import json
import os
from unittest.mock import patch
from urllib.parse import parse_qs, quote, urlsplit

import icalendar

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.common import aware
from trytond.modules.photo_booking.tests.cases import (
    ModuleTestCase, RouteTestCase)
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, local, set_config, staff_users, tomorrow)

# The pool's modules, not the copies pytest imports by folder name.
from trytond.modules.photo_calendar import google_api
from trytond.modules.photo_calendar.exceptions import GoogleConnectError

from .fake_google import FakeGoogle
from .test_module import book
from .tools import run_queue

PUBLIC_URL = 'http://studio.example'


def start_google(case):
    """Start the fake Google for the test class case and point the suite's
    [photo_calendar] keys at it."""
    case.google = FakeGoogle().start()
    case.addClassCleanup(case.google.stop)
    for key, value in case.google.settings().items():
        set_config(case.addClassCleanup, 'photo_calendar', key, value)
    # oauthlib refuses plain http unless told: the fake is not https.
    insecure = patch.dict(os.environ, {'OAUTHLIB_INSECURE_TRANSPORT': '1'})
    insecure.start()
    case.addClassCleanup(insecure.stop)


class GoogleTestCase(ModuleTestCase):
    "Google Calendar sync"
    module = 'photo_calendar'

    @classmethod
    def setUpClass(cls):
        start_google(cls)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.google.fail.clear()
        self.google.requests.clear()

    def world(self, push=False, photographers=1, details=False):
        """A studio whose photographers each have a Google calendar, of an
        account of their own at Google (self.account[photographer])."""
        Calendar = Pool().get('photo.calendar')
        self.w = create_world(photographers=photographers,
            equipment_quantity=photographers)
        self.account = {p: f'{p.name}.{self.id()}'
            for p in self.w.photographers}
        self.calendars = Calendar.create([{
                    'photographer': p.id, 'name': "Google",
                    'kind': 'google', 'push': push, 'details': details,
                    'secret': self.google.grant(self.account[p]),
                    } for p in self.w.photographers])
        self.anna = self.w.photographers[0]
        return self.calendars[0]

    def starts(self, day, photographer=None):
        "The bookable starts of day, naive UTC."
        Booking = Pool().get('photo.booking')
        return [s.start.astimezone(dt.timezone.utc).replace(tzinfo=None)
            for s in Booking.available_slots(self.w.service, day, day,
                studio=self.w.studio,
                photographers=[photographer or self.anna])]

    def add(self, day, hour, hours=2, account=None, **extra):
        start = aware(local(self.w.studio, day, hour))
        return self.google.add_event(account or self.account[self.anna], start,
            start + dt.timedelta(hours=hours), **extra)

    def busy(self):
        Busy = Pool().get('photo.photographer.busy')
        return {b.external_id.split(':', 1)[1]: b
            for b in Busy.search([('source', '=', 'google')])}

    def lists(self):
        "The events.list requests made so far, as (has syncToken, page)."
        return [(bool(q.get('syncToken')), bool(q.get('pageToken')))
            for m, p, q in self.google.requests
            if m == 'GET' and p.endswith('/events')]

    @with_transaction()
    def test_busy_time_pulled_then_changes_only(self):
        """Events of the Google calendar take their slots away, free and
        cancelled ones take nothing; later syncs ask Google only what
        changed since the sync token, and apply it"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        dentist = self.add(day, 11, summary="Dentist")
        self.add(day, 15, transparency='transparent')
        self.add(day, 17, status='cancelled')

        Calendar.sync([calendar])
        first = self.starts(day)
        self.google.delete_event(self.account[self.anna], dentist)
        self.add(day, 16, hours=1)
        self.google.requests.clear()
        Calendar.sync([calendar])
        second = self.starts(day)

        self.assertNotIn(local(self.w.studio, day, 11), first)
        self.assertNotIn(local(self.w.studio, day, 12), first)
        for hour in [10, 13, 15, 16, 17]:
            self.assertIn(local(self.w.studio, day, hour), first)
        self.assertEqual(self.lists(), [(True, False)])
        self.assertIn(local(self.w.studio, day, 11), second)
        self.assertNotIn(local(self.w.studio, day, 16), second)
        self.assertEqual(len(self.busy()), 2)  # the 16:00 and the far end
        self.assertEqual(calendar.failures, 0)
        # No public URL: no push channel, the cron reads it again.
        self.assertFalse([p for _, p, _ in self.google.requests
                if p.endswith('/watch')])
        self.assertFalse(calendar.channel_expires)
        self.assertEqual(calendar.next_sync - calendar.last_sync,
            dt.timedelta(minutes=15))

    @with_transaction()
    def test_only_busy_read_unless_allowed(self):
        """Without "Read Event Titles" only busy or free is kept; with it,
        titles, never those of private events"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        dentist = self.add(day, 11, summary="Dentist")
        secret = self.add(day, 14, summary="Interview", visibility='private')

        Calendar.sync([calendar])
        hidden = {i: b.summary for i, b in self.busy().items()}
        calendar.details = True
        calendar.save()
        Calendar.write([calendar], {'sync_token': None,
                'known_until': None})
        Calendar.sync([calendar])
        shown = {i: b.summary for i, b in self.busy().items()}

        self.assertEqual(hidden[dentist], '')
        self.assertEqual(shown[dentist], "Dentist")
        self.assertEqual(shown[secret], '')

    @with_transaction()
    def test_pages_and_stale_sync_token(self):
        """A calendar read page by page; when Google drops the sync token
        (410 Gone) the calendar is read again in full, missing nothing"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        ids = [self.add(tomorrow(2 + i), 11) for i in range(7)]

        with patch.object(google_api, 'PAGE_SIZE', 3):
            Calendar.sync([calendar])
            paged = self.lists()
            self.google.delete_event(self.account[self.anna], ids[0])
            self.google.expire_sync_tokens()
            self.google.requests.clear()
            Calendar.sync([calendar])

        self.assertEqual(paged, [(False, False), (False, True),
                (False, True)])
        # Six events left: two pages.
        self.assertEqual(self.lists(), [(True, False), (False, False),
                (False, True)])
        self.assertEqual(set(self.busy()) - {'~unknown'}, set(ids[1:]))
        self.assertIn(local(self.w.studio, tomorrow(2), 11),
            self.starts(tomorrow(2)))
        self.assertEqual(calendar.failures, 0)

    @with_transaction()
    def test_bookings_pushed_with_feed_uid_and_sequence(self):
        """A shoot is inserted in the photographer's Google calendar, moved
        and cancelled with it: one event id, the feed's iCalendar UID, a
        SEQUENCE that grows; it never comes back as busy time"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Calendar = pool.get('photo.calendar')
        calendar = self.world(push=True)
        day = tomorrow(2)
        booking = book(self.w, self.anna, day, 11)

        run_queue()
        pushed = self.google.events(self.account[self.anna])
        Calendar.sync([calendar])
        pulled = self.busy()
        Booking.reschedule(booking, local(self.w.studio, day, 14))
        run_queue()
        moved = self.google.events(self.account[self.anna])
        Booking.cancel([booking])
        run_queue()
        cancelled = self.google.events(self.account[self.anna])
        feed = {str(e['uid']): e for e in icalendar.Calendar.from_ical(
                self.anna.feed('localhost')).walk('VEVENT')}

        event_id, = pushed
        event = pushed[event_id]
        self.assertEqual(event['summary'],
            f"Portrait — {self.w.client.rec_name}")
        self.assertEqual(event['status'], 'confirmed')
        self.assertEqual(list(pulled), ['~unknown'])
        self.assertEqual(list(moved), [event_id])
        self.assertEqual(
            dt.datetime.fromisoformat(moved[event_id]['start']['dateTime']),
            aware(local(self.w.studio, day, 14)))
        self.assertGreater(moved[event_id]['sequence'], event['sequence'])
        self.assertEqual(list(cancelled), [event_id])
        self.assertEqual(cancelled[event_id]['status'], 'cancelled')
        self.assertGreater(cancelled[event_id]['sequence'],
            moved[event_id]['sequence'])
        uid = event['iCalUID']
        self.assertEqual(set(feed), {uid})
        self.assertEqual(feed[uid].decoded('sequence'),
            cancelled[event_id]['sequence'])

    @with_transaction()
    def test_reassigned_booking_leaves_first_calendar(self):
        """A shoot handed to another photographer leaves the first one's
        calendar and enters the second one's"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        self.world(push=True, photographers=2)
        anna, boris = self.w.photographers
        day = tomorrow(2)
        booking = book(self.w, anna, day, 11)
        run_queue()
        before = self.google.events(self.account[anna])

        Booking.reschedule(booking, local(self.w.studio, day, 12),
            photographer=boris)
        run_queue()

        event_id, = before
        self.assertEqual(before[event_id]['status'], 'confirmed')
        after = [self.google.events(self.account[p])[event_id]['status']
            for p in [anna, boris]]
        self.assertEqual(after, ['cancelled', 'confirmed'])

    @with_transaction()
    def test_revoked_access_degrades_then_recovers(self):
        """Access revoked at Google (401, then invalid_grant), a 503, a
        429: the busy time of the last good sync still counts, the other
        slots stay, the photographer and managers are told once; told
        again when it is read again"""
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        Notification = pool.get('res.notification')
        calendar = self.world()
        staff = staff_users(self.w)
        day = tomorrow(2)
        self.add(day, 11)
        Calendar.sync([calendar])
        good = calendar.last_sync
        before = self.starts(day)

        self.google.revoke(self.account[self.anna])
        Calendar.sync([calendar])
        revoked = calendar.last_error
        self.google.fail.append(503)
        Calendar.write([calendar], {'secret': self.google.grant(
                    self.account[self.anna])})
        Calendar.sync([calendar])
        failed = calendar.last_error
        self.google.fail.append(429)
        Calendar.sync([calendar])
        quota = calendar.last_error
        failing = (calendar.failures, self.starts(day),
            Notification.search([('model', '=', 'photo.calendar')]))
        Calendar.sync([calendar])

        self.assertIn("refused", revoked)
        self.assertIn("server failed", failed)
        self.assertIn("slow down", quota)
        self.assertEqual(failing[0], 3)
        self.assertEqual(failing[1], before)
        self.assertTrue(before)
        self.assertNotIn(local(self.w.studio, day, 11), before)
        told = {n.user for n in failing[2]}
        self.assertLessEqual({staff.photographers[0], staff.manager}, told)
        self.assertEqual(len(failing[2]), len(told))
        self.assertEqual(calendar.failures, 0)
        self.assertGreaterEqual(calendar.last_sync, good)
        recovered = [n for n in Notification.search(
                [('model', '=', 'photo.calendar')])
            if n not in failing[2]]
        self.assertEqual({n.user for n in recovered}, told)
        self.assertIn("read again", recovered[0].label)
        self.assertEqual({json.loads(n.records)[0] for n in recovered},
            {calendar.id})

    @with_transaction()
    def test_refresh_token_never_shown(self):
        """Nobody reads the refresh token, nor the consent's state or the
        push channel's token; "Connected" says whether there is one"""
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        calendar = self.world()
        empty, = Calendar.create([{'photographer': self.anna.id,
                    'name': "Other", 'kind': 'google'}])
        staff = staff_users(self.w)

        with as_user(staff.manager):
            shown = Calendar.read([calendar.id, empty.id], ['connected'])
            for name in ['secret', 'oauth_state', 'oauth_verifier',
                    'channel_token', 'sync_token']:
                with self.assertRaises(AccessError):
                    Calendar.read([calendar.id], [name])

        self.assertEqual([s['connected'] for s in shown], [True, False])

    @with_transaction()
    def test_connect_without_client_configured(self):
        "Connect Google on a server without its OAuth client says so"
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()

        set_config(self.addCleanup, 'photo_calendar', 'google_client_id', '')

        with self.assertRaises(GoogleConnectError):
            Calendar.google_connect([calendar])


class GoogleRouteTestCase(RouteTestCase):
    "Google's consent answer and push channel routes"
    module = 'photo_calendar'

    @classmethod
    def setUpClass(cls):
        start_google(cls)
        set_config(cls.addClassCleanup, 'photo_calendar', 'public_url',
            PUBLIC_URL)
        super().setUpClass()

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        w = create_world()
        anna, = w.photographers
        users = staff_users(w)
        cls.calendar_id, = [c.id for c in Calendar.create([{
                        'photographer': anna.id, 'name': "Google",
                        'kind': 'google'}])]
        cls.user_id = users.photographers[0].id
        cls.account = anna.name
        cls.day = tomorrow(2)
        cls.eleven = aware(local(w.studio, cls.day, 11))

    def transaction(self):
        return Transaction().start(self.db_name, 0)

    def path(self, url):
        parts = urlsplit(url)
        return parts.path + ('?' + parts.query if parts.query else '')

    def connect(self):
        "Anna presses Connect Google: the URL of Google's consent page."
        with self.transaction():
            Calendar = Pool().get('photo.calendar')
            with as_user(Pool().get('res.user')(self.user_id)):
                action = Calendar.google_connect(
                    [Calendar(self.calendar_id)])
        return action['url']

    def busy(self):
        with self.transaction():
            Busy = Pool().get('photo.photographer.busy')
            return sorted((b.start, b.end) for b in Busy.search(
                    [('source', '=', 'google')]))

    def test_consent_then_push_channel(self):
        """Anna allows access on Google's consent page: the code is
        exchanged (state, PKCE), the calendar read; a push channel opens,
        and Google's messages on it make the calendar read again; forged
        or replayed answers are refused"""
        client = self.client()
        self.google.add_event(self.account, self.eleven,
            self.eleven + dt.timedelta(hours=2))

        url = self.connect()
        query = parse_qs(urlsplit(url).query)
        back = self.google.consent(url, self.account)
        response = client.get(self.path(back))
        replayed = client.get(self.path(back))
        forged = client.get(self.path(back).replace('state=', 'state=x'))
        refused = client.get(
            f'/{quote(self.db_name)}/photo_calendar/google/oauth'
            f'?state={parse_qs(urlsplit(self.connect()).query)["state"][0]}'
            '&error=access_denied')
        pulled = self.busy()

        self.assertEqual(query['client_id'], [self.google.settings()[
                    'google_client_id']])
        self.assertEqual(query['code_challenge_method'], ['S256'])
        self.assertEqual(query['access_type'], ['offline'])
        base = f'{PUBLIC_URL}/{quote(self.db_name)}/photo_calendar/google'
        self.assertEqual(query['redirect_uri'], [f'{base}/oauth'])
        self.assertEqual(response.status_code, 200, response.data)
        self.assertIn(b'connected', response.data)
        self.assertEqual(replayed.status_code, 400)
        self.assertEqual(forged.status_code, 400)
        self.assertEqual(refused.status_code, 400)
        self.assertIn(b'access_denied', refused.data)
        self.assertEqual(pulled[0][0], self.eleven.replace(tzinfo=None))

        # The channel Google was asked to open, and its first message.
        channel, = self.google.channels.values()
        address, headers = self.google.messages[-1]
        self.assertEqual(address, f'{base}/push')
        self.assertEqual(headers['X-Goog-Resource-State'], 'sync')
        path = self.path(address)
        opened = client.post(path, headers=headers)

        two = self.eleven + dt.timedelta(hours=5)
        self.google.add_event(self.account, two,
            two + dt.timedelta(hours=1))
        _, change = self.google.messages[-1]
        forged = client.post(path, headers={**change,
                'X-Goog-Channel-Token': 'guess'})
        unknown = client.post(path, headers={**change,
                'X-Goog-Resource-State': 'maybe'})
        self.assertEqual(len(self.busy()), len(pulled))
        told = client.post(path, headers=change)

        self.assertEqual(opened.status_code, 200)
        self.assertEqual(forged.status_code, 404)
        self.assertEqual(unknown.status_code, 400)
        self.assertEqual(told.status_code, 200)
        self.assertIn((two.replace(tzinfo=None),
                (two + dt.timedelta(hours=1)).replace(tzinfo=None)),
            self.busy())
        with self.transaction():
            calendar = Pool().get('photo.calendar')(self.calendar_id)
            self.assertEqual(calendar.channel_id, channel['id'])
            self.assertTrue(calendar.channel_expires)


del ModuleTestCase, RouteTestCase
