"""Calendar abuse: one client cannot hold more than N slots an hour, while
real clients still book at full speed.

    .venv/bin/python -m bench.abuse [--quick]

gunicorn (2 workers) serves the API with photo_booking's abuse limits as
shipped (abuse.py: holds made per address, contact and device an hour,
holds open at once, a proof of work past the first anonymous ones), behind
one proxy (`[web] num_proxies = 1`), so each request's X-Forwarded-For is
its client's address. Redis keeps the counts when it answers at
127.0.0.1:6379 (as `./scripts/run` configures), else each worker keeps its
own (then a client gets up to twice the limits: said in the output).

1. Real clients alone: CLIENTS threads, each hold from its own address and
   e-mail (first holds: no proof asked): holds/s and p95.
2. The attacker alone, ATTACKERS threads from one address, with a new
   e-mail and a new device id for each hold, solving every challenge the
   API asks (Python's hashlib, as fast as a script gets): the holds it gets
   within ATTACK seconds, its time per proof, then only 429s (Retry-After:
   the rest of the hour). The windows are an hour long: what it gets here
   is all it gets in the hour.
3. One contact from many addresses (a botnet booking for one e-mail): the
   holds it gets.
4. Real clients and the attacker at once: the real clients' holds/s and p95
   against (1), every one of their holds a 201.
Goals: the attacker <= holds_per_ip holds (20) in the hour, one contact
<= holds_per_contact (10) and <= open_holds_per_contact (3) open at once;
the real clients under attack >= 80 % of their rate alone, none refused.
"""
import itertools
import os
import threading
import time
from collections import Counter

from bench.common import (
    build_world, database, http_server, parse_quick_only, percentile, progress,
    run_concurrently, sized, summary, verdict)

PHOTOGRAPHERS = 20
HORIZON = 120
CLIENTS = 8
ATTACKERS = 4
REAL_SECONDS = sized(20, 4)
ATTACK = sized(30, 6)  # seconds
LIMITS = {  # as shipped (abuse.py), set explicitly: the bench is about them
    'holds_per_ip': '20/3600', 'holds_per_contact': '10/3600',
    'holds_per_device': '10/3600', 'open_holds_per_ip': '10',
    'open_holds_per_contact': '3', 'open_holds_per_device': '3',
    'proof_after_ip': '5', 'proof_after_contact': '5',
    'proof_after_device': '5',
    }
GOAL_SHARE = 0.8


class Starts:
    "Free (photographer, ISO start) pairs, each handed out once."

    def __init__(self, world):
        from zoneinfo import ZoneInfo
        import datetime as dt
        tz = ZoneInfo(world['tz'])
        first = dt.date.today() + dt.timedelta(days=2)
        self._pairs = ((p, dt.datetime.combine(
                        first + dt.timedelta(days=d), dt.time(h), tz
                        ).isoformat())
            for d in range(HORIZON - 5) for h in range(10, 19)
            for p in world['photographers'])
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            return next(self._pairs)


def body(world, starts, email, **extra):
    photographer, start = starts.take()
    return {
        'service': world['plain_service'], 'studio': world['studio'],
        'photographer': photographer, 'start': start,
        'client': {'name': "Bench", 'email': email}, 'consent': True,
        **extra}


def redis_answers():
    try:
        import redis
        redis.Redis.from_url(
            'redis://127.0.0.1:6379/0', socket_timeout=0.2).ping()
        return True
    except Exception:
        return False


def real_clients(client, world, starts, seconds, label):
    "CLIENTS threads of real clients for seconds: statuses, seconds, rate."
    serial = itertools.count()

    def hold(index, i):
        n = next(serial)
        return client.request('POST', '/holds', body(
                world, starts, f'real{n}@example.com'),
            headers={'X-Forwarded-For':
                f'10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}'})
    started = time.monotonic()
    results = run_concurrently(CLIENTS, hold, duration=seconds)
    elapsed = time.monotonic() - started
    statuses = Counter(s for s, _, _ in results)
    ok = [e for s, _, e in results if s == 201]
    rate = len(ok) / elapsed
    progress(f"{label}: {len(ok)} holds in {elapsed:.1f} s, {rate:.1f}/s, "
        f"statuses {dict(statuses)}; {summary(ok) if ok else 'none'}")
    return statuses, ok, rate


