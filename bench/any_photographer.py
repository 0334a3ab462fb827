"""Booking.available_slots for "any photographer", in process, on
PostgreSQL: 100 photographers x 30 days, 4-5 bookings a day each in the
window (~13k rows read) and ~100k bookings in all.

    .venv/bin/python -m bench.any_photographer [--photographers 100]

Prints the whole call and its parts (reading the bookings, the engine) per
fresh read-only transaction, as a request has them.
"""
import argparse
import datetime as dt
import time
from unittest import mock

from bench.common import (
    build_world, copy_bookings, database, past_bookings, progress, summary,
    team_bookings)

DAYS = 30
RUNS = 30


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


def measure(db, world, day_from):
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--photographers', type=int, default=100)
    parser.add_argument('--bookings', type=int, default=100_000)
    args = parser.parse_args()
    with database() as db:
        world = build_world(db, photographers=args.photographers)
        day_from = dt.date.today() + dt.timedelta(days=2)
        window = team_bookings(world, day_from, DAYS, per_day=(4, 5))
        copy_bookings(db, window + past_bookings(
                world, max(0, args.bookings - len(window))))
        progress(f"{args.photographers} photographers x {DAYS} days, "
            f"{len(window)} bookings in the window, {args.bookings} in all")
        total, booked, engine, count = measure(db, world, day_from)
        progress(f"available_slots: {summary(total)} ({count} slots)")
        progress(f"  reading bookings (_booked): {summary(booked)}")
        progress(f"  engine (any_photographer_slots): {summary(engine)}")


if __name__ == '__main__':
    main()
