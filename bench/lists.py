"""Benchmark the booking lists of a studio with years of history.

    .venv/bin/python -m bench.lists [--quick]

100,000 bookings of 40 photographers since 2020 (bench.availability's
history), then over HTTP (gunicorn, 2 workers), 1 client:
GET /me/bookings of a signed-in client with three bookings, and
GET /staff/bookings of this week and of a week in 2021 with the manager's
application key and with a photographer's. No targets in the issue: the
figures show that a list costs what it returns, not the history.
"""
import datetime as dt

from bench.availability import PHOTOGRAPHERS, history_bookings
from bench.common import (
    build_world, copy_bookings, database, http_server, local_start,
    measure_floor, parse_quick_only, percentile, progress, run_concurrently,
    sized, summary, verdict)

TOTAL = sized(100_000, 5_000)
RUNS = sized(100, 10)
PASSWORD = 'Correct-Horse-7-Battery'


def accounts(db, world):
    """A client web user with three bookings and its session, the
    manager's and the first photographer's application keys."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(db.name, 0) as transaction:
        pool = Pool()
        Application = pool.get('res.user.application')
        Booking = pool.get('photo.booking')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        Photographer = pool.get('photo.photographer')
        User = pool.get('res.user')
        WebUser = pool.get('web.user')
        party, = Party.create([{'name': "Web Client"}])
        web_user, = WebUser.create([{
                    'email': 'web.client@example.com', 'password': PASSWORD,
                    'party': party.id}])
        day = dt.date.today() + dt.timedelta(days=3)
        Booking.create([{
                    'client': party.id, 'web_user': web_user.id,
                    'photographer': world['photographers'][1],
                    'service': world['plain_service'],
                    'studio': world['studio'], 'start': start,
                    'end': start + dt.timedelta(hours=1),
                    'source': 'web', 'price': 5000,
                    'currency': world['currency'], 'state': 'confirmed'}
                for start in (local_start(world['tz'], day, h)
                    for h in (10, 12, 14))])
        admin, = User.search([('login', '=', 'admin')])
        staff, = User.create([{
                    'name': "Bench Photographer", 'login': 'bench',
                    'groups': [('add', [ModelData.get_id(
                                    'photo_booking', 'group_photographer')])],
                    }])
        Photographer.write(
            [Photographer(world['photographers'][0])], {'user': staff.id})
        keys = Application.create([
                {'user': admin.id, 'application': 'photo_booking'},
                {'user': staff.id, 'application': 'photo_booking'}])
        Application.write(keys, {'state': 'validated'})
        session = web_user.new_session()
        transaction.commit()
        return session, keys[0].key, keys[1].key


def measure(floor=None):
    with database() as db:
        progress(f"building a studio with {PHOTOGRAPHERS} photographers")
        world = build_world(db, photographers=PHOTOGRAPHERS)
        progress(f"loading {TOTAL} bookings since 2020 with COPY")
        # A window long gone: the history fills this week too.
        copy_bookings(db, history_bookings(world, dt.date(2000, 1, 1), TOTAL))
        session, manager, photographer = accounts(db, world)
        monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
        this_week = (f"from={monday}&to={monday + dt.timedelta(days=6)}")
        old_week = "from=2021-03-01&to=2021-03-07"
        with http_server(db) as client:
            for label, path, token in [
                    ("client's own, /me/bookings", '/me/bookings', session),
                    ("manager, this week", f'/staff/bookings?{this_week}',
                        manager),
                    ("manager, a week in 2021", f'/staff/bookings?{old_week}',
                        manager),
                    ("photographer, this week",
                        f'/staff/bookings?{this_week}', photographer),
                    ("photographer, a week in 2021",
                        f'/staff/bookings?{old_week}', photographer),
                    ]:
                def get(index, i):
                    status, body, elapsed = client.request(
                        'GET', path, token=token)
                    assert status == 200, (status, body)
                    return elapsed, len(body)
                for _ in range(10):  # both workers warm
                    get(0, 0)
                results = run_concurrently(1, get, count=RUNS)
                samples = [e for e, _ in results]
                progress(f"HTTP GET {label}, 1 client: {summary(samples)} "
                    f"({results[0][1]} bookings)")
                verdict(f"  {label}, p95", percentile(samples, 0.95),
                    floor=floor and floor.p95)


def main():
    parse_quick_only(__doc__)
    measure(measure_floor())


if __name__ == '__main__':
    main()
