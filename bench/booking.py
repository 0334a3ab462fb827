"""Benchmark booking creation: a hold with validation, constraints, commit.

    .venv/bin/python -m bench.booking [--quick]

Over HTTP (gunicorn, 2 workers, trytond.application:app):
POST /<db>/photo_booking/api/v1/holds for free slots of 40 photographers
(a studio service without room or equipment), each client a returning
customer (its party exists after its first hold) among 50,000 others:
p50/p95 at 1 client, p95 at 8 concurrent clients, then holds/s at 8
clients in 3 consecutive runs of 60 s, each against the floor
(bench.floor, measured in the same run). Also:
- the studio service that needs a room and a light (what every demo studio
  service is), whose room and equipment unit are allocated too, at 1 and at
  8 clients;
- POST .../bookings/<token>/confirm at 1 client;
- contention: 16 clients holding at once among 18 slots (2 photographers,
  one day), the 201s and 409s counted (no other answer allowed), then the
  database audited: no photographer, room or equipment unit booked twice
  (tests/audit.py);
- in process, the same hold through Booking.create_hold + commit, to show
  what HTTP adds.
Goals (issue 22): p50 <= 8 ms, p95 <= 15 ms at 1 client, p95 <= 50 ms at
8, >= 300 holds/s in every run and >= 60 % of the floor's creates/s.
"""
import datetime as dt
import os
import random
import threading
import time
from collections import Counter
from http import HTTPStatus
from zoneinfo import ZoneInfo

from bench.common import (
    build_world, copy_clients, database, http_server, measure_floor,
    parse_quick_only, percentile, progress, run_concurrently, sized, successes,
    summary, sustained, verdict)

PHOTOGRAPHERS = 40
CLIENTS = sized(50_000, 2_000)
HORIZON = 400  # days: 3 runs of 60 s at 8 clients need ~100k free slots
# Days counted from the day after tomorrow: the plain holds fill PLAIN_DAYS
# from the first; the studio-service holds (one light: one at a time in
# the studio) take STUDIO_DAYS, the contention scenario CONTENDED_DAY.
PLAIN_DAYS = range(0, 330)
# 360 starts: the 3 + STUDIO_RUNS + CONCURRENT * STUDIO_CONCURRENT_RUNS
# = 303 holds of the studio service, each alone in its hour.
STUDIO_DAYS = range(330, 370)
CONTENDED_DAY = 375
RUNS = sized(200, 20)
CONCURRENT = 8
CONCURRENT_RUNS = sized(40, 5)  # per client
SUSTAINED = sized(60, 5)  # seconds
SUSTAINED_RUNS = 3
IN_PROCESS_RUNS = sized(200, 20)
STUDIO_RUNS = sized(100, 10)
STUDIO_CONCURRENT_RUNS = sized(25, 3)  # per client
CONFIRM_RUNS = sized(50, 5)
CONTENDERS = 16
CONTENDED_PHOTOGRAPHERS = 2
CONTENDED_TRIES = sized(10, 3)  # per client
GOAL_RATE = 300  # holds/s
GOAL_FLOOR_SHARE = 0.6


