"""Benchmark the machine's floor for bench.booking: the cheapest booking
Tryton can make here.

    .venv/bin/python -m bench.floor

bench/floor_module (bench_floor, linked into trytond's modules for the run)
is one model, an integer resource and a time range under the same kind of
gist exclusion constraint as a booking's, and one route creating it through
the ORM (validation, constraint, commit). Served like bench.booking
(gunicorn, 2 workers), it gets the same load: p50/p95 at 1 client, then 8
concurrent clients for 60 s. A hold can only be slower: it also finds the
client, checks the slot with the availability engine, writes its history
and answers with the booking. The issue measured this floor at 3.2 ms p50
and ~520/s on its machine. `python -m bench` measures it first and prints
every other figure's ratio to it.

    .venv/bin/python -m bench.floor --round-trips

then also measures the floor's route plus what a hold cannot do without
(the abuse ledger's two Redis scripts, the client's lookup, the advisory
lock, the slot's re-read and the history row, each the cheapest way), in
sustained runs between runs of the plain route, each printed with its
share of the mean of the two beside it. What that share misses of 100 % is
a hold's cost that no code of ours on top of Tryton's create can take back.
"""
import argparse
import contextlib
import datetime as dt
import itertools
import os
import threading

from bench.common import (
    ROOT, Floor, add_quick_option, database, http_server, percentile,
    progress, run_concurrently, sized, successes, summary, sustained)

MODULE = 'bench_floor'
RESOURCES = 40  # as bench.booking's photographers
RUNS = sized(200, 20)
CONCURRENT = 8
SUSTAINED = sized(60, 5)  # seconds
ROUND_TRIP_RUNS = 2


@contextlib.contextmanager
def floor_module():
    """bench/floor_module installed as trytond.modules.bench_floor.

    The link stays: removing it while another process lists trytond's
    modules (a test run beside this one, its Pool starting) fails that
    process's start. A module no database installs costs nothing."""
    import trytond.modules
    link = os.path.join(os.path.dirname(trytond.modules.__file__), MODULE)
    target = os.path.join(ROOT, 'bench', 'floor_module')
    if os.path.realpath(link) != os.path.realpath(target):
        if os.path.lexists(link):
            os.remove(link)  # pointing at another checkout
        try:
            os.symlink(target, link)
        except FileExistsError:  # made meanwhile by a run beside this one
            pass
    yield


def measure(round_trips=False):
    "The floor's figures, measured now."
    with floor_module(), database(MODULE) as db, \
            http_server(db, prefix=f'/{MODULE}') as client:
        numbers = itertools.count()
        lock = threading.Lock()
        first = dt.datetime(2030, 1, 1)

        def creator(path):
            def create(index, i):
                with lock:
                    n = next(numbers)
                return client.request('POST', path, {
                        'resource': n % RESOURCES,
                        'start': (first + dt.timedelta(
                                hours=n // RESOURCES)).isoformat(),
                        'email': f'client{n % 50000}@example.com',
                        })
            return create
        create = creator('/slots')

        successes(run_concurrently(CONCURRENT, create, count=3), "warm-up")
        one = successes(run_concurrently(1, create, count=RUNS), "1 client")
        progress(f"floor, HTTP POST /slots, 1 client: {summary(one)}")
        ok, rate = sustained(create, CONCURRENT, SUSTAINED)
        progress(f"floor, HTTP sustained: {len(ok)} creates = {rate:.1f}/s "
            f"at {CONCURRENT} clients ({summary(ok)})")
        if round_trips:
            compare_round_trips(rate, create, creator('/slots/checked'))
        return Floor(p50=percentile(one, 0.5), p95=percentile(one, 0.95),
            p95_concurrent=percentile(ok, 0.95), rate=rate)


def compare_round_trips(rate, create, create_checked):
    """Sustained runs of the route with a hold's round trips, each between
    two runs of the plain one: its share of their mean."""
    successes(run_concurrently(CONCURRENT, create_checked, count=3),
        "warm-up")
    shares = []
    for run in range(ROUND_TRIP_RUNS):
        ok, checked = sustained(create_checked, CONCURRENT, SUSTAINED)
        progress(f"with a hold's round trips, run {run + 1}: "
            f"{checked:.1f}/s ({summary(ok)})")
        _, after = sustained(create, CONCURRENT, SUSTAINED)
        progress(f"floor again: {after:.1f}/s")
        shares.append(checked / ((rate + after) / 2))
        rate = after
    progress("with a hold's round trips, share of the floor beside it: "
        + ", ".join(f"{share:.0%}" for share in shares))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quick_option(parser)
    parser.add_argument('--round-trips', action='store_true',
        help="also the floor with a hold's round trips, beside it")
    measure(parser.parse_args().round_trips)


if __name__ == '__main__':
    main()
