"""Talking to a photographer's CalDAV calendar (Yandex, iCloud, Nextcloud,
Radicale): no trytond import.

Every failure comes out as a CalendarError of a kind — the calendar refused
the credentials, did not answer in time, failed, or asked to slow down — so
the model stores it and tries again later, keeping what it knew.
"""
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import caldav
import icalendar
import niquests
from caldav.lib import error

TIMEOUT = 20  # seconds for one request
KINDS = ('auth', 'timeout', 'server', 'quota', 'network')
# How caldav's tokens start when it listed the calendar instead of asking
# the server (no sync-collection, or a token the server forgot).
FAKE = 'fake-'
# CLASS of the events whose titles are never kept (RFC 5545 3.8.1.3).
PRIVATE = frozenset({'PRIVATE', 'CONFIDENTIAL'})


class CalendarError(Exception):
    "A remote calendar failed: kind is one of KINDS, detail its message."

    def __init__(self, kind, detail):
        super().__init__(f'{kind}: {detail}')
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class RemoteBusy:
    "A busy span of a remote calendar, in aware UTC instants."
    external_id: str
    start: dt.datetime
    end: dt.datetime
    summary: str = ''


@contextmanager
def _errors():
    try:
        yield
    except error.AuthorizationError as e:
        raise CalendarError('auth', str(e)[:500]) from e
    except error.RateLimitError as e:
        raise CalendarError('quota', str(e)[:500]) from e
    except (error.DAVError, icalendar.InvalidCalendar, ValueError) as e:
        raise CalendarError('server', str(e)[:500]) from e
    except (niquests.exceptions.Timeout, TimeoutError) as e:
        raise CalendarError('timeout', str(e)[:500]) from e
    except (niquests.exceptions.RequestException, OSError) as e:
        raise CalendarError('network', str(e)[:500]) from e


class Remote:
    "One CalDAV calendar collection at url."

    def __init__(self, url, username, password, timeout=TIMEOUT):
        self.client = caldav.DAVClient(url=url, username=username or None,
            password=password or None, timeout=timeout)
        self.calendar = caldav.Calendar(client=self.client, url=url)

    def changed_since(self, sync_token):
        """(whether anything changed since sync_token, the new token);
        changed when there was no token."""
        with _errors():
            changes = self.calendar.get_objects_by_sync_token(
                sync_token=sync_token or None, load_objects=False)
        if (sync_token and not sync_token.startswith(FAKE)
                and str(changes.sync_token).startswith(FAKE)):
            # The server forgot our token (RFC 6578 3.2) and caldav listed
            # every object instead: start over with a real token next time.
            return True, None
        changed = (not sync_token or bool(changes.objects)
            or bool(changes.deleted_urls))
        return changed, changes.sync_token

    def busy(self, start, end, timezone, own_suffix):
        """The busy spans within [start, end): opaque, not cancelled events,
        recurring ones expanded, all-day ones as their days in timezone,
        and none of the events we pushed (UIDs ending with own_suffix);
        titles, but none of private or confidential events."""
        zone = ZoneInfo(timezone)
        result = []
        with _errors():
            objects = self.calendar.search(
                start=start, end=end, event=True, expand=True)
            for obj in objects:
                for vevent in obj.icalendar_instance.walk('VEVENT'):
                    span = _span(vevent, zone, own_suffix)
                    if span:
                        result.append(span)
        return result

    def put(self, uid, data):
        """Create or replace the event uid with the iCalendar data, whose
        SEQUENCE (the feed's) is stored as it is."""
        with _errors():
            try:
                event = self.calendar.event_by_uid(uid)
            except error.NotFoundError:
                self.calendar.add_event(data, increase_seqno=False)
            else:
                event.data = data
                event.save(increase_seqno=False)

    def delete(self, uid):
        "Remove the event uid if it is there."
        with _errors():
            try:
                self.calendar.event_by_uid(uid).delete()
            except error.NotFoundError:
                pass


def instant(value, zone):
    "An aware UTC instant of a datetime or date (midnight) in zone."
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # floating time: the photographer's
            value = value.replace(tzinfo=zone)
        return value.astimezone(dt.timezone.utc)
    return dt.datetime.combine(value, dt.time(), zone).astimezone(
        dt.timezone.utc)


def _span(vevent, zone, own_suffix):
    uid = str(vevent.get('uid', ''))
    if (not uid or uid.endswith(own_suffix)
            or str(vevent.get('status', '')).upper() == 'CANCELLED'
            or str(vevent.get('transp', '')).upper() == 'TRANSPARENT'
            or 'dtstart' not in vevent):
        return None
    start = vevent.decoded('dtstart')
    if 'dtend' in vevent:
        end = vevent.decoded('dtend')
    elif 'duration' in vevent:
        end = start + vevent.decoded('duration')
    else:
        end = start + dt.timedelta(days=1) if not isinstance(
            start, dt.datetime) else start
    start, end = instant(start, zone), instant(end, zone)
    if end <= start:
        return None
    external_id = uid
    if 'recurrence-id' in vevent:
        external_id += '#' + instant(
            vevent.decoded('recurrence-id'), zone).strftime('%Y%m%dT%H%M%SZ')
    summary = ''
    if str(vevent.get('class', 'PUBLIC')).upper() not in PRIVATE:
        summary = str(vevent.get('summary', ''))[:200]
    return RemoteBusy(external_id, start, end, summary)
