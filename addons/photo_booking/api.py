"""The JSON API's plumbing: parse requests, map errors, serialise records.

Routes stay thin: they parse with `Params`, call a model method and return
what a serialiser built. `json_api` sits outside the transaction, so every
error it maps has already been rolled back.
"""
import datetime as dt
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from http import HTTPStatus
from zoneinfo import ZoneInfo

from werkzeug.exceptions import HTTPException

from trytond import backend
from trytond.exceptions import RateLimitException, UserError, UserWarning
from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction

from . import abuse, connection_wait, idempotency, security, setup_cache
from .booking import is_overlap, overlap_messages
from .common import aware, is_email, naive, utc_now
from .exceptions import BookingError, HoldExpiredError, SlotTakenError
from .security import TooManyRequests

logger = logging.getLogger(__name__)

PREFIX = '/<database_name>/photo_booking/api/v1'
LANGUAGES = ('ru', 'en')
DEFAULT_LANGUAGE = 'ru'
MAX_RANGE_DAYS = 62
ALTERNATIVES = 5
# How far the alternatives and the next available day are looked for.
ALTERNATIVES_DAYS = 14
NEXT_AVAILABLE_CHUNK_DAYS = 31
PUBLIC_SOURCES = ('web', 'telegram', 'api')
TEXT_LENGTH = 2000
NAME_LENGTH = 200
LIST_LIMIT = 500
# Runs of a write request on top of with_transaction's, and the first wait.
BUSY_RETRIES = 4
BUSY_WAIT = 0.05
# Seconds a client is asked to wait before sending a 503's request again.
BUSY_RETRY_AFTER = 2
WRITE_METHODS = {'POST', 'PUT', 'DELETE', 'PATCH'}


