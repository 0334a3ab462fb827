"The outbox's and the reminders' rules, without a database."
import datetime as dt
import random
import unittest
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from trytond.modules.photo_notify import ics, outbox, reminder, useragent
from trytond.modules.photo_notify.channel_telegram import RateLimiter

UTC = dt.timezone.utc
H = dt.timedelta(hours=1)


class BookingEventTest(unittest.TestCase):

    def test_history_entries(self):
        "Each booking move is the event its people are told of"
        cases = [
            ((None, 'hold'), None),
            ((None, 'confirmed'), 'confirmed'),
            (('hold', 'requested'), 'requested'),
            (('hold', 'confirmed'), 'confirmed'),
            (('requested', 'confirmed'), 'confirmed'),
            (('confirmed', 'done'), 'done'),
            (('confirmed', 'no_show'), 'no_show'),
            (('hold', 'cancelled', 'system'), None),
            (('confirmed', 'cancelled', 'client'), 'cancelled_by_client'),
            (('confirmed', 'cancelled', 'photographer'),
                'cancelled_by_studio'),
            (('requested', 'cancelled', 'studio'), 'cancelled_by_studio'),
            ]
        for args, event in cases:
            with self.subTest(args=args):
                self.assertEqual(outbox.booking_event(*args), event)

    def test_moves(self):
        "A confirmed booking moved is rescheduled; a hold moved is nothing"
        self.assertEqual(outbox.booking_event(
                'confirmed', 'confirmed', moved=True), 'rescheduled')
        self.assertIsNone(outbox.booking_event('hold', 'hold', moved=True))

    def test_every_told_event_has_recipients(self):
        "Only held and done tell nobody directly"
        self.assertEqual(
            {e for e, r in outbox.RECIPIENTS.items() if not r},
            {'held', 'done'})


class BackoffTest(unittest.TestCase):
    now = dt.datetime(2027, 1, 1, 12)

    @given(st.integers(min_value=1, max_value=7), st.integers())
    def test_delay_within_jittered_ceiling(self, attempts, seed):
        "The n-th retry waits between half and all of base·2^(n-1), capped"
        retry = outbox.Retry()
        when = outbox.next_attempt(
            self.now, attempts, retry, random.Random(seed))
        ceiling = min(retry.cap, retry.base * 2 ** (attempts - 1))
        self.assertGreaterEqual(when - self.now, ceiling / 2)
        self.assertLessEqual(when - self.now, ceiling)

    def test_dead_after_attempts(self):
        "After the last attempt there is no next one: a dead letter"
        retry = outbox.Retry(attempts=3)
        self.assertIsNotNone(outbox.next_attempt(self.now, 2, retry))
        self.assertIsNone(outbox.next_attempt(self.now, 3, retry))

    def test_jitter_spreads_retries(self):
        "Rows failing together are not all retried at the same instant"
        rng = random.Random(1)
        times = {outbox.next_attempt(self.now, 5, outbox.Retry(), rng)
            for _ in range(50)}
        self.assertGreater(len(times), 40)


class ChannelChoiceTest(unittest.TestCase):

    def test_falls_back_to_next_preferred(self):
        "A person without a Telegram chat gets the e-mail"
        self.assertEqual(outbox.pick_channel(['telegram', 'email'],
                {'telegram': None, 'email': 'a@example.com'}),
            ('email', 'a@example.com'))

    def test_nothing_reachable(self):
        self.assertIsNone(outbox.pick_channel(['sms'], {'email': 'a@b.c'}))

    def test_keys_differ_by_channel_and_recipient(self):
        keys = {outbox.key('confirmed', 'photo.booking,1', r, c)
            for r in ['party,1', 'res.user,1'] for c in ['email', 'sms']}
        self.assertEqual(len(keys), 4)

    def test_message_id_stable(self):
        "A mail sent twice carries the same Message-ID"
        self.assertEqual(outbox.message_id('k', 'example.com'),
            outbox.message_id('k', 'example.com'))
        self.assertNotEqual(outbox.message_id('k', 'example.com'),
            outbox.message_id('l', 'example.com'))


