"""Where a hold's time goes, in process: CPU per hold, SQL round trips
per hold (by statement), and a cProfile of the worker's side.

    .venv/bin/python -m bench.hold_profile [--holds 400] [--profile]
        [--top 40] [--sql] [--instructions] [--studio]

Same data as bench.booking (40 photographers, returning clients among
2,000 others, the plain service or --studio the one with a room and a
light), but POST /holds goes through trytond's
WSGI application in this process (werkzeug's test client): no gunicorn,
no socket, so the figures are the worker's own work plus its round trips
to PostgreSQL. CPU time (time.process_time) is what the machine being
shared does not distort; wall time is printed beside it.
--sql prints each statement of one warm hold, in order.
--instructions runs the same under valgrind's callgrind, counting the
instructions of the measured holds only (the setup runs uninstrumented):
the same count for the same code whatever else the machine does, so two
versions compare on a machine whose speed moves by a third from one
minute to the next. About 2 minutes for 200 holds.
"""
import argparse
import cProfile
import ctypes
import glob
import io
import itertools
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter

from bench.booking import STUDIO_DAYS, Slots, hold_body, local_starts
from bench.common import (
    API, RELAXED_ABUSE, build_world, copy_clients, database, progress)

PHOTOGRAPHERS = 40
CLIENTS = 2_000
WARM = 30


def statement(sql):
    "A statement's kind: its first words, enough to tell them apart."
    sql = ' '.join(str(sql).split())
    for marker in (' WHERE ', ' VALUES ', ' SET '):
        if marker in sql:
            sql = sql.split(marker)[0] + marker.rstrip()
    return sql[:110]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--holds', type=int, default=400)
    parser.add_argument('--profile', action='store_true')
    parser.add_argument('--top', type=int, default=40)
    parser.add_argument('--sql', action='store_true')
    parser.add_argument('--ab', type=int, default=0, metavar='ROUNDS',
        help="alternate batches of --holds with and without validation "
        "from the values in hand (created.py), ROUNDS times each")
    parser.add_argument('--clients', type=int, default=8,
        help="distinct returning clients (as bench.booking's 8)")
    parser.add_argument('--instructions', action='store_true',
        help="instructions per hold, counted by callgrind")
    parser.add_argument('--studio', action='store_true',
        help="the service with a room and a light (at most %d holds)"
        % (len(STUDIO_DAYS) * 9 - WARM - 1))
    args = parser.parse_args()
    service = 'full_service' if args.studio else 'plain_service'
    if args.instructions and CALLGRIND_HELPER not in os.environ:
        return count_instructions(args)

    with database() as db:
        world = build_world(db, photographers=PHOTOGRAPHERS, horizon_days=400)
        copy_clients(db, CLIENTS)
        import trytond.config as config
        if not config._config.has_section('photo_booking'):
            config._config.add_section('photo_booking')
        for key, value in RELAXED_ABUSE.items():
            config.set('photo_booking', key, value)
        config.set('photo_booking', 'rate_limit_api_write', '1000000/60')
        from werkzeug.test import Client
        from trytond.backend.postgresql.database import LoggingCursor
        from trytond.wsgi import app
        client = Client(app)
        slots = Slots(world)
        url = f'/{db.name}{API}/holds'
        queries = []
        original = LoggingCursor.execute

        def recording(self, sql, params=None, *a, **k):
            queries.append(sql)
            return original(self, sql, params, *a, **k)
        LoggingCursor.execute = recording

        if args.studio:
            # bench.booking's studio holds: one light, one hold an hour.
            studio_starts = local_starts(world, STUDIO_DAYS)
            photographers = itertools.cycle(world['photographers'])
            slots.take = lambda: (next(photographers), next(studio_starts))

        def hold(i):
            photographer, start = slots.take()
            response = client.post(url, data=json.dumps(hold_body(
                        world, service, photographer, start,
                        i % args.clients)),
                headers={'Content-Type': 'application/json',
                    'Accept-Language': 'en'})
            assert response.status_code == 201, response.get_data()

        for i in range(WARM):
            hold(i)
        del queries[:]
        hold(0)
        one = list(queries)
        progress(f"one warm hold: {len(one)} statements")
        if args.sql:
            for sql in one:
                print('   ', ' '.join(str(sql).split())[:220])
        del queries[:]
        if args.ab:
            ab(args, hold, queries)
            LoggingCursor.execute = original
            return
        profiler = cProfile.Profile(time.process_time) if args.profile \
            else None
        callgrind = ctypes.CDLL(os.environ[CALLGRIND_HELPER]) \
            if args.instructions else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        if callgrind:
            callgrind.photo_start()
        for i in range(args.holds):
            hold(i)
        if callgrind:
            callgrind.photo_stop()
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        kinds = Counter(statement(q) for q in queries)
        progress(f"{args.holds} holds: CPU {cpu / args.holds * 1000:.2f} ms "
            f"a hold (this process), wall {wall / args.holds * 1000:.2f} ms; "
            f"{len(queries) / args.holds:.2f} statements a hold")
        for kind, count in kinds.most_common():
            print(f"  {count / args.holds:5.2f}  {kind}")
        LoggingCursor.execute = original
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats('cumulative').print_stats(args.top)
            stats.sort_stats('tottime').print_stats(args.top)
            print(out.getvalue())