class ApiError(Exception):
    "A request the API refuses as sent: its status and JSON body."

    def __init__(self, status, message, field=None, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.extra = extra

    def to_json(self):
        body = {'error': self.message}
        if self.field:
            body['field'] = self.field
        body.update(self.extra)
        return body


@dataclass(frozen=True)
class SlotSearch:
    "Where to look for alternatives when the asked time is taken."
    service: int
    studio: int | None
    photographers: tuple[int, ...] | None
    start: dt.datetime  # naive UTC, as stored
    exclude: tuple[int, ...] = ()


# The JSON API's holds, confirmations, cancellations and reschedules;
# `[photo_booking] rate_limit_<kind>` overrides them.
LIMITS = {
    'api_write': '10/60',
    # Per booking (its token), whatever the address: confirmations,
    # cancellations and reschedules of one client's booking.
    'api_booking': '30/3600',
    # Shared with the portal's sign-in form (same kind, same count).
    'login': '20/600',
    }


def rate_limited(kind):
    """Refuse a route's request over the address's `kind` limit (LIMITS),
    or over its booking's (`api_booking`, the route's token), with 429
    before its transaction starts.

    Place between @json_api and @with_transaction."""
    def decorator(func):
        @wraps(func)
        def wrapper(request, pool, *args, **kwargs):
            # Counted once per request, not per retried transaction.
            wait = security.retry_after(
                kind, request.remote_addr or 'unknown', LIMITS[kind],
                pool.database_name)
            token = kwargs.get('token')
            if not wait and isinstance(token, str):
                wait = security.retry_after('api_booking',
                    security.sign('limit-booking', token)[:32],
                    LIMITS['api_booking'], pool.database_name)
            if wait:
                raise TooManyRequests(wait)
            return func(request, pool, *args, **kwargs)
        return wrapper
    return decorator


def guarded_hold(kind):
    """Refuse a hold over its address's `kind` limit (as rate_limited, in
    the same round trip) and over abuse's limits of its address, contacts
    and device, or without the proof of work they ask for, before its
    transaction starts (no database work); the route counts the hold it
    made with record_hold.

    Place between @json_api and @with_transaction. Checked once per
    request: a proof is spent by the first run."""
    def decorator(func):
        return _guarded_hold(kind, func)
    return decorator


def _guarded_hold(kind, func):
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        if HOLD_KEYS not in request.environ:
            body = loose_json(request)
            client = body.get('client')
            client = client if isinstance(client, dict) else {}
            session = bearer_token(request)
            device = request.headers.get('X-Device-Id') or (
                f'session:{session}' if session else None)
            keys = abuse.Keys.of(
                request.remote_addr or 'unknown',
                [client.get('email'), client.get('phone')], device)
            proof = {
                'altcha': body.get('altcha'),
                'captcha': body.get('captcha'),
                }
            reservation = abuse.check(
                pool.database_name, keys, anonymous=not session,
                proof={k: v for k, v in proof.items()
                    if isinstance(v, str)},
                remote_ip=request.remote_addr,
                # Sent again with its key, a request keeps its proof.
                owner=request.headers.get('Idempotency-Key'),
                attempt=security.Attempt.of(
                    kind, request.remote_addr or 'unknown', LIMITS[kind],
                    pool.database_name))
            request.environ[HOLD_KEYS] = keys
            request.environ[HOLD_RESERVATION] = reservation
            try:
                # Recorded at its commit, before this returns.
                return func(request, pool, *args, **kwargs)
            finally:
                abuse.done(reservation)
        return func(request, pool, *args, **kwargs)
    return wrapper


HOLD_KEYS = 'photo_booking.hold_keys'
HOLD_RESERVATION = 'photo_booking.hold_reservation'


def record_hold(request, pool, booking):
    "Count booking under the keys guarded_hold found, once committed."
    keys = request.environ.get(HOLD_KEYS)
    if keys is None:
        return
    end = booking.hold_expires or (
        utc_now() + dt.timedelta(minutes=15))
    # Recorded with the end of its reservation: one call to the ledger.
    abuse.after_commit(
        Transaction(), abuse.record, pool.database_name, keys,
        booking.token, aware(end).timestamp(), None,
        request.environ.get(HOLD_RESERVATION))


def loose_json(request):
    "The request's JSON object for a look before parsing, else {}."
    try:
        body = json.loads(request.get_data(cache=True) or b'{}')
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


class SlotConflict(Exception):
    "The asked time is taken; alternatives are searched after the rollback."

    def __init__(self, detail, search):
        super().__init__(detail)
        self.detail = detail
        self.search = search


class slot_conflict:
    """Turn SlotTakenError (and overlap constraints) into SlotConflict.

    Used around the model call of a route that takes a time.
    """

    def __init__(self, search):
        self.search = search

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type and (issubclass(exc_type, SlotTakenError)
                or is_overlap(exc)):
            raise SlotConflict(exc.message, self.search) from exc
        return False


# --- language ---------------------------------------------------------------

def client_language(request):
    "The language asked by Accept-Language among ours, Russian by default."
    return request.accept_languages.best_match(
        LANGUAGES, default=DEFAULT_LANGUAGE)


def localised(func):
    """Inside the transaction: messages and names in the client's language,
    and who acts for the audit log (acting)."""
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        with Transaction().set_context(
                language=client_language(request), **acting(request)):
            return func(request, *args, **kwargs)
    return wrapper


# --- who acts -----------------------------------------------------------------

# The context key photo_audit reads: (kind, label) of who acts when the
# transaction's user is not them (routes run as root, staff routes as the
# user of their application key).
AUDIT_ACTOR = 'audit_actor'


def application_key(request):
    "The key of a user_application route, as trytond reads it."
    authorization = request.authorization
    if authorization is None:
        return None
    if authorization.type == 'bearer':
        return getattr(authorization, 'token', None) or None
    if authorization.type == 'basic':
        return authorization.get('password') or None
    return None


def acting(request):
    """The context naming who acts: the API key of a staff route ('api_key',
    '<application> key #<id>'), the portal user of a bearer session
    ('web_user', id), else nothing (photo_audit logs an anonymous visitor)."""
    pool = Pool()
    transaction = Transaction()
    key = application_key(request)
    if not key:
        return {}
    if transaction.user:
        application = pool.get('res.user.application').check(
            key, 'photo_booking')
        if application:
            return {AUDIT_ACTOR: ('api_key',
                    f'{application.application} key #{application.id}')}
        return {}
    Session = pool.get('web.user.session')
    user = Session.get_user(key)
    return {AUDIT_ACTOR: ('web_user', user.id)} if user else {}


# --- errors -----------------------------------------------------------------

def json_api(func):
    """Serialise the result as JSON and map errors to statuses and bodies.

    Place between @with_pool and @with_transaction: the transaction has been
    rolled back when an error gets here.
    """
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        language = client_language(request)
        status = HTTPStatus.OK
        retry_after = None
        try:
            result = run_retried(func, request, pool, *args, **kwargs)
        except ApiError as e:
            status, body = e.status, e.to_json()
        except SlotConflict as e:
            status, body = HTTPStatus.CONFLICT, slot_taken_body(
                pool, e.search, e.detail, language)
        except HoldExpiredError as e:
            status, body = HTTPStatus.GONE, {'error': e.message}
        except SlotTakenError as e:
            status, body = HTTPStatus.CONFLICT, slot_taken_body(
                pool, None, e.message, language)
        except BookingError as e:
            status, body = HTTPStatus.CONFLICT, {'error': e.message}
        except ValidationError as e:
            if is_overlap_message(pool, e, language):
                status, body = HTTPStatus.CONFLICT, slot_taken_body(
                    pool, None, e.message, language)
            else:
                status = HTTPStatus.UNPROCESSABLE_ENTITY
                body = {'error': e.message}
        except UserError as e:
            status, body = HTTPStatus.BAD_REQUEST, {'error': e.message}
        except UserWarning as e:
            status, body = HTTPStatus.CONFLICT, {'error': e.message}
        except abuse.Refused as e:
            status = HTTPStatus(e.status)
            retry_after = e.retry_after
            body = refused_body(pool, e, language)
        except (RateLimitException, TooManyRequests) as e:
            status = HTTPStatus.TOO_MANY_REQUESTS
            retry_after = getattr(e, 'retry_after', None)
            body = {'error': translated(
                    pool, 'photo_booking.msg_api_too_many_attempts',
                    language)}
        except HTTPException as e:
            status = HTTPStatus(e.code)
            body = {'error': str(getattr(e, 'message', None)
                    or e.description or status.phrase)}
        except backend.DatabaseOperationalError as e:
            # Retried already (run_retried).
            logger.warning("Database busy for %s", request, exc_info=True)
            status = HTTPStatus.SERVICE_UNAVAILABLE
            retry_after = BUSY_RETRY_AFTER
            body = {'error': busy_message(pool, e, language)}
        else:
            if isinstance(result, Response):
                result.headers['Content-Language'] = language
                return result
            if isinstance(result, tuple):
                body, status = result
            else:
                body = result
        response = json_response(body, status, language)
        if retry_after:
            response.headers['Retry-After'] = str(retry_after)
        return response
    return wrapper


IDEMPOTENCY_KEY_RE = re.compile(r'^[\x21-\x7e]{1,255}$')


def idempotent(func):
    """Answer a write request sent again with the same Idempotency-Key
    (within 24 hours) with the answer stored the first time, without doing
    it again; the same key with another request is a 422.

    Inside the transaction, under the write lock: the answer is stored in
    the transaction that did the work. Errors are not stored: nothing was
    done, so the request may be sent again as it is."""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        Key = pool.get('photo.api.idempotency_key')
        key = request.headers.get('Idempotency-Key')
        if key is None:
            return func(request, pool, *args, **kwargs)
        if not IDEMPOTENCY_KEY_RE.match(key):
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                gettext('photo_booking.msg_api_idempotency_key_invalid'))
        fingerprint = idempotency.fingerprint(
            request.method, request.path, request.get_data(cache=True))
        stored = Key.answer(key)
        if stored:
            if stored.fingerprint != fingerprint:
                raise ApiError(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    gettext('photo_booking.msg_api_idempotency_key_reused'))
            response = json_response(stored.json, stored.status)
            response.headers['Idempotent-Replayed'] = 'true'
            return response
        claim = Key.claim(key, fingerprint)
        result = func(request, pool, *args, **kwargs)
        body, status = (result if isinstance(result, tuple)
            else (result, HTTPStatus.OK))
        claim.store(status, body)
        return body, status
    return wrapper


