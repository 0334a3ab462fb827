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
"""
import contextlib
import datetime as dt
import itertools
import os
import threading

from bench.common import (
    ROOT, Floor, database, http_server, parse_quick_only, percentile,
    progress, run_concurrently, sized, successes, summary, sustained)

MODULE = 'bench_floor'
RESOURCES = 40  # as bench.booking's photographers
RUNS = sized(200, 20)
CONCURRENT = 8
SUSTAINED = sized(60, 5)  # seconds


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


def measure():
    "The floor's figures, measured now."
    with floor_module(), database(MODULE) as db, \
            http_server(db, prefix=f'/{MODULE}') as client:
        numbers = itertools.count()
        lock = threading.Lock()
        first = dt.datetime(2030, 1, 1)

        def create(index, i):
            with lock:
                n = next(numbers)
            return client.request('POST', '/slots', {
                    'resource': n % RESOURCES,
                    'start': (first + dt.timedelta(
                            hours=n // RESOURCES)).isoformat(),
                    })

        successes(run_concurrently(CONCURRENT, create, count=3), "warm-up")
        one = successes(run_concurrently(1, create, count=RUNS), "1 client")
        progress(f"floor, HTTP POST /slots, 1 client: {summary(one)}")
        ok, rate = sustained(create, CONCURRENT, SUSTAINED)
        progress(f"floor, HTTP sustained: {len(ok)} creates = {rate:.1f}/s "
            f"at {CONCURRENT} clients ({summary(ok)})")
        return Floor(p50=percentile(one, 0.5), p95=percentile(one, 0.95),
            p95_concurrent=percentile(ok, 0.95), rate=rate)


def main():
    parse_quick_only(__doc__)
    measure()


if __name__ == '__main__':
    main()
