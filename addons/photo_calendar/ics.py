"""iCalendar feeds from plain values: no trytond import.

A feed is a calendar that Google, Apple and Outlook subscribe to by URL and
read again now and then: every event keeps its UID for its whole life, a
change raises its SEQUENCE and a cancelled one stays, STATUS:CANCELLED, so
subscribers drop it. Times are written in the event's own time zone with its
VTIMEZONE embedded, so a subscriber shows the shoot at the studio's hour
whatever its own time zone and across DST changes.
"""
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

PRODID = '-//photo_calendar//feed//EN'
# How often subscribers should read the feed again (RFC 7986).
REFRESH = dt.timedelta(minutes=15)
STATUSES = frozenset({'TENTATIVE', 'CONFIRMED', 'CANCELLED'})


@dataclass(frozen=True)
class FeedEvent:
    "One event of a feed; start, end and modified are aware instants."
    uid: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    summary: str
    status: str = 'CONFIRMED'
    sequence: int = 0
    location: str = ''
    description: str = ''
    modified: dt.datetime | None = None

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be aware")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")


def feed(name, timezone, events, now):
    """The bytes of a published calendar called name whose default time zone
    is timezone, holding events (FeedEvent), stamped at now (aware)."""
    calendar = icalendar.Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('calscale', 'GREGORIAN')
    calendar.add('method', 'PUBLISH')
    calendar.add('name', name)
    calendar.add('x-wr-calname', name)
    calendar.add('x-wr-timezone', timezone)
    calendar.add('refresh-interval', REFRESH, parameters={'VALUE': 'DURATION'})
    calendar.add('x-published-ttl', REFRESH)
    stamp = now.astimezone(dt.timezone.utc)
    for event in events:
        calendar.add_component(_event(event, stamp))
    # One VTIMEZONE per TZID the events use, from the tz database.
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(event, stamp):
    zone = ZoneInfo(event.timezone)
    vevent = icalendar.Event()
    vevent.add('uid', event.uid)
    vevent.add('dtstamp', stamp)
    vevent.add('dtstart', event.start.astimezone(zone))
    vevent.add('dtend', event.end.astimezone(zone))
    vevent.add('summary', event.summary)
    vevent.add('status', event.status)
    vevent.add('sequence', event.sequence)
    vevent.add('transp', 'TRANSPARENT' if event.status == 'CANCELLED'
        else 'OPAQUE')
    if event.location:
        vevent.add('location', event.location)
    if event.description:
        vevent.add('description', event.description)
    if event.modified:
        vevent.add('last-modified', event.modified.astimezone(dt.timezone.utc))
    return vevent
