"""What availability reads of the studio's setup, cached between requests.

Bookings change all the time; services, studios, rooms, equipment,
photographers, their hours, days off, fixed slots and external busy time
change rarely. Availability reads the latter once and keeps them until one
of those models is modified: their ClearsSetupCache mixin clears the cache on
every create, write and delete, and trytond tells the other workers (at once
through PostgreSQL's cache channel with `[cache] clean_timeout = 0`, as our
configurations set). Bookings and equipment usage are always read live.

Answers that depend on bookings too (the portal's days with free time) go in
a second, short-lived cache that every booking and equipment line change
clears as well. It costs a request nothing to look there: no version to
read first. A counter row bumped by every booking write would serialise all
of them (under REPEATABLE READ a concurrent bump even fails and retries the
whole transaction). The clear is trytond's: a NOTIFY on the cache channel,
and a transaction that started before a worker heard it never fills the
shared cache (trytond keeps its entries to the transaction). But bookings
change hundreds of times a second at peak, and each NOTIFY wakes every
worker's listener, which then queries the database: so a worker sends at
most one per ANSWERS_NOTIFY_DELAY, and clears its own answers itself for
the commits in between, which the others hear of with the next one
(answers_changed). A process that exits within that delay of such a commit
leaves the others' answers to expire (ANSWERS_TTL).
"""
import datetime as dt
import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

from sql import Literal, Null

import trytond.config as trytond_config
from trytond import backend
from trytond.cache import BaseCache, Cache, MemoryCache
from trytond.ir.sequence import sql_sequence
from trytond.pool import Pool
from trytond.transaction import Transaction

from . import availability
from .common import DataManager

logger = logging.getLogger(__name__)


CACHE = 'photo_booking.setup'
# trytond allows one cache per name, and pytest imports this addon a second
# time under its folder's name (photo_booking.*) besides trytond.modules.*.
cache = BaseCache._instances.get(CACHE) or Cache(CACHE, context=False)
ANSWERS = 'photo_booking.answers'
# Besides invalidation, the answers expire: they depend on the time too.
ANSWERS_TTL = dt.timedelta(seconds=60)
answers = BaseCache._instances.get(ANSWERS) or Cache(
    ANSWERS, duration=ANSWERS_TTL, context=False)
# How late the other workers may hear that the answers changed (seconds).
ANSWERS_NOTIFY_DELAY = 0.1
# Days off, fixed slots and external busy time are kept per photographer in
# blocks of BLOCK_DAYS days, so that windows of any size hit the cache.
BLOCK_DAYS = 64
# A block's UTC range reaches this far past its days, for any time zone.
BLOCK_MARGIN = dt.timedelta(days=2)


class ClearsAnswersCache:
    "Mixin of the models whose records availability's answers depend on."
    __slots__ = ()
    # The fields availability reads, if not all: writing others (a client's
    # details) keeps the answers.
    _availability_fields = None

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if (mode != 'write' or cls._availability_fields is None
                or not cls._availability_fields.isdisjoint(
                    field_names or ())):
            answers_changed()


def answers_changed():
    """The answers are out of date: for the rest of this transaction they
    are not read from the shared cache; once it commits, every worker
    clears them (the others within ANSWERS_NOTIFY_DELAY)."""
    transaction = Transaction()
    answers.clear()
    # As trytond's MemoryCache.commit decides between the channel and
    # ir_cache.
    if (isinstance(answers, MemoryCache)
            and not trytond_config.getint('cache', 'clean_timeout')
            and transaction.database.has_channel()):
        transaction.join(_AnswersNotice()).pending = True
    # Else (SQLite, or a clean_timeout) trytond's clear is a row of
    # ir_cache, read by the processes at most clean_timeout later: nothing
    # to gather.


class _AnswersNotice(DataManager):
    """A trytond data manager leaving the answers' clear to trytond's NOTIFY
    at commit when this worker sent none for ANSWERS_NOTIFY_DELAY, else
    clearing them here once committed and telling the others later, with
    the commits that follow, in one NOTIFY."""
    # Changed since the last commit (trytond may commit a transaction
    # twice, and keeps its data managers in between).
    pending = False
    gathered = False

    def tpc_vote(self, transaction):
        # Runs before trytond's Cache.commit sends the names cleared.
        self.gathered = self.pending and not _notices.claim(
            transaction.database.name)
        if self.gathered:
            MemoryCache._reset.get(transaction, set()).discard(ANSWERS)

    def tpc_finish(self, transaction):
        if self.gathered:
            dbname = transaction.database.name
            answers._clear(dbname)
            _notices.send_soon(dbname)
        self.pending = self.gathered = False

    def tpc_abort(self, transaction):
        self.pending = self.gathered = False


