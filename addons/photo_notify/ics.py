"""An iCalendar event (RFC 5545) for a booking, from plain values."""
import datetime as dt

FORMAT = '%Y%m%dT%H%M%SZ'


def escape(text):
    return (text or '').replace('\\', '\\\\').replace(';', '\\;').replace(
        ',', '\\,').replace('\n', '\\n')


def event(uid, start, end, summary, location, description, cancelled,
        now=None):
    "The VCALENDAR text: start, end, now as aware datetimes."
    now = now or dt.datetime.now(dt.timezone.utc)

    def utc(moment):
        return moment.astimezone(dt.timezone.utc).strftime(FORMAT)
    lines = [
        'BEGIN:VCALENDAR', 'VERSION:2.0',
        'PRODID:-//photo_notify//EN',
        'METHOD:' + ('CANCEL' if cancelled else 'PUBLISH'),
        'BEGIN:VEVENT',
        f'UID:{uid}',
        f'DTSTAMP:{utc(now)}',
        f'DTSTART:{utc(start)}',
        f'DTEND:{utc(end)}',
        'SUMMARY:' + escape(summary),
        'LOCATION:' + escape(location),
        'DESCRIPTION:' + escape(description),
        'STATUS:' + ('CANCELLED' if cancelled else 'CONFIRMED'),
        'END:VEVENT', 'END:VCALENDAR', '']
    return '\r\n'.join(lines)