def run_retried(func, request, pool, *args, **kwargs):
    """func, run again while the database reports a conflict (PostgreSQL's
    serialization failures and deadlocks, SQLite's busy lock) or gives no
    connection in time.

    with_transaction retries conflicts too, at fixed short intervals:
    clients contending for one booking then collide again in step, and with
    eight of them the last needs seven runs. Here each further run of a
    write waits a random growing time first, BUSY_RETRIES times at most,
    before the 503. A wait for a connection that ran out is tried again
    whatever the method (nothing was done without one), connection_wait's
    TRIES in all, the broken connections of the pool replaced first."""
    connection_wait.bound(pool.database_name)
    conflicts = waits = 0
    while True:
        try:
            return func(request, pool, *args, **kwargs)
        except backend.DatabaseOperationalError as e:
            if connection_wait.ran_out(e):
                waits += 1
                if waits >= connection_wait.TRIES:
                    raise
                connection_wait.renew(pool.database_name)
            elif (request.method in WRITE_METHODS
                    and conflicts < BUSY_RETRIES):
                conflicts += 1
            else:
                raise
            logger.debug("Database busy for %s, run %d",
                request, conflicts + waits)
            time.sleep(random.uniform(
                    0, BUSY_WAIT * 2 ** (conflicts + waits - 1)))


