"""Shared pieces of the benchmarks: database, data, timing, HTTP server."""
import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
# trytond on PostgreSQL's machine connects over its Unix socket, as a
# one-host production would: TCP on loopback costs each of a hold's round
# trips a pass through the network stack (bench.booking: 10-15% fewer
# holds/s). PHOTO_PG_URI chooses another server, e.g. the tests' TCP one.
PG_SOCKET_DIR = '/var/run/postgresql'
if 'PHOTO_PG_URI' not in os.environ and os.path.exists(
        os.path.join(PG_SOCKET_DIR, '.s.PGSQL.5432')):
    os.environ['PHOTO_PG_URI'] = (
        'postgresql://postgres@' + PG_SOCKET_DIR.replace('/', '%2F') + '/')

from tryton_db import MODULE, PG_URI, RELAXED_ABUSE, TrytonDB  # noqa: E402

STARTED = time.monotonic()
WORKERS = 2
API = '/photo_booking/api/v1'
# --quick (or PHOTO_BENCH_QUICK=1): every bench at small sizes and short
# runs, to check in a few minutes that they all still run; no figure of
# such a run means anything.
QUICK = ('--quick' in sys.argv[1:]
    or os.environ.get('PHOTO_BENCH_QUICK') == '1')
COPY_PROGRESS = 100_000  # rows between two progress lines of a load


def progress(message):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def sized(full, quick):
    "full, or quick with --quick."
    return quick if QUICK else full


def add_quick_option(parser):
    "--quick on an argparse parser (read from sys.argv at import: QUICK)."
    parser.add_argument('--quick', action='store_true',
        help="small sizes and short runs: check that the bench runs")


def parse_quick_only(doc):
    "The command line of a bench whose one option is --quick (doc: its help)."
    parser = argparse.ArgumentParser(description=doc)
    add_quick_option(parser)
    return parser.parse_args()


@dataclass(frozen=True)
class Floor:
    """bench.floor's figures: a bare Tryton create over HTTP on this
    machine, in this run (ms, and creates/s at 8 clients)."""
    p50: float
    p95: float
    p95_concurrent: float
    rate: float


def measure_floor():
    "bench.floor's figures, measured now: the first step of every bench."
    from bench import floor
    progress("measuring the floor first (bench.floor)")
    figures = floor.measure()
    progress(f"floor: p50 {figures.p50:.1f} ms, p95 {figures.p95:.1f} ms "
        f"at 1 client, p95 {figures.p95_concurrent:.1f} ms and "
        f"{figures.rate:.1f} creates/s at 8")
    return figures


def verdict(label, figure, goal=None, floor=None, higher=False, unit='ms'):
    """Print label's figure, its goal (met or MISSED) and its ratio to the
    floor's (figure / floor: how many bare creates a request costs, or the
    share of the floor's rate): the ratio is what compares across
    machines."""
    parts = [f"{label}: figure {figure:.1f}{unit}"]
    if goal is None:
        parts.append("no goal")
    else:
        met = figure >= goal if higher else figure <= goal
        parts.append(f"goal {'>=' if higher else '<='} {goal}{unit} "
            f"({'met' if met else 'MISSED'}, {figure / goal:.2f} of it)")
    if floor:
        parts.append(f"floor {floor:.1f}{unit}, ratio {figure / floor:.2f}")
    else:
        parts.append("floor not measured in this run")
    progress("; ".join(parts))


def summary(samples, unit='ms'):
    "p50/p95/mean/max of samples in seconds, printed in ms."
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * len(ms))) - 1)]
    return (f"n={len(ms)} p50={statistics.median(ms):.1f}{unit} "
        f"p95={p95:.1f}{unit} mean={statistics.fmean(ms):.1f}{unit} "
        f"max={ms[-1]:.1f}{unit}")


def percentile(samples, q):
    ms = sorted(s * 1000 for s in samples)
    return ms[min(len(ms) - 1, int(round(q * len(ms))) - 1)]


