"""Audits of a photo_booking database read with a plain DB-API connection
(no trytond), run after the concurrency races.

They recompute what the application stores: each active booking's blocked
range from its start/end and its service's buffers (not only the stored
busy range), its equipment units from the booking, and its history as one
chain of states."""
import datetime as dt
from collections import defaultdict

ACTIVE = ('hold', 'requested', 'confirmed')
FINAL = ('done', 'no_show', 'cancelled')


def _instant(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


def _delta(value):
    "A TimeDelta column: timedelta (PostgreSQL) or seconds (SQLite)."
    if value is None:
        return dt.timedelta(0)
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=float(value))


def _rows(cursor, sql):
    cursor.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def overlaps(connection):
    """Problems found: bookings whose stored busy range is not their
    start/end plus buffers, active bookings sharing a photographer or room
    over overlapping recomputed ranges, units whose range or blocking is
    not their booking's, units of an item held twice at once."""
    cursor = connection.cursor()
    services = {r['id']:
            (_delta(r['buffer_before']), _delta(r['buffer_after']))
        for r in _rows(cursor,
            'SELECT id, buffer_before, buffer_after FROM photo_service')}
    bookings = {}
    problems = []
    for row in _rows(cursor, 'SELECT id, photographer, room, state, '
            'start, "end", busy_start, busy_end, service, hold_expires '
            'FROM photo_booking'):
        before, after = services[row['service']]
        row['range'] = (_instant(row['start']) - before,
            _instant(row['end']) + after)
        if (_instant(row['busy_start']), _instant(row['busy_end'])) \
                != row['range']:
            problems.append(('stale busy range', row['id']))
        if row['state'] != 'hold' and row['hold_expires'] is not None:
            problems.append(('hold expiry on a non-hold', row['id']))
        bookings[row['id']] = row
    active = [b for b in bookings.values() if b['state'] in ACTIVE]
    by_resource = defaultdict(list)
    for booking in active:
        by_resource['photographer', booking['photographer']].append(booking)
        if booking['room'] is not None:
            by_resource['room', booking['room']].append(booking)
    for (kind, _), group in by_resource.items():
        group.sort(key=lambda b: b['range'])
        for a, b in zip(group, group[1:]):
            if b['range'][0] < a['range'][1]:
                problems.append((f'{kind} double-booked', a['id'], b['id']))
    units = defaultdict(list)
    for line in _rows(cursor, 'SELECT id, booking, equipment, unit, '
            'blocking, busy_start, busy_end '
            'FROM photo_booking_equipment_line'):
        booking = bookings[line['booking']]
        if (_instant(line['busy_start']), _instant(line['busy_end'])) \
                != booking['range']:
            problems.append(('stale unit range', line['id']))
        if bool(line['blocking']) != (booking['state'] in ACTIVE):
            problems.append(('unit blocking not its booking', line['id']))
        if booking['state'] in ACTIVE:
            units[line['equipment'], line['unit']].append(booking['range'])
    for key, ranges in units.items():
        ranges.sort()
        for a, b in zip(ranges, ranges[1:]):
            if b[0] < a[1]:
                problems.append(('unit held twice', key))
    return problems


def broken_histories(connection):
    """Bookings whose history is not one chain: the first entry from
    nothing, each from_state the previous to_state, the last to_state the
    booking's state, each move's old start the previous new start, and no
    move out of cancelled."""
    cursor = connection.cursor()
    states = dict(_rows_pairs(cursor, 'SELECT id, state FROM photo_booking'))
    starts = {}
    logs = defaultdict(list)
    for row in _rows(cursor, 'SELECT booking, from_state, to_state, '
            'old_start, new_start FROM photo_booking_log ORDER BY id'):
        logs[row['booking']].append(row)
    broken = []
    for booking, entries in logs.items():
        previous = None
        for entry in entries:
            if entry['from_state'] != previous:
                broken.append((booking, previous, entry['from_state']))
                break
            if previous in FINAL:
                broken.append((booking, 'left', previous))
                break
            if entry['new_start'] is not None:
                old = _instant(entry['old_start'])
                if starts.get(booking, old) != old:
                    broken.append((booking, 'moved from', old))
                    break
                starts[booking] = _instant(entry['new_start'])
            previous = entry['to_state']
        else:
            if previous != states[booking]:
                broken.append((booking, previous, states[booking]))
    return broken


def _rows_pairs(cursor, sql):
    cursor.execute(sql)
    return cursor.fetchall()
