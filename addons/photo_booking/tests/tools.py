"Build a small studio world inside a test transaction; test clients."
import datetime as dt
import threading
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from types import SimpleNamespace
from unittest.mock import patch
from zoneinfo import ZoneInfo

from werkzeug.test import Client

import trytond.config as config
from trytond import backend
from trytond.backend.postgresql.database import LoggingCursor
from trytond.backend.sqlite.database import SQLiteCursor
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction

from ..common import utc_now

WEEKDAYS = range(7)


def soon(studio, hours):
    """The first whole hour at least hours from now whose one-hour shoot
    ends before the studio's day does (23:59): tests pass at any time."""
    start = (utc_now() + dt.timedelta(hours=hours)).replace(
        minute=0, second=0, microsecond=0)
    while not 0 <= start.replace(tzinfo=dt.timezone.utc).astimezone(
            ZoneInfo(studio.timezone)).hour <= 22:
        start += dt.timedelta(hours=1)
    return start


def get_currency(code='RUB'):
    Currency = Pool().get('currency.currency')
    currencies = Currency.search([('code', '=', code)], limit=1)
    if currencies:
        return currencies[0]
    currency, = Currency.create([{
                'name': code, 'code': code, 'symbol': code,
                'digits': 2, 'rounding': Decimal('0.01'),
                }])
    return currency


def create_product(name):
    pool = Pool()
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    unit, = Uom.search([('name', '=', 'Unit')])
    template, = Template.create([{
                'name': name, 'type': 'service',
                'default_uom': unit.id,
                'products': [('create', [{}])],
                }])
    return template.products[0]


def create_world(
        timezone='Europe/Moscow', opening=(dt.time(9), dt.time(21)),
        working=(dt.time(10), dt.time(19)), rooms=2, equipment_quantity=1,
        confirmation='auto', min_notice=dt.timedelta(0),
        step=dt.timedelta(hours=1), duration=dt.timedelta(hours=1),
        buffer_after=dt.timedelta(0), photographers=1):
    """A studio open every day with rooms, a light of equipment_quantity,
    a one-hour portrait service needing the light, and photographers
    working there every day."""
    pool = Pool()
    Studio = pool.get('photo.studio')
    Service = pool.get('photo.service')
    Photographer = pool.get('photo.photographer')
    Party = pool.get('party.party')

    currency = get_currency()
    studio, = Studio.create([{
                'name': "Loft", 'city': "Moscow", 'timezone': timezone,
                'opening_hours': [('create', [{
                                'weekday': str(d), 'start_time': opening[0],
                                'end_time': opening[1]}
                            for d in WEEKDAYS])],
                'rooms': [('create', [{'name': f"Hall {i + 1}"}
                            for i in range(rooms)])],
                'equipment': [('create', [{
                                'name': "Profoto B10", 'kind': 'light',
                                'quantity': equipment_quantity,
                                'unit_price': Decimal('500')}])],
                }])
    light, = studio.equipment
    service, = Service.create([{
                'name': "Portrait", 'product': create_product("Portrait").id,
                'duration': duration, 'price': Decimal('5000'),
                'currency': currency.id,
                'buffer_before': dt.timedelta(0),
                'buffer_after': buffer_after,
                'free_cancellation': dt.timedelta(hours=24),
                'cancellation_fee_percent': Decimal(50),
                'equipment': [('create', [{
                                'equipment': light.id, 'quantity': 1}])],
                }])
    created = []
    for i in range(photographers):
        party, = Party.create([{'name': f"Photographer {i + 1}"}])
        photographer, = Photographer.create([{
                    'party': party.id, 'name': party.name,
                    'studios': [('add', [studio.id])],
                    'services': [('create', [{'service': service.id}])],
                    'confirmation': confirmation,
                    'min_notice': min_notice,
                    'slot_step': step,
                    'working_hours': [('create', [{
                                    'studio': studio.id, 'weekday': str(d),
                                    'start_time': working[0],
                                    'end_time': working[1]}
                                for d in WEEKDAYS])],
                    }])
        created.append(photographer)
    client, = Party.create([{'name': "Anna Client"}])
    return SimpleNamespace(
        studio=studio, rooms=list(studio.rooms), light=light,
        service=service, photographer=created[0], photographers=created,
        client=client, currency=currency)


def create_on_location(w):
    """A service without a room and a photographer shooting it at the
    client's address, working there (no studio) every day 10:00-19:00."""
    pool = Pool()
    Service = pool.get('photo.service')
    Photographer = pool.get('photo.photographer')
    Party = pool.get('party.party')
    outdoor, = Service.copy([w.service], default={
            'name': "Outdoor walk", 'needs_room': False, 'equipment': None})
    party, = Party.create([{'name': "Olga Outdoor"}])
    olga, = Photographer.create([{
                'party': party.id, 'name': party.name, 'on_location': True,
                'timezone': 'Europe/Moscow', 'min_notice': dt.timedelta(0),
                'slot_step': dt.timedelta(hours=1),
                'services': [('create', [{'service': outdoor.id}])],
                'working_hours': [('create', [{
                                'studio': None, 'weekday': str(d),
                                'start_time': dt.time(10),
                                'end_time': dt.time(19)}
                            for d in range(7)])],
                }])
    return outdoor, olga


def local(studio, day, hour, minute=0):
    "A naive UTC datetime for a wall-clock time at the studio."
    from zoneinfo import ZoneInfo
    moment = dt.datetime.combine(
        day, dt.time(hour, minute), ZoneInfo(studio.timezone))
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def tomorrow(days=1, studio=None):
    """The day days after today: the machine's, or the studio's (as the
    bot's "tomorrow" is, a day ahead of UTC's at night in Moscow)."""
    today = (dt.datetime.now(ZoneInfo(studio.timezone)).date() if studio
        else dt.date.today())
    return today + dt.timedelta(days=days)


