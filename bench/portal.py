"""Time to first byte of the portal's catalogue and availability pages.

Creates a throw-away SQLite database with a small studio world, serves
trytond's WSGI app on a local port and prints p50/p95 TTFB per page:

    .venv/bin/python bench/portal.py [--requests 200]
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from statistics import median, quantiles

WORKDIR = tempfile.mkdtemp(prefix='photo-bench-')
DATABASE = 'bench_' + uuid.uuid4().hex[:8]
CONFIG = os.path.join(WORKDIR, 'trytond.conf')
with open(CONFIG, 'w') as f:
    f.write(f"[database]\nuri = sqlite://\npath = {WORKDIR}\n"
        f"[session]\nsuper_pwd =\n"
        f"[photo_booking]\nportal_database = {DATABASE}\n")
os.environ['TRYTOND_CONFIG'] = CONFIG
os.environ.pop('TRYTOND_DATABASE_URI', None)


def create_database():
    open(os.path.join(WORKDIR, DATABASE + '.sqlite'), 'w').close()
    env = dict(os.environ)
    passfile = os.path.join(WORKDIR, 'admin.pass')
    with open(passfile, 'w') as f:
        f.write('admin-' + uuid.uuid4().hex + '\n')
    env['TRYTONPASSFILE'] = passfile
    subprocess.run([
            os.path.join(os.path.dirname(sys.executable), 'trytond-admin'),
            '-c', CONFIG, '-d', DATABASE, '-u', 'photo_booking',
            '--activate-dependencies', '--email', 'admin@example.com'],
        check=True, env=env, stdout=subprocess.DEVNULL)


def seed():
    import datetime as dt

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking.tests.tools import create_world, local
    Pool(DATABASE).init()
    with Transaction().start(DATABASE, 0):
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=4)
        # Some bookings so availability has work to do.
        day = dt.date.today() + dt.timedelta(days=1)
        for i, photographer in enumerate(w.photographers):
            hold = Booking.create_hold(
                w.service, local(w.studio, day, 11 + i), w.client,
                studio=w.studio, photographer=photographer)
            Booking.submit([hold])
        return w.service.id, w.studio.id, day


def ttfb(port, path):
    connection = http.client.HTTPConnection('127.0.0.1', port)
    started = time.perf_counter()
    connection.request('GET', path)
    response = connection.getresponse()
    elapsed = time.perf_counter() - started
    response.read()
    connection.close()
    assert response.status in (200, 303), (path, response.status)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--requests', type=int, default=200)
    args = parser.parse_args()
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass
    try:
        create_database()
        service, studio, day = seed()
        from trytond.wsgi import app
        server = make_server(
            '127.0.0.1', 0, app, threaded=True, request_handler=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f'/book?service={service}&photographer=any&studio={studio}'
        pages = {
            'home': '/',
            'services': '/book',
            'photographers': f'/book?service={service}',
            'calendar (month)': base,
            'times (day)': f'{base}&day={day.isoformat()}',
            'studios (nearest)': '/studios?lat=55.75&lon=37.61',
            }
        print(f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8}")
        for name, path in pages.items():
            for _ in range(10):
                ttfb(server.server_port, path)
            timings = [ttfb(server.server_port, path)
                for _ in range(args.requests)]
            p95 = quantiles(timings, n=20)[-1]
            print(f'{name:<20} {median(timings) * 1000:8.1f} {p95 * 1000:8.1f}')
        server.shutdown()
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == '__main__':
    main()
