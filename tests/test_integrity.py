"""Integrity on every write path, raced through the JSON API.

Clients are separate processes, each with its own trytond pool and
database connection, sending requests through trytond's WSGI application
(its transactions, retries and error mapping), released together by a
barrier. After the races, audits read the database directly: blocked
ranges recomputed from start/end and buffers, no double booking, units
following their bookings, and every history one chain of states
(tests/audit.py).

Run: .venv/bin/python -m pytest -q tests/test_integrity.py
"""
import collections
import datetime as dt

import pytest

import audit
import concurrency_worker as cw
from test_concurrency import run_child, run_plan
from tryton_db import TrytonDB

ROUNDS = 4
CLIENTS = 8
# SQLite serialises writers: new clients racing at once must all get in.
SQLITE_CLIENTS = 16
BUFFER = dt.timedelta(minutes=15)

WORLDS = {
    # One photographer, two rooms, one light, a 15-minute buffer after.
    'moves': {'photographers': 1, 'rooms': 2, 'buffer_after': BUFFER},
    'race': {'photographers': 1, 'rooms': 2, 'buffer_after': BUFFER},
    'clients': {'photographers': 1, 'rooms': 2},
    'replay': {'photographers': 1, 'rooms': 2},
    # As many free photographers as clients asking for any of them.
    'any': {'photographers': CLIENTS, 'needs_room': False,
        'with_equipment': False},
    }


def hold_body(world, day_offset, hour, email, photographer=None):
    return {
        'service': world['service'], 'studio': world['studio'],
        'photographer': photographer or world['photographers'][0],
        'start': cw.local_iso(world['tz'], day_offset, hour),
        'client': {'name': email.split('@')[0], 'email': email},
        'consent': True,
        }


def build_rounds(db, worlds, clients):
    """The requests of every round: {(scenario, round): ...} and the
    tokens of the bookings made beforehand."""
    rounds = []
    moves = worlds['moves']
    # Each round, four clients move one confirmed 10:00 booking to 12:00
    # while four move it to 15:00.
    tokens = run_child(cw.make_bookings, db, moves,
        [(1 + r, 10, 'confirmed') for r in range(ROUNDS)])
    for r, token in enumerate(tokens):
        rounds.append(('moves', r, {i: ('POST', f'bookings/{token}/reschedule',
                        {'start': cw.local_iso(
                                moves['tz'], 1 + r, 12 if i < 4 else 15)},
                        {}) for i in range(CLIENTS)}))
    # Each round, on a fresh hold: three confirm, three cancel, two move it.
    race = worlds['race']
    tokens = run_child(cw.make_bookings, db, race,
        [(1 + r, 11, 'hold') for r in range(ROUNDS)])
    for r, token in enumerate(tokens):
        requests = {}
        for i in range(CLIENTS):
            if i < 3:
                requests[i] = ('POST', f'bookings/{token}/confirm', {}, {})
            elif i < 6:
                requests[i] = ('POST', f'bookings/{token}/cancel',
                    {'accept_fee': True}, {})
            else:
                requests[i] = ('POST', f'bookings/{token}/reschedule',
                    {'start': cw.local_iso(race['tz'], 1 + r, 14 + i - 6)},
                    {})
        rounds.append(('race', r, requests))
    # New clients (a party each) on distinct free slots.
    world = worlds['clients']
    for r in range(2):
        rounds.append(('clients', r, {i: ('POST', 'holds', hold_body(
                            world, 1 + (r * clients + i) // 9,
                            10 + (r * clients + i) % 9,
                            f'new-{r}-{i}@example.com'), {})
                    for i in range(clients)}))
    # A hold whose answer was lost, sent again by four at once.
    world = worlds['replay']
    for r in range(2):
        body = hold_body(world, 1 + r, 10, f'replay-{r}@example.com')
        rounds.append(('replay', r, {i: ('POST', 'holds', body,
                        {'Idempotency-Key': f'replay-{db.name}-{r}'})
                    for i in range(4)}))
    # Everybody wants any photographer at the same time.
    world = worlds['any']
    for r in range(2):
        rounds.append(('any', r, {i: ('POST', 'holds', {
                            **hold_body(world, 1 + r, 11,
                                f'any-{r}-{i}@example.com'),
                            'photographer': 'any', 'studio': world['studio'],
                            }, {}) for i in range(CLIENTS)}))
    return rounds


def play(db, rounds, workers):
    "Every client's answers to rounds, played over HTTP at one barrier."
    return run_plan(db, rounds, workers, target=cw.run_http_worker)


