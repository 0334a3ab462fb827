"""Booking.available_slots for "any photographer" on PostgreSQL: 100
photographers x 30 days, 4-5 bookings a day each in the window (~13k rows
read) and ~100k bookings in all.

    .venv/bin/python -m bench.any_photographer [--photographers 100] [--quick]

In process, the whole call and its parts (reading the bookings, the
engine) per fresh read-only transaction, as a request has them; then over
HTTP (gunicorn, 2 workers) GET .../availability?photographer=any at 1 and 8
clients, each answer checked against the in-process slot count.
Goals (issue 22): HTTP p95 <= 40 ms at 1 client, <= 120 ms at 8.
"""
import argparse
import datetime as dt
import itertools
import time
from unittest import mock

from bench.common import (
    add_quick_option, build_world, copy_bookings, database, http_server,
    measure_floor, past_bookings, percentile, progress, run_concurrently,
    sized, summary, team_bookings, verdict)

DAYS = 30
RUNS = sized(30, 5)
HTTP_RUNS = sized(100, 10)
CONCURRENT = 8
HTTP_CONCURRENT_RUNS = sized(25, 3)  # per client
GOALS = {1: 40, CONCURRENT: 120}  # HTTP p95, ms
PHOTOGRAPHERS = sized(100, 10)
BOOKINGS = sized(100_000, 5_000)


def timed(target, name, samples):
    "Wrap target.name so that each call's seconds go to samples."
    function = getattr(target, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            samples.append(time.perf_counter() - started)
    return mock.patch.object(target, name, wrapper)


def measure_in_process(db, world, day_from):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking import availability
    day_to = day_from + dt.timedelta(days=DAYS - 1)
    total, booked, engine = [], [], []
    with Transaction().start(db.name, 0, readonly=True):
        Booking = Pool().get('photo.booking')
    with timed(Booking, '_booked', booked), \
            timed(availability, 'any_photographer_slots', engine):
        for i in range(RUNS + 3):
            started = time.perf_counter()
            with Transaction().start(db.name, 0, readonly=True):
                pool = Pool()
                service = pool.get('photo.service')(world['plain_service'])
                studio = pool.get('photo.studio')(world['studio'])
                slots = Booking.available_slots(
                    service, day_from, day_to, studio=studio)
            total.append(time.perf_counter() - started)
    # The first calls fill the setup cache.
    return total[3:], booked[3:], engine[3:], len(slots)


def over_http(db, world, day_from, count, floor):
    day_to = day_from + dt.timedelta(days=DAYS - 1)
    path = (f"/availability?service={world['plain_service']}"
        f"&studio={world['studio']}&photographer=any"
        f"&from={day_from.isoformat()}&to={day_to.isoformat()}")
    with http_server(db) as client:
        def get(c, i):
            status, body, elapsed = client.request('GET', path)
            assert status == 200, (status, body)
            assert len(body['slots']) == count, (
                "HTTP and in process disagree", len(body['slots']))
            return elapsed
        for _ in range(10):  # warm both workers' caches
            get(0, 0)
        for clients, runs in [
                (1, HTTP_RUNS), (CONCURRENT, HTTP_CONCURRENT_RUNS)]:
            samples = run_concurrently(clients, get, count=runs)
            progress(f"HTTP any photographer, {clients} client(s): "
                f"{summary(samples)} ({count} slots)")
            verdict(f"  HTTP any photographer, {clients} client(s), p95",
                percentile(samples, 0.95), GOALS[clients],
                floor and (floor.p95 if clients == 1
                    else floor.p95_concurrent))


def measure(photographers, bookings, floor=None):
    with database() as db:
        world = build_world(db, photographers=photographers)
        day_from = dt.date.today() + dt.timedelta(days=2)
        window = team_bookings(world, day_from, DAYS, per_day=(4, 5))
        progress(f"copying {bookings} bookings, {len(window)} of them in "
            "the window")
        copy_bookings(db, itertools.chain(window, past_bookings(
                    world, max(0, bookings - len(window)))))
        progress(f"{photographers} photographers x {DAYS} days, "
            f"{len(window)} bookings in the window, {bookings} in all")
        total, booked, engine, count = measure_in_process(db, world, day_from)
        progress(f"available_slots: {summary(total)} ({count} slots)")
        progress(f"  reading bookings (_booked): {summary(booked)}")
        progress(f"  engine (any_photographer_slots): {summary(engine)}")
        over_http(db, world, day_from, count, floor)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--photographers', type=int, default=PHOTOGRAPHERS)
    parser.add_argument('--bookings', type=int, default=BOOKINGS)
    add_quick_option(parser)
    args = parser.parse_args()
    measure(args.photographers, args.bookings, measure_floor())


if __name__ == '__main__':
    main()