class _GatheredNotices:
    "At most one NOTIFY of the answers per ANSWERS_NOTIFY_DELAY per database."

    def __init__(self):
        self._lock = threading.Lock()
        self._sent = {}  # database -> when its last NOTIFY went (monotonic)
        self._due = set()  # databases with a NOTIFY coming

    def claim(self, dbname):
        "Whether a commit now may send its own NOTIFY (none sent lately)."
        with self._lock:
            now = time.monotonic()
            if (dbname in self._due or now - self._sent.get(dbname, -math.inf)
                    < ANSWERS_NOTIFY_DELAY):
                return False
            self._sent[dbname] = now
            return True

    def send_soon(self, dbname):
        with self._lock:
            if dbname in self._due:
                return
            self._due.add(dbname)
            wait = max(self._sent.get(dbname, -math.inf)
                + ANSWERS_NOTIFY_DELAY - time.monotonic(), 0)
        timer = threading.Timer(wait, self._send, (dbname,))
        timer.daemon = True
        timer.start()

    def _send(self, dbname):
        # Commits from now on need a NOTIFY after this one.
        with self._lock:
            self._due.discard(dbname)
            self._sent[dbname] = time.monotonic()
        database = backend.Database(dbname)
        try:
            connection = database.get_connection(autocommit=True)
            try:
                database.notify(connection, MemoryCache._channel,
                    json.dumps([ANSWERS]))
            finally:
                database.put_connection(connection)
        except Exception:
            # The other workers' answers then expire (ANSWERS_TTL).
            logger.warning("could not tell the workers of %s that "
                "availability changed", dbname, exc_info=True)


_notices = _GatheredNotices()


class ClearsSetupCache(ClearsAnswersCache):
    "Mixin of the models whose records availability caches."
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        cache.clear()


@dataclass(frozen=True)
class Candidate:
    "A photographer as availability sees them for one service and place."
    id: int
    slot_step: dt.timedelta
    min_notice: dt.timedelta
    horizon_days: int
    weekly: tuple

    def start_bounds(self, now):
        "The earliest and latest start a client may book now."
        return (now + self.min_notice,
            now + dt.timedelta(days=self.horizon_days))


@dataclass(frozen=True)
class Setup:
    "Everything but bookings that availability needs for one query shape."
    duration: dt.timedelta
    buffer_before: dt.timedelta
    buffer_after: dt.timedelta
    timezone: str
    candidates: tuple
    studio_hours: object  # availability.Schedule, None on location
    needs_room: bool  # at a studio, in one of its rooms
    room_ids: tuple  # the studio's active rooms when it needs one
    equipment: tuple  # (equipment id, units owned, units needed)


@dataclass(frozen=True)
class ServiceTerms:
    "What a booking takes from its service: its time, room and price."
    duration: dt.timedelta
    buffer_before: dt.timedelta
    buffer_after: dt.timedelta
    needs_room: bool
    price: Decimal
    currency: int


@dataclass(frozen=True)
class Offers:
    "What a photographer offers: {service id: price override} and studios."
    prices: tuple
    studio_ids: frozenset

    def offers(self, service_id):
        return any(s == service_id for s, _ in self.prices)

    def price(self, service_id):
        "The photographer's own price of the service, None for its price."
        return next((p for s, p in self.prices if s == service_id), None)


def _cached(key, read):
    value = cache.get(key)
    if value is None:
        value = cache.set(key, read())
    return value


def setup(service, studio, photographers=None):
    """The Setup of service at studio (None: on location) for photographers,
    by default every active one offering it there."""
    ids = (tuple(p.id for p in photographers)
        if photographers is not None else None)
    # Searching photographers applies the user's record rules.
    key = ('setup', service.id, studio.id if studio else None, ids,
        Transaction().user if ids is None else None)
    return _cached(key, lambda: _read_setup(service, studio, ids))