@contextlib.contextmanager
def database(module=MODULE, modules=None):
    "A fresh PostgreSQL database with module (or modules), this process on it."
    progress(f"creating a fresh PostgreSQL database with "
        f"{', '.join(modules or [module])} ({PG_URI})")
    db = TrytonDB('postgresql', module=module, modules=modules)
    # PHOTO_BENCH_DB_SUFFIX: a word in the name, to tell whose it is
    if os.environ.get('PHOTO_BENCH_DB_SUFFIX'):
        db.name += '_' + os.environ['PHOTO_BENCH_DB_SUFFIX']
    db.create()
    try:
        db.configure()
        from trytond.pool import Pool
        Pool(db.name).init()
        progress(f"database {db.name} ready")
        yield db
    finally:
        from trytond import backend
        from trytond.cache import Cache
        Cache.drop(db.name)  # stops its listener before the drop
        backend.Database(db.name).close()
        db.drop()
        progress(f"database {db.name} dropped")


def build_world(db, photographers=1, horizon_days=90, lights=1):
    """create_world plus a plain service (no room, no equipment) offered by
    every photographer. Returns a dict of ids."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking.tests.tools import create_world
    with Transaction().start(db.name, 0) as transaction:
        pool = Pool()
        Service = pool.get('photo.service')
        Photographer = pool.get('photo.photographer')
        w = create_world(
            photographers=photographers, equipment_quantity=lights)
        plain, = Service.copy([w.service], default={
                'name': "Portrait (no room)", 'needs_room': False,
                'equipment': None})
        Photographer.write(w.photographers, {
                'horizon_days': horizon_days,
                'services': [('create', [{'service': plain.id}])]})
        transaction.commit()
        return {
            'studio': w.studio.id, 'tz': w.studio.timezone,
            'full_service': w.service.id, 'plain_service': plain.id,
            'photographers': [p.id for p in w.photographers],
            'rooms': [r.id for r in w.rooms], 'light': w.light.id,
            'client': w.client.id, 'currency': w.currency.id,
            }


def local_start(tz, day, hour):
    "Naive UTC datetime of hour:00 on day at the studio."
    moment = dt.datetime.combine(day, dt.time(hour), ZoneInfo(tz))
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def copy_bookings(db, rows, lines=()):
    """COPY bookings straight into photo_booking (busy range = start/end,
    services have no buffers); rows may be any iterable (a generator for
    millions), holds expire in an hour; lines: (booking index, equipment,
    unit). Prints its progress."""
    import uuid
    columns = ['number', 'token', 'client', 'photographer', 'service',
        'studio', 'room', 'start', '"end"', 'busy_start', 'busy_end',
        'source', 'price', 'currency', 'state', 'hold_expires',
        'create_uid', 'create_date']
    now = dt.datetime.utcnow()
    expires = now + dt.timedelta(hours=1)
    with db.connect() as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM photo_booking")
        first_id, = cursor.fetchone()
        count = 0
        with cursor.copy(
                f"COPY photo_booking ({', '.join(columns)}) FROM STDIN") as copy:
            for count, r in enumerate(rows, 1):
                copy.write_row((
                        f"L{first_id + count:07d}", uuid.uuid4().hex,
                        r['client'], r['photographer'], r['service'],
                        r['studio'], r.get('room'), r['start'], r['end'],
                        r['start'], r['end'], 'backoffice', 5000,
                        r['currency'], r['state'],
                        expires if r['state'] == 'hold' else None, 0, now))
                if not count % COPY_PROGRESS:
                    progress(f"  {count} bookings copied")
        if lines:
            cursor.execute(
                "SELECT id, start, \"end\", state FROM photo_booking "
                "WHERE id > %s ORDER BY id", (first_id,))
            created = cursor.fetchall()
            with cursor.copy(
                    "COPY photo_booking_equipment_line (booking, equipment, "
                    "unit, extra, busy_start, busy_end, blocking, "
                    "create_uid, create_date) FROM STDIN") as copy:
                for index, equipment, unit in lines:
                    id_, start, end, state = created[index]
                    copy.write_row((id_, equipment, unit, False, start, end,
                            state in ('hold', 'requested', 'confirmed'),
                            0, now))
        progress(f"  {count} bookings copied, committing")
        connection.commit()
        connection.autocommit = True
        cursor.execute("ANALYZE photo_booking")
        cursor.execute("ANALYZE photo_booking_equipment_line")
    progress("  analysed")


def copy_clients(db, count):
    """COPY count client parties, each with an email and a phone, so that
    finding a returning client searches a studio-sized contact list."""
    from trytond.modules.photo_booking.encryption import keyring
    now = dt.datetime.utcnow()
    with db.connect() as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM party_party")
        first_id, = cursor.fetchone()
        with cursor.copy("COPY party_party (id, code, name, active, "
                "create_uid, create_date) FROM STDIN") as copy:
            for i in range(first_id + 1, first_id + count + 1):
                copy.write_row(
                    (i, f"BENCH{i}", f"Client {i}", True, 0, now))
        # Stored as the ORM stores them: encrypted, with the keyed hash
        # that finds them (photo_booking's encryption.py).
        ring = keyring()
        aad = b'party.contact_mechanism.value'
        with cursor.copy("COPY party_contact_mechanism (party, type, value, "
                "value_hash, active, create_uid, create_date) "
                "FROM STDIN") as copy:
            for i in range(first_id + 1, first_id + count + 1):
                for type_, value in [('email', f"Client.{i}@Example.org"),
                        ('phone', f"+7901{i:07d}")]:
                    copy.write_row((i, type_, ring.encrypt(value, aad),
                            ring.index(value), True, 0, now))
        # The identity columns must go on after the copied ids.
        cursor.execute("SELECT setval(pg_get_serial_sequence("
            "'party_party', 'id'), (SELECT MAX(id) FROM party_party))")
        connection.commit()
        connection.autocommit = True
        cursor.execute("ANALYZE party_party")
        cursor.execute("ANALYZE party_contact_mechanism")


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def http_server(db, workers=WORKERS, prefix=API, options=()):
    """gunicorn serving trytond.application:app on the database (options
    added to its command line); a Client of the routes under
    /<database><prefix>."""
    port = free_port()
    env = dict(os.environ)
    env['TRYTOND_CONFIG'] = db.config_file
    env['TRYTOND_DATABASE_NAMES'] = db.name
    # Every client of a benchmark is 127.0.0.1: measure the server, not the
    # per-IP limit of the API's writes.
    env['TRYTOND_PHOTO_BOOKING__RATE_LIMIT_API_WRITE'] = '1000000/60'
    # Nor abuse's limits of holds per address, contact and device (its own
    # figures: bench.abuse), unless the caller set them.
    for key, value in RELAXED_ABUSE.items():
        env.setdefault(f'TRYTOND_PHOTO_BOOKING__{key.upper()}', value)
    gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
    progress(f"starting gunicorn, {workers} workers, on 127.0.0.1:{port}")
    process = subprocess.Popen([
            gunicorn, '-w', str(workers), *options,
            '-b', f'127.0.0.1:{port}', '--log-level', 'warning', 'trytond.application:app'],
        env=env, cwd=db.workdir)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)
        client = Client('127.0.0.1', port, db.name, prefix)
        client.server_pid = process.pid
        yield client
    finally:
        process.terminate()
        process.wait(30)
        progress("gunicorn stopped")


class Client:
    "A minimal HTTP/JSON client; one TCP connection per request."

    def __init__(self, host, port, database, prefix=API):
        self.host, self.port = host, port
        self.prefix = f'/{database}{prefix}'

    def request(self, method, path, body=None, token=None, headers=None):
        """(status, decoded JSON body, seconds); token: a bearer token,
        headers: more of them."""
        connection = http.client.HTTPConnection(self.host, self.port, 30)
        headers = {'Accept-Language': 'en', **(headers or {})}
        if token:
            headers['Authorization'] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        started = time.perf_counter()
        connection.request(
            method, self.prefix + path,
            body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return (response.status,
            json.loads(payload) if payload else None, elapsed)


def read_afresh():
    """This transaction reads availability's setup and answers from the
    database, not from this process's caches: a commit's clear of them
    reaches every process, this one too, through PostgreSQL's NOTIFY, a
    moment later (longer on a loaded machine)."""
    from trytond.modules.photo_booking import setup_cache
    setup_cache.cache.clear()
    setup_cache.answers.clear()


def settle(ask, what, deadline=30):
    """Ask until ask() is right 20 times in a row: a commit's clear of the
    caches reaches the server's workers through PostgreSQL's NOTIFY, a
    moment later, and the workers' caches warm up meanwhile."""
    started, right = time.monotonic(), 0
    while right < 20:
        right = right + 1 if ask() else 0
        if time.monotonic() - started > deadline:
            raise AssertionError(f"after {deadline} s, the server still "
                f"does not show {what}")


