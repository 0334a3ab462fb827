"Bookings: the hold → confirmed → done life of a photo shoot."
import datetime as dt
import random
import re
import uuid
from collections import defaultdict, namedtuple
from decimal import Decimal
from functools import wraps
from zoneinfo import ZoneInfo

from sql import Cast, For, Literal, Null, Union
from sql.aggregate import Aggregate
from sql.functions import CurrentTimestamp, Function
from sql.operators import Equal, Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Check, Exclude, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import SQLConstraintError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.sql.functions import TSRange
from trytond.sql.operators import RangeOverlap
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import abuse, availability, policy, pricing, setup_cache, sqlcache
from .display import TIME_FORMAT, MinuteTimesMixin
from .encryption import EncryptedMixin, blind_index_field, encrypted
from .exceptions import (
    BookingError, BookingValidationError, CancellationError,
    HoldExpiredError, LateCancellationWarning, SlotTakenError,
    UnbookableTimeWarning)
from .common import ACTIVE_STATES, aware, naive, utc_now
from .created import CreatedFromValues
from .mail import MailMixin
from .setup_cache import ClearsAnswersCache

# Bookings' public tokens: uuid4().hex.
TOKEN_RE = re.compile(r'[0-9a-f]{32}')
STATES = [
    ('hold', "Held"),
    ('requested', "Awaiting Approval"),
    ('confirmed', "Confirmed"),
    ('done', "Done"),
    ('no_show', "No-show"),
    ('cancelled', "Cancelled"),
    ]
SOURCES = [
    ('web', "Web portal"),
    ('telegram', "Telegram"),
    ('backoffice', "Back office"),
    ('api', "API"),
    ]
CANCELLERS = [
    (None, ""),
    ('client', "Client"),
    ('photographer', "Photographer"),
    ('studio', "Studio"),
    ('system', "System"),
    ]
# (text, background) per state in the staff calendar.
CALENDAR_COLORS = {
    'hold': ('#5f4b00', '#fff3c4'),
    'requested': ('#7a3e00', '#ffd8a8'),
    'confirmed': ('#ffffff', '#2f7d32'),
    'done': ('#ffffff', '#5c6bc0'),
    'no_show': ('#ffffff', '#8d6e63'),
    'cancelled': ('#555555', '#e0e0e0'),
    }
OVERLAP_MESSAGES = (
    'photo_booking.msg_booking_slot_taken',
    'photo_booking.msg_booking_room_taken',
    'photo_booking.msg_equipment_unit_unique',
    )
# Read the surrounding days too: a local day spans two UTC dates and
# buffers reach over midnight.
WINDOW_MARGIN = dt.timedelta(days=1)
# Tryton emulates the overlap exclusions on SQLite with one OR clause per
# created record; SQLite's parser overflows at about 90 of them.
CREATE_CHUNK = 50
# At most this many resources are looked up with an index scan each.
INDEX_SCANS = 8
# What the engine's microseconds count from, as Tryton stores instants.
NAIVE_EPOCH = dt.datetime(1970, 1, 1)
MICROSECOND = dt.timedelta(microseconds=1)
# The advisory locks of a resource are per hour of its busy range.
LOCK_SPAN = dt.timedelta(hours=1)
# Rows of _booked_merged's query: a photographer's or a room's merged busy
# time, or an expired hold.
PHOTOGRAPHER, ROOM, LAPSED = 0, 1, 2


class RangeAgg(Aggregate):
    "PostgreSQL 14's union of ranges (touching ones joined)."
    __slots__ = ()
    _sql = 'RANGE_AGG'


class ArrayAgg(Aggregate):
    __slots__ = ()
    _sql = 'ARRAY_AGG'


class Unnest(Function):
    __slots__ = ()
    _function = 'UNNEST'


class RangeLower(Function):
    __slots__ = ()
    _function = 'LOWER'


class RangeUpper(Function):
    __slots__ = ()
    _function = 'UPPER'


class DatePart(Function):
    __slots__ = ()
    _function = 'DATE_PART'


def micros(column):
    """A naive-UTC timestamp as the engine's microseconds since the epoch.

    DATE_PART's double precision, not EXTRACT's numeric (half the CPU on
    PostgreSQL 14+): the seconds of a busy time are whole, so the double
    and its product by 10**6 (below 2**53 until the year 2255) are exact."""
    return Cast(DatePart('epoch', column) * 1_000_000, 'BIGINT')


def studio_times(start, end, tzinfo):
    """The day and the "10:00–11:00" range of a shoot in its studio's time
    zone, from naive UTC start and end: what staff read whatever the time
    zone of their browser."""
    local_start = aware(start).astimezone(tzinfo)
    local_end = aware(end).astimezone(tzinfo)
    return local_start.date(), (f'{local_start.strftime(TIME_FORMAT)}'
        f'–{local_end.strftime(TIME_FORMAT)}')


def serialise_writes():
    """Take SQLite's write lock now, before the reads that decide a booking.

    Python's sqlite3 only opens a transaction at the first write, so the
    reads before it are not isolated from concurrent writers. PostgreSQL
    needs nothing here: its snapshot and exclusion constraints decide, and
    Booking.lock_rows locks the rows a decision is about.
    Returns whether the lock was taken just now.
    """
    transaction = Transaction()
    if backend.name == 'sqlite' and not transaction.readonly:
        connection = transaction.connection
        if not connection.in_transaction:
            connection.execute('BEGIN IMMEDIATE')
            return True
    return False


def lock_resources(resources):
    """Take PostgreSQL's transaction-level advisory locks on the
    photographers, rooms or equipment kinds about to get a new busy range,
    for the hours of that range (LOCK_SPAN), in one order.

    Two transactions inserting overlapping rows at the same moment each
    wait for the other while checking the exclusion constraint: a deadlock
    PostgreSQL breaks only after deadlock_timeout (a second each, dozens
    in a race of eight clients). With these locks the second writer waits
    for the first to end, then its check fails at once (23P01). Two ranges
    of one resource that overlap share an hour, so they still wait for each
    other; holds of one room or light at other hours no longer do.
    resources: (field name, id, busy start, busy end); SQLite's write lock
    serialises already."""
    if backend.name != 'postgresql':
        return
    keys = sorted({key for name, id_, start, end in resources
            if id_ is not None and start is not None and end is not None
            for key in lock_keys(name, id_, start, end)})
    if keys:
        # One round trip: PostgreSQL evaluates the list left to right.
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT ' + ', '.join(
                ['pg_advisory_xact_lock(%s, %s)'] * len(keys)),
            [k for key in keys for k in key])