def service_terms(service_id):
    "The ServiceTerms of the service."
    def read():
        service = Pool().get('photo.service')(service_id)
        return ServiceTerms(
            service.duration, service.buffer_before, service.buffer_after,
            service.needs_room, service.price, service.currency.id)
    return _cached(('service', service_id), read)


def _read_setup(service, studio, photographer_ids):
    pool = Pool()
    Photographer = pool.get('photo.photographer')
    WorkingHours = pool.get('photo.photographer.working_hours')
    if photographer_ids is None:
        domain = [('services.service', '=', service.id)]
        if studio:
            domain.append(('studios', '=', studio.id))
        else:
            domain.append(('on_location', '=', True))
        photographers = Photographer.search(domain)
    else:
        photographers = Photographer.browse(photographer_ids)
    photographers = [p for p in photographers
        if offers(p.id).offers(service.id)]
    ids = [p.id for p in photographers]
    weekly = WorkingHours.weekly_rules('photographer', ids,
        where=lambda t: (t.studio == studio.id) if studio
        else (t.studio == Null))
    if studio:
        timezone = studio.timezone
    elif photographers:
        timezone = photographers[0].timezone
    else:
        timezone = Photographer.default_timezone()
    terms = service_terms(service.id)
    return Setup(
        duration=terms.duration,
        buffer_before=terms.buffer_before,
        buffer_after=terms.buffer_after,
        timezone=timezone,
        candidates=tuple(Candidate(
                p.id, p.slot_step, p.min_notice, p.horizon_days,
                tuple(weekly[p.id]))
            for p in photographers),
        studio_hours=studio.schedule() if studio else None,
        needs_room=bool(studio and terms.needs_room),
        room_ids=tuple(studio.active_room_ids())
        if studio and terms.needs_room else (),
        equipment=equipment_needs(service, studio) if studio else ())


def equipment_needs(service, studio):
    """What service needs of the studio's active equipment: (equipment id,
    units owned, units needed)."""
    return _cached(('equipment', service.id, studio.id),
        lambda: _read_equipment_needs(service, studio))


def _read_equipment_needs(service, studio):
    pool = Pool()
    need = pool.get('photo.service.equipment').__table__()
    equipment = pool.get('photo.equipment').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*need.join(equipment,
            condition=need.equipment == equipment.id).select(
            equipment.id, equipment.quantity, need.quantity,
            where=(need.service == service.id)
            & (equipment.studio == studio.id)
            & (equipment.active == Literal(True))))
    return tuple(cursor)


def exists(Model, id_):
    """Whether the user may see the active record id_ of Model, one of the
    models that clear this cache."""
    assert issubclass(Model, ClearsSetupCache), Model
    transaction = Transaction()
    key = ('exists', Model.__name__, id_, transaction.user,
        transaction.check_access)
    return _cached(key,
        lambda: bool(Model.search([('id', '=', id_)], count=True)))


def values(Model, ids, names):
    """{id: {name: value}} of the records of Model (one of the models that
    clear this cache) in the context's language."""
    assert issubclass(Model, ClearsSetupCache), Model
    language = Transaction().language
    keys = {i: ('values', Model.__name__, i, tuple(names), language)
        for i in ids}
    result = {i: cache.get(key) for i, key in keys.items()}
    missing = [i for i, value in result.items() if value is None]
    if missing:
        for row in Model.read(missing, list(names)):
            result[row['id']] = cache.set(keys[row['id']], row)
    return result


@dataclass(frozen=True)
class BookingSettings:
    "The configuration as every new booking needs it."
    sequence: int
    # The sequence's format fields when its numbers come from a database
    # sequence (its record then changes only when a manager edits it, which
    # clears this cache), else () and the record is read each time.
    sequence_format: tuple
    hold_duration: dt.timedelta

    def booking_sequence(self):
        "The ir.sequence of booking numbers, ready to give the next one."
        return Pool().get('ir.sequence')(
            self.sequence, **dict(self.sequence_format))


SEQUENCE_FORMAT = ('type', 'prefix', 'suffix', 'padding')


def booking_settings():
    "The BookingSettings of the configuration."
    def read():
        config = Pool().get('photo.configuration')(1)
        sequence = config.booking_sequence
        sequence_format = ()
        if sql_sequence and sequence.type == 'incremental':
            sequence_format = tuple(
                (name, getattr(sequence, name)) for name in SEQUENCE_FORMAT)
        return BookingSettings(
            sequence.id, sequence_format, config.hold_duration)
    return _cached(('configuration',), read)


