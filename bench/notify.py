"""Notifications: 10,000 reminders due in the same minute, dispatched by
2 workers through the local fakes (SMTP and Telegram's Bot API), then the
same again with one worker killed (SIGKILL) in the middle of its batch.

    .venv/bin/python -m bench.notify [--count 10000] [--telegram 1000]
    .venv/bin/python -m bench.notify --quick     # 1,000 of them: it runs

Prints the time taken (issue: within 2 minutes) and, after the kill, how
many notifications arrived once, more than once and never (issue: 0 and 0).
"""
import argparse
import collections
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time

from bench.common import build_world, copy_bookings, database, progress

WORKERS = 2
LEASE = 30  # seconds: how soon a killed worker's rows are claimed again
# One dispatcher process: the queue task's loop, until nothing is left.
WORKER = textwrap.dedent('''
    import sys, time
    started = time.monotonic()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    database = sys.argv[1]
    Pool(database).init()
    print(f"worker ready in {time.monotonic() - started:.1f}s",
        file=sys.stderr, flush=True)
    while True:
        with Transaction().start(database, 0, readonly=False):
            Notification = Pool().get('photo.notification')
            t = time.monotonic()
            n = Notification.dispatch()
            if n:
                print(f"worker: {n} sent in {time.monotonic() - t:.1f}s, "
                    f"CPU {time.process_time():.1f}s since start",
                    file=sys.stderr, flush=True)
            left = Notification.search_count(
                [('state', 'in', ['pending', 'sending'])])
        if not left:
            break
        time.sleep(0.5)
    ''')


def insert_reminders(db, bookings, telegram, round_):
    """COPY one reminder per booking, due now: the first telegram of them
    to a Telegram chat each, the others by e-mail. Returns {key: address}."""
    now = dt.datetime.utcnow()
    keys = {}
    with db.connect() as connection:
        cursor = connection.cursor()
        with cursor.copy("COPY photo_notification (key, event, booking, "
                "recipient, party, channel, address, language, state, "
                "scheduled_at, attempts, create_uid, create_date) "
                "FROM STDIN") as copy:
            for i, (booking, party) in enumerate(bookings):
                channel = 'telegram' if i < telegram else 'email'
                address = (str(100000 + i) if channel == 'telegram'
                    else f'client{i}@example.org')
                key = (f'reminder:photo.booking,{booking}@{round_}-24h:'
                    f'party,{party}:{channel}')
                keys[key] = (channel, address)
                copy.write_row((key, 'reminder', booking, 'client', party,
                        channel, address, 'en', 'pending', now, 0, 0, now))
        connection.commit()
        connection.autocommit = True
        cursor.execute("ANALYZE photo_notification")
    return keys


def start_workers(db, env, count=WORKERS):
    return [subprocess.Popen([sys.executable, '-c', WORKER, db.name],
            env=env, cwd=db.workdir) for _ in range(count)]


def received(smtp, telegram, keys):
    "{key: deliveries} counted at the fakes."
    from trytond.modules.photo_notify import outbox
    by_message_id = collections.Counter(m['Message-ID'] for m in smtp.messages)
    by_chat = collections.Counter(str(chat) for chat, *_ in telegram.sent)
    return {key: (by_chat[address] if channel == 'telegram'
            else by_message_id[outbox.message_id(key, 'example.com')])
        for key, (channel, address) in keys.items()}


def states(db):
    with db.connect() as connection:
        return dict(connection.execute(
                "SELECT state, COUNT(*) FROM photo_notification "
                "GROUP BY state").fetchall())


@contextlib.contextmanager
def fakes():
    """The local SMTP server and Bot API, imported once trytond is
    configured (photo_notify's package imports its routes)."""
    from trytond.modules.photo_notify.tests.fake_smtp import SMTPServer
    from trytond.modules.photo_notify.tests.fake_telegram import FakeBotAPI
    with SMTPServer() as smtp, FakeBotAPI() as bot:
        yield smtp, bot