class AddressedClient(Client):
    "A test client of trytond's WSGI app whose requests come from address."

    def __init__(self, address, app=None):
        from trytond.wsgi import app as trytond_app
        super().__init__(app or trytond_app, Response)
        self.address = address

    def open(self, *args, **kwargs):
        kwargs.setdefault('environ_base', {}).setdefault(
            'REMOTE_ADDR', self.address)
        return super().open(*args, **kwargs)


@contextmanager
def no_free_connection(add_cleanup, database_name):
    """This process's PostgreSQL pool of database_name with no connection
    to give: [database] maxconn 1 (until add_cleanup's cleanups run) and
    every idle one held until the end of the block."""
    from psycopg_pool import PoolTimeout
    set_config(add_cleanup, 'database', 'maxconn', '1')
    connections = backend.Database(database_name)._connpool
    held = []
    try:
        while True:
            held.append(connections.getconn(timeout=0.2))
    except PoolTimeout:
        pass
    try:
        yield
    finally:
        for connection in held:
            connections.putconn(connection)


def run_wizard(name, **values):
    """Run party's wizard name ('party.erase', 'party.replace') on the ask
    form's values, as a manager does in the back office."""
    pool = Pool()
    Wizard = pool.get(name, type='wizard')
    Session = pool.get('ir.session.wizard')
    session = Session()
    session.save()
    wizard = Wizard(session.id)
    for field, value in values.items():
        setattr(wizard.ask, field, value)
    getattr(wizard, f'transition_{name.split(".")[1]}')()
    # The wizards write in SQL; the back office reads in a new transaction
    # (whose commit empties the caches so).
    for cache in Transaction().cache.values():
        cache.clear()


def erase_party(party):
    "Deactivate party and erase it (party's Erase wizard)."
    Pool().get('party.party').write([party], {'active': False})
    run_wizard('party.erase', party=party)


def set_config(add_cleanup, section, key, value):
    "config.set until add_cleanup's cleanups run (a test's or a class's)."
    if not config.has_section(section):
        config.add_section(section)
    old = config.get(section, key)
    config.set(section, key, value)
    if old is None:
        add_cleanup(config._cache_clear)
        add_cleanup(config._config.remove_option, section, key)
    else:
        add_cleanup(config.set, section, key, old)
def staff_users(w):
    """Back-office users: one per photographer of world w (logins anna,
    boris…, in the Photographer group, linked to them) and a manager."""
    pool = Pool()
    User = pool.get('res.user')
    Photographer = pool.get('photo.photographer')
    ModelData = pool.get('ir.model.data')
    photographer_group = ModelData.get_id('photo_booking', 'group_photographer')
    manager_group = ModelData.get_id('photo_booking', 'group_photo_manager')
    logins = ['anna', 'boris', 'clara', 'dmitri']
    users = User.create([
            {'login': login, 'name': login.title(),
                'groups': [('add', [photographer_group])]}
            for login in logins[:len(w.photographers)]]
        + [{'login': 'manager', 'name': "Manager",
                'groups': [('add', [manager_group])]}])
    *photographer_users, manager = users
    for photographer, user in zip(w.photographers, photographer_users):
        photographer.user = user
    Photographer.save(w.photographers)
    return SimpleNamespace(photographers=photographer_users, manager=manager)


def portal_booking(w, email='maria@example.com', **account):
    """A portal account of world w's client (email, account's other
    values) and a confirmed booking of theirs, made from it, tomorrow at
    11:00 studio time: (web user, booking)."""
    pool = Pool()
    Booking = pool.get('photo.booking')
    WebUser = pool.get('web.user')
    web_user, = WebUser.create([{
                'email': email, 'party': w.client.id, **account}])
    booking = Booking.create_hold(
        w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
    booking.web_user = web_user
    booking.save()
    Booking.confirm([booking])
    return web_user, booking


def as_user(user):
    "Act as user over RPC: with their access and record rules."
    stack = ExitStack()
    stack.enter_context(Transaction().set_user(user.id))
    stack.enter_context(Transaction().set_context(_check_access=True))
    return stack


@contextmanager
def recording_queries():
    """The (sql, params) of every query the block runs through a cursor, in
    this thread (not those of trytond's cache listener, for one)."""
    cursor = (LoggingCursor if backend.name == 'postgresql'
        else SQLiteCursor)
    original = cursor.execute
    queries = []
    thread = threading.get_ident()

    def recording(self, sql, params=(), *args, **kwargs):
        if threading.get_ident() == thread:
            queries.append((sql, params))
        return original(self, sql, params, *args, **kwargs)

    with patch.object(cursor, 'execute', recording):
        yield queries


# abuse.py's limits, high enough for tests that book many times from one
# address, contact and device (those of abuse itself set their own).
RELAXED_ABUSE = {
    **{f'holds_per_{kind}': '100000/60' for kind in ('ip', 'contact', 'device')},
    **{f'open_holds_per_{kind}': '100000' for kind in ('ip', 'contact', 'device')},
    **{f'proof_after_{kind}': '100000' for kind in ('ip', 'contact', 'device')},
    'rate_limit_portal_write': '100000/60',
    'rate_limit_account_write': '100000/60',
    'rate_limit_signup_contact': '100000/60',
    'rate_limit_reset_contact': '100000/60',
    'rate_limit_api_booking': '100000/60',
    }


def relax_abuse_limits(add_cleanup):
    "RELAXED_ABUSE until add_cleanup's cleanups run."
    for key, value in RELAXED_ABUSE.items():
        set_config(add_cleanup, 'photo_booking', key, value)

