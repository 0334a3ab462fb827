"""Two dispatchers at once never send a notification twice, on SQLite too.

PostgreSQL's claim skips the rows another dispatcher locked (FOR UPDATE
SKIP LOCKED); SQLite has no row locks, so there a claim takes the
database's write lock first (BEGIN IMMEDIATE) and the second dispatcher's
claim, serialised after it, finds those rows 'sending'. Two dispatcher
processes (bench.notify's) race over the same due rows; the local SMTP
server must receive each exactly once and every row end 'sent'.

Run: .venv/bin/python -m pytest -q tests/test_notify_race.py
"""
import collections
import os
import subprocess
import sys
import textwrap

import pytest

from bench.notify import start_workers
from tryton_db import TrytonDB

COUNT = 400
# A confirmed booking and COUNT notifications about it, due now, each to
# its own address.
SEED = textwrap.dedent('''
    import sys
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking.booking import utc_now
    from trytond.modules.photo_booking.tests.tools import (
        create_world, local, tomorrow)
    database, count = sys.argv[1], int(sys.argv[2])
    Pool(database).init()
    with Transaction().start(database, 0) as transaction:
        pool = Pool()
        Booking = pool.get('photo.booking')
        Notification = pool.get('photo.notification')
        w = create_world()
        booking = Booking.create_hold(w.service,
            local(w.studio, tomorrow(3), 11), w.client, w.studio,
            email='seed@example.org', source='web')
        Booking.submit([booking])
        now = utc_now()
        # The booking's reminders are due later: out of the race (the
        # dispatchers stop once nothing is left to send)
        Notification.write(Notification.search(
                [('scheduled_at', '>', now)]), {'state': 'withdrawn'})
        Notification.create([{
                'key': f'race:{i}', 'event': 'confirmed',
                'booking': booking.id, 'recipient': 'client',
                'party': w.client.id, 'channel': 'email',
                'address': f'client{i}@example.org', 'language': 'en',
                'scheduled_at': now} for i in range(count)])
        transaction.commit()
    ''')


@pytest.mark.parametrize('backend', ['sqlite', 'postgresql'])
def test_two_dispatchers_send_once(backend):
    from trytond.modules.photo_notify.tests.fake_smtp import SMTPServer
    db = TrytonDB(backend, module='photo_notify').create()
    try:
        env = {**os.environ, 'TRYTOND_CONFIG': db.config_file}
        env.pop('TRYTOND_DATABASE_URI', None)
        subprocess.run([sys.executable, '-c', SEED, db.name, str(COUNT)],
            env=env, cwd=db.workdir, check=True)
        with SMTPServer() as smtp:
            env.update({
                    'TRYTOND_EMAIL__URI': f'smtp://127.0.0.1:{smtp.port}',
                    'TRYTOND_EMAIL__FROM': 'studio@example.com',
                    # Small batches: the two claim turn about many times
                    'TRYTOND_PHOTO_NOTIFY__BATCH': '10',
                    'TRYTOND_PHOTO_NOTIFY__LEASE': '300',
                    })
            workers = start_workers(db, env, count=2)
            codes = [w.wait(timeout=600) for w in workers]
            received = collections.Counter(
                m['To'] for m in smtp.messages)
    finally:
        db.drop()
    assert codes == [0, 0]
    wanted = {f'client{i}@example.org' for i in range(COUNT)}
    assert {a for a in wanted if received[a] == 0} == set(), "lost"
    assert {a: n for a, n in received.items() if n > 1} == {}, "twice"