def attacker(client, world, starts, seconds, address='192.0.2.66',
        contact=None):
    """ATTACKERS threads from address (or, with contact, one e-mail from
    new addresses) for seconds, solving each challenge asked."""
    from trytond.modules.photo_booking import altcha
    serial = itertools.count()
    proofs = []
    lock = threading.Lock()

    def hold(index, i):
        n = next(serial)
        email = contact or f'bot{n}@example.net'
        ip = address if contact is None else (
            f'198.18.{n // 256 % 256}.{n % 256}')
        headers = {'X-Forwarded-For': ip, 'X-Device-Id': f'bot-device-{n}'}
        status, answer, elapsed = client.request(
            'POST', '/holds', body(world, starts, email), headers=headers)
        if status == 403 and answer and 'challenge' in answer:
            started = time.perf_counter()
            challenge = answer['challenge']
            payload = altcha.payload(challenge, altcha.solve(challenge))
            with lock:
                proofs.append(time.perf_counter() - started)
            status, answer, elapsed = client.request(
                'POST', '/holds', body(
                    world, starts, email, altcha=payload), headers=headers)
        return status, answer, elapsed
    results = run_concurrently(ATTACKERS, hold, duration=seconds)
    statuses = Counter(s for s, _, _ in results)
    retry = [a for s, a, _ in results if s == 429]
    return statuses, proofs, len(results), retry


def measure():
    redis = redis_answers()
    progress("counts kept in "
        + ("Redis (shared by the workers)" if redis else
            "each worker (no Redis at 127.0.0.1:6379): up to 2x the limits"))
    for key, value in LIMITS.items():
        os.environ[f'TRYTOND_PHOTO_BOOKING__{key.upper()}'] = value
    os.environ['TRYTOND_WEB__NUM_PROXIES'] = '1'
    os.environ.setdefault('TRYTOND_PHOTO_BOOKING__REDIS_URL',
        'redis://127.0.0.1:6379/0' if redis else '')
    with database() as db:
        progress(f"building a studio with {PHOTOGRAPHERS} photographers")
        world = build_world(
            db, photographers=PHOTOGRAPHERS, horizon_days=HORIZON)
        starts = Starts(world)
        with http_server(db) as client:
            real_clients(client, world, starts, 2, "warm-up")
            _, alone, rate_alone = real_clients(
                client, world, starts, REAL_SECONDS, "real clients alone")

            statuses, proofs, tries, _ = attacker(
                client, world, starts, ATTACK)
            got = statuses.get(201, 0)
            progress(f"attacker, {ATTACKERS} threads from one address, a new "
                f"e-mail and device each time, {ATTACK} s: {got} holds of "
                f"{tries} tries, statuses {dict(statuses)}; "
                f"{len(proofs)} proofs solved"
                + (f", {summary(proofs)} each" if proofs else ""))
            limit = int(LIMITS['holds_per_ip'].split('/')[0])
            verdict("  holds one address got in the hour", got,
                limit * (1 if redis else 2), unit=' holds')

            statuses, proofs, tries, _ = attacker(
                client, world, starts, ATTACK / 2,
                contact='victim@example.org')
            got = statuses.get(201, 0)
            progress(f"one e-mail from a new address each time, "
                f"{ATTACK / 2:.0f} s: {got} holds of {tries} tries, "
                f"statuses {dict(statuses)}")
            verdict("  holds one contact got in the hour (3 open at once)",
                got, int(LIMITS['open_holds_per_contact'])
                * (1 if redis else 2), unit=' holds')

            results = {}
            thread = threading.Thread(target=lambda: results.update(
                    attack=attacker(client, world, starts, REAL_SECONDS,
                        address='192.0.2.99')))
            thread.start()
            statuses, under, rate_under = real_clients(
                client, world, starts, REAL_SECONDS,
                "real clients while an address attacks")
            thread.join()
            refused = sum(n for s, n in statuses.items() if s != 201)
            progress(f"  real clients refused under attack: {refused}; "
                f"p95 alone {percentile(alone, 0.95):.1f} ms, under attack "
                f"{percentile(under, 0.95):.1f} ms")
            verdict("  real clients' holds/s under attack, share of alone",
                rate_under / rate_alone * 100, GOAL_SHARE * 100,
                higher=True, unit='%')


def main():
    parse_quick_only(__doc__)
    measure()


if __name__ == '__main__':
    main()
