"""The application runs as a PostgreSQL role without privileges beyond rows
(config/postgresql-roles.sql): it holds and lists bookings, and cannot drop
a table, create a role or rewrite the audit log.

Run: .venv/bin/python -m pytest -q tests/test_least_privilege.py
(PostgreSQL at PHOTO_PG_URI, default postgresql://postgres@127.0.0.1:5432/)
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.parse

import psycopg
import pytest
from psycopg import errors
from tryton_db import PG_URI, TrytonDB, _pg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'config', 'postgresql-roles.sql')
MODULES = ('photo_portal', 'photo_audit')

pytestmark = pytest.mark.skipif(
    not shutil.which('psql'), reason="the script is run with psql")

# In the application's shoes: a hold and a list of bookings, as the role.
CHILD = r'''
import json, sys
import trytond.config as config
uri, path, database = sys.argv[1:]
config.set('database', 'uri', uri)
config.set('database', 'path', path)
config.set('cache', 'clean_timeout', '0')
from trytond.pool import Pool
from trytond.transaction import Transaction
Pool(database).init()
from trytond.modules.photo_booking.tests.tools import (
    create_world, local, tomorrow)
with Transaction().start(database, 0) as transaction:
    pool = Pool()
    Booking = pool.get('photo.booking')
    w = create_world()
    hold = Booking.create_hold(
        w.service, local(w.studio, tomorrow(2), 11), w.client, w.studio)
    number = hold.number
    transaction.commit()
with Transaction().start(database, 0, readonly=True):
    Booking = Pool().get('photo.booking')
    listed = [b.number for b in Booking.search([])]
print(json.dumps({'hold': number, 'listed': listed}))
'''


@pytest.fixture(scope='module')
def app_role():
    "A database with the suite and its application role, as the doc says."
    db = TrytonDB('postgresql', modules=MODULES).create()
    role = f'{db.name}_app'
    password = secrets.token_urlsafe(16)
    owner = urllib.parse.urlparse(PG_URI).username or 'postgres'
    result = subprocess.run([
            'psql', PG_URI + db.name, '-X', '-q', '-v', 'ON_ERROR_STOP=1',
            '-v', f'owner={owner}', '-v', f'app_role={role}',
            '-v', f'app_password={password}', '-f', SCRIPT],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    parts = urllib.parse.urlparse(PG_URI)
    uri = parts._replace(netloc=(
            f'{role}:{urllib.parse.quote(password)}@{parts.hostname}'
            + (f':{parts.port}' if parts.port else ''))).geturl()
    try:
        yield {'db': db, 'role': role, 'uri': uri}
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        _pg(f'DROP ROLE IF EXISTS "{role}"')


def as_role(app_role, sql):
    with psycopg.connect(app_role['uri'] + app_role['db'].name,
            autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else None


def test_role_is_no_superuser(app_role):
    "The role is no superuser and may create neither roles nor databases"
    (superuser, createrole, createdb), = _pg(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
        f"WHERE rolname = '{app_role['role']}'")
    assert (superuser, createrole, createdb) == (False, False, False)


def test_application_works_as_role(app_role):
    "The application holds a slot and lists the bookings as the role"
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    result = subprocess.run(
        [sys.executable, '-c', CHILD, app_role['uri'],
            app_role['db'].path, app_role['db'].name],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer['hold'] in answer['listed']
    # The audit log got the hold, inserted by the role
    (count,), = as_role(app_role, "SELECT COUNT(*) FROM photo_audit_entry "
        "WHERE model = 'photo.booking' AND action = 'create'")
    assert count == 1


@pytest.mark.parametrize('sql', [
        'DROP TABLE photo_booking',
        'ALTER TABLE photo_booking ADD COLUMN x INTEGER',
        'TRUNCATE photo_booking',
        'CREATE TABLE intruder (id INTEGER)',
        'CREATE ROLE intruder',
        'CREATE DATABASE intruder',
        "UPDATE photo_audit_entry SET new_value = 'forged'",
        'DELETE FROM photo_audit_entry',
        ])
def test_role_refused(app_role, sql):
    "Structure, roles, databases and the audit log's past are out of reach"
    with pytest.raises(errors.InsufficientPrivilege):
        as_role(app_role, sql)
