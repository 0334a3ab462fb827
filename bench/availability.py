"""Benchmark Booking.available_slots: 1 photographer x 30 days.

    .venv/bin/python -m bench.availability

Phase 1: 200 existing bookings of the photographer in the 30 days.
Phase 2: the same plus ~100k bookings over 40 photographers and 7 years.
Each phase times available_slots in process (a fresh read-only
transaction per call, as a request has), then phase 2 also over HTTP:
gunicorn with 2 workers serving trytond.application:app.
Targets: in process <= 5 ms; HTTP p50 <= 10 ms and p95 <= 25 ms at 1
client, p95 <= 60 ms at 8; photographer+studio+equipment p95 <= 40 ms.
"""
import datetime as dt
import random
import time

from bench.common import (
    build_world, copy_bookings, database, http_server, local_start,
    percentile, progress, run_concurrently, summary)

DAYS = 30
EXISTING = 200
TOTAL = 100_000
PHOTOGRAPHERS = 40
RUNS = 200
HTTP_RUNS = 200
CONCURRENT = 8
HTTP_CONCURRENT_RUNS = 50  # per client


def window_bookings(world, day_from):
    "EXISTING bookings of the first photographer in the window, with units."
    rng = random.Random(1)
    slots = [(d, h) for d in range(DAYS) for h in range(10, 19)]
    rows, lines = [], []
    for i, (d, h) in enumerate(sorted(rng.sample(slots, EXISTING))):
        start = local_start(
            world['tz'], day_from + dt.timedelta(days=d), h)
        rows.append({
                'client': world['client'],
                'photographer': world['photographers'][0],
                'service': world['full_service'], 'studio': world['studio'],
                'room': world['rooms'][i % len(world['rooms'])],
                'start': start, 'end': start + dt.timedelta(hours=1),
                'currency': world['currency'], 'state': 'confirmed'})
        lines.append((i, world['light'], 1))
    return rows, lines


def history_bookings(world, day_from, count):
    """count bookings of the plain service over every photographer, one a
    day each at 12:00 from 2020 on, never inside the benchmark window for
    the first photographer."""
    today = dt.date.today()
    rng = random.Random(2)
    photographers = world['photographers']
    per_photographer = -(-count // len(photographers))
    rows = []
    for p_index, photographer in enumerate(photographers):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=p_index)
        made = 0
        while made < per_photographer and len(rows) < count:
            if p_index == 0 and day_from - dt.timedelta(days=2) <= day \
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


def in_process(db, world, day_from, label):
    for key, name in [('plain_service', 'photographer'),
            ('full_service', 'photographer+studio+room+equipment')]:
        samples, count = time_in_process(db, world, key, day_from)
        progress(f"{label} in process, {name}: {summary(samples)} "
            f"({count} slots; target p50 <= 5 ms)")


def over_http(db, world, day_from):
    day_to = day_from + dt.timedelta(days=DAYS - 1)
    with http_server(db) as client:
        def query(service_key):
            return (f"/availability?service={world[service_key]}"
                f"&studio={world['studio']}"
                f"&photographer={world['photographers'][0]}"
                f"&from={day_from.isoformat()}&to={day_to.isoformat()}")

        def get(path):
            status, body, elapsed = client.request('GET', path)
            assert status == 200, (status, body)
            return elapsed, len(body['slots'])

        for key, name, p95_1, p95_8 in [
                ('plain_service', 'photographer', 25, 60),
                ('full_service', 'photographer+studio+room+equipment',
                    40, 40)]:
            path = query(key)
            for _ in range(20):  # warm both workers' caches
                get(path)
            one = run_concurrently(1, lambda c, i: get(path), count=HTTP_RUNS)
            progress(f"HTTP {name}, 1 client: "
                f"{summary([e for e, _ in one])} ({one[0][1]} slots; "
                f"targets p50 <= 10 ms, p95 <= {p95_1} ms)")
            many = run_concurrently(
                CONCURRENT, lambda c, i: get(path),
                count=HTTP_CONCURRENT_RUNS)
            progress(f"HTTP {name}, {CONCURRENT} clients: "
                f"{summary([e for e, _ in many])}; "
                f"p95={percentile([e for e, _ in many], 0.95):.1f}ms "
                f"(target p95 <= {p95_8} ms)")


def main():
    with database() as db:
        progress(f"building a studio with {PHOTOGRAPHERS} photographers")
        world = build_world(db, photographers=PHOTOGRAPHERS)
        day_from = dt.date.today() + dt.timedelta(days=2)
        rows, lines = window_bookings(world, day_from)
        copy_bookings(db, rows, lines)
        progress(f"phase 1: {EXISTING} bookings of the photographer "
            f"in {DAYS} days")
        in_process(db, world, day_from, "phase 1 (200 rows)")
        progress(f"phase 2: loading {TOTAL - EXISTING} more bookings "
            "with COPY, then ANALYZE")
        copy_bookings(db, history_bookings(world, day_from, TOTAL - EXISTING))
        in_process(db, world, day_from, "phase 2 (100k rows)")
        over_http(db, world, day_from)


if __name__ == '__main__':
    main()
