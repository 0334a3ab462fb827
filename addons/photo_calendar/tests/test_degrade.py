"The rule of a failing calendar, alone."
import datetime as dt
import unittest

from trytond.modules.photo_calendar.degrade import (
    LAST_RETRY, MARGIN, retry_delay, unknown_span, window)

NOW = dt.datetime(2026, 12, 6, 9, tzinfo=dt.timezone.utc)


class DegradeTestCase(unittest.TestCase):

    def test_retry_doubles_up_to_six_hours(self):
        self.assertEqual([retry_delay(n) for n in range(1, 5)],
            [dt.timedelta(minutes=m) for m in [5, 10, 20, 40]])
        self.assertEqual(retry_delay(8), LAST_RETRY)
        self.assertEqual(retry_delay(1000), LAST_RETRY)
        with self.assertRaises(ValueError):
            retry_delay(0)

    def test_window_reaches_past_the_horizon(self):
        "A fresh sync knows every bookable day, and MARGIN more"
        start, end = window(NOW, 90)
        self.assertLess(start, NOW)
        self.assertEqual(end, NOW + dt.timedelta(days=90) + MARGIN)

    def test_unknown_starts_where_knowledge_ends(self):
        start, end = unknown_span(NOW)
        self.assertEqual(start, NOW)
        self.assertGreater(end - start, dt.timedelta(days=365))