def run_concurrently(clients, function, duration=None, count=None):
    """Run function(client_index, iteration) in clients threads, either
    count times each or for duration seconds. Returns the results."""
    results = [[] for _ in range(clients)]
    deadline = time.monotonic() + duration if duration else None
    barrier = threading.Barrier(clients)

    def loop(index):
        barrier.wait()
        i = 0
        while True:
            if count is not None and i >= count:
                break
            if deadline and time.monotonic() >= deadline:
                break
            results[index].append(function(index, i))
            i += 1
    threads = [threading.Thread(target=loop, args=(i,))
        for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for rs in results for r in rs]


def successes(results, label, status=201):
    "Seconds of the results that got status; the others are reported."
    failed = [(s, b) for s, b, _ in results if s != status]
    if failed:
        progress(f"{label}: {len(failed)} of {len(results)} failed, "
            f"first: {failed[0]}")
    return [e for s, _, e in results if s == status]


def sustained(function, clients, seconds):
    """function run by clients for seconds: the seconds of its successes
    and their number per second."""
    progress(f"sustained: {clients} clients for {seconds}s")
    started = time.monotonic()
    results = run_concurrently(clients, function, duration=seconds)
    elapsed = time.monotonic() - started
    ok = successes(results, "sustained")
    return ok, len(ok) / elapsed