def main(count=10000, telegram=1000):
    with database(module='photo_notify') as db, fakes() as (smtp, bot):
        from trytond.modules.photo_notify.outbox import RESENDABLE
        from trytond.modules.photo_notify.tests.fake_telegram import TOKEN
        world = build_world(db)
        start = dt.datetime.utcnow().replace(
            minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
        progress(f"copying {count} confirmed bookings")
        copy_bookings(db, [{
                    'client': world['client'],
                    'photographer': world['photographers'][0],
                    'service': world['plain_service'], 'studio': None,
                    'start': start + dt.timedelta(minutes=i),
                    'end': start + dt.timedelta(minutes=i, seconds=30),
                    'currency': world['currency'], 'state': 'done',
                    } for i in range(count)])
        with db.connect() as connection:
            bookings = connection.execute(
                "SELECT id, client FROM photo_booking ORDER BY id").fetchall()
        env = {**os.environ,
            'TRYTOND_CONFIG': db.config_file,
            'TRYTOND_EMAIL__URI': f'smtp://127.0.0.1:{smtp.port}',
            'TRYTOND_EMAIL__FROM': 'studio@example.com',
            'TRYTOND_PHOTO_NOTIFY__TELEGRAM_TOKEN': TOKEN,
            'TRYTOND_PHOTO_NOTIFY__TELEGRAM_API': bot.base_url,
            'TRYTOND_PHOTO_NOTIFY__PORTAL_URL': 'https://studio.example.com',
            'TRYTOND_PHOTO_NOTIFY__LEASE': str(LEASE),
            'TRYTOND_PHOTO_NOTIFY__BATCH': '50',
            }

        progress(f"round 1: {count} reminders due now ({telegram} by "
            f"Telegram, {count - telegram} by e-mail), {WORKERS} workers")
        keys = insert_reminders(db, bookings, telegram, 1)
        started = time.monotonic()
        for worker in start_workers(db, env):
            worker.wait()
        took = time.monotonic() - started
        counts = collections.Counter(received(smtp, bot, keys).values())
        progress(f"round 1: {took:.1f} s = {count / took:.0f}/s "
            f"(issue: within 120 s); delivered once {counts[1]}, "
            f"more than once {sum(v for k, v in counts.items() if k > 1)}, "
            f"never {counts[0]}; rows {states(db)}")

        progress("round 2: the same, one worker killed (SIGKILL) mid-batch")
        with db.connect() as connection:
            connection.execute("DELETE FROM photo_notification")
            connection.commit()
        smtp.messages.clear()
        bot.sent.clear()
        keys = insert_reminders(db, bookings, telegram, 2)
        started = time.monotonic()
        victim, survivor = start_workers(db, env)
        while len(smtp.messages) + len(bot.sent) < count // 3:
            time.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        progress(f"killed worker {victim.pid} after "
            f"{len(smtp.messages) + len(bot.sent)} deliveries")
        survivor.wait()
        took = time.monotonic() - started
        deliveries = received(smtp, bot, keys)
        counts = collections.Counter(deliveries.values())
        again = [k for k, v in deliveries.items() if v > 1]
        # A mail sent again carries the same Message-ID, which the mailbox
        # shows once (README: delivery guarantees); a second Telegram
        # message is a duplicate the person sees.
        resent = [k for k in again if keys[k][0] in RESENDABLE]
        shown_twice = [k for k in again if keys[k][0] not in RESENDABLE]
        never = [k for k, v in deliveries.items() if v == 0]
        rows = states(db)
        progress(f"round 2: {took:.1f} s; delivered once {counts[1]}, "
            f"delivered more than once {len(again)} (resent with the same "
            f"Message-ID: {len(resent)}; other: {len(shown_twice)}), "
            f"lost {len(never)} "
            f"(of which dead letters to retry: "
            f"{rows.get('dead', 0)}); rows {rows}")
        progress(f"CHECK duplicates a person sees = {len(shown_twice)} "
            f"(issue: 0; mails resent with their Message-ID, shown once: "
            f"{len(resent)}); lost = {len(never)} (issue: 0)")
        return took, len(shown_twice), len(never)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--count', type=int, default=10000)
    parser.add_argument('--telegram', type=int, default=1000)
    parser.add_argument('--quick', action='store_true',
        help="a tenth of the sizes: checks that it runs")
    args = parser.parse_args()
    if args.quick:
        args.count, args.telegram = args.count // 10, args.telegram // 10
    main(args.count, args.telegram)
