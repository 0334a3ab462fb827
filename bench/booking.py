"""Benchmark booking creation: a hold with validation, constraints, commit.

    .venv/bin/python -m bench.booking

Over HTTP (gunicorn, 2 workers, trytond.application:app):
POST /<db>/photo_booking/api/v1/holds for free slots of 40 photographers
(a studio service without room or equipment), each client a returning
customer (its party exists after its first hold) among 50,000 others.
Reports p50/p95 at 1 client, p95 at 8 concurrent clients, sustained
holds/s at 8 clients for 60 s, and POST .../bookings/<token>/confirm. In
process, the same hold through Booking.create_hold + commit shows what
HTTP adds. Also at 1 client: holds of the studio service that needs a
room and a light (what every demo studio service is), whose room and
equipment unit are allocated too.
Targets: p50 <= 8 ms, p95 <= 15 ms at 1 client, p95 <= 50 ms at 8,
>= 300 bookings/s.
"""
import datetime as dt
from http import HTTPStatus
import threading
import time
from zoneinfo import ZoneInfo

from bench.common import (
    build_world, copy_clients, database, http_server, percentile, progress,
    run_concurrently, successes, summary, sustained)

PHOTOGRAPHERS = 40
CLIENTS = 50_000
DAYS = 85
RUNS = 200
CONCURRENT = 8
CONCURRENT_RUNS = 40  # per client
SUSTAINED = 60  # seconds
IN_PROCESS_RUNS = 200
STUDIO_RUNS = 100
# Days of the first photographer left to the studio-service holds: the
# plain holds fill the days from the start and never get this far.
STUDIO_DAYS = range(70, DAYS)


class Slots:
    "Free (photographer, local start) pairs, handed out once each."

    def __init__(self, world):
        self._slots = ((photographer, start)
            for start in local_starts(world, range(DAYS))
            for photographer in world['photographers'])
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            return next(self._slots)


def local_starts(world, days):
    """Each hour from 10:00 to 18:00 at the studio, on days counted from
    the day after tomorrow."""
    tz = ZoneInfo(world['tz'])
    first = dt.date.today() + dt.timedelta(days=2)
    return (dt.datetime.combine(first + dt.timedelta(days=d), dt.time(h), tz)
        for d in days for h in range(10, 19))


def hold_body(world, service, photographer, start, index):
    "POST /holds of returning client index."
    return {
        'service': world[service],
        'studio': world['studio'],
        'photographer': photographer,
        'start': start.isoformat(),
        'client': {
            'name': f"Bench Client {index}",
            'email': f"bench{index}@example.com",
            'phone': f"+7900000{index:04d}"},
        }


def in_process(db, world, slots):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    samples = []
    for i in range(IN_PROCESS_RUNS + 10):
        photographer, start = slots.take()
        started = time.perf_counter()
        with Transaction().start(db.name, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            Booking.create_hold(
                pool.get('photo.service')(world['plain_service']), start,
                pool.get('party.party')(world['client']),
                studio=pool.get('photo.studio')(world['studio']),
                photographer=pool.get('photo.photographer')(photographer))
            transaction.commit()
        if i >= 10:
            samples.append(time.perf_counter() - started)
    progress(f"in process, Booking.create_hold + commit, 1 client: "
        f"{summary(samples)}")


def over_http(db, world, slots):
    with http_server(db) as client:
        def hold(index, i):
            photographer, start = slots.take()
            return client.request('POST', '/holds', hold_body(
                    world, 'plain_service', photographer, start, index))

        for index in range(CONCURRENT):  # parties exist, workers warm
            for _ in range(3):
                successes([hold(index, 0)], "warm-up")
        one = successes(run_concurrently(1, hold, count=RUNS), "1 client")
        progress(f"HTTP POST /holds, 1 client: {summary(one)} "
            "(targets p50 <= 8 ms, p95 <= 15 ms)")

        studio_starts = local_starts(world, STUDIO_DAYS)

        def studio_hold(index, i):
            return client.request('POST', '/holds', hold_body(
                    world, 'full_service', world['photographers'][0],
                    next(studio_starts), 0))
        for _ in range(3):
            successes([studio_hold(0, 0)], "warm-up")
        studio = successes(
            run_concurrently(1, studio_hold, count=STUDIO_RUNS),
            "room and light")
        progress(f"HTTP POST /holds with a room and a light, 1 client: "
            f"{summary(studio)}")

        def hold_then_confirm(index, i):
            status, body, _ = hold(index, i)
            assert status == 201, body
            status, body, elapsed = client.request(
                'POST', f"/bookings/{body['token']}/confirm", {})
            return status, body, elapsed
        confirms = successes(run_concurrently(
                1, hold_then_confirm, count=50), "confirm", HTTPStatus.OK)
        progress(f"HTTP POST /bookings/<token>/confirm, 1 client: "
            f"{summary(confirms)}")
        many = successes(run_concurrently(
                CONCURRENT, hold, count=CONCURRENT_RUNS),
            f"{CONCURRENT} clients")
        progress(f"HTTP POST /holds, {CONCURRENT} clients: {summary(many)}"
            f"; p95={percentile(many, 0.95):.1f}ms (target <= 50 ms)")
        ok, rate = sustained(hold, CONCURRENT, SUSTAINED)
        progress(f"HTTP sustained: {len(ok)} holds = {rate:.1f} bookings/s "
            f"at {CONCURRENT} clients ({summary(ok)}; target >= 300/s)")
        return rate


def main():
    "Returns the sustained holds/s."
    with database() as db:
        progress(f"building a studio with {PHOTOGRAPHERS} photographers")
        world = build_world(db, photographers=PHOTOGRAPHERS)
        progress(f"copying {CLIENTS} clients with an email and a phone each")
        copy_clients(db, CLIENTS)
        slots = Slots(world)
        in_process(db, world, slots)
        return over_http(db, world, slots)


if __name__ == '__main__':
    main()