class Slots:
    "Free (photographer, local start) pairs, handed out once each."

    def __init__(self, world):
        self._slots = ((photographer, start)
            for start in local_starts(world, PLAIN_DAYS)
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
        'consent': True,
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


def studio_service(client, world, floor):
    "Holds of the service with a room and a light, at 1 and 8 clients."
    starts = local_starts(world, STUDIO_DAYS)
    lock = threading.Lock()
    photographers = world['photographers']

    def studio_hold(index, i):
        with lock:
            start = next(starts)
        return client.request('POST', '/holds', hold_body(
                world, 'full_service', random.choice(photographers), start,
                index))
    for _ in range(3):
        successes([studio_hold(0, 0)], "warm-up")
    one = successes(
        run_concurrently(1, studio_hold, count=STUDIO_RUNS), "room and light")
    progress(f"HTTP POST /holds with a room and a light, 1 client: "
        f"{summary(one)}")
    verdict("  room + light, 1 client, p95", percentile(one, 0.95), 15,
        floor and floor.p95)
    many = successes(run_concurrently(
            CONCURRENT, studio_hold, count=STUDIO_CONCURRENT_RUNS),
        f"room and light, {CONCURRENT} clients")
    progress(f"HTTP POST /holds with a room and a light, {CONCURRENT} "
        f"clients: {summary(many)}")
    verdict(f"  room + light, {CONCURRENT} clients, p95",
        percentile(many, 0.95), 50, floor and floor.p95_concurrent)


def contention(db, client, world, floor):
    """CONTENDERS clients hold at once among a few slots: every answer a
    201 or a 409, then no double booking in the database."""
    import audit
    photographers = world['photographers'][:CONTENDED_PHOTOGRAPHERS]
    slots = [(p, s) for s in local_starts(world, [CONTENDED_DAY])
        for p in photographers]
    rng = random.Random(5)
    choices = [[rng.choice(slots) for _ in range(CONTENDED_TRIES)]
        for _ in range(CONTENDERS)]

    def contend(index, i):
        photographer, start = choices[index][i]
        status, body, elapsed = client.request('POST', '/holds', hold_body(
                world, 'plain_service', photographer, start, 1000 + index))
        return status, body, elapsed
    results = run_concurrently(CONTENDERS, contend, count=CONTENDED_TRIES)
    statuses = Counter(s for s, _, _ in results)
    others = [(s, b) for s, b, _ in results
        if s not in (HTTPStatus.CREATED, HTTPStatus.CONFLICT)]
    progress(f"contention, {CONTENDERS} clients on {len(slots)} slots: "
        f"{statuses[HTTPStatus.CREATED]} held (201), "
        f"{statuses[HTTPStatus.CONFLICT]} refused (409), "
        f"{len(others)} other answers"
        + (f", first: {others[0]}" if others else "")
        + f"; {summary([e for _, _, e in results])}")
    verdict(f"  contention, {CONTENDERS} clients, p95",
        percentile([e for _, _, e in results], 0.95),
        floor=floor and floor.p95_concurrent)
    with db.connect() as connection:
        problems = audit.overlaps(connection)
    progress(f"  audit after contention: {len(problems)} problems"
        + (f", first: {problems[:3]}" if problems else " (no overlap)"))


def cpu_seconds(pids):
    "User + system CPU seconds the processes pids used so far."
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                stat = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue  # ended
        total += int(stat[11]) + int(stat[12])
    return total / os.sysconf('SC_CLK_TCK')


def children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def state(db, client):
    """What may grow from one sustained run to the next: the CPU the
    workers and their PostgreSQL backends used, the bookings table and its
    indexes, autovacuum, checkpoints and WAL, abuse's sets in Redis."""
    with db.connect() as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        backends = [pid for pid, in cursor]
        cursor.execute("SELECT n_live_tup, n_dead_tup, "
            "autovacuum_count + autoanalyze_count, "
            "pg_total_relation_size(relid), pg_indexes_size(relid) "
            "FROM pg_stat_user_tables WHERE relname = 'photo_booking'")
        rows, dead, autovacuums, size, indexes = cursor.fetchone()
        cursor.execute("SELECT checkpoints_timed + checkpoints_req, "
            "pg_current_wal_lsn() - '0/0'::pg_lsn FROM pg_stat_bgwriter")
        checkpoints, wal = cursor.fetchone()
    largest_open = None
    try:
        import redis
        store = redis.Redis(socket_timeout=1)
        largest_open = max((store.zcard(key) for key in store.scan_iter(
                    f'photo_booking:abuse:{db.name}:*:open')), default=0)
    except Exception:  # no Redis: abuse counts in the workers
        pass
    return {
        'worker_cpu': cpu_seconds(children(client.server_pid)),
        'pg_cpu': cpu_seconds(backends), 'rows': rows, 'dead': dead,
        'autovacuums': autovacuums, 'size': size, 'indexes': indexes,
        'checkpoints': checkpoints, 'wal': int(wal),
        'largest_open': largest_open, 'load': os.getloadavg()[0],
        }


def growth(before, after, holds):
    "One line comparing two states around a run of holds."
    def per_hold(name, scale):
        return (after[name] - before[name]) / max(holds, 1) * scale
    return (f"  per hold: workers {per_hold('worker_cpu', 1000):.2f} ms CPU, "
        f"their PostgreSQL backends {per_hold('pg_cpu', 1000):.2f} ms, "
        f"WAL {per_hold('wal', 1 / 1024):.1f} kB; "
        f"bookings {after['rows']} ({after['size'] / 2**20:.0f} MB, "
        f"indexes {after['indexes'] / 2**20:.0f} MB, {after['dead']} dead), "
        "autovacuum/analyze runs "
        f"+{after['autovacuums'] - before['autovacuums']}, "
        f"checkpoints +{after['checkpoints'] - before['checkpoints']}, "
        f"largest open-holds set in Redis {after['largest_open']}, "
        f"load {after['load']:.1f}")


def over_http(db, world, slots, floor):
    "The sustained holds/s of each run."
    with http_server(db) as client:
        def hold(index, i):
            photographer, start = slots.take()
            return client.request('POST', '/holds', hold_body(
                    world, 'plain_service', photographer, start, index))

        for index in range(CONCURRENT):  # parties exist, workers warm
            for _ in range(3):
                successes([hold(index, 0)], "warm-up")
        one = successes(run_concurrently(1, hold, count=RUNS), "1 client")
        progress(f"HTTP POST /holds, 1 client: {summary(one)}")
        verdict("  holds, 1 client, p50", percentile(one, 0.5), 8,
            floor and floor.p50)
        verdict("  holds, 1 client, p95", percentile(one, 0.95), 15,
            floor and floor.p95)
        studio_service(client, world, floor)

        def hold_then_confirm(index, i):
            status, body, _ = hold(index, i)
            assert status == 201, body
            status, body, elapsed = client.request(
                'POST', f"/bookings/{body['token']}/confirm", {})
            return status, body, elapsed
        confirms = successes(run_concurrently(
                1, hold_then_confirm, count=CONFIRM_RUNS), "confirm",
            HTTPStatus.OK)
        progress(f"HTTP POST /bookings/<token>/confirm, 1 client: "
            f"{summary(confirms)}")
        contention(db, client, world, floor)
        many = successes(run_concurrently(
                CONCURRENT, hold, count=CONCURRENT_RUNS),
            f"{CONCURRENT} clients")
        progress(f"HTTP POST /holds, {CONCURRENT} clients: {summary(many)}")
        verdict(f"  holds, {CONCURRENT} clients, p95",
            percentile(many, 0.95), 50, floor and floor.p95_concurrent)
        rates = []
        for run in range(1, SUSTAINED_RUNS + 1):
            before = state(db, client)
            ok, rate = sustained(hold, CONCURRENT, SUSTAINED)
            rates.append(rate)
            progress(f"HTTP sustained, run {run} of {SUSTAINED_RUNS}: "
                f"{len(ok)} holds in {SUSTAINED} s at {CONCURRENT} clients "
                f"({summary(ok)})")
            progress(growth(before, state(db, client), len(ok)))
            verdict(f"  holds/s, run {run}", rate, GOAL_RATE,
                floor and floor.rate, higher=True, unit='/s')
        if floor:
            shares = [rate / floor.rate for rate in rates]
            met = min(shares) >= GOAL_FLOOR_SHARE
            progress(f"holds/s of the floor's {floor.rate:.1f}/s: "
                f"{', '.join(f'{s:.0%}' for s in shares)} (goal >= "
                f"{GOAL_FLOOR_SHARE:.0%} in every run: "
                f"{'met' if met else 'MISSED'}); >= {GOAL_RATE}/s in every "
                f"run: {'met' if min(rates) >= GOAL_RATE else 'MISSED'}")
        return rates


def measure(floor):
    "The sustained holds/s of each run."
    with database() as db:
        progress(f"building a studio with {PHOTOGRAPHERS} photographers")
        world = build_world(
            db, photographers=PHOTOGRAPHERS, horizon_days=HORIZON)
        progress(f"copying {CLIENTS} clients with an email and a phone each")
        copy_clients(db, CLIENTS)
        slots = Slots(world)
        in_process(db, world, slots)
        return over_http(db, world, slots, floor)


def main():
    parse_quick_only(__doc__)
    measure(measure_floor())


if __name__ == '__main__':
    main()