def busy_message(pool, error, language):
    """The 503's message: read from the database, unless it gave no
    connection (it would make the client wait again)."""
    if connection_wait.ran_out(error):
        return connection_wait.shipped_message(
            'msg_api_database_busy', language)
    return translated(pool, 'photo_booking.msg_api_database_busy', language)


def json_response(body, status=HTTPStatus.OK, language=None):
    if body is None:
        response = Response(status=status)
    else:
        response = Response(
            json.dumps(body, ensure_ascii=False, separators=(',', ':')),
            status=status, content_type='application/json')
    if language:
        response.headers['Content-Language'] = language
    return response


def after_rollback(pool, language):
    "A fresh read-only transaction to finish an error's body."
    return Transaction().start(
        pool.database_name, 0, readonly=True,
        context={'language': language})


def refused_body(pool, refused, language):
    "An abuse refusal's body; with a fresh challenge where a proof helps."
    with after_rollback(pool, language):
        body = {'error': gettext(
                f'photo_booking.{refused.message}', **refused.values)}
    if refused.wants_proof:
        body['proof'] = 'altcha'
        body['challenge'] = abuse.new_challenge()
    return body


def translated(pool, message_id, language):
    with after_rollback(pool, language):
        return gettext(message_id)


def is_overlap_message(pool, exc, language):
    with after_rollback(pool, language):
        return exc.message in overlap_messages()


def slot_taken_body(pool, search, detail, language):
    "The 409 body: the message and the next free slots, read afresh."
    with after_rollback(pool, language):
        return {
            'error': gettext('photo_booking.msg_booking_slot_taken'),
            'detail': detail,
            'alternatives': alternatives(pool, search) if search else [],
            }


def alternatives(pool, search, limit=ALTERNATIVES):
    "The first free slots from the asked start on."
    Booking = pool.get('photo.booking')
    Service = pool.get('photo.service')
    Studio = pool.get('photo.studio')
    Photographer = pool.get('photo.photographer')
    service = Service(search.service)
    studio = Studio(search.studio) if search.studio else None
    photographers = ([Photographer(p) for p in search.photographers]
        if search.photographers else None)
    tz = ZoneInfo(timezone_of(studio, photographers))
    day = aware(search.start).astimezone(tz).date()
    slots = Booking.available_slots(
        service, day, day + dt.timedelta(days=ALTERNATIVES_DAYS - 1),
        studio=studio, photographers=photographers,
        exclude=[Booking(b) for b in search.exclude])
    start = aware(search.start)
    return [slot_json(s, tz) for s in slots if s.start >= start][:limit]


def next_available_day(pool, service, day_from, studio, photographers, tz):
    "The first local day from day_from with a slot, up to the horizon."
    Booking = pool.get('photo.booking')
    Photographer = pool.get('photo.photographer')
    candidates = photographers or Photographer.search(
        [('services.service', '=', service.id)])
    if not candidates:
        return None
    last = dt.datetime.now(tz).date() + dt.timedelta(
        days=max(p.horizon_days for p in candidates))
    while day_from <= last:
        day_to = min(
            day_from + dt.timedelta(days=NEXT_AVAILABLE_CHUNK_DAYS - 1), last)
        slots = Booking.available_slots(
            service, day_from, day_to, studio=studio,
            photographers=photographers)
        if slots:
            return min(s.start for s in slots).astimezone(tz).date()
        day_from = day_to + dt.timedelta(days=1)
    return None