@pytest.fixture(scope='module', params=['postgresql', 'sqlite'])
def db(request, tmp_path_factory):
    db = TrytonDB(
        request.param, str(tmp_path_factory.mktemp(request.param))).create()
    try:
        db.worlds = run_child(cw.build_worlds, db, WORLDS)
        yield db
    finally:
        db.drop()


@pytest.fixture(scope='module')
def answers(db):
    clients = SQLITE_CLIENTS if db.backend == 'sqlite' else CLIENTS
    rounds = build_rounds(db, db.worlds, clients)
    result = collections.defaultdict(list)
    for scenario, round_, index, path, status, body in play(
            db, rounds, clients):
        result[scenario].append((round_, index, path, status, body))
    for scenario, rows in result.items():
        print(f"[{db.backend}] {scenario}: "
            f"{dict(collections.Counter(r[3] for r in rows))}")
    return result


def statuses(rows):
    return collections.Counter(r[3] for r in rows)


def test_concurrent_reschedules_keep_ranges(db, answers):
    """Moves of one booking to two free times: every move is made (a lost
    lock or deadlock is run again, never answered "slot taken"), it ends
    at one, ranges follow"""
    rows = answers['moves']
    assert statuses(rows) == {200: len(rows)}, [
        (r[3], r[4]) for r in rows if r[3] != 200][:3]
    connection = db.connect()
    try:
        assert audit.overlaps(connection) == []
        assert audit.broken_histories(connection) == []
    finally:
        connection.close()


def test_confirm_cancel_reschedule_race(db, answers):
    """Confirm, cancel and reschedule at once: at most one cancel succeeds,
    an answered cancel is never undone, nothing leaves cancelled"""
    by_round = collections.defaultdict(list)
    for round_, index, path, status, body in answers['race']:
        assert status in {200, 409}, (path, status, body)
        by_round[round_].append((path.rsplit('/', 1)[1], status, body))
    for round_, rows in by_round.items():
        cancels = [r for r in rows if r[0] == 'cancel' and r[1] == 200]
        assert len(cancels) <= 1, rows
        confirms = [r for r in rows if r[0] == 'confirm' and r[1] == 200]
        moves = [r for r in rows if r[0] == 'reschedule' and r[1] == 200]
        if cancels:
            # Whatever answered 200 after the cancel did not undo it.
            assert all(r[2]['state'] == 'cancelled' for r in cancels)
            assert all(r[2]['state'] != 'cancelled' for r in confirms + moves)
    connection = db.connect()
    try:
        cursor = connection.cursor()
        tokens = {body['token'] for *_, status, body in answers['race']
            if status == 200}
        for token in tokens:
            cursor.execute('SELECT state FROM photo_booking WHERE token = '
                + ('%s' if db.backend == 'postgresql' else '?'), (token,))
            state, = cursor.fetchone()
            cancelled = any(status == 200 and path.endswith('/cancel')
                and body['token'] == token
                for *_, path, status, body in answers['race'])
            assert (state == 'cancelled') == cancelled, token
        assert audit.overlaps(connection) == []
        assert audit.broken_histories(connection) == []
    finally:
        connection.close()


def test_new_clients_all_get_their_slot(db, answers):
    "New clients on distinct free slots all get them (parties included)"
    rows = answers['clients']
    assert statuses(rows) == {201: len(rows)}, [
        r for r in rows if r[3] != 201][:3]


def test_replayed_hold_is_held_once(db, answers):
    "One Idempotency-Key sent by four at once: one hold, four equal answers"
    by_round = collections.defaultdict(list)
    for round_, index, path, status, body in answers['replay']:
        by_round[round_].append((status, body))
    for rows in by_round.values():
        assert {s for s, _ in rows} == {201}, rows
        assert len({b['token'] for _, b in rows}) == 1


def test_any_photographer_loses_no_capacity(db, answers):
    "As many clients as free photographers, all asking for any: all get one"
    rows = answers['any']
    assert statuses(rows) == {201: len(rows)}, [
        (r[3], r[4]) for r in rows if r[3] != 201][:3]
    for round_ in {r[0] for r in rows}:
        photographers = [r[4]['photographer']['id'] for r in rows
            if r[0] == round_]
        assert len(set(photographers)) == CLIENTS


def test_audits_whole_database(db, answers):
    "After every race: no overlap, no stale range, no broken history"
    connection = db.connect()
    try:
        assert audit.overlaps(connection) == []
        assert audit.broken_histories(connection) == []
    finally:
        connection.close()
