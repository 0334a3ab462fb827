"""Time to first byte of the portal's booking pages, as clients see them.

PostgreSQL with a large bookings table (100k, then 1M rows; --bookings),
a studio with 100 and then 20 photographers (--photographers: the studio
is built with the most, the others then stop offering the service), served
by gunicorn with 2 workers; 1 and 8 clients. Every response must be a 200
whose HTML shows the free days and times that Booking.available_slots
gives in process (a redirect, e.g. a 303, counts as a failure).

    .venv/bin/python -m bench.portal [--bookings 1000000] [--photographers 100 20] [--quick]

The calendar is served from the free-days cache after its first view in
each worker (no booking changes while the bench runs); the times of a day
are always computed live. Loading 1M bookings takes a few minutes (COPY,
progress every 100k rows).
"""
import argparse
import calendar
import datetime as dt
import http.client
import itertools
import os
import re
import time
from zoneinfo import ZoneInfo

from bench.common import (
    add_quick_option, build_world, copy_bookings, database, http_server,
    measure_floor, past_bookings, percentile, progress, read_afresh,
    run_concurrently, settle, sized, summary, team_bookings, verdict)

FREE_DAY_RE = re.compile(r'data-day="([0-9-]+)"')
SLOT_RE = re.compile(r'name="start" value="([0-9T:-]+)"')
CLIENTS = (1, 8)
BOOKINGS = sized([100_000, 1_000_000], [5_000])
PHOTOGRAPHERS = sized([100, 20], [10, 4])
REQUESTS = sized(160, 16)  # per run, shared by its clients
# (page, clients): TTFB p95 goal in ms, from issue 22.
GOALS = {
    ('calendar', 1): 50, ('calendar', 8): 80,
    ('times', 1): 40, ('times', 8): 120,
    }


def get(port, path):
    "(status, HTML, seconds to the first byte)."
    connection = http.client.HTTPConnection('127.0.0.1', port, 30)
    started = time.perf_counter()
    connection.request('GET', path, headers={'Accept-Language': 'en'})
    response = connection.getresponse()
    elapsed = time.perf_counter() - started
    html = response.read().decode()
    connection.close()
    return response.status, html, elapsed


def expected(db, world, day):
    """The free days of day's month and the free times of day for any
    photographer, as the portal should show them."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    tz = ZoneInfo(world['tz'])
    first = max(day.replace(day=1), dt.datetime.now(tz).date())
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    with Transaction().start(db.name, 0, readonly=True):
        read_afresh()  # offer_only committed just now
        pool = Pool()
        Booking = pool.get('photo.booking')
        service = pool.get('photo.service')(world['plain_service'])
        studio = pool.get('photo.studio')(world['studio'])
        month = Booking.available_slots(service, first, last, studio=studio)
        times = Booking.available_slots(service, day, day, studio=studio)
    return ({s.start.astimezone(tz).date().isoformat() for s in month},
        {s.start.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M')
            for s in times})


def run(port, path, clients, check, what):
    """TTFB seconds of the responses that passed check, and the failures,
    once the server shows what."""
    def one(client, i):
        status, html, elapsed = get(port, path)
        return elapsed, (None if status == 200 and check(html)
            else f"status {status}")
    settle(lambda: one(0, 0)[1] is None, what)
    results = run_concurrently(clients, one, count=REQUESTS // clients)
    failures = [f for _, f in results if f]
    return [e for e, f in results if not f], failures


def offer_only(db, world, count):
    """Only the first count photographers of world go on offering the
    plain service (clears the setup cache in every worker)."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(db.name, 0) as transaction:
        Offer = Pool().get('photo.photographer.service')
        Offer.delete(Offer.search([
                    ('service', '=', world['plain_service']),
                    ('photographer', 'in', world['photographers'][count:]),
                    ]))
        transaction.commit()


def measure(photographer_counts, bookings, floor=None):
    """One database of bookings rows with a studio of the most photographers
    of photographer_counts, then each count in decreasing order."""
    photographer_counts = sorted(photographer_counts, reverse=True)
    with database() as db:
        world = build_world(db, photographers=photographer_counts[0])
        tz = ZoneInfo(world['tz'])
        day = dt.datetime.now(tz).date() + dt.timedelta(days=3)
        window = team_bookings(world, day.replace(day=1) - dt.timedelta(
                days=1), 63, per_day=(4, 5))
        progress(f"copying {bookings} bookings ({len(window)} in the "
            f"calendar's weeks), then ANALYZE")
        copy_bookings(db, itertools.chain(window, past_bookings(world,
                    max(0, bookings - len(window)),
                    before=window[0]['start'])))
        os.environ['TRYTOND_PHOTO_BOOKING__PORTAL_DATABASE'] = db.name
        base = (f"/book?service={world['plain_service']}&photographer=any"
            f"&studio={world['studio']}")
        with http_server(db) as client:
            for photographers in photographer_counts:
                if photographers < len(world['photographers']):
                    offer_only(db, world, photographers)
                free_days, free_times = expected(db, world, day)
                pages = {
                    'calendar': (f"{base}&month={day:%Y-%m}",
                        lambda html: set(FREE_DAY_RE.findall(html))
                        == free_days),
                    'times': (f"{base}&day={day.isoformat()}",
                        lambda html: set(SLOT_RE.findall(html))
                        == free_times),
                    }
                for page, (path, check) in pages.items():
                    shown = (f"{len(free_days)} free days"
                        if page == 'calendar'
                        else f"{len(free_times)} free times")
                    for clients in CLIENTS:
                        label = (f"{page} ({shown}), {photographers} "
                            f"photographers, {bookings} bookings, "
                            f"{clients} client(s)")
                        report(client.port, path, clients, check, label,
                            GOALS[page, clients], floor and (floor.p95
                                if clients == 1 else floor.p95_concurrent),
                            shown)


def report(port, path, clients, check, label, goal, floor, what):
    ok, failures = run(port, path, clients, check, what)
    if failures:
        progress(f"{label}: {len(failures)} of {len(failures) + len(ok)} "
            f"FAILED, first: {failures[0]}")
    if ok:
        progress(f"{label}: TTFB {summary(ok)}")
        verdict(f"  {label}, TTFB p95", percentile(ok, 0.95), goal, floor)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--bookings', type=int, nargs='+',
        default=BOOKINGS)
    parser.add_argument('--photographers', type=int, nargs='+',
        default=PHOTOGRAPHERS)
    add_quick_option(parser)
    args = parser.parse_args()
    floor = measure_floor()
    for bookings in args.bookings:
        measure(args.photographers, bookings, floor)


if __name__ == '__main__':
    main()
