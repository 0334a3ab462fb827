"CalDAV two-way sync against a real Radicale server started here."
import datetime as dt
import json

import icalendar

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.common import aware, utc_now
from trytond.modules.photo_booking.security import calendar_uid
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, local, staff_users, tomorrow)

from trytond.modules.photo_calendar.calendar import own_domain
from .radicale_server import PASSWORD, USER, Radicale
from .test_module import book
from .tools import run_queue


class CalDAVTestCase(ModuleTestCase):
    "CalDAV sync with Radicale"
    module = 'photo_calendar'

    @classmethod
    def setUpClass(cls):
        cls.radicale = Radicale()
        cls.radicale.start()
        cls.addClassCleanup(cls.radicale.stop)
        super().setUpClass()

    def world(self, push=False):
        Calendar = Pool().get('photo.calendar')
        self.w = create_world()
        self.anna, = self.w.photographers
        self.url = self.radicale.new_calendar()
        self.calendar, = Calendar.create([{
                    'photographer': self.anna.id, 'name': "Yandex",
                    'url': self.url, 'username': USER,
                    'password': PASSWORD, 'push': push}])
        return self.calendar

    def two_calendars(self):
        """Two photographers, each with a calendar of their own taking
        pushes: (photographers, urls, calendars)."""
        Calendar = Pool().get('photo.calendar')
        self.w = create_world(photographers=2, equipment_quantity=2)
        urls = [self.radicale.new_calendar() for _ in range(2)]
        calendars = Calendar.create([{
                    'photographer': p.id, 'name': p.name, 'url': u,
                    'username': USER, 'password': PASSWORD, 'push': True}
                for p, u in zip(self.w.photographers, urls)])
        return self.w.photographers, urls, calendars

    def starts(self, day):
        "The bookable starts of day, naive UTC."
        Booking = Pool().get('photo.booking')
        return [s.start.astimezone(dt.timezone.utc).replace(tzinfo=None)
            for s in Booking.available_slots(self.w.service, day, day,
                studio=self.w.studio, photographers=[self.anna])]

    def busy(self):
        Busy = Pool().get('photo.photographer.busy')
        return Busy.search([('source', '=', 'caldav')])

    def put(self, uid, day, hour, hours=2, **kwargs):
        start = aware(local(self.w.studio, day, hour))
        self.radicale.put_event(self.url, uid, start,
            start + dt.timedelta(hours=hours), **kwargs)

    @with_transaction()
    def test_pulled_busy_time_moves_slots(self):
        """An event added in the calendar takes its slots away; deleted,
        they come back; free and cancelled events take nothing"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        self.put('dentist@phone', day, 11)
        self.put('free@phone', day, 15, extra='TRANSP:TRANSPARENT')
        self.put('off@phone', day, 17, extra='STATUS:CANCELLED')

        Calendar.sync([calendar])
        after_add = self.starts(day)
        self.radicale.delete_event(self.url, 'dentist@phone')
        Calendar.sync([calendar])
        after_delete = self.starts(day)

        self.assertNotIn(local(self.w.studio, day, 11), after_add)
        self.assertNotIn(local(self.w.studio, day, 12), after_add)
        for hour in [10, 13, 15, 17]:
            self.assertIn(local(self.w.studio, day, hour), after_add)
        self.assertIn(local(self.w.studio, day, 11), after_delete)
        self.assertEqual([b.external_id.split(':', 1)[1]
                for b in self.busy()], ['~unknown'])
        self.assertEqual(calendar.failures, 0)
        self.assertTrue(calendar.last_sync)

    @with_transaction()
    def test_bookings_pushed_and_not_pulled_back(self):
        """A confirmed shoot appears in the calendar, moves with the
        booking under the same UID with a higher SEQUENCE and stays
        CANCELLED when cancelled, as in the feed; its own event never comes
        back as busy time"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Calendar = pool.get('photo.calendar')
        calendar = self.world(push=True)
        day = tomorrow(2)
        booking = Booking.create_hold(self.w.service,
            local(self.w.studio, day, 11), self.w.client, self.w.studio,
            photographer=self.anna, phone='+79990001122')
        Booking.submit([booking])

        Booking.push_to_calendars([booking])
        pushed = self.radicale.events(self.url)
        Calendar.sync([calendar])
        pulled = self.busy()
        Booking.reschedule(booking, local(self.w.studio, day, 14))
        Booking.push_to_calendars([booking])
        moved = self.radicale.events(self.url)
        Booking.cancel([booking])
        Booking.push_to_calendars([booking])
        cancelled = self.radicale.events(self.url)

        uid, = pushed
        self.assertEqual(str(pushed[uid]['summary']),
            f"Portrait — {self.w.client.rec_name}")
        self.assertEqual(len(pulled), 1)  # the unknown far end only
        self.assertEqual(list(moved), [uid])
        self.assertEqual(moved[uid].decoded('dtstart').astimezone(
                dt.timezone.utc).replace(tzinfo=None),
            local(self.w.studio, day, 14))
        self.assertGreater(moved[uid].decoded('sequence'),
            pushed[uid].decoded('sequence'))
        self.assertEqual(list(cancelled), [uid])
        self.assertEqual(cancelled[uid]['status'], 'CANCELLED')
        self.assertGreater(cancelled[uid].decoded('sequence'),
            moved[uid].decoded('sequence'))
        feed = icalendar.Calendar.from_ical(self.anna.feed('localhost'))
        self.assertEqual(feed.walk('VEVENT')[0].decoded('sequence'),
            cancelled[uid].decoded('sequence'))

    @with_transaction()
    def test_reassigned_booking_leaves_first_calendar(self):
        """A shoot handed to another photographer leaves the first one's
        calendar for the second one's, under the same UID"""
        Booking = Pool().get('photo.booking')
        (anna, boris), urls, _ = self.two_calendars()
        day = tomorrow(2)
        booking = book(self.w, anna, day, 11)
        run_queue()
        before = self.radicale.events(urls[0])

        Booking.reschedule(booking, local(self.w.studio, day, 12),
            photographer=boris)
        run_queue()

        self.assertEqual(len(before), 1)
        self.assertEqual(self.radicale.events(urls[0]), {})
        self.assertEqual(list(self.radicale.events(urls[1])), list(before))

    @with_transaction()
    def test_reassigned_while_failing_leaves_once_read_again(self):
        """A shoot handed to another photographer while the first one's
        calendar refuses leaves it once that calendar is read again; one
        handed back meanwhile stays"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Calendar = pool.get('photo.calendar')
        (anna, boris), urls, (first, _) = self.two_calendars()
        day = tomorrow(2)
        handed, back = (book(self.w, anna, day, hour) for hour in [11, 15])
        Calendar.sync([first])
        run_queue()
        connected = self.radicale.events(urls[0])

        first.password = 'revoked'
        first.save()
        for booking, hour in [(handed, 12), (back, 16)]:
            Booking.reschedule(booking, local(self.w.studio, day, hour),
                photographer=boris)
        run_queue()
        Booking.reschedule(back, local(self.w.studio, day, 17),
            photographer=anna)
        run_queue()
        failing = self.radicale.events(urls[0])
        first = Calendar(first.id)
        first.password = PASSWORD
        first.save()
        Calendar.sync([first])
        run_queue()

        uids = {b.id: f'{calendar_uid(b.token)}@{own_domain()}'
            for b in [handed, back]}
        self.assertEqual(set(connected), set(uids.values()))
        self.assertEqual(set(failing), set(uids.values()))
        after = self.radicale.events(urls[0])
        self.assertEqual(list(after), [uids[back.id]])
        self.assertEqual(after[uids[back.id]].decoded('dtstart').astimezone(
                dt.timezone.utc).replace(tzinfo=None),
            Booking(back.id).start)
        self.assertIn(uids[handed.id], self.radicale.events(urls[1]))
        self.assertEqual(
            pool.get('photo.calendar.removal').search([]), [])

    @with_transaction()
    def test_booking_change_queues_push(self):
        "Confirming a booking queues its push for after the commit"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Queue = pool.get('ir.queue')
        self.world(push=True)
        booking = Booking.create_hold(self.w.service,
            local(self.w.studio, tomorrow(2), 11), self.w.client,
            self.w.studio, photographer=self.anna)

        Booking.submit([booking])

        queued, = [q.data for q in Queue.search([])
            if q.data['method'] == 'push_to_calendars']
        self.assertEqual(list(queued['instances']), [booking.id])

    @with_transaction()
    def test_failing_calendar_keeps_busy_time_and_warns(self):
        """A revoked password, then a server that is gone: the busy time of
        the last good sync still counts, the other slots stay, the
        photographer and managers are told once, retries back off"""
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        Notification = pool.get('res.notification')
        calendar = self.world()
        staff = staff_users(self.w)
        day = tomorrow(2)
        self.put('dentist@phone', day, 11)
        Calendar.sync([calendar])
        good = calendar.last_sync
        before = self.starts(day)

        calendar.password = 'revoked'
        calendar.save()
        Calendar.sync([calendar])
        revoked = (calendar.failures, calendar.last_error,
            calendar.next_sync - calendar.error_at)
        calendar.url = 'http://127.0.0.1:1/anna/gone/'
        calendar.save()
        Calendar.sync([calendar])

        self.assertEqual(revoked[0], 1)
        self.assertIn("refused", revoked[1])
        self.assertEqual(revoked[2], dt.timedelta(minutes=5))
        self.assertEqual(calendar.failures, 2)
        self.assertIn("cannot be reached", calendar.last_error)
        self.assertEqual(calendar.next_sync - calendar.error_at,
            dt.timedelta(minutes=10))
        self.assertEqual(calendar.last_sync, good)
        self.assertEqual(self.starts(day), before)
        self.assertNotIn(local(self.w.studio, day, 11), before)
        self.assertTrue(before)
        self.assertEqual(Calendar.search([('failing', '=', True)]),
            [calendar])
        notified = Notification.search([('model', '=', 'photo.calendar')])
        self.assertLessEqual({staff.photographers[0], staff.manager},
            {n.user for n in notified})
        self.assertEqual(len(notified), len({n.user for n in notified}))
        self.assertEqual({json.loads(n.records)[0] for n in notified},
            {calendar.id})
        # What failed, and since when its busy time is as it was.
        for notification in notified:
            for text in [good.strftime('%d.%m.%Y'), good.strftime('%H:%M')]:
                self.assertIn(text, notification.label)
            self.assertIn("refused", notification.description)

    @with_transaction()
    def test_shoots_missed_while_failing_pushed_once_read_again(self):
        """While the calendar refuses, its pushes fail without stretching
        its back-off (one failure, the next read 5 minutes on); read again,
        it gets the shoots it missed: the new ones, and the cancelled one
        as cancelled"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Calendar = pool.get('photo.calendar')
        calendar = self.world(push=True)
        day = tomorrow(2)
        kept = book(self.w, self.anna, day, 11)
        Calendar.sync([calendar])
        run_queue()
        connected = self.radicale.events(self.url)

        calendar.password = 'revoked'
        calendar.save()
        new = [book(self.w, self.anna, day, hour) for hour in [14, 16]]
        Booking.cancel([kept])
        run_queue()
        calendar = Calendar(calendar.id)
        failing = (calendar.failures, calendar.next_sync - calendar.error_at,
            self.radicale.events(self.url))
        calendar.password = PASSWORD
        calendar.save()
        Calendar.sync([calendar])
        run_queue()
        after = self.radicale.events(self.url)

        uid, = connected
        self.assertEqual(failing[0], 1)
        self.assertLessEqual(failing[1], dt.timedelta(minutes=5))
        self.assertEqual(list(failing[2]), [uid])
        self.assertEqual(len(after), 3)
        self.assertEqual(after[uid]['status'], 'CANCELLED')
        self.assertEqual(sorted(
                e.decoded('dtstart').astimezone(dt.timezone.utc)
                .replace(tzinfo=None) for u, e in after.items() if u != uid),
            [b.start for b in new])
        self.assertEqual(Calendar(calendar.id).failures, 0)

    @with_transaction()
    def test_stale_calendar_blocks_only_what_it_does_not_know(self):
        """A calendar last read long ago still offers the days it read;
        the days past what it read are not offered"""
        calendar = self.world()
        horizon = self.anna.horizon_days

        # Its last good sync was so long ago that it read only 20 days on.
        calendar.pull(utc_now() - dt.timedelta(days=horizon - 13))

        self.assertTrue(self.starts(tomorrow(5)))
        self.assertFalse(self.starts(tomorrow(30)))

    @with_transaction()
    def test_titles_only_when_allowed_never_private(self):
        """Without "Read Event Titles" only busy or free is kept; with it,
        titles, never those of private or confidential events"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        self.put('dentist@phone', day, 11, summary="Dentist")
        self.put('interview@phone', day, 14, summary="Interview",
            extra='CLASS:PRIVATE')
        self.put('doctor@phone', day, 17, summary="Doctor",
            extra='CLASS:CONFIDENTIAL')

        Calendar.sync([calendar])
        hidden = {b.summary for b in self.busy()
            if not b.external_id.endswith('~unknown')}
        calendar.details = True
        calendar.save()
        Calendar.write([calendar], {'sync_token': None})
        Calendar.sync([calendar])
        shown = {b.external_id.split(':', 1)[1]: b.summary
            for b in self.busy()}

        self.assertEqual(hidden, {''})
        self.assertEqual(shown['dentist@phone'], "Dentist")
        self.assertEqual(shown['interview@phone'], '')
        self.assertEqual(shown['doctor@phone'], '')

    @with_transaction()
    def test_shoots_booked_before_pushed_when_connected(self):
        """Shoots booked before the calendar was added come into it at its
        first good sync (not the cancelled ones); a calendar that did not
        push gets them when Push Bookings is switched on"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Calendar = pool.get('photo.calendar')
        self.w = create_world()
        self.anna, = self.w.photographers
        day = tomorrow(2)
        book(self.w, self.anna, day, 11)
        Booking.cancel([book(self.w, self.anna, day, 15)])
        run_queue()
        urls = [self.radicale.new_calendar() for _ in range(2)]
        pushing, silent = Calendar.create([{
                    'photographer': self.anna.id, 'name': name, 'url': url,
                    'username': USER, 'password': PASSWORD, 'push': push}
                for name, url, push in [
                    ("Yandex", urls[0], True), ("iCloud", urls[1], False)]])

        Calendar.sync([pushing, silent])
        run_queue()
        connected = [self.radicale.events(u) for u in urls]
        silent.push = True
        silent.save()
        run_queue()

        uid, = connected[0]
        self.assertNotEqual(connected[0][uid]['status'], 'CANCELLED')
        self.assertEqual(
            connected[0][uid].decoded('dtstart').astimezone(dt.timezone.utc)
            .replace(tzinfo=None), local(self.w.studio, day, 11))
        self.assertEqual(connected[1], {})
        self.assertEqual(list(self.radicale.events(urls[1])), [uid])

    @with_transaction()
    def test_removed_calendar_leaves_no_busy_time(self):
        """A calendar removed takes its busy time with it, and the days it
        blocked as not read this far come back; so does a calendar turned
        into another kind"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        self.put('dentist@phone', day, 11)
        # Its last good sync was so long ago that it read only 20 days on.
        calendar.pull(utc_now() - dt.timedelta(
                days=self.anna.horizon_days - 13))
        blocked = (self.starts(day), self.starts(tomorrow(30)))
        other, = Calendar.copy([calendar])
        other.password = PASSWORD
        other.save()
        Calendar.sync([other])
        copied = self.starts(day)

        Calendar.delete([calendar])
        kept = self.starts(day)
        Calendar.write([other], {'kind': 'google'})

        self.assertNotIn(local(self.w.studio, day, 11), blocked[0])
        self.assertFalse(blocked[1])
        self.assertNotIn(local(self.w.studio, day, 11), copied)
        self.assertNotIn(local(self.w.studio, day, 11), kept)
        self.assertTrue(self.starts(tomorrow(30)))
        self.assertIn(local(self.w.studio, day, 11), self.starts(day))
        self.assertEqual(self.busy(), [])

    @with_transaction()
    def test_removed_calendar_takes_its_warnings(self):
        """The warnings that a calendar fails go when it is removed (they
        would open nothing); another calendar's stay"""
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        Notification = pool.get('res.notification')
        calendar = self.world()
        staff_users(self.w)
        other, = Calendar.copy([calendar])
        Calendar.write([calendar, other], {'password': 'revoked'})
        removed, kept = calendar.id, other.id

        def warned():
            return sorted(json.loads(n.records)[0] for n in
                Notification.search([('model', '=', 'photo.calendar')]))
        Calendar.sync([calendar, other])
        before = warned()
        Calendar.delete([calendar])

        self.assertEqual(set(before), {removed, kept})
        self.assertEqual(set(warned()), {kept})
        self.assertEqual(len(warned()), len(before) // 2)

    @with_transaction()
    def test_calendar_fixed_is_read_at_once(self):
        """A calendar failing on a wrong address is read by the next cron
        once its address is corrected, not after its back-off"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        self.put('dentist@phone', day, 11)
        right = calendar.url
        calendar.url = 'http://127.0.0.1:1/anna/typo/'
        calendar.save()
        for _ in range(4):
            Calendar.sync([calendar])
        backoff = calendar.next_sync - calendar.error_at

        calendar.url = right
        calendar.save()
        Calendar.sync_due()

        self.assertEqual(backoff, dt.timedelta(minutes=40))
        self.assertEqual(calendar.failures, 0)
        self.assertNotIn(local(self.w.studio, day, 11), self.starts(day))

    @with_transaction()
    def test_forgotten_sync_token(self):
        """A calendar whose server forgot its sync token is read in full,
        then asked what changed by sync-collection again"""
        Calendar = Pool().get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        Calendar.sync([calendar])
        token = calendar._hidden('sync_token')
        self.put('dentist@phone', day, 11)
        Calendar.write([calendar], {
                'sync_token': token.rstrip('0123456789abcdef') + '0' * 64})

        Calendar.sync([calendar])
        read = self.starts(day)
        Calendar.sync([calendar])

        self.assertNotIn(local(self.w.studio, day, 11), read)
        self.assertEqual(calendar.failures, 0)
        self.assertFalse(calendar._hidden('sync_token').startswith('fake-'))

    @with_transaction()
    def test_password_never_shown(self):
        """Nobody reads the password back, nor another photographer's
        calendars; a client reading every field it is told of (proteus)
        loads a calendar"""
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        calendar = self.world()
        staff = staff_users(self.w)

        with as_user(staff.manager):
            shown, = Calendar.read([calendar.id], ['password', 'username'])
            with self.assertRaises(AccessError):
                Calendar.read([calendar.id], ['secret'])
            # As proteus loads a record: every field it is told of.
            described = Calendar.fields_get()
            every, = Calendar.read([calendar.id], list(described))
        self.assertIsNone(shown['password'])
        self.assertEqual(shown['username'], USER)
        self.assertNotIn('secret', described)
        self.assertEqual(every['url'], self.url)

        # Stored encrypted; the CalDAV client gets it in clear.
        table = Calendar.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.secret,
                where=table.id == calendar.id))
        stored, = cursor.fetchone()
        self.assertTrue(stored.startswith('v1:'))
        self.assertNotIn(PASSWORD, stored)
        self.assertEqual(calendar._hidden('secret'), PASSWORD)

    @with_transaction()
    def test_cron_syncs_due_calendars(self):
        "The cron reads new and due calendars, not those read just now"
        pool = Pool()
        Calendar = pool.get('photo.calendar')
        calendar = self.world()
        day = tomorrow(2)
        self.put('dentist@phone', day, 11)

        Calendar.sync_due()
        first = calendar.last_sync
        Calendar.sync_due()
        second = calendar.last_sync
        # Due again later, nothing changed there: still a good sync.
        later = (utc_now() + dt.timedelta(hours=1)).replace(microsecond=0)
        calendar.pull(later)

        self.assertTrue(first)
        self.assertEqual(second, first)
        self.assertEqual(calendar.last_sync, later)
        self.assertNotIn(local(self.w.studio, day, 11), self.starts(day))


del ModuleTestCase
