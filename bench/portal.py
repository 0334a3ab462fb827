"""Time to first byte of the portal's booking pages, as clients see them.

PostgreSQL with a large bookings table (--bookings, 100k by default; 1M
with --bookings 1000000), a studio with 20 and then 100 photographers
(--photographers), served by gunicorn with 2 workers; 1 and 8 clients.
Every response must be a 200 whose HTML shows the free days and times that
Booking.available_slots gives in process (a redirect counts as a failure).

    .venv/bin/python -m bench.portal [--bookings 1000000] [--photographers 100]

The calendar is served from the free-days cache after its first view in
each worker (no booking changes while the bench runs); the times of a day
are always computed live.
"""
import argparse
import calendar
import datetime as dt
import http.client
import os
import re
import time
from zoneinfo import ZoneInfo

from bench.common import (
    build_world, copy_bookings, database, http_server, past_bookings,
    percentile, progress, run_concurrently, summary, team_bookings)

FREE_DAY_RE = re.compile(r'data-day="([0-9-]+)"')
SLOT_RE = re.compile(r'name="start" value="([0-9T:-]+)"')
CLIENTS = (1, 8)
REQUESTS = 160  # per run, shared by its clients
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
        pool = Pool()
        Booking = pool.get('photo.booking')
        service = pool.get('photo.service')(world['plain_service'])
        studio = pool.get('photo.studio')(world['studio'])
        month = Booking.available_slots(service, first, last, studio=studio)
        times = Booking.available_slots(service, day, day, studio=studio)
    return ({s.start.astimezone(tz).date().isoformat() for s in month},
        {s.start.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M')
            for s in times})


def run(port, path, clients, check):
    "TTFB seconds of the responses that passed check, and the failures."
    def one(client, i):
        status, html, elapsed = get(port, path)
        return elapsed, (None if status == 200 and check(html)
            else f"status {status}")
    for _ in range(10):  # warm both workers
        one(0, 0)
    results = run_concurrently(clients, one, count=REQUESTS // clients)
    failures = [f for _, f in results if f]
    return [e for e, f in results if not f], failures


def bench(photographers, bookings):
    with database() as db:
        world = build_world(db, photographers=photographers)
        tz = ZoneInfo(world['tz'])
        day = dt.datetime.now(tz).date() + dt.timedelta(days=3)
        window = team_bookings(world, day.replace(day=1) - dt.timedelta(
                days=1), 63, per_day=(4, 5))
        progress(f"copying {bookings} bookings ({len(window)} in the "
            f"calendar's weeks), then ANALYZE")
        copy_bookings(db, window + past_bookings(world,
                max(0, bookings - len(window)), before=window[0]['start']))
        free_days, free_times = expected(db, world, day)
        os.environ['TRYTOND_PHOTO_BOOKING__PORTAL_DATABASE'] = db.name
        base = (f"/book?service={world['plain_service']}&photographer=any"
            f"&studio={world['studio']}")
        pages = {
            'calendar': (f"{base}&month={day:%Y-%m}",
                lambda html: set(FREE_DAY_RE.findall(html)) == free_days),
            'times': (f"{base}&day={day.isoformat()}",
                lambda html: set(SLOT_RE.findall(html)) == free_times),
            }
        with http_server(db) as client:
            for page, (path, check) in pages.items():
                for clients in CLIENTS:
                    ok, failures = run(client.port, path, clients, check)
                    goal = GOALS[page, clients]
                    shown = (f"{len(free_days)} free days"
                        if page == 'calendar'
                        else f"{len(free_times)} free times")
                    label = (f"{page} ({shown}), {photographers} "
                        f"photographers, {bookings} bookings, "
                        f"{clients} client(s)")
                    if failures:
                        progress(f"{label}: {len(failures)} of "
                            f"{len(failures) + len(ok)} FAILED, first: "
                            f"{failures[0]}")
                    if not ok:
                        continue
                    p95 = percentile(ok, 0.95)
                    progress(f"{label}: TTFB {summary(ok)}; goal p95 <= "
                        f"{goal} ms, figure {p95:.1f} ms, ratio "
                        f"{p95 / goal:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--bookings', type=int, default=100_000)
    parser.add_argument('--photographers', type=int, nargs='+',
        default=[20, 100])
    args = parser.parse_args()
    for photographers in args.photographers:
        bench(photographers, args.bookings)


if __name__ == '__main__':
    main()