class ReminderPlanTest(unittest.TestCase):

    def test_parse(self):
        self.assertEqual(reminder.parse_offsets('1, 24'), [24 * H, H])
        self.assertEqual(reminder.parse_offsets('0.5'),
            [dt.timedelta(minutes=30)])
        self.assertEqual(reminder.parse_offsets(''), [])
        for bad in ['abc', '-1', '0', '24h', '1000']:
            with self.subTest(bad=bad), self.assertRaises(
                    reminder.OffsetsError):
                reminder.parse_offsets(bad)

    def test_labels(self):
        self.assertEqual(reminder.offset_label(24 * H), '24h')
        self.assertEqual(reminder.offset_label(dt.timedelta(minutes=90)),
            '90m')

    def test_both_planned(self):
        tz = ZoneInfo('Europe/Moscow')
        start = dt.datetime(2027, 6, 10, 10, tzinfo=tz)
        now = dt.datetime(2027, 6, 1, tzinfo=UTC)
        self.assertEqual(reminder.plan(start, [24 * H, H], now, tz), [
                (24 * H, dt.datetime(2027, 6, 9, 10, tzinfo=tz)),
                (H, dt.datetime(2027, 6, 10, 9, tzinfo=tz)),
                ])

    def test_inside_window_skipped(self):
        "Booked 3 hours ahead: the 24 h reminder is skipped, 1 h is not"
        tz = ZoneInfo('Europe/Moscow')
        now = dt.datetime(2027, 6, 10, 7, tzinfo=tz)
        start = now + 3 * H
        self.assertEqual([o for o, _ in reminder.plan(
                    start, [24 * H, H], now, tz)], [H])

    def test_dst_spring_forward(self):
        """Berlin, 28 March 2027 (clocks 02:00 → 03:00): the day-before
        reminder of a Sunday 10:00 shoot comes at Saturday 10:00, 23 real
        hours before; the 1 h one at 09:00, one real hour before."""
        tz = ZoneInfo('Europe/Berlin')
        start = dt.datetime(2027, 3, 28, 10, tzinfo=tz)
        now = dt.datetime(2027, 3, 1, tzinfo=UTC)
        (_, day_before), (_, hour_before) = reminder.plan(
            start, [24 * H, H], now, tz)
        self.assertEqual(day_before.astimezone(tz),
            dt.datetime(2027, 3, 27, 10, tzinfo=tz))
        self.assertEqual(start - day_before, 23 * H)
        self.assertEqual(hour_before.astimezone(tz).hour, 9)
        self.assertEqual(start - hour_before, H)

    def test_dst_fall_back(self):
        "New York, 7 November 2027: the day before is 25 real hours"
        tz = ZoneInfo('America/New_York')
        start = dt.datetime(2027, 11, 7, 10, tzinfo=tz)
        now = dt.datetime(2027, 11, 1, tzinfo=UTC)
        (_, day_before), _ = reminder.plan(start, [24 * H, H], now, tz)
        self.assertEqual(day_before.astimezone(tz),
            dt.datetime(2027, 11, 6, 10, tzinfo=tz))
        self.assertEqual(start - day_before, 25 * H)

    def test_skipped_wall_time(self):
        """A shoot at 02:30 the day after Berlin skipped 02:00–03:00: its
        day-before reminder exists (02:30 the day before is real)."""
        tz = ZoneInfo('Europe/Berlin')
        start = dt.datetime(2027, 3, 29, 2, 30, tzinfo=tz)
        (_, due), = reminder.plan(start, [24 * H], dt.datetime(
                2027, 3, 1, tzinfo=UTC), tz)
        # 28 March 02:30 does not exist: the instant the clock jumped
        self.assertEqual(due, dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC))


class CalendarTest(unittest.TestCase):

    def test_event(self):
        text = ics.event('b-1@example.com',
            dt.datetime(2027, 6, 10, 7, tzinfo=UTC),
            dt.datetime(2027, 6, 10, 8, tzinfo=UTC),
            "Portrait — Anna", "Loft; 1st floor", "B0001", cancelled=False,
            now=dt.datetime(2027, 6, 1, tzinfo=UTC))
        self.assertIn('DTSTART:20270610T070000Z\r\n', text)
        self.assertIn('LOCATION:Loft\\; 1st floor\r\n', text)
        self.assertIn('STATUS:CONFIRMED', text)
        self.assertIn('STATUS:CANCELLED', ics.event('u', *[dt.datetime(
                        2027, 1, 1, tzinfo=UTC)] * 2, 's', '', '', True))


class RateLimiterTest(unittest.TestCase):

    def limiter(self):
        self.clock = 0.0
        self.slept = []

        def sleep(seconds):
            self.slept.append(seconds)
            self.clock += seconds
        return RateLimiter(clock=lambda: self.clock, sleep=sleep)

    def test_one_message_a_second_per_chat(self):
        limiter = self.limiter()
        limiter.wait('1')
        limiter.wait('1')
        self.assertEqual(self.slept, [1.05])
        limiter.wait('2')  # another chat does not wait
        self.assertEqual(self.slept, [1.05])

    def test_thirty_a_second_overall(self):
        limiter = self.limiter()
        for chat in range(31):
            limiter.wait(str(chat))
        self.assertEqual(self.slept, [1.0])


class UserAgentTest(unittest.TestCase):
    "The device list names a browser as its owner would"

    def test_names(self):
        for agent, expected in [
                ('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36'
                    ' (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
                    ('Chrome', 'Android')),
                ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) '
                    'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 '
                    'Mobile/15E148 Safari/604.1', ('Safari', 'iPhone')),
                ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) '
                    'AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 '
                    'Mobile/15E148 Safari/604.1', ('Chrome', 'iPhone')),
                ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36'
                    ' (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 '
                    'Edg/131.0.0.0', ('Edge', 'Windows')),
                ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36'
                    ' (KHTML, like Gecko) Chrome/130.0.0.0 YaBrowser/24.12.0.0'
                    ' Safari/537.36', ('Yandex Browser', 'Windows')),
                ('Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) '
                    'Gecko/20100101 Firefox/133.0', ('Firefox', 'macOS')),
                ('Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) '
                    'AppleWebKit/537.36 (KHTML, like Gecko) '
                    'SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile '
                    'Safari/537.36', ('Samsung Internet', 'Android')),
                ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, '
                    'like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0',
                    ('Opera', 'Linux')),
                ('curl/8.5.0', (None, None)),
                (None, (None, None)),
                ]:
            with self.subTest(agent=agent):
                self.assertEqual(
                    useragent.browser_and_system(agent), expected)
