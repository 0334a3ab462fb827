"""Benchmark Booking.available_slots: 1 photographer x 30 days.

    .venv/bin/python -m bench.availability [--quick]

The window is busy as a studio's is: the photographer has 200 live
bookings in its 30 days (confirmed, awaiting approval, held) with their
room and light, plus cancelled and no-show ones the engine must skip; the
other photographers hold the studio's rooms and lights at many of the
same hours (live too), so the photographer+studio+room+equipment query
reads others' bookings in the range as well.
Phase 1: only that window. Phase 2: the same plus ~100k bookings over 40
photographers and 7 years (bench.lists' history). Each phase times
available_slots in process (a fresh read-only transaction per call, as a
request has), then phase 2 also over HTTP: gunicorn with 2 workers
serving trytond.application:app, at 1 and 8 clients.
Goals: in process p50 <= 5 ms; HTTP p50 <= 10 ms and p95 <= 25 ms at 1
client, p95 <= 60 ms at 8; photographer+studio+equipment p95 <= 40 ms.
"""
import datetime as dt
import random
import time

from bench.common import (
    build_world, copy_bookings, database, http_server, local_start,
    measure_floor, parse_quick_only, percentile, progress, run_concurrently,
    sized, summary, verdict)

DAYS = 30
LIVE = 200  # the photographer's live bookings in the window
DEAD = 60  # its cancelled and no-show ones there
TOTAL = sized(100_000, 5_000)
PHOTOGRAPHERS = 40
LIGHTS = 3
RUNS = sized(200, 20)
HTTP_RUNS = sized(200, 20)
CONCURRENT = 8
HTTP_CONCURRENT_RUNS = sized(50, 5)  # per client
LIVE_STATES = (['confirmed', 'requested', 'hold'], [70, 15, 15])


def window_bookings(world, day_from):
    """Bookings of the window: LIVE live and DEAD cancelled or no-show ones
    of the first photographer, with a room and the light's unit 1; the
    other room at half of the hours, taken by another photographer with
    unit 2. Returns rows and lines."""
    rng = random.Random(1)
    photographer, *others = world['photographers']
    rooms = world['rooms']
    slots = [(d, h) for d in range(DAYS) for h in range(10, 19)]
    mine = set(rng.sample(slots, LIVE))
    rows, lines = [], []

    def book(who, room, d, h, state, unit=None):
        start = local_start(world['tz'], day_from + dt.timedelta(days=d), h)
        if unit:
            lines.append((len(rows), world['light'], unit))
        rows.append({
                'client': world['client'], 'photographer': who,
                'service': world['full_service'], 'studio': world['studio'],
                'room': room, 'start': start,
                'end': start + dt.timedelta(hours=1),
                'currency': world['currency'], 'state': state})
    for i, (d, h) in enumerate(slots):
        room = rooms[i % len(rooms)]
        if (d, h) in mine:
            book(photographer, room, d, h,
                rng.choices(*LIVE_STATES)[0], unit=1)
        if rng.random() < 0.5:
            other = rooms[(i + 1) % len(rooms)]
            book(rng.choice(others), other, d, h,
                rng.choices(*LIVE_STATES)[0], unit=2)
    for d, h in rng.sample(slots, DEAD):
        book(photographer, rooms[0], d, h,
            rng.choice(['cancelled', 'no_show']))
    return rows, lines


def history_bookings(world, day_from, count):
    """count bookings of the plain service over every photographer, one a
    day each at 12:00 from 2020 on, never inside the benchmark window
    (window_bookings fills it)."""
    today = dt.date.today()
    rng = random.Random(2)
    photographers = world['photographers']
    per_photographer = -(-count // len(photographers))
    rows = []
    for p_index, photographer in enumerate(photographers):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=p_index)
        made = 0
        while made < per_photographer and len(rows) < count:
            if day_from - dt.timedelta(days=2) <= day \
                    <= day_from + dt.timedelta(days=DAYS + 1):
                day += dt.timedelta(days=1)
                continue
            start = local_start(world['tz'], day, 12)
            if day < today:
                state = rng.choices(
                    ['done', 'cancelled', 'no_show'], [90, 7, 3])[0]
            else:
                state = rng.choices(['confirmed', 'cancelled'], [95, 5])[0]
            rows.append({
                    'client': world['client'], 'photographer': photographer,
                    'service': world['plain_service'],
                    'studio': world['studio'], 'start': start,
                    'end': start + dt.timedelta(hours=1),
                    'currency': world['currency'], 'state': state})
            made += 1
            day += dt.timedelta(days=1)
    return rows


