"The ICS feed builder: plain values in, a calendar subscribers parse."
import datetime as dt
import unittest
from zoneinfo import ZoneInfo

import icalendar

from trytond.modules.photo_calendar.ics import FeedEvent, feed

UTC = dt.timezone.utc
BERLIN = ZoneInfo('Europe/Berlin')
NEW_YORK = ZoneInfo('America/New_York')
NOW = dt.datetime(2026, 10, 20, 8, tzinfo=UTC)


def event(uid, zone, day, hour, **values):
    start = dt.datetime.combine(day, dt.time(hour), zone)
    return FeedEvent(uid=uid, start=start, end=start + dt.timedelta(hours=2),
        timezone=zone.key, summary=f"Portrait {uid}", **values)


class FeedTestCase(unittest.TestCase):

    def parse(self, events, timezone='Europe/Berlin'):
        return icalendar.Calendar.from_ical(
            feed("Anna", timezone, events, NOW))

    def test_dst_week_keeps_wall_clock_times(self):
        """Shoots at 10:00 before and after the autumn change in Berlin and
        New York read back at 10:00 local, in their own zones"""
        events = [
            event('b1', BERLIN, dt.date(2026, 10, 24), 10),
            event('b2', BERLIN, dt.date(2026, 10, 26), 10),
            event('n1', NEW_YORK, dt.date(2026, 10, 31), 10),
            event('n2', NEW_YORK, dt.date(2026, 11, 2), 10),
            ]
        calendar = self.parse(events)

        parsed = {str(e['uid']): e for e in calendar.walk('VEVENT')}
        for original in events:
            start = parsed[original.uid].decoded('dtstart')
            self.assertEqual(start, original.start)
            self.assertEqual(start.hour, 10)
            self.assertEqual(str(start.tzinfo), original.timezone)
            self.assertEqual(
                parsed[original.uid]['dtstart'].params['TZID'],
                original.timezone)
        # The UTC offsets differ across the change: the zone did the work.
        self.assertEqual(parsed['b1'].decoded('dtstart').utcoffset(),
            dt.timedelta(hours=2))
        self.assertEqual(parsed['b2'].decoded('dtstart').utcoffset(),
            dt.timedelta(hours=1))
        self.assertEqual(parsed['n2'].decoded('dtstart').utcoffset(),
            dt.timedelta(hours=-5))

    def test_vtimezone_embedded_for_every_zone(self):
        "Each TZID used has its VTIMEZONE in the feed, with the DST rules"
        calendar = self.parse([
                event('b1', BERLIN, dt.date(2026, 10, 24), 10),
                event('n1', NEW_YORK, dt.date(2026, 10, 31), 10)])

        zones = {str(z['tzid']): z for z in calendar.walk('VTIMEZONE')}
        self.assertEqual(set(zones), {'Europe/Berlin', 'America/New_York'})
        self.assertTrue(zones['Europe/Berlin'].walk('DAYLIGHT'))
        self.assertTrue(zones['Europe/Berlin'].walk('STANDARD'))

    def test_calendar_properties(self):
        "Name, default zone, publish method and a refresh interval"
        calendar = self.parse([], timezone='America/New_York')

        self.assertEqual(calendar['x-wr-calname'], "Anna")
        self.assertEqual(calendar['x-wr-timezone'], 'America/New_York')
        self.assertEqual(calendar['method'], 'PUBLISH')
        self.assertEqual(calendar.decoded('refresh-interval'),
            dt.timedelta(minutes=15))

    def test_status_and_sequence(self):
        "A moved then cancelled shoot: same UID, its SEQUENCE, CANCELLED"
        calendar = self.parse([event('b1', BERLIN, dt.date(2026, 10, 24), 10,
                    status='CANCELLED', sequence=3)])

        vevent, = calendar.walk('VEVENT')
        self.assertEqual(vevent['uid'], 'b1')
        self.assertEqual(vevent['status'], 'CANCELLED')
        self.assertEqual(vevent.decoded('sequence'), 3)
        self.assertEqual(vevent['transp'], 'TRANSPARENT')

    def test_long_lines_are_folded(self):
        "No content line is longer than 75 octets, and the text comes back"
        text = "Очень длинное описание съёмки, " * 10
        data = feed("Anna", 'Europe/Berlin', [event('b1', BERLIN,
                    dt.date(2026, 10, 24), 10, description=text)], NOW)

        self.assertTrue(all(len(line) <= 75
                for line in data.split(b'\r\n')))
        vevent, = icalendar.Calendar.from_ical(data).walk('VEVENT')
        self.assertEqual(str(vevent['description']), text)

    def test_bad_events_refused(self):
        start = dt.datetime(2026, 10, 24, 10, tzinfo=UTC)
        for values in [
                {'end': start},
                {'end': start.replace(tzinfo=None)},
                {'status': 'MAYBE'},
                {'sequence': -1}]:
            with self.subTest(values=values):
                with self.assertRaises(ValueError):
                    FeedEvent(**{'uid': 'x', 'start': start,
                            'end': start + dt.timedelta(hours=1),
                            'timezone': 'UTC', 'summary': 'x', **values})