def lock_keys(name, id_, start, end):
    """The advisory lock keys of resource id_ (of field name) busy from
    start to end (naive UTC): its class, then the id and the hour in one
    32-bit key. Keys of different hours or ids may meet (ids past 2,048,
    hours 120 years apart): such writers only wait for each other."""
    first = (start - NAIVE_EPOCH) // LOCK_SPAN
    last = max(first, (end - MICROSECOND - NAIVE_EPOCH) // LOCK_SPAN)
    keys = []
    for span in range(first, last + 1):
        key = ((id_ << 20) | (span & 0xFFFFF)) & 0xFFFFFFFF
        keys.append((RESOURCE_LOCKS[name],
                key - (1 << 32) if key >= 1 << 31 else key))
    return keys


def serialised(func):
    """Run func with SQLite's write lock taken first.

    The one way every write path starts (API routes, portal pages,
    wizards, cron, payment webhooks): all it reads, it reads under the
    lock, so no decision rests on a value another writer changed since."""
    @wraps(func)
    def wrapper(*args, **kwargs):
        serialise_writes()
        return func(*args, **kwargs)
    return wrapper


def transition(state):
    """Workflow.transition deciding on the bookings' current state: their
    rows are locked and re-read first (Booking.lock_rows), so a move that
    is no longer legal (cancelled → confirmed) is never made."""
    def decorator(func):
        checked = Workflow.transition(state)(func)

        @wraps(func)
        def wrapper(cls, bookings, *args, **kwargs):
            cls.lock_rows(bookings)
            return checked(cls, bookings, *args, **kwargs)
        return wrapper
    return decorator


# A booking's row as stored, read under the lock.
Stored = namedtuple('Stored',
    ['state', 'start', 'end', 'service', 'photographer', 'room'])
# Advisory lock classes of the resources an exclusion constraint guards.
RESOURCE_LOCKS = {
    'photographer': 0x70686f74, 'room': 0x726f6f6d, 'equipment': 0x65717569}
# A booking's own: taken before its row; an equipment kind's before its
# units (always after, so every writer takes them in one order).
BOOKING_RESOURCES = ('photographer', 'room')


def lapsed(state, hold_expires, now):
    """Whether a booking is a hold that expired: its time is free, though
    it blocks the exclusion constraints until it is released."""
    return state == 'hold' and hold_expires is not None and hold_expires <= now


def overlap_exclude(table, *columns, where):
    return Exclude(table,
        *((c, Equal) for c in columns),
        (TSRange(table.busy_start, table.busy_end, '[)'), RangeOverlap),
        where=where)


def one_of(column, ids):
    """column is one of ids, as the indexes of overlap_exclude serve it.

    psycopg sends a small int as a smallint, and btree_gist indexes only
    integer = integer: the index would then serve the time range alone and
    filter the bookings of every resource in it. GiST cannot search an IN
    list, so a few ids get an index scan each (an OR of equalities); more
    are read faster by time range, as planning a scan each costs more than
    it saves (40 photographers: 1.3 ms of planning instead of 0.3)."""
    ids = [Cast(Literal(id_), 'INTEGER') for id_ in ids]
    if len(ids) > INDEX_SCANS:
        return column.in_(ids)
    return Or([column == id_ for id_ in ids])


class Booking(ClearsAnswersCache, MailMixin, MinuteTimesMixin,
        EncryptedMixin, CreatedFromValues, Workflow, ModelSQL, ModelView):
    "Photo Booking"
    __name__ = 'photo.booking'
    _rec_name = 'number'
    _availability_fields = frozenset({
            'state', 'start', 'end', 'busy_start', 'busy_end', 'hold_expires',
            'photographer', 'room', 'studio', 'service'})
    _states_fixed = {'readonly': Eval('state') != 'hold'}
    _minute_times = frozenset({'hold_expires', 'cancelled_at'})

    number = fields.Char("Number", readonly=True)
    token = fields.Char(
        "Token", readonly=True,
        help="Opaque identifier used in public links.")
    client = fields.Many2One(
        'party.party', "Client", required=True, ondelete='RESTRICT',
        states=_states_fixed)
    email = encrypted(fields.Char("Email", states=_states_fixed),
        blind_index='email_hash')
    phone = encrypted(fields.Char("Phone", states=_states_fixed),
        blind_index='phone_hash')
    email_hash = blind_index_field()
    phone_hash = blind_index_field()
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='RESTRICT', states=_states_fixed)
    service = fields.Many2One(
        'photo.service', "Service", required=True, ondelete='RESTRICT',
        states=_states_fixed)
    studio = fields.Many2One(
        'photo.studio', "Studio", ondelete='RESTRICT',
        states=_states_fixed,
        help="Leave empty for an on-location shoot.")
    room = fields.Many2One(
        'photo.studio.room', "Room", ondelete='RESTRICT',
        domain=[If(Eval('studio'), ('studio', '=', Eval('studio', -1)), ())],
        states={
            'readonly': Eval('state') != 'hold',
            'invisible': ~Eval('studio'),
            })
    location = encrypted(fields.Char(
            "Location", states={
                'readonly': Eval('state') != 'hold',
                'invisible': Bool(Eval('studio')),
                },
            help="The address of an on-location shoot."))
    equipment_lines = fields.One2Many(
        'photo.booking.equipment_line', 'booking', "Equipment",
        states=_states_fixed)
    start = fields.DateTime(
        "Start", required=True, format=TIME_FORMAT, states=_states_fixed)
    end = fields.DateTime(
        "End", required=True, format=TIME_FORMAT, states=_states_fixed)
    busy_start = fields.DateTime(
        "Blocked From", readonly=True,
        help="Start minus the service's preparation buffer.")
    busy_end = fields.DateTime(
        "Blocked Until", readonly=True,
        help="End plus the service's buffer after the shoot.")
    timezone = fields.Function(
        fields.Char("Time Zone"), 'on_change_with_timezone')
    source = fields.Selection(SOURCES, "Source", required=True, readonly=True)
    price = fields.Numeric(
        "Price", digits=(16, 2), required=True, states=_states_fixed)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True,
        states=_states_fixed)
    notes = encrypted(fields.Text("Notes"))
    consent_at = fields.DateTime(
        "Consent Given", readonly=True,
        help="When the client agreed to the processing of their personal "
        "data, booking online.")
    web_user = fields.Many2One(
        'web.user', "Web User", ondelete='SET NULL', readonly=True)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    hold_expires = fields.DateTime(
        "Hold Expires", readonly=True,
        states={'invisible': Eval('state') != 'hold'})
    cancelled_by = fields.Selection(
        CANCELLERS, "Cancelled By", readonly=True,
        states={'invisible': Eval('state') != 'cancelled'})
    cancelled_by_string = cancelled_by.translated('cancelled_by')
    cancelled_at = fields.DateTime(
        "Cancelled At", readonly=True,
        states={'invisible': Eval('state') != 'cancelled'})
    cancel_reason = encrypted(fields.Text(
            "Cancellation Reason", readonly=True,
            states={'invisible': Eval('state') != 'cancelled'}))
    cancellation_fee = fields.Numeric(
        "Cancellation Fee", digits=(16, 2), readonly=True,
        states={'invisible': Eval('state') != 'cancelled'})
    history = fields.One2Many(
        'photo.booking.log', 'booking', "History", readonly=True)
    calendar_title = fields.Function(
        fields.Char("Title"), 'get_calendar_title')
    studio_date = fields.Function(
        fields.Date("Date", help="The day of the shoot in its time zone."),
        'get_studio_times')
    studio_time = fields.Function(
        fields.Char("Time",
            help="Start and end in the shoot's time zone, whatever the "
            "time zone of the browser."),
        'get_studio_times')
    calendar_color = fields.Function(
        fields.Char("Color"), 'get_calendar_colors')
    calendar_background = fields.Function(
        fields.Char("Background"), 'get_calendar_colors')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        active = t.state.in_(ACTIVE_STATES)
        cls._sql_constraints += [
            ('end_after_start', Check(t, t.end > t.start),
                'photo_booking.msg_booking_end_after_start'),
            ('token_unique', Unique(t, t.token),
                'photo_booking.msg_booking_token_unique'),
            ('photographer_overlap',
                overlap_exclude(t, t.photographer, where=active),
                'photo_booking.msg_booking_slot_taken'),
            ('room_overlap',
                overlap_exclude(t, t.room, where=active & (t.room != Null)),
                'photo_booking.msg_booking_room_taken'),
            ]
        cls._sql_indexes.update({
                # Live holds and requests: the cron searches the expired
                # holds among them every minute.
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['hold', 'requested'])),
                Index(t, (t.client, Index.Range())),
                # A client's bookings are theirs by party or by web user.
                Index(t, (t.web_user, Index.Range()),
                    where=t.web_user != Null),
                Index(t, (t.start, Index.Range(order='DESC'))),
                # Schedules ask for start < to and end > from: for this week
                # or later, end is the selective side, not the history.
                Index(t, (t.end, Index.Range())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('hold', 'requested'),
            ('hold', 'confirmed'),
            ('hold', 'cancelled'),
            ('requested', 'confirmed'),
            ('requested', 'cancelled'),
            ('confirmed', 'done'),
            ('confirmed', 'no_show'),
            ('confirmed', 'cancelled'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'hold',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'requested',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'confirmed',
                    'depends': ['state'],
                    },
                'no_show': {
                    'invisible': Eval('state') != 'confirmed',
                    'depends': ['state'],
                    },
                'cancel_wizard': {
                    'invisible': ~Eval('state').in_(list(ACTIVE_STATES)),
                    'depends': ['state'],
                    },
                'reschedule_wizard': {
                    'invisible': ~Eval('state').in_(list(ACTIVE_STATES)),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        ensure_btree_gist()
        super().__register__(module)

    @classmethod
    def default_state(cls):
        return 'hold'

    @classmethod
    def default_source(cls):
        return 'backoffice'

    @classmethod
    def default_currency(cls):
        return Pool().get('photo.service').default_currency()

    @fields.depends('studio', 'photographer')
    def on_change_with_timezone(self, name=None):
        if self.studio:
            return self.studio.timezone
        if self.photographer:
            return self.photographer.timezone

    @classmethod
    def get_studio_times(cls, bookings, names):
        result = {name: {} for name in names}
        for booking in bookings:
            day, times = studio_times(booking.start, booking.end,
                booking.tzinfo)
            if 'studio_date' in result:
                result['studio_date'][booking.id] = day
            if 'studio_time' in result:
                result['studio_time'][booking.id] = times
        return result

    @staticmethod
    def order_studio_date(tables):
        table, _ = tables[None]
        return [table.start]

    order_studio_time = order_studio_date

    def get_calendar_title(self, name):
        return ' · '.join(filter(None, [
                    self.studio_time,
                    self.service.rec_name, self.client.rec_name,
                    self.photographer.rec_name,
                    self.room.name if self.room else self.location]))

    def get_calendar_colors(self, name):
        foreground, background = CALENDAR_COLORS[self.state]
        return foreground if name == 'calendar_color' else background

    @property
    def tzinfo(self):
        return ZoneInfo(self.timezone or 'UTC')

    @fields.depends('service', 'start', 'photographer', 'studio',
        methods=['_set_price'])
    def on_change_service(self):
        if self.service and self.start:
            self.end = self.start + self.service.duration
        if self.service and not self.studio and self.photographer:
            studios = self.photographer.studios
            if self.service.needs_room and len(studios) == 1:
                self.studio, = studios
        self._set_price()

    @fields.depends('service', 'start')
    def on_change_start(self):
        if self.service and self.start:
            self.end = self.start + self.service.duration

    @fields.depends('photographer', methods=['_set_price'])
    def on_change_photographer(self):
        self._set_price()

    @fields.depends('service', 'photographer', 'equipment_lines')
    def _set_price(self):
        if self.service:
            self.price = self.compute_price()
            self.currency = self.service.currency

    def compute_price(self):
        extras = [(line.equipment.unit_price, 1)
            for line in (self.equipment_lines or [])
            if line.extra and line.equipment and line.equipment.unit_price]
        return self.price_of(self.service.id,
            self.photographer.id if self.photographer else None, extras)

    @classmethod
    def price_of(cls, service_id, photographer_id, extras=()):
        """The price of the service by the photographer (None: its own)
        with extras, (unit price, quantity) of rented equipment."""
        own_price = (setup_cache.offers(photographer_id).price(service_id)
            if photographer_id else None)
        return pricing.booking_price(
            setup_cache.service_terms(service_id).price, own_price, extras)

    # --- storage ----------------------------------------------------------

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.setdefault('token', uuid.uuid4().hex)
        # Only a hold expires: leaving that state drops its expiry in the
        # same UPDATE as the state.
        if mode == 'write' and values.get('state', 'hold') != 'hold':
            values['hold_expires'] = None
        if values.keys() & {'start', 'end', 'service'} and mode == 'create':
            service = setup_cache.service_terms(values['service'])
            if values.get('start') and not values.get('end'):
                values['end'] = values['start'] + service.duration
            values['busy_start'], values['busy_end'] = cls.busy_range(
                values['service'], values['start'], values['end'])
        return values

    @staticmethod
    def busy_range(service_id, start, end=None):
        """(busy start, busy end) of a shoot of the service from start to end
        (by default the service's length): with its buffers."""
        if service_id is None or start is None:
            return None, None
        terms = setup_cache.service_terms(service_id)
        end = end or start + terms.duration
        return start - terms.buffer_before, end + terms.buffer_after

    @classmethod
    def create(cls, vlist):
        serialise_writes()
        settings = setup_cache.booking_settings()
        sequence = settings.booking_sequence()
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            values.setdefault('state', cls.default_state())
            if not values.get('number'):
                values['number'] = sequence.get()
            if values['state'] == 'hold' and not values.get('hold_expires'):
                values['hold_expires'] = (
                    utc_now() + settings.hold_duration)
        lock_resources((name, values.get(name), *cls.busy_range(
                    values.get('service'), values.get('start'),
                    values.get('end')))
            for values in vlist for name in BOOKING_RESOURCES)
        bookings = []
        for sub_vlist in grouped_slice(vlist, CREATE_CHUNK):
            bookings.extend(super().create(list(sub_vlist)))
        Log = Pool().get('photo.booking.log')
        Log.record([(b.id, None, v['state']) for b, v in zip(bookings, vlist)])
        return bookings

    @classmethod
    def write(cls, *args):
        """Write on the rows as they are now, locked: history, transitions
        and busy ranges follow the stored values, never what a caller read
        before the lock. The busy range is part of the same UPDATE as the
        new times, so the overlap checks see where the booking goes."""
        pool = Pool()
        Line = pool.get('photo.booking.equipment_line')
        actions = iter(args)
        actions = list(zip(actions, actions))
        stored = cls.lock_rows([r for records, _ in actions for r in records])
        to_write, state_changes, retimed, ranged = [], [], [], []

        def new(record, values, name):
            return values.get(name, getattr(stored[record.id], name))
        lock_resources((name, new(r, values, name), *cls.busy_range(
                    new(r, values, 'service'), new(r, values, 'start'),
                    new(r, values, 'end')))
            for records, values in actions
            if values.keys() & {'start', 'end', 'service', *BOOKING_RESOURCES}
            for r in records for name in BOOKING_RESOURCES)
        for records, values in actions:
            if 'state' in values:
                for record in records:
                    old_state = stored[record.id].state
                    if old_state != values['state']:
                        cls.check_transition(
                            record, old_state, values['state'])
                        state_changes.append((record, old_state))
            if not values.keys() & {'start', 'end', 'service'}:
                to_write.extend((records, values))
                continue
            for record in records:
                old = stored[record.id]
                start = values.get('start', old.start)
                end = values.get('end', old.end)
                busy_start, busy_end = cls.busy_range(
                    values.get('service', old.service), start, end)
                to_write.extend(([record], {**values,
                            'busy_start': busy_start, 'busy_end': busy_end,
                            }))
                ranged.append(record)
                if (start, end) != (old.start, old.end):
                    retimed.append((record, old.start, old.end))
        super().write(*to_write)
        for booking, old_state in state_changes:
            cls._record_history([booking], from_state=old_state)
        for booking, old_start, old_end in retimed:
            cls._record_history([booking], from_state=booking.state,
                old_start=old_start, old_end=old_end)
        touched = {r for r, _ in state_changes} | set(ranged)
        if touched:
            Line.sync(list(touched))

    @classmethod
    def lock_rows(cls, bookings):
        """Lock bookings for a decision about them: {id: Stored} of their
        rows as they are now.

        SQLite: its write lock. PostgreSQL: SELECT … FOR UPDATE in id
        order, before any of their units is touched, so every write takes
        the locks in one order; a row changed since the transaction's
        snapshot fails it with a serialization error, which the request
        retries. Then what was read of them before is forgotten."""
        transaction = Transaction()
        ids = sorted({b.id for b in bookings
                if b.id is not None and b.id >= 0})
        stored = {}
        if not ids:
            return stored
        serialise_writes()
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            query = table.select(
                table.id, table.state, table.start, table.end, table.service,
                table.photographer, table.room, where=table.id.in_(list(sub_ids)), order_by=[table.id.asc])
            if backend.name == 'postgresql':
                query.for_ = For('UPDATE')
            cursor.execute(*query)
            stored.update((id_, Stored(*row)) for id_, *row in cursor)
        transaction.counter += 1  # drops the records' local caches
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                for id_ in ids:
                    cache[cls.__name__].pop(id_, None)
        return stored

    @classmethod
    def check_transition(cls, booking, old_state, new_state):
        "Refuse a move the workflow does not allow from the stored state."
        if (old_state, new_state) not in cls._transitions:
            names = dict(cls.fields_get(['state'])['state']['selection'])
            raise BookingError(gettext(
                    'photo_booking.msg_booking_state_changed',
                    booking=booking.rec_name, state=names[old_state],
                    new_state=names[new_state]))

    @classmethod
    def _record_history(
            cls, bookings, from_state, old_start=None, old_end=None):
        Log = Pool().get('photo.booking.log')
        Log.record([(b.id, from_state, b.state, old_start, old_end,
                    b.start if old_start else None,
                    b.end if old_end else None)
                for b in bookings])

    @classmethod
    def check_modification(cls, mode, bookings, values=None, external=False):
        super().check_modification(
            mode, bookings, values=values, external=external)
        if mode == 'delete':
            for booking in bookings:
                if booking.state in ACTIVE_STATES:
                    raise BookingError(gettext(
                            'photo_booking.msg_booking_delete_active',
                            booking=booking.rec_name))

    @classmethod
    def validate_fields(cls, bookings, field_names):
        super().validate_fields(bookings, field_names)
        # Checked here rather than by a field domain: a domain costs a query
        # per validation, and SQLite does not enforce the Check constraint.
        if field_names & {'start', 'end'}:
            for booking in bookings:
                if booking.end <= booking.start:
                    raise BookingValidationError(gettext(
                            'photo_booking.msg_booking_end_after_start'))
        if field_names & {
                'photographer', 'service', 'studio', 'room', 'location',
                'state'}:
            for booking in bookings:
                booking.check_setting()

    def check_setting(self):
        "Check the photographer offers the service where it happens."
        offers = setup_cache.offers(self.photographer.id)
        needs_room = setup_cache.service_terms(self.service.id).needs_room
        if not offers.offers(self.service.id):
            raise BookingValidationError(gettext(
                    'photo_booking.msg_booking_service_not_offered',
                    photographer=self.photographer.rec_name,
                    service=self.service.rec_name))
        if self.studio:
            if self.studio.id not in offers.studio_ids:
                raise BookingValidationError(gettext(
                        'photo_booking.msg_booking_studio_not_served',
                        photographer=self.photographer.rec_name,
                        studio=self.studio.rec_name))
            if needs_room and not self.room:
                raise BookingValidationError(gettext(
                        'photo_booking.msg_booking_room_required',
                        service=self.service.rec_name))
        else:
            if needs_room:
                raise BookingValidationError(gettext(
                        'photo_booking.msg_booking_room_required',
                        service=self.service.rec_name))
            if not self.photographer.on_location:
                raise BookingValidationError(gettext(
                        'photo_booking.msg_booking_no_on_location',
                        photographer=self.photographer.rec_name))
            # The client gives the address while the time is held.
            if not self.location and self.state in {'requested', 'confirmed'}:
                raise BookingValidationError(gettext(
                        'photo_booking.msg_booking_location_required'))

    # --- availability -----------------------------------------------------

    @classmethod
    def available_slots(
            cls, service, day_from, day_to, studio=None, photographers=None,
            now=None, exclude=()):
        """Bookable slots of service at studio (None: on location).

        photographers defaults to every active photographer offering the
        service there; with several, each start time is given to the least
        busy one. exclude lists bookings to ignore (the one being moved).
        Reads the live bookings in one range query (equipment usage in
        another); the rest of the setup comes from setup_cache.
        """
        return cls._availability(service, day_from, day_to, studio,
            photographers, now or utc_now(), exclude)[0]

    @classmethod
    def _availability(
            cls, service, day_from, day_to, studio, photographers, now,
            exclude, spread=False):
        """(available slots, lapsed): lapsed gives the blocked range (naive
        UTC) per id of the expired holds the slots ignored, which the cron
        has not released yet. spread: equally busy photographers are
        chosen in random order, so that clients booking "any" at once do
        not all ask for the same one."""
        setup = setup_cache.setup(service, studio, photographers)
        if not setup.candidates:
            return [], {}
        ids = [c.id for c in setup.candidates]
        tz = ZoneInfo(setup.timezone)
        window = (
            dt.datetime.combine(day_from, dt.time(0), tz) - WINDOW_MARGIN,
            dt.datetime.combine(day_to, dt.time(0), tz) + 2 * WINDOW_MARGIN)
        window = tuple(naive(w) for w in window)
        exclude_ids = [b.id for b in exclude]

        busy, room_busy, lapsed = cls._booked(
            ids, setup.room_ids, window, exclude_ids, now)
        # The engine also reads the day on each side of the range.
        calendars = setup_cache.calendars(ids, studio,
            day_from - WINDOW_MARGIN, day_to + WINDOW_MARGIN, window)
        rooms = None
        if setup.needs_room:
            rooms = [availability.Room(r, tuple(room_busy[r]))
                for r in setup.room_ids]
        equipment = ()
        if setup.equipment:
            Line = Pool().get('photo.booking.equipment_line')
            usage, lapsed_units = Line.usage(
                [e for e, _, _ in setup.equipment], window, now, exclude_ids)
            lapsed.update(lapsed_units)
            equipment = tuple(availability.EquipmentNeed(
                    e, owned, quantity, tuple(usage[e]))
                for e, owned, quantity in setup.equipment)

        candidates = [availability.Photographer(
                c.id,
                availability.Schedule(
                    c.weekly, calendars[c.id].overrides),
                # The bookings' spans and the calendar's: the engine merges.
                tuple(busy[c.id]) + calendars[c.id].busy,
                calendars[c.id].fixed)
            for c in setup.candidates]
        if spread:
            random.shuffle(candidates)
        # One notice/horizon for the query: the most permissive; each slot
        # is then checked against its own photographer below.
        query = availability.SlotQuery(
            tz=tz, day_from=day_from, day_to=day_to,
            duration=setup.duration,
            step=min(c.slot_step for c in setup.candidates),
            now=aware(now),
            buffer_before=setup.buffer_before,
            buffer_after=setup.buffer_after,
            min_notice=min(c.min_notice for c in setup.candidates),
            horizon=dt.timedelta(
                days=max(c.horizon_days for c in setup.candidates)))
        if len(candidates) == 1:
            slots = availability.available_slots(
                query, candidates[0], setup.studio_hours, rooms, equipment)
        else:
            slots = availability.any_photographer_slots(
                query, candidates, setup.studio_hours, rooms, equipment)
        bounds = {c.id: c.start_bounds(aware(now))
            for c in setup.candidates}
        return [s for s in slots
            if bounds[s.photographer][0] <= s.start
            <= bounds[s.photographer][1]], lapsed

    @classmethod
    def _booked(cls, photographer_ids, room_ids, window, exclude_ids, now):
        """Busy (start, end) spans in the engine's microseconds of active
        bookings per photographer id and per room id within window, in one
        query; and the blocked range (naive UTC) per id of the expired holds
        among them, which are not busy."""
        if len(photographer_ids) > 1 and backend.name == 'postgresql':
            connection = Transaction().connection
            if Transaction().database.get_version(connection) >= (14,):
                return cls._booked_merged(photographer_ids, room_ids,
                    window, exclude_ids, now)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()

        def booked(photographers, rooms, start, end, exclude):
            resources = one_of(table.photographer, photographers)
            if rooms:
                resources |= one_of(table.room, rooms)
            where = (resources
                & table.state.in_(ACTIVE_STATES)
                & RangeOverlap(
                    TSRange(table.busy_start, table.busy_end, '[)'),
                    TSRange(start, end, '[)')))
            if exclude:
                where &= ~table.id.in_(exclude)
            return table.select(
                table.id, table.photographer, table.room, table.busy_start,
                table.busy_end, table.state, table.hold_expires, where=where)
        # one_of's form depends on INDEX_SCANS too.
        sqlcache.execute(cursor, ('booked', INDEX_SCANS), booked,
            photographers=list(photographer_ids), rooms=list(room_ids),
            start=window[0], end=window[1], exclude=list(exclude_ids))
        by_photographer, by_room = defaultdict(list), defaultdict(list)
        expired = {}
        photographer_ids = set(photographer_ids)
        # fetchall converts every row in C: iterating the cursor costs more
        # than the query itself for thousands of rows.
        for (id_, photographer, room, start, end, state,
                hold_expires) in cursor.fetchall():
            if hold_expires is not None and lapsed(state, hold_expires, now):
                expired[id_] = (start, end)
                continue
            span = ((start - NAIVE_EPOCH) // MICROSECOND,
                (end - NAIVE_EPOCH) // MICROSECOND)
            if photographer in photographer_ids:
                by_photographer[photographer].append(span)
            if room is not None:
                by_room[room].append(span)
        return by_photographer, by_room, expired

    @classmethod
    def _booked_merged(
            cls, photographer_ids, room_ids, window, exclude_ids, now):
        """_booked for many photographers on PostgreSQL 14+: the busy time
        of each photographer and room merged by range_agg and handed over
        as two arrays of microseconds, so that the 13k rows of 100
        photographers' month cost neither a Python object nor a loop each;
        the expired holds one row each."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()

        def booked(photographers, rooms, start, end, exclude, now):
            live = (table.state.in_(ACTIVE_STATES)
                & RangeOverlap(
                    TSRange(table.busy_start, table.busy_end, '[)'),
                    TSRange(start, end, '[)')))
            if exclude:
                live &= ~table.id.in_(exclude)
            # As lapsed(): a hold without hold_expires never expires.
            expired = ((table.state == 'hold')
                & (table.hold_expires != Null)
                & (table.hold_expires <= now))
            busy = TSRange(table.busy_start, table.busy_end, '[)')

            def merged(kind, column, ids):
                ranges = table.select(
                    column.as_('resource'),
                    Unnest(RangeAgg(busy)).as_('busy'),
                    where=one_of(column, ids) & live & ~expired,
                    group_by=[column])
                return ranges.select(
                    Literal(kind), ranges.resource,
                    ArrayAgg(micros(RangeLower(ranges.busy))),
                    ArrayAgg(micros(RangeUpper(ranges.busy))),
                    group_by=[ranges.resource])
            resources = one_of(table.photographer, photographers)
            query = merged(PHOTOGRAPHER, table.photographer, photographers)
            if rooms:
                resources |= one_of(table.room, rooms)
                query = Union(
                    query, merged(ROOM, table.room, rooms), all_=True)
            return Union(query, table.select(
                    Literal(LAPSED), table.id,
                    ArrayAgg(micros(table.busy_start)),
                    ArrayAgg(micros(table.busy_end)),
                    where=resources & live & expired,
                    group_by=[table.id]), all_=True)
        sqlcache.execute(cursor, ('booked_merged', INDEX_SCANS), booked,
            photographers=list(photographer_ids), rooms=list(room_ids),
            start=window[0], end=window[1], exclude=list(exclude_ids),
            now=now)
        busy = {PHOTOGRAPHER: defaultdict(list), ROOM: defaultdict(list)}
        expired = {}
        for kind, key, starts, ends in cursor.fetchall():
            if kind == LAPSED:
                expired[key] = tuple(
                    NAIVE_EPOCH + dt.timedelta(microseconds=m)
                    for m in (starts[0], ends[0]))
            else:
                busy[kind][key] = list(zip(starts, ends))
        return busy[PHOTOGRAPHER], busy[ROOM], expired

    # --- client operations ------------------------------------------------

    @classmethod
    def create_hold(
            cls, service, start, client, studio=None, photographer=None,
            location=None, email=None, phone=None, notes=None, source='api',
            web_user=None, now=None, consent=False):
        """Hold start for the client if it is still bookable.

        The engine's answer is checked again inside the write lock, and the
        exclusion constraints decide any race left.
        """
        serialise_writes()
        now = now or utc_now()
        if start.tzinfo:
            start = naive(start)
        slot = cls._claim_slot(
            service, start, studio,
            [photographer] if photographer else None, now)
        terms = setup_cache.service_terms(service.id)
        with overlap_as_slot_taken(retry=photographer is None):
            booking, = cls.create([{
                        'service': service.id,
                        'start': start,
                        'end': start + terms.duration,
                        'client': client.id,
                        'studio': studio.id if studio else None,
                        'photographer': slot.photographer,
                        'room': slot.room,
                        'location': location,
                        'email': email,
                        'phone': phone,
                        'notes': notes,
                        'source': source,
                        'web_user': web_user.id if web_user else None,
                        'consent_at': now if consent else None,
                        'state': 'hold',
                        'price': cls.price_of(service.id, slot.photographer),
                        'currency': terms.currency,
                        }])
            if studio and setup_cache.equipment_needs(service, studio):
                Line = Pool().get('photo.booking.equipment_line')
                Line.allocate(booking)
        return booking

    @classmethod
    def _claim_slot(cls, service, start, studio, photographers, now,
            exclude=()):
        """The engine's slot starting at start (naive UTC) or SlotTakenError.

        Expired holds the cron has not released yet leave their time free
        but still count for the exclusion constraints: those the slot's
        lookup found (of its photographers, rooms and equipment) that
        overlap the slot are released here."""
        setup = setup_cache.setup(service, studio, photographers)
        tz = ZoneInfo(setup.timezone)
        local_start = aware(start).astimezone(tz)
        day = local_start.date()
        slots, lapsed = cls._availability(
            service, day, day, studio, photographers, now, exclude,
            spread=photographers is None)
        slot = next((s for s in slots if naive(s.start) == start), None)
        if not slot:
            raise SlotTakenError(gettext(
                    'photo_booking.msg_booking_not_available',
                    start=local_start.strftime('%Y-%m-%d %H:%M %Z'),
                    service=service.rec_name,
                    photographer=', '.join(
                        p.rec_name for p in photographers or [])
                    or '—'))
        blocked_from = start - setup.buffer_before
        blocked_until = naive(slot.end) + setup.buffer_after
        in_the_way = [id_ for id_, (busy_start, busy_end) in lapsed.items()
            if busy_start < blocked_until and busy_end > blocked_from]
        if in_the_way:
            cls.cancel(cls.browse(in_the_way), by='system', reason=gettext(
                    'photo_booking.msg_booking_hold_released'), now=now)
        return slot

    @classmethod
    @ModelView.button
    def submit(cls, bookings):
        "Confirm held bookings or, for manual photographers, request them."
        now = utc_now()
        cls.check_not_lapsed(bookings, now)
        cls.warn_unbookable(bookings, now)
        cls.release_holds(bookings)
        cls.request_or_confirm(bookings)

    @classmethod
    def release_holds(cls, bookings):
        "The holds among bookings are open no longer (abuse.py)."
        tokens = [b.token for b in bookings if b.state == 'hold']
        if tokens:
            abuse.after_commit(Transaction(), abuse.release, tokens)

    @classmethod
    def check_not_lapsed(cls, bookings, now):
        "Clients cannot submit a hold that lapsed; the studio's never do."
        for booking in bookings:
            if (booking.source != 'backoffice'
                    and lapsed(booking.state, booking.hold_expires, now)):
                raise HoldExpiredError(gettext(
                        'photo_booking.msg_booking_hold_expired'))

    @classmethod
    def request_or_confirm(cls, bookings):
        "Confirm bookings, or request those their photographer approves."
        to_request, to_confirm = [], []
        for booking in bookings:
            (to_request if booking.needs_approval else to_confirm).append(
                booking)
        cls.request(to_request)
        cls.confirm(to_confirm)

    @property
    def needs_approval(self):
        """Whether the photographer approves the booking before it is
        confirmed: those of manual photographers, unless the studio made
        them."""
        if self.source == 'backoffice':
            return False
        Photographer = Pool().get('photo.photographer')
        id_ = self.photographer.id
        # Whoever submits, the photographer's setting decides.
        with without_check_access():
            settings = setup_cache.values(
                Photographer, [id_], ('confirmation',))
        return settings[id_]['confirmation'] == 'manual'

    @classmethod
    def warn_unbookable(cls, bookings, now):
        """Staff may hold a time clients could not book (a walk-in in ten
        minutes, an evening off the hours), once warned before it is
        confirmed. Clients' holds were checked by the engine already."""
        Warning = Pool().get('res.user.warning')
        for booking in bookings:
            if (booking.state != 'hold' or booking.source != 'backoffice'
                    or booking.is_bookable(now)):
                continue
            key = Warning.format('unbookable_time', [booking])
            if Warning.check(key):
                raise UnbookableTimeWarning(key, gettext(
                        'photo_booking.msg_booking_unbookable_time',
                        booking=booking.rec_name,
                        start=aware(booking.start).astimezone(
                            booking.tzinfo).strftime('%Y-%m-%d %H:%M %Z'),
                        photographer=booking.photographer.rec_name))

    def is_bookable(self, now):
        "Whether a client could book this time now, this booking aside."
        day = aware(self.start).astimezone(self.tzinfo).date()
        slots = self.available_slots(self.service, day, day, self.studio,
            [self.photographer], now=now, exclude=[self])
        return any(naive(s.start) == self.start for s in slots)

    @classmethod
    @transition('requested')
    def request(cls, bookings):
        pass

    @classmethod
    @transition('confirmed')
    def confirm(cls, bookings):
        pass

    @classmethod
    @ModelView.button
    def approve(cls, bookings):
        "The photographer accepts requested bookings."
        cls.confirm([b for b in bookings if b.state == 'requested'])

    @classmethod
    @ModelView.button
    @transition('done')
    def do(cls, bookings):
        pass

    @classmethod
    @ModelView.button
    @transition('no_show')
    def no_show(cls, bookings):
        pass

    @classmethod
    @transition('cancelled')
    def cancel(cls, bookings, by='studio', reason=None, now=None):
        """Cancel bookings; the client pays the fee of the policy.

        A photographer or studio cancelling never charges the client."""
        now = now or utc_now()
        cls.release_holds(bookings)
        to_write = []
        for booking in bookings:
            fee = booking.quote_cancellation(by=by, now=now).fee
            to_write.extend(([booking], {
                        'cancelled_by': by,
                        'cancelled_at': now,
                        'cancel_reason': reason,
                        'cancellation_fee': fee,
                        }))
        if to_write:
            cls.write(*to_write)

    def quote_cancellation(self, by='client', now=None, paid=None):
        "What cancelling now would cost: shown before the client confirms."
        now = now or utc_now()
        if self.state == 'hold':  # a time only held costs nothing
            return policy.CancellationQuote(
                policy.round_money(Decimal(0)),
                policy.round_money(paid or Decimal(0)))
        return policy.quote_cancellation(
            self.price, paid if paid is not None else Decimal(0),
            aware(self.start), aware(now), self.service.cancel_rule,
            by_client=(by == 'client'))

    @classmethod
    def cancel_by_client(cls, booking, reason=None, now=None):
        pool = Pool()
        Warning = pool.get('res.user.warning')
        now = now or utc_now()
        if booking.state not in ACTIVE_STATES:
            raise CancellationError(gettext(
                    'photo_booking.msg_booking_not_cancellable',
                    booking=booking.rec_name))
        quote = booking.quote_cancellation(by='client', now=now)
        if quote.fee:
            key = Warning.format('late_cancel', [booking])
            if Warning.check(key):
                raise LateCancellationWarning(key, gettext(
                        'photo_booking.msg_booking_late_cancellation',
                        booking=booking.rec_name,
                        fee=f'{quote.fee} {booking.currency.code}'))
        cls.cancel([booking], by='client', reason=reason, now=now)
        return quote

    @classmethod
    def reschedule(cls, booking, start, photographer=None, now=None):
        """Move booking to start, keeping its number, payments and history.

        Runs in one transaction: the old time is freed only if the new one
        can be taken. A new photographer brings their own price; a hold
        keeps its expiry, so rescheduling never extends it."""
        pool = Pool()
        Line = pool.get('photo.booking.equipment_line')
        cls.lock_rows([booking])
        now = now or utc_now()
        if start.tzinfo:
            start = naive(start)
        if (booking.state not in ACTIVE_STATES
                or booking.start <= now):
            raise BookingError(gettext(
                    'photo_booking.msg_booking_not_reschedulable',
                    booking=booking.rec_name))
        photographer = photographer or booking.photographer
        slot = cls._claim_slot(
            booking.service, start, booking.studio, [photographer], now,
            exclude=[booking])
        values = {
            'start': start,
            'end': start + booking.service.duration,
            'photographer': photographer.id,
            'room': slot.room,
            }
        if photographer != booking.photographer:
            values['price'] = cls.price_of(
                booking.service.id, photographer.id)
        with overlap_as_slot_taken():
            Line.delete(booking.equipment_lines)
            cls.write([booking], values)
            if booking.studio:
                Line.allocate(booking)
        return booking

    @classmethod
    def api_extras(cls, bookings):
        """{booking id: {key: value}} that modules add to the bookings' JSON
        in the API (e.g. their payment), as plain JSON values."""
        return {}

    @classmethod
    def api_extras_schema(cls):
        """{key: OpenAPI schema} of what api_extras adds: each module
        describes its own part of the API's Booking object."""
        return {}

    @classmethod
    def api_paths(cls, database_name):
        """{path: OpenAPI path item} of the API routes a module adds, which
        it describes itself (a path item under another prefix than
        photo_booking's names its own `servers` for database_name)."""
        return {}

    # --- back office ------------------------------------------------------

    @classmethod
    @ModelView.button_action('photo_booking.wizard_booking_cancel')
    def cancel_wizard(cls, bookings):
        pass

    @classmethod
    @ModelView.button_action('photo_booking.wizard_booking_reschedule')
    def reschedule_wizard(cls, bookings):
        pass

    @classmethod
    @serialised
    def release_expired_holds(cls, now=None):
        """Cron: free the time of holds the client did not complete.

        Their time is already free for availability, and a new booking
        releases those in its way itself. Released in chunks: SQLite's
        emulated exclusions nest one clause per written record."""
        now = now or utc_now()
        expired = cls.search([
                ('state', '=', 'hold'),
                ('hold_expires', '<=', now),
                ])
        for chunk in grouped_slice(expired, CREATE_CHUNK):
            cls.cancel(list(chunk), by='system', reason=gettext(
                    'photo_booking.msg_booking_hold_released'), now=now)
        return expired

    @classmethod
    def from_token(cls, token, web_user=None):
        """The booking of a public token (of web_user if given), or None:
        the token is the booking's only proof for guests."""
        if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
            return None
        domain = [('token', '=', token)]
        if web_user is not None:
            domain.append(('web_user', '=', web_user.id))
        bookings = cls.search(domain, limit=1, order=[])
        return bookings[0] if bookings else None


class overlap_as_slot_taken:
    """Turn an overlap constraint violation into the user's 'time taken'
    error.

    A deadlock (40P01) between two overlapping writes is not turned: it
    says nothing of the time, and the request retries it. retry: the
    violation on PostgreSQL is a race lost to a concurrent transaction
    (clients booking "any photographer" at once all pick the same free
    one): it is raised as a database conflict, so the request runs again
    and the engine, seeing the winner, gives the next free photographer."""

    def __init__(self, retry=False):
        self.retry = retry and backend.name == 'postgresql'

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if (exc_type and issubclass(exc_type, SQLConstraintError)
                and is_overlap(exc)):
            if self.retry:
                raise backend.DatabaseOperationalError(
                    "lost the race for a photographer") from exc
            raise SlotTakenError(exc.message) from exc
        return False


def is_overlap(exc):
    """Whether the validation error exc is an overlap constraint's.

    Its messages are read in a transaction of their own, and only once an
    error happened: on PostgreSQL the violation aborted the current one."""
    if not isinstance(exc, ValidationError):
        return False
    with Transaction().new_transaction(readonly=True):
        return exc.message in overlap_messages()


def overlap_messages():
    "The overlap constraints' messages in the context's language."
    return {gettext(m) for m in OVERLAP_MESSAGES}


def ensure_btree_gist():
    """Let PostgreSQL enforce the overlap exclusions natively.

    Without btree_gist, Tryton silently falls back to a table lock and a
    Python check; creating it here makes every install take the fast path.
    """
    transaction = Transaction()
    database = transaction.database
    if backend.name != 'postgresql' or database.has_extension('btree_gist'):
        return
    cursor = transaction.connection.cursor()
    cursor.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
    # has_extension caches per database and reads on another connection,
    # which cannot see this uncommitted extension yet.
    database._extensions[database.name]['btree_gist'] = True


class EquipmentLine(
        ClearsAnswersCache, CreatedFromValues, ModelSQL, ModelView):
    "Booking Equipment Unit"
    __name__ = 'photo.booking.equipment_line'
    booking = fields.Many2One(
        'photo.booking', "Booking", required=True, ondelete='CASCADE')
    equipment = fields.Many2One(
        'photo.equipment', "Equipment", required=True, ondelete='RESTRICT')
    unit = fields.Integer(
        "Unit", readonly=True,
        help="Which of the studio's identical units is reserved.")
    extra = fields.Boolean(
        "Extra", help="Rented on top of the service, at its rental price.")
    busy_start = fields.DateTime("Blocked From", readonly=True)
    busy_end = fields.DateTime("Blocked Until", readonly=True)
    blocking = fields.Boolean(
        "Blocking", readonly=True,
        help="Whether the unit is held: the booking is still active.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('unit_overlap',
                overlap_exclude(t, t.equipment, t.unit,
                    where=t.blocking == Literal(True)),
                'photo_booking.msg_equipment_unit_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.booking, Index.Range())))

    @classmethod
    def __register__(cls, module):
        ensure_btree_gist()
        super().__register__(module)

    @classmethod
    def default_blocking(cls):
        return False

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Booking = pool.get('photo.booking')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('booking'):
            booking = Booking(values['booking'])
            values.update(cls._booking_values(booking))
            if not values.get('unit'):
                equipment = pool.get('photo.equipment')(values['equipment'])
                values['unit'] = cls._free_unit(
                    equipment.id, equipment.quantity, booking, taken=())
        return values

    @staticmethod
    def _booking_values(booking):
        return {
            'busy_start': booking.busy_start,
            'busy_end': booking.busy_end,
            'blocking': booking.state in ACTIVE_STATES,
            }

    @classmethod
    def sync(cls, bookings):
        "Copy the bookings' blocked range and state onto their units."
        to_write = []
        lock_resources(('equipment', line.equipment.id, booking.busy_start,
                booking.busy_end)
            for booking in bookings for line in booking.equipment_lines)
        for booking in bookings:
            if booking.equipment_lines:
                to_write.extend(
                    (list(booking.equipment_lines),
                        cls._booking_values(booking)))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def usage(cls, equipment_ids, window, now, exclude_booking_ids=()):
        """Busy units per equipment within window, one row per unit; and
        the blocked range per booking id of the expired holds whose units
        are not busy."""
        table = cls.__table__()
        booking = Pool().get('photo.booking').__table__()
        cursor = Transaction().connection.cursor()

        def used(equipment, start, end, exclude):
            where = (one_of(table.equipment, equipment)
                & (table.blocking == Literal(True))
                & RangeOverlap(
                    TSRange(table.busy_start, table.busy_end, '[)'),
                    TSRange(start, end, '[)')))
            if exclude:
                where &= ~table.booking.in_(exclude)
            return table.join(booking,
                condition=table.booking == booking.id).select(
                table.equipment, table.busy_start, table.busy_end,
                booking.id, booking.state, booking.hold_expires,
                where=where)
        # one_of's form depends on INDEX_SCANS too.
        sqlcache.execute(cursor, ('equipment usage', INDEX_SCANS), used,
            equipment=list(equipment_ids), start=window[0], end=window[1],
            exclude=list(exclude_booking_ids))
        result = defaultdict(list)
        expired = {}
        for (equipment, start, end, booking_id, state,
                hold_expires) in cursor:
            if lapsed(state, hold_expires, now):
                expired[booking_id] = (start, end)
            else:
                result[equipment].append(
                    availability.Busy(aware(start), aware(end), 1))
        return result, expired

    @classmethod
    def _free_unit(cls, equipment_id, owned, booking, taken):
        "The lowest unit number free over the booking's blocked range."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()

        def units(equipment, booking, start, end):
            return table.select(table.unit,
                where=one_of(table.equipment, [equipment])
                & (table.blocking == Literal(True))
                & (table.booking != booking)
                & RangeOverlap(
                    TSRange(table.busy_start, table.busy_end, '[)'),
                    TSRange(start, end, '[)')))
        sqlcache.execute(cursor, 'units in use', units,
            equipment=equipment_id, booking=booking.id,
            start=booking.busy_start, end=booking.busy_end)
        used = {unit for unit, in cursor} | set(taken)
        return next(
            (u for u in range(1, owned + 1) if u not in used),
            # None of them is free: the exclusion constraint reports it.
            1)

    @classmethod
    def allocate(cls, booking):
        "Reserve the service's default equipment kept at the booking's studio."
        lines = []
        needs = setup_cache.equipment_needs(booking.service, booking.studio)
        lock_resources(('equipment', equipment_id, booking.busy_start,
                booking.busy_end)
            for equipment_id, _, _ in needs)
        for equipment_id, owned, needed in needs:
            taken = set()
            for _ in range(needed):
                unit = cls._free_unit(equipment_id, owned, booking, taken)
                taken.add(unit)
                lines.append({
                        'booking': booking.id, 'equipment': equipment_id,
                        'unit': unit, 'extra': False,
                        **cls._booking_values(booking)})
        # create, not save: the values are all given, none to diff.
        return cls.create(lines) if lines else []


class BookingLog(ModelSQL, ModelView):
    "Booking History"
    __name__ = 'photo.booking.log'
    booking = fields.Many2One(
        'photo.booking', "Booking", required=True, ondelete='CASCADE')
    date = fields.Function(
        fields.DateTime("Date", format=TIME_FORMAT), 'get_date')
    user = fields.Function(
        fields.Many2One('res.user', "User"), 'get_user')
    from_state = fields.Selection(
        [(None, "")] + STATES, "From", readonly=True, sort=False)
    to_state = fields.Selection(STATES, "To", readonly=True, sort=False)
    old_start = fields.DateTime(
        "Old Start", readonly=True, format=TIME_FORMAT)
    old_end = fields.DateTime(
        "Old End", readonly=True, format=TIME_FORMAT)
    new_start = fields.DateTime(
        "New Start", readonly=True, format=TIME_FORMAT)
    new_end = fields.DateTime(
        "New End", readonly=True, format=TIME_FORMAT)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.booking, Index.Range())))
        cls._order.insert(0, ('id', 'ASC'))

    @classmethod
    def record(cls, entries):
        """Append history entries: (booking id, from state, to state[, old
        start, old end, new start, new end]).

        A plain INSERT, as it is on every booking's hot path, rendered once
        per number of rows (sqlcache): the entries come from the booking
        itself, never from user input."""
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        rows = [list(e) + [None] * (7 - len(e)) + [user] for e in entries]

        def insert(values):
            table = cls.__table__()
            columns = [table.booking, table.from_state, table.to_state,
                table.old_start, table.old_end, table.new_start,
                table.new_end, table.create_uid, table.create_date]
            width = len(columns) - 1
            return table.insert(columns, [
                    values[i:i + width] + [CurrentTimestamp()]
                    for i in range(0, len(values), width)])
        for chunk in grouped_slice(rows, CREATE_CHUNK):
            sqlcache.execute(cursor, 'booking history', insert,
                values=[v for row in chunk for v in row])

    def get_date(self, name):
        return self.create_date.replace(second=0, microsecond=0)

    def get_user(self, name):
        return self.create_uid.id


class CancelStart(ModelView):
    "Cancel Booking"
    __name__ = 'photo.booking.cancel.start'
    cancelled_by = fields.Selection(
        CANCELLERS[1:-1], "Cancelled By", required=True)
    reason = fields.Text("Reason")
    fee = fields.Numeric("Fee", digits=(16, 2), readonly=True)
    booking = fields.Many2One('photo.booking', "Booking", readonly=True)

    @fields.depends('cancelled_by', 'booking')
    def on_change_with_fee(self):
        if self.booking and self.cancelled_by:
            return self.booking.quote_cancellation(by=self.cancelled_by).fee


class CancelBooking(Wizard):
    "Cancel Booking"
    __name__ = 'photo.booking.cancel'
    start = StateView('photo.booking.cancel.start',
        'photo_booking.booking_cancel_start_view_form', [
            Button("Back", 'end', 'tryton-cancel'),
            Button("Cancel Booking", 'cancel', 'tryton-ok', default=True),
            ])
    cancel = StateTransition()

    def default_start(self, fields):
        return {
            'booking': self.record.id,
            'cancelled_by': 'studio',
            'fee': self.record.quote_cancellation(by='studio').fee,
            }

    @serialised
    def transition_cancel(self):
        self.model.cancel(
            [self.record], by=self.start.cancelled_by,
            reason=self.start.reason)
        return 'end'


class RescheduleStart(ModelView):
    "Reschedule Booking"
    __name__ = 'photo.booking.reschedule.start'
    booking = fields.Many2One('photo.booking', "Booking", readonly=True)
    start = fields.DateTime(
        "New Start", required=True, format=TIME_FORMAT)
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True)


class RescheduleBooking(Wizard):
    "Reschedule Booking"
    __name__ = 'photo.booking.reschedule'
    start = StateView('photo.booking.reschedule.start',
        'photo_booking.booking_reschedule_start_view_form', [
            Button("Back", 'end', 'tryton-cancel'),
            Button("Reschedule", 'reschedule', 'tryton-ok', default=True),
            ])
    reschedule = StateTransition()

    def default_start(self, fields):
        return {
            'booking': self.record.id,
            'start': self.record.start,
            'photographer': self.record.photographer.id,
            }

    @serialised
    def transition_reschedule(self):
        self.model.reschedule(
            self.record, self.start.start,
            photographer=self.start.photographer)
        return 'end'
