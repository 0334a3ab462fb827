"""Benchmark availability with synced calendars: does a photographer's
external busy time slow the availability request down?

    .venv/bin/python -m bench.calendar [--quick]

The photographer of bench.availability's window (200 live bookings in 30
days, others' bookings in the same rooms) connects 3 Google calendars of
2,000 events each (over the sync window: the booking horizon, a year, plus
7 days; a third of them in working hours), synced through the real
google-api-python-client against the tests' fake Google
(tests/fake_google.py): the time of a full sync, then of an incremental one
after 20 changes, is printed. HTTP availability of 30 days is then timed at
1 and 8 clients on one server, in rounds: without the pulled busy time
(parked on another photographer), then with it, 3 times over, so that the
shared machine's drift touches both alike. Each answer's slot count is
checked against the in-process one (which the busy time changes).
Goal (issue 17): HTTP availability p95 unchanged — with calendars at most
1.2 times the p95 without, at 1 and at 8 clients — and within
bench.availability's goals (p95 <= 25 ms at 1 client, <= 60 ms at 8).
"""
import datetime as dt
import random
import time

from bench.availability import window_bookings
from bench.common import (
    build_world, copy_bookings, database, http_server, measure_floor,
    parse_quick_only, percentile, progress, read_afresh, run_concurrently,
    settle, sized, summary, verdict)

DAYS = 30
CALENDARS = 3
EVENTS = sized(2_000, 200)  # per calendar
HORIZON = 365
CHANGES = 20
ROUNDS = sized(3, 1)  # without, then with the calendars, this many times
HTTP_RUNS = sized(100, 20)  # per round
CONCURRENT = 8
HTTP_CONCURRENT_RUNS = sized(25, 5)  # per client and round
UNCHANGED = 1.2  # with calendars / without, at most


def in_process_slots(db, world, day_from):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(db.name, 0, readonly=True):
        read_afresh()  # park_busy committed just now
        pool = Pool()
        Booking = pool.get('photo.booking')
        return len(Booking.available_slots(
                pool.get('photo.service')(world['plain_service']),
                day_from, day_from + dt.timedelta(days=DAYS - 1),
                studio=pool.get('photo.studio')(world['studio']),
                photographers=[pool.get('photo.photographer')(
                        world['photographers'][0])]))


def park_busy(db, world, synced):
    """Give the pulled busy time to the measured photographer (synced) or
    park it on the last one, whom nobody asks about; clear availability's
    caches, as a sync that writes busy time does."""
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking import setup_cache
    measured, parked = world['photographers'][0], world['photographers'][-1]
    source, target = (parked, measured) if synced else (measured, parked)
    with Transaction().start(db.name, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute("UPDATE photo_photographer_busy SET photographer = %s "
            "WHERE photographer = %s AND source = 'google'", (target, source))
        setup_cache.cache.clear()
        setup_cache.answers.clear()
        transaction.commit()


def over_http(db, world, day_from, slots, floor):
    """{(synced, clients): samples} of the availability of the window,
    ROUNDS times without then with the calendars' busy time, on the same
    server: the machine's drift between rounds touches both alike."""
    day_to = day_from + dt.timedelta(days=DAYS - 1)
    path = (f"/availability?service={world['plain_service']}"
        f"&studio={world['studio']}"
        f"&photographer={world['photographers'][0]}"
        f"&from={day_from.isoformat()}&to={day_to.isoformat()}")
    samples = {}
    with http_server(db) as client:
        for round_ in range(ROUNDS):
            for synced in [False, True]:
                park_busy(db, world, synced)

                def right():
                    status, body, _ = client.request('GET', path)
                    return (status == 200
                        and len(body['slots']) == slots[synced])

                def get(c, i):
                    status, body, elapsed = client.request('GET', path)
                    assert status == 200, (status, body)
                    assert len(body['slots']) == slots[synced], (
                        "HTTP and in process disagree",
                        len(body['slots']), slots[synced])
                    return elapsed
                settle(right, f"{slots[synced]} slots")
                for clients, runs in [(1, HTTP_RUNS),
                        (CONCURRENT, HTTP_CONCURRENT_RUNS)]:
                    samples.setdefault((synced, clients), []).extend(
                        run_concurrently(clients, get, count=runs))
                progress(f"round {round_ + 1}/{ROUNDS}, "
                    f"{'with' if synced else 'without'} calendars: "
                    f"{slots[synced]} slots")
    label = {False: "no calendar", True: f"{CALENDARS} calendars"}
    for clients, goal, floor_figure in [
            (1, 25, floor and floor.p95),
            (CONCURRENT, 60, floor and floor.p95_concurrent)]:
        for synced in [False, True]:
            figures = samples[synced, clients]
            progress(f"{label[synced]}, HTTP availability, {clients} "
                f"client(s): {summary(figures)}")
            verdict(f"  {label[synced]}, {clients} client(s), p95",
                percentile(figures, 0.95), goal, floor_figure)
        verdict(f"p95 with / without calendars, {clients} client(s)",
            percentile(samples[True, clients], 0.95)
            / percentile(samples[False, clients], 0.95), UNCHANGED,
            unit='x')


def add_events(google, account, start, end, rng):
    "EVENTS events of 1-2 h in [start, end), a third in working hours."
    days = (end - start).days
    for i in range(EVENTS):
        day = start + dt.timedelta(days=rng.randrange(days))
        hour = (rng.randrange(10, 18) if i % 3 == 0
            else rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 22]))
        moment = day.replace(hour=hour, minute=0, second=0, microsecond=0)
        google.add_event(account, moment,
            moment + dt.timedelta(hours=rng.choice([1, 2])),
            summary=f"Event {i}")


