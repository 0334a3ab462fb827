"""Time to first byte of the portal's catalogue pages: home, studios, the
service and photographer steps of the booking flow, and a day's times.

PostgreSQL, a studio with two photographers (the portal tests' world),
gunicorn with 2 workers, one client; each response must be a 200 showing
what the page is for (the studio, a photographer's price, a free time). The portal's tests keep only the behaviour of these pages; this
is where their speed is measured (the test used to fail past a p95 of
500 ms, a bound loose enough for any shared machine).

    .venv/bin/python -m bench.catalogue
"""
import datetime as dt
import os
from zoneinfo import ZoneInfo

from bench.common import (
    build_world, database, http_server, percentile, progress, summary)
from bench.portal import get

RUNS = 50


def main():
    with database() as db:
        world = build_world(db, photographers=2)
        os.environ['TRYTOND_PHOTO_BOOKING__PORTAL_DATABASE'] = db.name
        day = dt.datetime.now(ZoneInfo(world['tz'])).date() + dt.timedelta(
            days=2)
        service = world['full_service']
        pages = {  # name: (path, what the page must show)
            'home': ('/', 'Loft'),
            'studios': ('/studios', 'Loft'),
            'photographers step': (f'/book?service={service}', 'RUB'),
            'times of a day': (f'/book?service={service}&photographer=any'
                f"&studio={world['studio']}&day={day.isoformat()}",
                'name="start"'),
            }
        with http_server(db) as client:
            for name, (path, shown) in pages.items():
                for _ in range(10):  # warm both workers
                    get(client.port, path)
                timings = []
                for _ in range(RUNS):
                    status, html, elapsed = get(client.port, path)
                    if status != 200 or shown not in html:
                        raise AssertionError(f"{path}: status {status}")
                    timings.append(elapsed)
                progress(f"{name} ({path}): TTFB {summary(timings)}; "
                    f"figure p95 {percentile(timings, 0.95):.1f} ms")


if __name__ == '__main__':
    main()
