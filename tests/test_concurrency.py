"""Double booking is impossible, even for clients racing each other.

Every client is a separate process with its own trytond pool and database
connection. A barrier releases all clients of a round at the same instant
on the same slot; exactly one may win, the others must get SlotTakenError
(PostgreSQL's 23P01 exclusion violations included; deadlocks and lock
timeouts are retried as Tryton's dispatcher retries them). An SQL audit
then looks for overlaps the application could have missed.

Run: .venv/bin/python -m pytest -q tests/test_concurrency.py
"""
import contextlib
import collections
import multiprocessing
import os
import queue as queue_module
import time

import pytest

import concurrency_worker as cw
from tryton_db import TrytonDB

ROUNDS = int(os.environ.get('PHOTO_CONCURRENCY_ROUNDS', 100))
CLIENTS = int(os.environ.get('PHOTO_CONCURRENCY_CLIENTS', 8))
# SQLite serialises writers: 16 of them at once must all get through.
SQLITE_DISTINCT_CLIENTS = 16
DISTINCT_ROUNDS = 3
BULK = 120
CONTENDED = ('photographer', 'room', 'equipment')
EXPIRED_ROUNDS = 20

# One world per scenario, so that only the resource under test is shared.
WORLDS = {
    # One photographer; no room, no equipment.
    'photographer': {
        'photographers': 1, 'needs_room': False, 'with_equipment': False},
    # One room for several photographers; no equipment.
    'room': {'photographers': CLIENTS, 'rooms': 1, 'with_equipment': False},
    # One light (quantity 1) for several photographers in a studio with
    # several rooms. The service takes no room: every racer would pick the
    # same first free room and the room constraint would fire before the
    # light's.
    'equipment': {
        'photographers': CLIENTS, 'rooms': 3, 'equipment_quantity': 1,
        'needs_room': False},
    # Different slots of one photographer (room and light per hour).
    'distinct': {'photographers': 1, 'rooms': 2},
    # One room and one light, held for each round by a hold that expired
    # and was not released yet; the racers are other photographers.
    'expired': {'photographers': CLIENTS, 'rooms': 1},
    'bulk': {'photographers': 1, 'rooms': 2},
    }

CONTEXT = multiprocessing.get_context('spawn')

AUDIT_BOOKINGS = {
    'postgresql': """
        SELECT a.id, b.id FROM photo_booking a JOIN photo_booking b
            ON a.id < b.id
            AND (a.photographer = b.photographer OR a.room = b.room)
            AND tsrange(a.busy_start, a.busy_end, '[)')
                && tsrange(b.busy_start, b.busy_end, '[)')
        WHERE a.state IN ('hold', 'requested', 'confirmed')
            AND b.state IN ('hold', 'requested', 'confirmed')""",
    'sqlite': """
        SELECT a.id, b.id FROM photo_booking a JOIN photo_booking b
            ON a.id < b.id
            AND (a.photographer = b.photographer OR a.room = b.room)
            AND a.busy_start < b.busy_end AND b.busy_start < a.busy_end
        WHERE a.state IN ('hold', 'requested', 'confirmed')
            AND b.state IN ('hold', 'requested', 'confirmed')""",
    }
# Units of one equipment item held twice at once, and, for items of
# quantity 1, two blocking lines at once whatever their unit numbers.
AUDIT_UNITS = {
    'postgresql': """
        SELECT a.id, b.id FROM photo_booking_equipment_line a
        JOIN photo_booking_equipment_line b ON a.id < b.id
            AND a.equipment = b.equipment
            AND tsrange(a.busy_start, a.busy_end, '[)')
                && tsrange(b.busy_start, b.busy_end, '[)')
        JOIN photo_equipment e ON e.id = a.equipment
        WHERE a.blocking AND b.blocking
            AND (a.unit = b.unit OR e.quantity = 1)""",
    'sqlite': """
        SELECT a.id, b.id FROM photo_booking_equipment_line a
        JOIN photo_booking_equipment_line b ON a.id < b.id
            AND a.equipment = b.equipment
            AND a.busy_start < b.busy_end AND b.busy_start < a.busy_end
        JOIN photo_equipment e ON e.id = a.equipment
        WHERE a.blocking AND b.blocking
            AND (a.unit = b.unit OR e.quantity = 1)""",
    }


def run_child(target, *args, timeout=300):
    "Run target(*args, queue) in a fresh process; return its answer."
    queue = CONTEXT.Queue()
    process = CONTEXT.Process(target=target, args=(*args, queue))
    process.start()
    try:
        status, value = queue.get(timeout=timeout)
    finally:
        process.join(30)
    assert status == 'ok', value
    return value


