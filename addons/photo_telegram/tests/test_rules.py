"The bot's plain rules: deep-link tokens and what photographers type."
import datetime as dt
import unittest

from trytond.modules.photo_booking.tests.tools import set_config

from trytond.modules.photo_telegram import link, parse, spike

NOW = dt.datetime(2026, 12, 6, 12, 0)
TODAY = NOW.date()


class LinkTokenTestCase(unittest.TestCase):

    def setUp(self):
        set_config(self.addCleanup, 'photo_booking', 'portal_secret', 's3')

    def test_token_fits_telegram_start_parameter(self):
        "At most 64 characters of A-Z a-z 0-9 _ -"
        token = link.make_token('party', 2 ** 31 - 1,
            NOW + dt.timedelta(days=400), '-1001234567890')
        self.assertLessEqual(len(token), 64)
        self.assertRegex(token, r'^[A-Za-z0-9_-]+$')

    def test_valid_until_it_expires(self):
        token = link.make_token('user', 7, NOW + dt.timedelta(hours=1))
        self.assertEqual(link.read_token(token), ('user', 7))
        link.check_token(token, None, NOW)
        with self.assertRaises(link.ExpiredToken):
            link.check_token(token, None, NOW + dt.timedelta(hours=1))

    def test_used_forged_or_other_secret_fail(self):
        token = link.make_token('party', 7, NOW + dt.timedelta(days=1))
        # Once it has linked a chat, the same token no longer verifies.
        with self.assertRaises(link.InvalidToken):
            link.check_token(token, '4242', NOW)
        forged = token.replace('p7-', 'p8-')
        with self.assertRaises(link.InvalidToken):
            link.check_token(forged, None, NOW)
        set_config(self.addCleanup, 'photo_booking', 'portal_secret', 'x')
        with self.assertRaises(link.InvalidToken):
            link.check_token(token, None, NOW)
        for bad in ['', 'p7', 'x7-abc-' + '0' * 24, None]:
            with self.assertRaises(link.InvalidToken):
                link.read_token(bad)


class ParseTestCase(unittest.TestCase):

    def test_days(self):
        for text, day in [
                ('today', TODAY), ('Tomorrow', TODAY + dt.timedelta(1)),
                ('завтра', TODAY + dt.timedelta(1)),
                ('2026-12-24', dt.date(2026, 12, 24)),
                ('24.12', dt.date(2026, 12, 24)),
                ('1.1', dt.date(2027, 1, 1)),      # the next one
                ('24.12.2027', dt.date(2027, 12, 24))]:
            with self.subTest(text=text):
                self.assertEqual(parse.parse_day(text, TODAY), day)
        for text in ['', 'soon', '2026-12-01', '31.02', '5.12.2026']:
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse.parse_day(text, TODAY)

    def test_periods(self):
        self.assertEqual(parse.parse_period('tomorrow 14:00-16:00', TODAY),
            (TODAY + dt.timedelta(1), dt.time(14), dt.time(16)))
        self.assertEqual(parse.parse_period('24.12 9.30 – 12', TODAY),
            (dt.date(2026, 12, 24), dt.time(9, 30), dt.time(12)))
        self.assertEqual(parse.parse_period('today 20-24', TODAY)[2],
            dt.time.max)
        for text in ['tomorrow 16-14', 'tomorrow', '14-16 tomorrow',
                'tomorrow 25-26', 'tomorrow 10:75-11']:
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse.parse_period(text, TODAY)


class SpikeTestCase(unittest.TestCase):

    def test_alert_once_then_recover_below_half(self):
        states = []
        alerting = False
        for count in [0, 10, 11, 30, 11, 6, 5, 11]:
            change = spike.spike_change(count, 10, alerting)
            alerting = {'alert': True, 'recovered': False}.get(
                change, alerting)
            states.append(change)
        self.assertEqual(states, [None, None, 'alert', None, None, None,
                'recovered', 'alert'])

    def test_write_budget_per_window(self):
        "At most limit + 1 writes a window: the spike is known by then"
        budget = spike.WriteBudget()
        allowed = [budget.allow(600 + i, 3, 300) for i in range(10)]
        self.assertEqual(allowed, [True] * 4 + [False] * 6)
        # The next window starts afresh.
        self.assertTrue(budget.allow(900, 3, 300))
