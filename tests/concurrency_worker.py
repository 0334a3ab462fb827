"""Child-process side of the concurrency tests.

Each worker is a separate process with its own trytond configuration,
pool and database connection. Workers loop over the rounds of every
scenario of a plan; a shared barrier releases them all at the same
instant for each attempt, so one worker pool serves hundreds of rounds.
"""
import datetime as dt
import random
import time
import traceback

# Working hours of create_world: 10:00-19:00, one-hour slots.
FIRST_HOUR, SLOTS_PER_DAY = 10, 9
BARRIER_TIMEOUT = 120


def slot_start(studio_tz, day_offset, index):
    "Naive UTC start of the index-th one-hour slot from day_offset on."
    from zoneinfo import ZoneInfo
    day = dt.date.today() + dt.timedelta(
        days=day_offset + index // SLOTS_PER_DAY)
    moment = dt.datetime.combine(
        day, dt.time(FIRST_HOUR + index % SLOTS_PER_DAY),
        ZoneInfo(studio_tz))
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _init(db):
    db.configure()
    from trytond.pool import Pool
    Pool(db.name).init()


def build_worlds(db, specs, queue):
    "Create one studio world per spec; put {name: ids} on the queue."
    try:
        _init(db)
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        from trytond.modules.photo_booking.tests.tools import create_world
        worlds = {}
        with Transaction().start(db.name, 0) as transaction:
            Service = Pool().get('photo.service')
            for name, spec in specs.items():
                spec = dict(spec)
                needs_room = spec.pop('needs_room', True)
                with_equipment = spec.pop('with_equipment', True)
                w = create_world(**spec)
                Service.write([w.service], {'needs_room': needs_room})
                if not with_equipment:
                    Service.write([w.service], {
                            'equipment': [('delete', [
                                        e.id for e in w.service.equipment])]})
                worlds[name] = {
                    'service': w.service.id, 'studio': w.studio.id,
                    'tz': w.studio.timezone, 'client': w.client.id,
                    'photographers': [p.id for p in w.photographers],
                    'rooms': [r.id for r in w.rooms],
                    'light': w.light.id, 'currency': w.currency.id,
                    }
            transaction.commit()
        queue.put(('ok', worlds))
    except Exception:
        queue.put(('error', traceback.format_exc()))


def sqlstate(exc):
    "The SQLSTATE behind exc ('23P01'...), or 'emulated' (no database error)."
    while exc is not None:
        if getattr(exc, 'sqlstate', None):
            return exc.sqlstate
        exc = exc.__cause__
    return 'emulated'


def attempt_hold(db, world, photographer, start, barrier):
    """Try to hold start as a request of the API would: retrying the whole
    transaction on DatabaseOperationalError (deadlock, serialisation,
    lock timeout) after a random growing wait, as api.run_retried does, so
    that clients contending for one slot do not collide again in step.
    Returns (outcome, detail, retries)."""
    from trytond import backend
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking.api import BUSY_WAIT
    from trytond.modules.photo_booking.exceptions import SlotTakenError

    retries = []
    waited = False
    while True:
        try:
            with Transaction().start(db.name, 0) as transaction:
                pool = Pool()
                Booking = pool.get('photo.booking')
                service = pool.get('photo.service')(world['service'])
                studio = pool.get('photo.studio')(world['studio'])
                client = pool.get('party.party')(world['client'])
                photographer = pool.get('photo.photographer')(photographer)
                if not waited:
                    barrier.wait(BARRIER_TIMEOUT)
                    waited = True
                try:
                    booking = Booking.create_hold(
                        service, start, client, studio=studio,
                        photographer=photographer)
                    number = booking.number
                    transaction.commit()
                except SlotTakenError as exc:
                    # Raised by the engine's re-check or, for a race it
                    # lost, by the database's exclusion constraint. As a
                    # request, drop what the failed hold did (PostgreSQL
                    # refuses even the cache's NOTIFY after a violation).
                    transaction.rollback()
                    if not exc.__cause__:
                        return 'taken-engine', '', retries
                    return 'taken-constraint', sqlstate(exc), retries
            return 'won', number, retries
        except backend.DatabaseOperationalError as exc:
            retries.append(type(exc).__name__ + ': ' + str(exc).split('\n')[0])
            if len(retries) > 10:
                return 'error', traceback.format_exc(), retries
            time.sleep(random.uniform(
                0, BUSY_WAIT * 2 ** min(len(retries), 5)))
        except Exception:
            return 'error', traceback.format_exc(), retries


def run_worker(db, index, barrier, plan, queue):
    """Run every round of every scenario of plan as client index.

    plan: list of dicts {name, world, rounds, day_offset, mode}; mode
    'same' makes all clients want the same start (photographer w % n),
    'distinct' gives each client its own start."""
    started = time.monotonic()
    try:
        _init(db)
    except Exception:
        queue.put(('fatal', index, traceback.format_exc()))
        barrier.abort()
        return
    queue.put(('ready', index, time.monotonic() - started))
    for scenario in plan:
        world = scenario['world']
        photographers = world['photographers']
        clients = scenario['clients']
        started = time.monotonic()
        for round_ in range(scenario['rounds']):
            if index >= clients:
                # Not in this scenario: just keep the rounds in step.
                try:
                    barrier.wait(BARRIER_TIMEOUT)
                except Exception:
                    queue.put(('fatal', index, traceback.format_exc()))
                    return
                continue
            if scenario['mode'] == 'same':
                start = slot_start(world['tz'], scenario['day_offset'], round_)
                photographer = photographers[index % len(photographers)]
            else:
                start = slot_start(
                    world['tz'], scenario['day_offset'],
                    round_ * clients + index)
                photographer = photographers[0]
            try:
                outcome, detail, retries = attempt_hold(
                    db, world, photographer, start, barrier)
            except Exception:
                # A broken barrier: some other worker died.
                queue.put(('fatal', index, traceback.format_exc()))
                return
            queue.put((scenario['name'], round_, index, outcome, detail,
                    retries))
        if index == 0:
            queue.put(('timing', index, scenario['name'],
                    time.monotonic() - started))
    queue.put(('done', index, None))


def bulk_create(db, world, count, queue):
    "Create count non-overlapping bookings with one Booking.create call."
    try:
        _init(db)
        from decimal import Decimal
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(db.name, 0) as transaction:
            Booking = Pool().get('photo.booking')
            values = [{
                    'client': world['client'],
                    'photographer': world['photographers'][0],
                    'service': world['service'], 'studio': world['studio'],
                    'room': world['rooms'][0],
                    'start': slot_start(world['tz'], 200, i),
                    'price': Decimal(1), 'currency': world['currency'],
                    'source': 'backoffice',
                    } for i in range(count)]
            bookings = Booking.create(values)
            numbers = [b.number for b in bookings]
            transaction.commit()
        queue.put(('ok', numbers))
    except Exception:
        queue.put(('error', traceback.format_exc()))


def plant_expired_holds(db, world, rounds, day_offset, queue):
    """Hold the first slot of each round for the world's first photographer
    (its room and light too) and let the holds expire unreleased, as when
    clients walk away between two runs of the cron. Puts their ids."""
    try:
        _init(db)
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(db.name, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            holds = [Booking.create_hold(
                    pool.get('photo.service')(world['service']),
                    slot_start(world['tz'], day_offset, round_),
                    pool.get('party.party')(world['client']),
                    studio=pool.get('photo.studio')(world['studio']),
                    photographer=pool.get('photo.photographer')(
                        world['photographers'][0]))
                for round_ in range(rounds)]
            Booking.write(holds, {'hold_expires': dt.datetime.utcnow()})
            transaction.commit()
        queue.put(('ok', [h.id for h in holds]))
    except Exception:
        queue.put(('error', traceback.format_exc()))


def _day(day_offset):
    return dt.date.today() + dt.timedelta(days=day_offset)


def warm_worker(db, world, day_offset, commands, answers):
    """A long-lived worker, its caches warm between commands as a web
    worker's are between requests. Answers 'ready' once its pool is up,
    then per command: 'read', the local start hours of the world's service
    on the day; 'answers', the same kept in the answers cache, as the
    portal keeps its free days; ('book', hours), a hold at each hour of the
    day, each committed on its own; ('notify_delay', seconds), its
    setup_cache.ANSWERS_NOTIFY_DELAY."""
    try:
        _init(db)
        from zoneinfo import ZoneInfo
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        from trytond.modules.photo_booking import setup_cache

        def hours():
            pool = Pool()
            slots = pool.get('photo.booking').available_slots(
                pool.get('photo.service')(world['service']),
                _day(day_offset), _day(day_offset),
                studio=pool.get('photo.studio')(world['studio']))
            return [s.start.astimezone(ZoneInfo(world['tz'])).hour
                for s in slots]
        answers.put(('ok', 'ready'))
        while (command := commands.get(timeout=BARRIER_TIMEOUT)) != 'stop':
            if command[0] == 'book':
                for hour in command[1]:
                    with Transaction().start(db.name, 0) as transaction:
                        _hold(world, day_offset, hour)
                        transaction.commit()
                answers.put(('ok', None))
                continue
            if command[0] == 'notify_delay':
                setup_cache.ANSWERS_NOTIFY_DELAY = command[1]
                answers.put(('ok', None))
                continue
            with Transaction().start(db.name, 0, readonly=True):
                if command == 'answers':
                    key = ('hours', world['service'], day_offset)
                    value = setup_cache.answers.get(key)
                    if value is None:
                        value = setup_cache.answers.set(key, hours())
                else:
                    value = hours()
            answers.put(('ok', list(value)))
    except Exception:
        answers.put(('error', traceback.format_exc()))


def add_day_off(db, world, day_offset, queue):
    "Give the world's first photographer the day off, committed."
    try:
        _init(db)
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(db.name, 0) as transaction:
            Pool().get('photo.photographer.exception').create([{
                        'photographer': world['photographers'][0],
                        'kind': 'closed', 'date_from': _day(day_offset),
                        'date_to': _day(day_offset)}])
            transaction.commit()
        queue.put(('ok', None))
    except Exception:
        queue.put(('error', traceback.format_exc()))


def make_bookings(db, world, specs, queue):
    """Hold (and submit, for 'confirmed') one booking per spec (day_offset,
    hour, state) for the world's first photographer; put their tokens."""
    try:
        _init(db)
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(db.name, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            tokens = []
            for day_offset, hour, state in specs:
                booking = _hold(world, day_offset, hour)
                if state == 'confirmed':
                    Booking.submit([booking])
                tokens.append(booking.token)
            transaction.commit()
        queue.put(('ok', tokens))
    except Exception:
        queue.put(('error', traceback.format_exc()))


def _hold(world, day_offset, hour):
    "A hold of the world's first photographer at hour o'clock."
    from trytond.pool import Pool
    pool = Pool()
    return pool.get('photo.booking').create_hold(
        pool.get('photo.service')(world['service']),
        hour_start(world['tz'], day_offset, hour),
        pool.get('party.party')(world['client']),
        studio=pool.get('photo.studio')(world['studio']),
        photographer=pool.get('photo.photographer')(
            world['photographers'][0]),
        source='api')


def hour_start(studio_tz, day_offset, hour):
    "Naive UTC of hour o'clock at the studio, day_offset days from today."
    return slot_start(studio_tz, day_offset, hour - FIRST_HOUR)


def local_iso(studio_tz, day_offset, hour):
    "ISO 8601 with offset of hour o'clock at the studio, as clients send it."
    return hour_start(studio_tz, day_offset, hour).replace(
        tzinfo=dt.timezone.utc).isoformat()


def run_http_worker(db, index, barrier, rounds, queue):
    """Send this client's request of every round to the JSON API, in
    process, through trytond's WSGI application (its transactions, retries
    and error mapping), all clients released together by barrier.

    rounds: list of (scenario, round, {client index: request}); a request
    is (method, path under the API, JSON body, headers)."""
    started = time.monotonic()
    try:
        _init(db)
        import trytond.config as config
        from werkzeug.test import Client
        from trytond.wsgi import app
        # The races are about integrity, not the per-IP write limit, which
        # would answer most of them 429 (tests/test_flood.py checks it).
        if not config.has_section('photo_booking'):
            config.add_section('photo_booking')
        config.set('photo_booking', 'rate_limit_api_write', '1000000/60')
        # Nor about abuse's limits of one address (every client here).
        from tryton_db import RELAXED_ABUSE
        for key, value in RELAXED_ABUSE.items():
            config.set('photo_booking', key, value)
        client = Client(app)
    except Exception:
        queue.put(('fatal', index, traceback.format_exc()))
        barrier.abort()
        return
    queue.put(('ready', index, time.monotonic() - started))
    prefix = f'/{db.name}/photo_booking/api/v1/'
    for scenario, round_, requests in rounds:
        try:
            barrier.wait(BARRIER_TIMEOUT)
        except Exception:
            queue.put(('fatal', index, traceback.format_exc()))
            return
        if index not in requests:
            continue
        method, path, body, headers = requests[index]
        try:
            response = client.open(prefix + path, method=method, json=body,
                headers={'Accept-Language': 'en', **headers})
            answer = response.get_json(silent=True)
            queue.put((scenario, round_, index, path, response.status_code,
                    answer))
        except Exception:
            queue.put((scenario, round_, index, path, 'error',
                    traceback.format_exc()))
    queue.put(('done', index, None))