def offers(photographer_id):
    "The photographer's Offers."
    return _cached(('offers', photographer_id),
        lambda: _read_offers(photographer_id))


def _read_offers(photographer_id):
    pool = Pool()
    line = pool.get('photo.photographer.service').__table__()
    serves = pool.get('photo.photographer-photo.studio').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*line.select(line.service, line.price,
            where=line.photographer == photographer_id))
    prices = tuple((service, Decimal(price) if price is not None else None)
        for service, price in cursor)
    cursor.execute(*serves.select(serves.studio,
            where=serves.photographer == photographer_id))
    return Offers(prices, frozenset(studio for studio, in cursor))


@dataclass(frozen=True)
class Calendar:
    """A photographer's days off/extra hours, fixed slots and external busy
    time (merged spans of microseconds, see availability.to_micros)."""
    overrides: tuple
    fixed: tuple
    busy: tuple


def calendars(photographer_ids, studio, day_from, day_to, window):
    """Calendar per photographer id: the overrides of the days from day_from
    to day_to, and the fixed slots at studio and busy time overlapping
    window (naive UTC)."""
    studio_id = studio.id if studio else None
    blocks = range(
        day_from.toordinal() // BLOCK_DAYS, day_to.toordinal() // BLOCK_DAYS + 1)
    keys = {(p, b): ('calendar', p, studio_id, b)
        for p in photographer_ids for b in blocks}
    found = {pb: cache.get(key) for pb, key in keys.items()}
    missing = [pb for pb, value in found.items() if value is None]
    if missing:
        read = _read_calendars(
            sorted({p for p, _ in missing}), studio,
            [b for b in blocks if any(m[1] == b for m in missing)])
        for pb in missing:
            found[pb] = cache.set(keys[pb], read[pb])
    start, end = (w.replace(tzinfo=dt.timezone.utc) for w in window)
    micro_start, micro_end = (availability.to_micros(w) for w in (start, end))
    result = {}
    for photographer in photographer_ids:
        parts = [found[photographer, b] for b in blocks]
        overlapping = lambda i: i.end > start and i.start < end  # noqa: E731
        result[photographer] = Calendar(
            overrides=tuple(o for p in parts for o in p.overrides
                if day_from <= o.day <= day_to),
            # An interval across two blocks is in both.
            fixed=tuple(sorted(set(filter(overlapping,
                            (i for p in parts for i in p.fixed))))),
            # Each block's already merged (thousands with synced
            # calendars): what overlaps the window, merged across blocks.
            busy=tuple(availability.merge_micros(
                    s for p in parts for s in p.busy
                    if s[1] > micro_start and s[0] < micro_end)))
    return result


def _read_calendars(photographer_ids, studio, blocks):
    "Calendar per (photographer id, block) over consecutive blocks."
    pool = Pool()
    ScheduleException = pool.get('photo.photographer.exception')
    FixedSlot = pool.get('photo.photographer.fixed_slot')
    Busy = pool.get('photo.photographer.busy')

    def first_day(block):
        return dt.date.fromordinal(block * BLOCK_DAYS)

    def utc_range(block):
        first = dt.datetime.combine(first_day(block), dt.time())
        return (first - BLOCK_MARGIN,
            first + dt.timedelta(days=BLOCK_DAYS) + BLOCK_MARGIN)

    day_from = first_day(blocks[0])
    day_to = first_day(blocks[-1] + 1) - dt.timedelta(days=1)
    window = (utc_range(blocks[0])[0], utc_range(blocks[-1])[1])
    overrides = ScheduleException.overrides(photographer_ids, day_from, day_to)
    fixed = FixedSlot.intervals(photographer_ids, studio, window)
    busy = Busy.periods(photographer_ids, window)
    result = {}
    for block in blocks:
        first = first_day(block)
        last = first_day(block + 1) - dt.timedelta(days=1)
        start, end = (w.replace(tzinfo=dt.timezone.utc)
            for w in utc_range(block))
        for p in photographer_ids:
            result[p, block] = Calendar(
                overrides=tuple(o for o in overrides[p]
                    if first <= o.day <= last),
                fixed=tuple(i for i in fixed[p]
                    if i.end > start and i.start < end),
                busy=tuple(availability.merge_micros(i for i in busy[p]
                        if i.end > start and i.start < end)))
    return result