def team_bookings(world, day_from, days, per_day, seed=3):
    """Confirmed one-hour bookings of the plain service, per_day (low,
    high) a day for every photographer over days from day_from, at random
    working hours (10:00-18:00 starts)."""
    rng = random.Random(seed)
    rows = []
    for photographer in world['photographers']:
        for d in range(days):
            day = day_from + dt.timedelta(days=d)
            for hour in rng.sample(range(10, 19), rng.randint(*per_day)):
                start = local_start(world['tz'], day, hour)
                rows.append({
                        'client': world['client'],
                        'photographer': photographer,
                        'service': world['plain_service'],
                        'studio': world['studio'], 'start': start,
                        'end': start + dt.timedelta(hours=1),
                        'currency': world['currency'], 'state': 'confirmed'})
    return rows


def past_bookings(world, count, before=None, seed=4):
    """count done, cancelled and no-show bookings of the plain service,
    spread over the photographers, their days full (10:00-18:00 starts)
    going back from the day before before (a naive UTC datetime, by
    default now): the history a studio network keeps. A generator: a
    million rows are copied as they come."""
    rng = random.Random(seed)
    photographers = world['photographers']
    before = (before or dt.datetime.utcnow()).date()
    last_day = before - dt.timedelta(days=2)
    per_day = 9 * len(photographers)
    for i in range(count):
        day = last_day - dt.timedelta(days=i // per_day)
        start = local_start(world['tz'], day, 10 + i % 9)
        yield {
            'client': world['client'],
            'photographer': photographers[i % len(photographers)],
            'service': world['plain_service'],
            'studio': world['studio'], 'start': start,
            'end': start + dt.timedelta(hours=1),
            'currency': world['currency'],
            'state': rng.choices(
                ['done', 'cancelled', 'no_show'], [90, 7, 3])[0]}
