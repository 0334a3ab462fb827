"""A DST week on the sync's way, in Europe/Berlin and America/New_York: the
events pushed to Google keep the studio's hour, and busy time pulled from
CalDAV and Google covers the right instants (no trytond)."""
import datetime as dt
import unittest
from zoneinfo import ZoneInfo

import icalendar

from trytond.modules.photo_calendar import google_api, remote
from trytond.modules.photo_calendar.ics import FeedEvent

UTC = dt.timezone.utc
BERLIN = ZoneInfo('Europe/Berlin')
NEW_YORK = ZoneInfo('America/New_York')
# The autumn changes of 2026: Berlin on Sunday 25 October, New York on
# Sunday 1 November; the spring one of Berlin on Sunday 29 March.
WEEK = [
    (BERLIN, dt.date(2026, 10, 24), dt.timedelta(hours=2)),
    (BERLIN, dt.date(2026, 10, 26), dt.timedelta(hours=1)),
    (NEW_YORK, dt.date(2026, 10, 31), dt.timedelta(hours=-4)),
    (NEW_YORK, dt.date(2026, 11, 2), dt.timedelta(hours=-5)),
    ]


def vevent(uid, **values):
    event = icalendar.Event()
    event.add('uid', uid)
    for name, value in values.items():
        event.add(name, value)
    return event


class DSTTestCase(unittest.TestCase):

    def test_pushed_to_google_at_the_studio_hour(self):
        "A 10:00 shoot either side of the change is 10:00 in Google"
        for zone, day, offset in WEEK:
            with self.subTest(zone=zone.key, day=day):
                start = dt.datetime.combine(day, dt.time(10), zone)
                body = google_api.event_body(FeedEvent(uid='x@studio',
                        start=start.astimezone(UTC),
                        end=(start + dt.timedelta(hours=2)).astimezone(UTC),
                        timezone=zone.key, summary="Portrait"))

                sent = dt.datetime.fromisoformat(body['start']['dateTime'])
                self.assertEqual((sent.hour, sent.utcoffset()), (10, offset))
                self.assertEqual(body['start']['timeZone'], zone.key)
                self.assertEqual(
                    dt.datetime.fromisoformat(body['end']['dateTime']),
                    start + dt.timedelta(hours=2))

    def test_caldav_times_in_their_zone(self):
        """An event at 10:00 — in its own zone, or floating: the
        photographer's — blocks 10:00 there on either side of the change"""
        for zone, day, offset in WEEK:
            with self.subTest(zone=zone.key, day=day):
                ten = dt.datetime.combine(day, dt.time(10))
                zoned = remote._span(vevent('a', dtstart=ten.replace(
                            tzinfo=zone), dtend=ten.replace(hour=11,
                            tzinfo=zone)), UTC, '@us')
                floating = remote._span(vevent('b', dtstart=ten,
                        dtend=ten.replace(hour=11)), zone, '@us')

                for span in [zoned, floating]:
                    self.assertEqual(span.start, (ten - offset).replace(
                            tzinfo=UTC))
                    self.assertEqual(span.end - span.start,
                        dt.timedelta(hours=1))

    def test_all_day_events_last_their_local_day(self):
        """An all-day event on the day of a change blocks that local day:
        25 hours in autumn, 23 in spring; from CalDAV and from Google"""
        for zone, day, hours in [
                (BERLIN, dt.date(2026, 10, 25), 25),
                (NEW_YORK, dt.date(2026, 11, 1), 25),
                (BERLIN, dt.date(2026, 3, 29), 23)]:
            with self.subTest(zone=zone.key, day=day):
                midnight = dt.datetime.combine(day, dt.time(), zone)
                caldav = remote._span(vevent('off', dtstart=day,
                        dtend=day + dt.timedelta(days=1)), zone, '@us')
                google = google_api._span({'id': 'off',
                        'start': {'date': day.isoformat()},
                        'end': {'date': (day + dt.timedelta(days=1))
                            .isoformat()}}, zone, False)

                for span in [caldav, google]:
                    self.assertEqual(span.start, midnight.astimezone(UTC))
                    self.assertEqual(span.end - span.start,
                        dt.timedelta(hours=hours))