def run_plan(db, plan, workers, target=cw.run_worker):
    """Start workers running target(db, index, barrier, plan, queue), let
    them play plan, gather one row per attempt (every message but the
    workers' own 'ready', 'done', 'fatal' and 'timing')."""
    barrier = CONTEXT.Barrier(workers)
    queue = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=target, args=(db, i, barrier, plan, queue))
        for i in range(workers)]
    for process in processes:
        process.start()
    rows, done, fatal, ready = [], 0, [], []
    started = time.monotonic()
    try:
        while done + len(fatal) < workers:
            message = queue.get(timeout=cw.BARRIER_TIMEOUT + 60)
            if message[0] == 'done':
                done += 1
            elif message[0] == 'ready':
                ready.append(message[2])
                if len(ready) == workers:
                    print(f"[{db.backend}] {workers} workers ready after "
                        f"{time.monotonic() - started:.1f}s "
                        f"(pool init {max(ready):.1f}s at most)")
                    started = time.monotonic()
            elif message[0] == 'fatal':
                fatal.append(message[2])
            elif message[0] == 'timing':
                print(f"[{db.backend}] {message[2]}: rounds played in "
                    f"{message[3]:.1f}s")
            else:
                rows.append(message)
    except queue_module.Empty:
        fatal.append('no news from the workers')
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    assert not fatal, '\n'.join(fatal)
    print(f"[{db.backend}] {len(rows)} answers in "
        f"{time.monotonic() - started:.1f}s")
    return rows


@pytest.fixture(scope='module', params=['postgresql', 'sqlite'])
def db(request, tmp_path_factory):
    started = time.monotonic()
    db = TrytonDB(
        request.param, str(tmp_path_factory.mktemp(request.param))).create()
    try:
        db.worlds = run_child(cw.build_worlds, db, WORLDS)
        print(f"\n[{db.backend}] database ready in "
            f"{time.monotonic() - started:.1f}s")
        yield db
    finally:
        db.drop()


@pytest.fixture(scope='module')
def races(db):
    "Play every scenario once per backend with one pool of workers."
    plan = [{
            'name': name, 'world': db.worlds[name], 'rounds': ROUNDS,
            'clients': CLIENTS, 'mode': 'same', 'day_offset': 1,
            } for name in CONTENDED]
    plan.append({
            'name': 'distinct', 'world': db.worlds['distinct'],
            'rounds': DISTINCT_ROUNDS, 'clients': distinct_clients(db),
            'mode': 'distinct', 'day_offset': 1})
    db.expired_holds = run_child(cw.plant_expired_holds, db,
        db.worlds['expired'], EXPIRED_ROUNDS, 1)
    plan.append({
            'name': 'expired', 'world': db.worlds['expired'],
            'rounds': EXPIRED_ROUNDS, 'clients': CLIENTS, 'mode': 'same',
            'day_offset': 1})
    started = time.monotonic()
    rows = run_plan(db, plan, max(CLIENTS, distinct_clients(db)))
    elapsed = time.monotonic() - started
    by_scenario = collections.defaultdict(list)
    for name, round_, index, outcome, detail, retries in rows:
        by_scenario[name].append(
            (round_, index, outcome, detail, retries))
    for name, attempts in by_scenario.items():
        outcomes = collections.Counter(a[2] for a in attempts)
        retries = collections.Counter(r for a in attempts for r in a[4])
        print(f"[{db.backend}] {name}: {len(attempts)} attempts, "
            f"{dict(outcomes)}, {sum(retries.values())} retried "
            f"transactions {dict(retries) if retries else ''}")
    print(f"[{db.backend}] all races in {elapsed:.1f}s")
    return by_scenario


def distinct_clients(db):
    return SQLITE_DISTINCT_CLIENTS if db.backend == 'sqlite' else CLIENTS


def assert_one_winner_per_round(attempts, rounds, clients):
    errors = [a[3] for a in attempts if a[2] == 'error']
    assert not errors, errors[0]
    assert len(attempts) == rounds * clients
    winners = collections.Counter(a[0] for a in attempts if a[2] == 'won')
    assert sorted(winners) == list(range(rounds)), "a round without winner"
    assert set(winners.values()) == {1}, "a round with several winners"
    for round_, index, outcome, detail, retries in attempts:
        assert outcome in {'won', 'taken-engine', 'taken-constraint'}
    # Overlapping inserts wait for each other on the resources' advisory
    # locks: none deadlocks on the exclusion check (each deadlock costs
    # its client PostgreSQL's deadlock_timeout, a second).
    deadlocks = [r for *_, retries in attempts for r in retries
        if r.startswith('DeadlockDetected')]
    assert not deadlocks, f"{len(deadlocks)} deadlocks"


@pytest.mark.parametrize('scenario', CONTENDED)
def test_one_winner_per_round(db, races, scenario):
    "Racing clients for one photographer, room or light: one wins."
    assert_one_winner_per_round(races[scenario], ROUNDS, CLIENTS)


def test_lost_races_are_slot_taken(db, races):
    "Where the database decides a race, the loser still gets SlotTakenError"
    decided = collections.Counter(
        detail for scenario in CONTENDED
        for *_, outcome, detail, retries in races[scenario]
        if outcome == 'taken-constraint')
    if db.backend == 'postgresql':
        # Racers read before the winner commits: the exclusion constraints
        # (23P01) decide. A deadlock between two overlapping inserts
        # (40P01) is retried, never answered as "slot taken".
        assert decided, "no race reached the database"
        assert set(decided) == {'23P01'}, decided
    else:
        # serialise_writes() takes the write lock before the engine reads,
        # so every loser already sees the winner's booking.
        assert not decided, decided


