"""When reminders are due, with no trytond import."""
import datetime as dt

DEFAULT_OFFSETS = '24, 1'


class OffsetsError(ValueError):
    pass


def parse_offsets(text):
    """Hours before the shoot from "24, 1" (fractions allowed: "0.5"),
    largest first; ValueError for anything else."""
    offsets = set()
    for part in (text or '').replace(';', ',').split(','):
        part = part.strip()
        if not part:
            continue
        try:
            hours = float(part)
        except ValueError:
            raise OffsetsError(part)
        if not 0 < hours <= 24 * 14:
            raise OffsetsError(part)
        offsets.add(dt.timedelta(hours=hours))
    return sorted(offsets, reverse=True)


def offset_label(offset):
    "'24h', '1h', '30m': the offset in the reminder's key."
    minutes = int(offset.total_seconds() // 60)
    return f'{minutes // 60}h' if minutes % 60 == 0 else f'{minutes}m'


def due(start, offset, tz):
    """When the reminder offset before start (aware) is due.

    Whole days are counted on the studio's wall clock (tz): the reminder
    "24 h before" a 10:00 shoot comes at 10:00 the day before, even across
    a DST change, when that is 23 or 25 real hours. Other offsets are real
    durations. A wall time skipped by the change is taken as the instant
    the clock jumped over (zoneinfo's fold=0)."""
    if offset % dt.timedelta(days=1):
        return start - offset
    local = start.astimezone(tz).replace(tzinfo=None) - offset
    return local.replace(tzinfo=tz).astimezone(dt.timezone.utc)


def plan(start, offsets, now, tz):
    """[(offset, due)] of the reminders a booking starting at start gets,
    aware datetimes.

    A reminder whose time has passed when the booking is made or moved
    (inside the window) is skipped: the confirmation said it all."""
    planned = [(offset, due(start, offset, tz)) for offset in offsets]
    return [(offset, when) for offset, when in planned if when > now]