def connect_calendars(db, world, google):
    "CALENDARS Google calendars of the photographer, synced: their ids."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking.common import utc_now
    rng = random.Random(5)
    today = dt.datetime.now(dt.timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0)
    # Inside the sync window: from tomorrow to the horizon (+ 7 days).
    start = today + dt.timedelta(days=1)
    end = today + dt.timedelta(days=HORIZON + 5)
    ids = []
    for n in range(CALENDARS):
        account = f'photographer{n}'
        add_events(google, account, start, end, rng)
        with Transaction().start(db.name, 0) as transaction:
            Calendar = Pool().get('photo.calendar')
            calendar, = Calendar.create([{
                        'photographer': world['photographers'][0],
                        'name': f"Google {n}", 'kind': 'google',
                        'push': False, 'secret': google.grant(account)}])
            started = time.perf_counter()
            calendar.pull(utc_now())
            transaction.commit()
            elapsed = time.perf_counter() - started
            assert not calendar.failures, calendar.last_error
            ids.append(calendar.id)
        progress(f"calendar {n}: {EVENTS} events, full sync "
            f"{elapsed:.1f} s")
    # Another app changes CHANGES events of the first calendar.
    events = list(google.events('photographer0'))
    for event_id in rng.sample(events, CHANGES):
        google.delete_event('photographer0', event_id)
    with Transaction().start(db.name, 0) as transaction:
        Calendar = Pool().get('photo.calendar')
        started = time.perf_counter()
        Calendar(ids[0]).pull(utc_now())
        transaction.commit()
        elapsed = time.perf_counter() - started
    progress(f"calendar 0: {CHANGES} events deleted there, incremental "
        f"sync {elapsed * 1000:.0f} ms")
    with Transaction().start(db.name, 0, readonly=True):
        Busy = Pool().get('photo.photographer.busy')
        count = Busy.search_count([('source', '=', 'google')])
    progress(f"{count} busy times pulled (with each calendar's far end)")
    assert count == CALENDARS * (EVENTS + 1) - CHANGES, count
    return ids


def measure(floor=None):
    from trytond import config
    from trytond.modules.photo_calendar.tests.fake_google import FakeGoogle
    google = FakeGoogle().start()
    try:
        with database(module='photo_calendar') as db:
            if not config.has_section('photo_calendar'):
                config.add_section('photo_calendar')
            for key, value in google.settings().items():
                config.set('photo_calendar', key, value)
            progress("building a studio with 40 photographers")
            world = build_world(db, photographers=40, lights=3,
                horizon_days=HORIZON)
            day_from = dt.date.today() + dt.timedelta(days=2)
            rows, lines = window_bookings(world, day_from)
            copy_bookings(db, rows, lines)
            progress(f"connecting {CALENDARS} Google calendars of {EVENTS} "
                "events each")
            connect_calendars(db, world, google)
            slots = {True: in_process_slots(db, world, day_from)}
            park_busy(db, world, False)
            slots[False] = in_process_slots(db, world, day_from)
            progress(f"slots of the window: {slots[False]} without "
                f"calendars, {slots[True]} with")
            over_http(db, world, day_from, slots, floor)
    finally:
        google.stop()


def main():
    parse_quick_only(__doc__)
    measure(measure_floor())


if __name__ == '__main__':
    main()