def time_in_process(db, world, service_key, day_from):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    day_to = day_from + dt.timedelta(days=DAYS - 1)
    samples, slots = [], None
    for i in range(RUNS + 10):
        started = time.perf_counter()
        with Transaction().start(db.name, 0, readonly=True):
            pool = Pool()
            Booking = pool.get('photo.booking')
            service = pool.get('photo.service')(world[service_key])
            studio = pool.get('photo.studio')(world['studio'])
            photographer = pool.get('photo.photographer')(
                world['photographers'][0])
            slots = Booking.available_slots(
                service, day_from, day_to, studio=studio,
                photographers=[photographer])
        if i >= 10:
            samples.append(time.perf_counter() - started)
    return samples, len(slots)


SERVICES = [('plain_service', 'photographer'),
    ('full_service', 'photographer+studio+room+equipment')]


def in_process(db, world, day_from, label, floor):
    "The slot count of each service."
    counts = {}
    for key, name in SERVICES:
        samples, counts[key] = time_in_process(db, world, key, day_from)
        progress(f"{label} in process, {name}: {summary(samples)} "
            f"({counts[key]} slots)")
        verdict(f"  {label} in process, {name}, p50",
            percentile(samples, 0.5), 5, floor and floor.p50)
    return counts


def over_http(db, world, day_from, counts, floor):
    day_to = day_from + dt.timedelta(days=DAYS - 1)
    with http_server(db) as client:
        def query(service_key):
            return (f"/availability?service={world[service_key]}"
                f"&studio={world['studio']}"
                f"&photographer={world['photographers'][0]}"
                f"&from={day_from.isoformat()}&to={day_to.isoformat()}")

        for (key, name), (p95_1, p95_8) in zip(
                SERVICES, [(25, 60), (40, 40)]):
            path = query(key)

            def get(c, i):
                status, body, elapsed = client.request('GET', path)
                assert status == 200, (status, body)
                assert len(body['slots']) == counts[key], (
                    "HTTP and in process disagree", len(body['slots']))
                return elapsed
            for _ in range(20):  # warm both workers' caches
                get(0, 0)
            one = run_concurrently(1, get, count=HTTP_RUNS)
            progress(f"HTTP {name}, 1 client: {summary(one)} "
                f"({counts[key]} slots)")
            verdict(f"  HTTP {name}, 1 client, p50", percentile(one, 0.5),
                10, floor and floor.p50)
            verdict(f"  HTTP {name}, 1 client, p95", percentile(one, 0.95),
                p95_1, floor and floor.p95)
            many = run_concurrently(
                CONCURRENT, get, count=HTTP_CONCURRENT_RUNS)
            progress(f"HTTP {name}, {CONCURRENT} clients: {summary(many)}")
            verdict(f"  HTTP {name}, {CONCURRENT} clients, p95",
                percentile(many, 0.95), p95_8,
                floor and floor.p95_concurrent)


def measure(floor=None):
    with database() as db:
        progress(f"building a studio with {PHOTOGRAPHERS} photographers")
        world = build_world(db, photographers=PHOTOGRAPHERS, lights=LIGHTS)
        day_from = dt.date.today() + dt.timedelta(days=2)
        rows, lines = window_bookings(world, day_from)
        copy_bookings(db, rows, lines)
        progress(f"phase 1: {LIVE} live and {DEAD} cancelled or no-show "
            f"bookings of the photographer in {DAYS} days, "
            f"{len(rows) - LIVE - DEAD} live of others in its rooms")
        in_process(db, world, day_from, "phase 1", floor)
        progress(f"phase 2: loading {TOTAL} more bookings "
            "with COPY, then ANALYZE")
        copy_bookings(db, history_bookings(world, day_from, TOTAL))
        counts = in_process(
            db, world, day_from, f"phase 2 ({TOTAL} more)", floor)
        over_http(db, world, day_from, counts, floor)


def main():
    parse_quick_only(__doc__)
    measure(measure_floor())


if __name__ == '__main__':
    main()