# --- parsing ----------------------------------------------------------------

def json_body(request):
    "The request's JSON object; an empty body is refused, as `{}` is not."
    data = request.get_data(cache=True)
    if not data.strip():
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext('photo_booking.msg_api_json_object'))
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext('photo_booking.msg_api_invalid_json'))
    if not isinstance(value, dict):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext('photo_booking.msg_api_json_object'))
    return Params(value)


def query_args(request):
    return Params(request.args.to_dict())


class Params:
    "Typed access to a JSON object or the query string; errors name the field."

    def __init__(self, values, prefix=''):
        self.values = values
        self.prefix = prefix

    def _name(self, name):
        return self.prefix + name

    def _error(self, name, message_id, **values):
        field = self._name(name)
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext(f'photo_booking.{message_id}', field=field, **values),
            field=field)

    def get(self, name, required=False):
        value = self.values.get(name)
        if value is None or value == '':
            if required:
                self._error(name, 'msg_api_field_required')
            return None
        return value

    def object(self, name, required=False):
        value = self.get(name, required=required)
        if value is None:
            return Params({}, prefix=self._name(name) + '.')
        if not isinstance(value, dict):
            self._error(name, 'msg_api_invalid_object')
        return Params(value, prefix=self._name(name) + '.')

    def integer(self, name, required=False):
        value = self.get(name, required=required)
        if value is None:
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if not security.is_id(value):
            self._error(name, 'msg_api_invalid_id')
        return value

    def text(self, name, required=False, length=TEXT_LENGTH, strip=True):
        value = self.get(name, required=required)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > length:
            self._error(name, 'msg_api_invalid_text', length=length)
        if security.has_nul(value):
            self._error(name, 'msg_api_invalid_characters')
        if strip:
            value = value.strip()
        if required and not value:
            self._error(name, 'msg_api_field_required')
        return value or None

    def boolean(self, name, default=False):
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self._error(name, 'msg_api_invalid_boolean')
        return value

    def choice(self, name, choices, default=None):
        value = self.get(name)
        if value is None:
            return default
        if value not in choices:
            self._error(
                name, 'msg_api_invalid_choice', choices=', '.join(choices))
        return value

    def email(self, name, required=False):
        value = self.text(name, required=required, length=NAME_LENGTH)
        if value is not None and not is_email(value):
            self._error(name, 'msg_api_invalid_email')
        return value.lower() if value else value

    def date(self, name, default=None):
        value = self.get(name)
        if value is None:
            return default
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            self._error(name, 'msg_api_invalid_date')

    def instant(self, name, required=False):
        "An ISO 8601 date and time with its offset, as naive UTC."
        value = self.get(name, required=required)
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self._error(name, 'msg_api_invalid_datetime')
        return naive(moment)

    def record(self, name, Model, required=False):
        "The active record of Model whose id is given, or a 400."
        id_ = self.integer(name, required=required)
        if id_ is None:
            return None
        if not setup_cache.exists(Model, id_):
            self._error(name, 'msg_api_unknown_record', value=id_)
        return Model(id_)

    def period(self, default_from, default_days=0):
        "The from/to days, checked to be in order and not too long."
        day_from = self.date('from', default=default_from)
        day_to = self.date(
            'to', default=day_from + dt.timedelta(days=default_days))
        if day_to < day_from:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                gettext('photo_booking.msg_api_period_reversed'),
                field=self._name('to'))
        if (day_to - day_from).days + 1 > MAX_RANGE_DAYS:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                gettext('photo_booking.msg_api_period_too_long',
                    days=MAX_RANGE_DAYS),
                field=self._name('to'))
        return day_from, day_to


def bearer_token(request):
    "The token of an `Authorization: Bearer <token>` header, or None."
    authorization = request.authorization
    if authorization is None or authorization.type != 'bearer':
        return None
    return authorization.token or None


def web_user(pool, request, required=True):
    "The portal user of the bearer session, or 401."
    Session = pool.get('web.user.session')
    key = bearer_token(request)
    user = Session.get_user(key) if key else None
    if not user and (required or key):
        raise ApiError(
            HTTPStatus.UNAUTHORIZED,
            gettext('photo_booking.msg_api_session_required'))
    return user