CALLGRIND_HELPER = 'PHOTO_CALLGRIND_HELPER'
# callgrind's client requests, for the measured holds only.
CALLGRIND_C = """
#include <valgrind/callgrind.h>
void photo_start(void) {
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
}
void photo_stop(void) {
    CALLGRIND_DUMP_STATS_AT("holds");
    CALLGRIND_STOP_INSTRUMENTATION;
}
"""


def count_instructions(args):
    """This bench run again under callgrind; prints the instructions per
    hold of its measured holds."""
    with tempfile.TemporaryDirectory() as work:
        source = os.path.join(work, 'callgrind_helper.c')
        helper = os.path.join(work, 'callgrind_helper.so')
        with open(source, 'w') as f:
            f.write(CALLGRIND_C)
        subprocess.run(['gcc', '-shared', '-fPIC', '-O1', '-o', helper,
                source], check=True)
        out = os.path.join(work, 'callgrind.out')
        progress(f"under callgrind: {args.holds} holds")
        subprocess.run(['valgrind', '--tool=callgrind', '--instr-atstart=no',
                f'--callgrind-out-file={out}.%p', sys.executable,
                '-m', 'bench.hold_profile', *sys.argv[1:]],
            env={**os.environ, CALLGRIND_HELPER: helper}, check=True)
        for dump in glob.glob(out + '.*'):
            with open(dump) as f:
                text = f.read()
            if 'Client Request: holds' in text:
                total = next(int(line.split()[1])
                    for line in text.splitlines()
                    if line.startswith(('summary:', 'totals:')))
                progress(f"{total / args.holds / 1e6:.2f} M instructions "
                    f"a hold (this process; callgrind)")


def ab(args, hold, queries):
    """CPU and statements per hold, batches with and without validation
    from the values in hand alternating under the same load."""
    from trytond.modules.photo_booking.created import CreatedFromValues
    cache_created = CreatedFromValues.__dict__['_cache_created']
    figures = {True: [], False: []}
    for _ in range(args.ab):
        for in_hand in (True, False):
            CreatedFromValues._cache_created = cache_created if in_hand \
                else classmethod(lambda cls, ids, vlist: None)
            del queries[:]
            cpu = time.process_time()
            for i in range(args.holds):
                hold(i)
            figures[in_hand].append(
                ((time.process_time() - cpu) / args.holds * 1000,
                    len(queries) / args.holds))
    CreatedFromValues._cache_created = cache_created
    for in_hand, label in [(True, "from the values in hand"),
            (False, "read back")]:
        progress(f"validated {label}: CPU "
            + ', '.join(f"{c:.2f}" for c, _ in figures[in_hand])
            + " ms a hold; statements "
            + ', '.join(f"{q:.2f}" for _, q in figures[in_hand]))


if __name__ == '__main__':
    main()