def test_expired_holds_give_way(db, races):
    """Racers for the room and light of a hold that expired unreleased: one
    wins each round, and the expired hold is released once."""
    assert_one_winner_per_round(races['expired'], EXPIRED_ROUNDS, CLIENTS)
    connection = db.connect()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT state, cancelled_by FROM photo_booking "
            "WHERE id IN (%s)" % ', '.join(map(str, db.expired_holds)))
        released = cursor.fetchall()
    finally:
        connection.close()
    assert released == [('cancelled', 'system')] * EXPIRED_ROUNDS


def test_different_slots_all_succeed(db, races):
    "Simultaneous clients on different slots all win, numbers unique"
    attempts = races['distinct']
    errors = [a[3] for a in attempts if a[2] == 'error']
    assert not errors, errors[0]
    assert len(attempts) == DISTINCT_ROUNDS * distinct_clients(db)
    assert {a[2] for a in attempts} == {'won'}
    numbers = [a[3] for a in attempts]
    assert len(set(numbers)) == len(numbers)


def test_no_overlap_in_database(db, races):
    "Audit: no two active bookings share a photographer, room or unit"
    connection = db.connect()
    try:
        cursor = connection.cursor()
        if db.backend == 'sqlite':
            # trytond's own setting: readers never block the writer.
            cursor.execute('PRAGMA journal_mode')
            assert cursor.fetchone()[0] == 'wal'
        cursor.execute(AUDIT_BOOKINGS[db.backend])
        assert cursor.fetchall() == []
        cursor.execute(AUDIT_UNITS[db.backend])
        assert cursor.fetchall() == []
        # And every winner's booking is there, active.
        cursor.execute("SELECT studio, COUNT(*) FROM photo_booking "
            "WHERE state IN ('hold', 'requested', 'confirmed') "
            "GROUP BY studio")
        active = dict(cursor.fetchall())
    finally:
        connection.close()
    for scenario in CONTENDED:
        assert active[db.worlds[scenario]['studio']] == ROUNDS
    assert active[db.worlds['expired']['studio']] == EXPIRED_ROUNDS
    assert active[db.worlds['distinct']['studio']] == (
        DISTINCT_ROUNDS * distinct_clients(db))


def test_bulk_create(db, races):
    "One Booking.create of 120 bookings (SQLite: emulated exclusions)"
    numbers = run_child(cw.bulk_create, db, db.worlds['bulk'], BULK)
    assert len(set(numbers)) == BULK


@contextlib.contextmanager
def warm_worker(db, world):
    """ask(command): the answer of a long-lived worker process (its caches
    warm between requests) to command, for the world's day 30 (see
    concurrency_worker.warm_worker)."""
    commands, answers = CONTEXT.Queue(), CONTEXT.Queue()
    worker = CONTEXT.Process(target=cw.warm_worker,
        args=(db, world, 30, commands, answers))
    worker.start()

    def ask(command):
        commands.put(command)
        return answer()

    def answer():
        status, value = answers.get(timeout=cw.BARRIER_TIMEOUT)
        assert status == 'ok', value
        return value
    try:
        assert answer() == 'ready'
        yield ask
    finally:
        commands.put('stop')
        worker.join(30)


def one_photographer_world(db, name):
    return run_child(cw.build_worlds, db, {name: {
                'photographers': 1, 'needs_room': False,
                'with_equipment': False}})[name]


def test_schedule_change_reaches_other_workers(db):
    """A worker with a warm availability cache sees a day off another worker
    just committed (PostgreSQL: the cache channel; SQLite: ir_cache at the
    next transaction)."""
    world = one_photographer_world(db, 'cache')
    with warm_worker(db, world) as reader:
        assert reader('read') == list(range(10, 19))
        assert reader('read') == list(range(10, 19))  # now from the cache
        run_child(cw.add_day_off, db, world, 30)
        # The notification reaches the reader's listener asynchronously.
        deadline = time.monotonic() + 5
        while (seen := reader('read')) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert seen == []


def test_bookings_reach_other_workers_answers(db):
    """A worker keeping answers that depend on bookings (the portal's free
    days) drops them soon after another worker's holds: on PostgreSQL the
    first at once, those following within ANSWERS_NOTIFY_DELAY (here 1 s)
    in one NOTIFY. Both workers are up first: a worker's start alone clears
    every cache of the others."""
    world = one_photographer_world(db, 'answers')
    with warm_worker(db, world) as reader, warm_worker(db, world) as writer:
        writer(('notify_delay', 1))

        def free_after(hours):
            writer(('book', hours))
            deadline = time.monotonic() + 5
            while (set(hours) & set(seen := reader('answers'))
                    and time.monotonic() < deadline):
                time.sleep(0.05)
            return seen
        assert reader('answers') == list(range(10, 19))
        assert reader('answers') == list(range(10, 19))  # now kept
        assert free_after([12]) == [10, 11, 13, 14, 15, 16, 17, 18]
        # Kept again, then out of date for the gathered NOTIFY only.
        assert free_after([14, 16]) == [10, 11, 13, 15, 17, 18]