def booking_by_token(pool, token):
    "The booking of a public token, or 404."
    booking = pool.get('photo.booking').from_token(token)
    if not booking:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            gettext('photo_booking.msg_api_booking_not_found'))
    return booking


# --- serialisers ------------------------------------------------------------

def day_start(day, tz):
    "Local midnight of day in tz, as naive UTC."
    return naive(dt.datetime.combine(day, dt.time(0), tz))


def instant(value, tz):
    "A stored naive UTC (or aware) datetime as ISO 8601 in tz."
    if value is None:
        return None
    return aware(value).astimezone(tz).isoformat()


def money(value):
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal('0.01')))


def minutes(delta):
    return int(delta.total_seconds() // 60)


def timezone_of(studio, photographers=None):
    "The zone a studio's (or an on-location shoot's) times are shown in."
    if studio:
        return studio.timezone
    if photographers:
        return photographers[0].timezone
    return 'Europe/Moscow'


def slot_json(slot, tz):
    return {
        'start': instant(slot.start, tz),
        'end': instant(slot.end, tz),
        'photographer': slot.photographer,
        'room': slot.room,
        }


def by_id(rows):
    return {r['id']: r for r in rows}


def services_json(pool, services):
    Service = pool.get('photo.service')
    rows = Service.read([s.id for s in services], [
            'name', 'kind', 'description', 'duration', 'price',
            'currency.code', 'prepayment_percent', 'needs_room'])
    rows = by_id(rows)
    return [{
            'id': s.id,
            'name': rows[s.id]['name'],
            'kind': rows[s.id]['kind'],
            'description': rows[s.id]['description'],
            'duration_minutes': minutes(rows[s.id]['duration']),
            'price': money(rows[s.id]['price']),
            'currency': rows[s.id]['currency.']['code'],
            'prepayment_percent': str(rows[s.id]['prepayment_percent']),
            'needs_room': bool(rows[s.id]['needs_room']),
            } for s in services]


def photographers_json(pool, photographers):
    Photographer = pool.get('photo.photographer')
    Line = pool.get('photo.photographer.service')
    rows = by_id(Photographer.read([p.id for p in photographers], [
                'name', 'bio', 'rating', 'review_count', 'studios',
                'services', 'on_location']))
    lines = by_id(Line.read(
            [i for r in rows.values() for i in r['services']],
            ['service', 'service.active', 'service.price', 'price']))
    result = []
    for photographer in photographers:
        row = rows[photographer.id]
        offers = [lines[i] for i in row['services']]
        result.append({
                'id': photographer.id,
                'name': row['name'],
                'bio': row['bio'],
                'rating': (str(row['rating'])
                    if row['rating'] is not None else None),
                'review_count': row['review_count'],
                'studios': sorted(row['studios']),
                'services': [{
                        'service': o['service'],
                        'price': money(
                            o['price'] if o['price'] is not None
                            else o['service.']['price']),
                        } for o in offers if o['service.']['active']],
                'on_location': bool(row['on_location']),
                })
    return result


def studios_json(pool, studios):
    Studio = pool.get('photo.studio')
    Room = pool.get('photo.studio.room')
    Equipment = pool.get('photo.equipment')
    rows = by_id(Studio.read([s.id for s in studios], [
                'name', 'street', 'city', 'latitude', 'longitude',
                'timezone', 'rooms', 'equipment']))
    rooms = by_id(Room.read(
            [i for r in rows.values() for i in r['rooms']],
            ['name', 'area']))
    equipment = by_id(Equipment.read(
            [i for r in rows.values() for i in r['equipment']],
            ['name', 'kind', 'quantity', 'unit_price']))
    result = []
    for studio in studios:
        row = rows[studio.id]
        result.append({
                'id': studio.id,
                'name': row['name'],
                'address': ', '.join(
                    filter(None, [row['street'], row['city']])),
                'city': row['city'],
                'latitude': (str(row['latitude'])
                    if row['latitude'] is not None else None),
                'longitude': (str(row['longitude'])
                    if row['longitude'] is not None else None),
                'timezone': row['timezone'],
                'rooms': [{
                        'id': i,
                        'name': rooms[i]['name'],
                        'area': rooms[i]['area'],
                        } for i in row['rooms'] if i in rooms],
                'equipment': [{
                        'id': i,
                        'name': equipment[i]['name'],
                        'kind': equipment[i]['kind'],
                        'quantity': equipment[i]['quantity'],
                        'unit_price': money(equipment[i]['unit_price']),
                        } for i in row['equipment'] if i in equipment],
                })
    return result


# What bookings show of their setup, read from setup_cache.
SETUP_FIELDS = {
    'service': ('photo.service', ('name',)),
    'photographer': ('photo.photographer', ('name', 'timezone')),
    'studio': ('photo.studio', ('name', 'timezone')),
    'room': ('photo.studio.room', ('name',)),
    'currency': ('currency.currency', ('code',)),
    }


def _setup_links(bookings):
    """Per booking, {field: id or None} of the setup records it points to.

    The ids come from the transaction's record cache, where the create or
    search that gave the bookings left them (a write drops its records
    from it): asking the ORM for a many2one builds a record each time,
    and these five cost a twentieth of a hold (bench.booking). A field not
    cached there is read as usual."""
    links = []
    for booking in bookings:
        cached = booking._cache.get(booking.id)
        link = {}
        for field in SETUP_FIELDS:
            if cached is not None and field in cached:
                link[field] = cached[field]
            else:
                record = getattr(booking, field)
                link[field] = record.id if record else None
        links.append(link)
    return links


def _setup_values(pool, links):
    "{field: {id: values}} of the setup records the links point to."
    return {field: setup_cache.values(pool.get(model),
            {link[field] for link in links if link[field] is not None},
            names)
        for field, (model, names) in SETUP_FIELDS.items()}


def _named(setup, link, field):
    if link[field] is None:
        return None
    return {'id': link[field], 'name': setup[field][link[field]]['name']}


def bookings_json(pool, bookings, history=False, staff=False):
    """Bookings as the portal shows them: by token, in their own time zone.

    Their own fields come from the records (a search or a create has
    already read them), their setup's names from setup_cache."""
    Booking = pool.get('photo.booking')
    Log = pool.get('photo.booking.log')
    links = _setup_links(bookings)
    setup = _setup_values(pool, links)
    extras = Booking.api_extras(bookings)
    logs = {}
    if history:
        logs = by_id(Log.read(
                [h.id for b in bookings for h in b.history],
                ['create_date', 'from_state', 'to_state', 'old_start',
                    'new_start']))
    result = []
    for booking, link in zip(bookings, links):
        place = (setup['studio'][link['studio']] if link['studio']
            else setup['photographer'][link['photographer']])
        tz = ZoneInfo(place['timezone'])
        value = {
            'token': booking.token,
            'number': booking.number,
            'state': booking.state,
            'start': instant(booking.start, tz),
            'end': instant(booking.end, tz),
            'timezone': str(tz),
            'hold_expires': instant(booking.hold_expires, tz),
            'price': money(booking.price),
            'currency': setup['currency'][link['currency']]['code'],
            'service': _named(setup, link, 'service'),
            'photographer': _named(setup, link, 'photographer'),
            'studio': _named(setup, link, 'studio'),
            'room': _named(setup, link, 'room'),
            'location': booking.location,
            'notes': booking.notes,
            'cancelled_by': booking.cancelled_by,
            'cancellation_fee': money(booking.cancellation_fee),
            }
        if staff:
            value['client'] = {
                'name': booking.client.name,
                'email': booking.email,
                'phone': booking.phone,
                }
            value['source'] = booking.source
        if history:
            value['history'] = [{
                    'date': instant(logs[h.id]['create_date'], tz),
                    'from_state': logs[h.id]['from_state'],
                    'to_state': logs[h.id]['to_state'],
                    'old_start': instant(logs[h.id]['old_start'], tz),
                    'new_start': instant(logs[h.id]['new_start'], tz),
                    } for h in sorted(booking.history, key=lambda h: h.id)]
        value.update(extras.get(booking.id, {}))
        result.append(value)
    return result


def booking_json(pool, booking, history=False):
    return bookings_json(pool, [booking], history=history)[0]


def quote_json(quote, currency):
    return {
        'fee': money(quote.fee),
        'refund': money(quote.refund),
        'currency': currency,
        }
