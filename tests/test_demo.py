"""scripts/demo.py loads a consistent demo and a second run changes nothing.

Builds a throw-away SQLite database with trytond-admin, runs the demo
twice as the `run` command does and reads the result with sqlite3.
"""
import datetime as dt
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODULES = [
    'photo_booking', 'photo_crm', 'photo_payment', 'photo_telegram',
    'photo_chat']
ACTIVE = ('hold', 'requested', 'confirmed')
DB = 'demo'


def environ(workdir):
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    passfile = workdir / 'admin.pass'
    passfile.write_text('demo-admin-secret\n')
    env['TRYTONPASSFILE'] = str(passfile)
    return env


def run_demo(workdir):
    result = subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'demo.py'),
            '-c', str(workdir / 'trytond.conf'), '-d', DB],
        cwd=ROOT, env=environ(workdir), capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot(workdir):
    "Counts and every booking, to compare two runs."
    with sqlite3.connect(workdir / f'{DB}.sqlite') as connection:
        def one(query, *args):
            return connection.execute(query, args).fetchone()[0]
        return {
            'studios': one("SELECT COUNT(*) FROM photo_studio"),
            'rooms': one("SELECT COUNT(*) FROM photo_studio_room"),
            'equipment': one("SELECT COUNT(*) FROM photo_equipment"),
            'services': one("SELECT COUNT(*) FROM photo_service"),
            'photographers': one("SELECT COUNT(*) FROM photo_photographer"),
            'photographer_users': one(
                "SELECT COUNT(*) FROM photo_photographer p "
                "JOIN \"res_user-res_group\" ug ON ug.user = p.user "
                "JOIN ir_model_data d ON d.db_id = ug.\"group\" "
                "AND d.model = 'res.group' AND d.fs_id = ?",
                'group_photographer'),
            'parties': one("SELECT COUNT(*) FROM party_party"),
            'users': one("SELECT COUNT(*) FROM res_user"),
            'reviews': one("SELECT COUNT(*) FROM photo_review"),
            'fixed_slots': one(
                "SELECT COUNT(*) FROM photo_photographer_fixed_slot"),
            'exceptions': one(
                "SELECT COUNT(*) FROM photo_photographer_exception"),
            'busy': one("SELECT COUNT(*) FROM photo_photographer_busy"),
            'currencies': sorted(r[0] for r in connection.execute(
                    "SELECT code FROM currency_currency")),
            'ru': one("SELECT translatable FROM ir_lang WHERE code = 'ru'"),
            'bookings': connection.execute(
                "SELECT number, state, photographer, room, start, \"end\", "
                "busy_start, busy_end, price, cancellation_fee "
                "FROM photo_booking ORDER BY number").fetchall(),
            'equipment_lines': connection.execute(
                "SELECT booking, equipment, unit, busy_start, busy_end, "
                "blocking FROM photo_booking_equipment_line "
                "ORDER BY id").fetchall(),
            }


@pytest.fixture(scope='module')
def demo_db(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('demo')
    (workdir / 'trytond.conf').write_text(
        f'[database]\nuri = sqlite://\npath = {workdir}\n')
    (workdir / f'{DB}.sqlite').touch()
    subprocess.run(
        [str(VENV_BIN / 'trytond-admin'), '-c', str(workdir / 'trytond.conf'),
            '-d', DB, '--email', 'admin@example.com',
            '--activate-dependencies', '-u', *MODULES],
        env=environ(workdir), check=True, capture_output=True, timeout=300)
    first_output = run_demo(workdir)
    first = snapshot(workdir)
    second_output = run_demo(workdir)
    second = snapshot(workdir)
    return first, second, first_output, second_output


def parse(value):
    return dt.datetime.fromisoformat(value)


def overlapping(rows):
    "Pairs of (key, start, end) rows sharing a key whose ranges overlap."
    by_key = defaultdict(list)
    for key, start, end in rows:
        by_key[key].append((parse(start), parse(end)))
    return [(key, a, b) for key, ranges in by_key.items()
        for a, b in combinations(ranges, 2)
        if a[0] < b[1] and b[0] < a[1]]


def test_demo_content(demo_db):
    first, _, output, _ = demo_db
    assert first['studios'] == 2
    assert first['rooms'] >= 4
    assert first['services'] == 5
    assert first['photographers'] >= 3
    assert first['photographer_users'] == first['photographers']
    assert first['currencies'] == ['EUR', 'RUB']
    assert first['ru'] == 1
    assert first['fixed_slots'] and first['exceptions'] and first['busy']
    assert first['parties'] >= 10 + first['photographers']

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    past = defaultdict(int)
    future = defaultdict(int)
    for _, state, _, _, start, *_ in first['bookings']:
        (past if parse(start) < now else future)[state] += 1
    assert {'done', 'no_show', 'cancelled'} <= set(past), past
    assert set(past) <= {'done', 'no_show', 'cancelled'}, past
    assert {'confirmed', 'requested', 'hold'} <= set(future), future
    assert set(future) <= set(ACTIVE), future
    assert first['reviews'] >= 1
    cancelled_fees = [fee for _, state, *_, fee in first['bookings']
        if state == 'cancelled']
    assert any(fee and float(fee) > 0 for fee in cancelled_fees)

    assert "demo: studios… ok" in output
    assert "anna" in output and "admin" in output


def test_second_run_changes_nothing(demo_db):
    first, second, _, output = demo_db
    assert second == first
    assert " new)" not in output


def test_no_overlap(demo_db):
    first, *_ = demo_db
    active = [b for b in first['bookings'] if b[1] in ACTIVE]
    assert not overlapping(
        (photographer, busy_start, busy_end)
        for _, _, photographer, _, _, _, busy_start, busy_end, *_
        in active)
    assert not overlapping(
        (room, busy_start, busy_end)
        for _, _, _, room, _, _, busy_start, busy_end, *_ in active
        if room)
    assert not overlapping(
        ((equipment, unit), busy_start, busy_end)
        for _, equipment, unit, busy_start, busy_end, blocking
        in first['equipment_lines'] if blocking)
