"""The versioned JSON API of photo_booking (portal, Telegram bot, apps).

Every route is declared by api_route, which stacks the same decorators on
each: @app.route, @with_pool, our @json_api (outside the transaction: maps
errors once it has rolled back), @with_transaction() (read-only for GET)
and @localised (the client's language). Write routes also take the write
lock before they read anything (@serialised) and replay answers by
Idempotency-Key (@idempotent). Routes run as root, so
portal data is filtered by token or web user here; the staff
route runs as the user of its application key, with access rules.
The OpenAPI document (openapi.py) lists exactly these routes.
"""
import datetime as dt
from http import HTTPStatus
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    user_application, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import abuse, api, openapi, setup_cache
from .api import (
    PREFIX, ApiError, guarded_hold, idempotent, json_api, localised,
    rate_limited)
from .booking import serialised
from .common import ACTIVE_STATES


def api_route(path, method='GET', limit=None, write=False, hold=False,
        application=None):
    """Declare func the API route of method on PREFIX + path, with the
    decorators every route has, outermost first: @with_pool, @json_api,
    @rate_limited(limit) (write: 'api_write' unless limit is given), or
    for a hold @guarded_hold(limit), @with_transaction(), @serialised (write),
    @user_application(application), @localised, @idempotent (write)."""
    if write and limit is None:
        limit = 'api_write'

    def decorator(func):
        if write:
            func = idempotent(func)
        func = localised(func)
        if application:
            func = user_application(application)(func)
        if write:
            func = serialised(func)
        func = with_transaction()(func)
        if hold:
            func = guarded_hold(limit)(func)
        elif limit:
            func = rate_limited(limit)(func)
        func = with_pool(json_api(func))
        return app.route(PREFIX + path, methods=[method])(func)
    return decorator


@api_route('/services')
def services(request, pool):
    Service = pool.get('photo.service')
    return api.services_json(pool, Service.search([]))


@api_route('/photographers')
def photographers(request, pool):
    Photographer = pool.get('photo.photographer')
    return api.photographers_json(pool, Photographer.search([]))


@api_route('/studios')
def studios(request, pool):
    Studio = pool.get('photo.studio')
    return api.studios_json(pool, Studio.search([]))


@api_route('/availability')
def availability(request, pool):
    Booking = pool.get('photo.booking')
    args = api.query_args(request)
    service, studio, photographer = _setting(pool, args)
    photographers = [photographer] if photographer else None
    tz = ZoneInfo(setup_cache.setup(service, studio, photographers).timezone)
    today = dt.datetime.now(tz).date()
    day_from, day_to = args.period(today)
    slots = Booking.available_slots(
        service, day_from, day_to, studio=studio,
        photographers=photographers)
    next_available = None
    if not slots:
        next_available = api.next_available_day(
            pool, service, max(day_to + dt.timedelta(days=1), today),
            studio, photographers, tz)
    return {
        'timezone': str(tz),
        'slots': [api.slot_json(s, tz) for s in slots],
        'next_available': (
            next_available.isoformat() if next_available else None),
        }


def _setting(pool, params):
    "The service, studio and photographer (None: any) a request names."
    service = params.record('service', pool.get('photo.service'),
        required=True)
    studio = params.record('studio', pool.get('photo.studio'))
    photographer = None
    if params.get('photographer') != 'any':
        photographer = params.record(
            'photographer', pool.get('photo.photographer'))
    if setup_cache.service_terms(service.id).needs_room and not studio:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext('photo_booking.msg_booking_room_required',
                service=service.rec_name),
            field=params.prefix + 'studio')
    return service, studio, photographer


@api_route('/holds', 'POST', write=True, hold=True)
def create_hold(request, pool):
    Booking = pool.get('photo.booking')
    body = api.json_body(request)
    user = api.web_user(pool, request, required=False)
    service, studio, photographer = _setting(pool, body)
    start = body.instant('start', required=True)
    location = body.text('location', length=api.NAME_LENGTH)
    if not studio and not location:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext('photo_booking.msg_booking_location_required'),
            field='location')
    client = body.object('client', required=not (user and user.party))
    name = client.text(
        'name', required=not (user and user.party), length=api.NAME_LENGTH)
    email = client.email('email', required=not (user and user.party))
    phone = client.text('phone', length=50)
    notes = body.text('notes')
    source = body.choice('source', api.PUBLIC_SOURCES, default='api')
    # As the portal's details form: a guest agrees before booking.
    consent = body.boolean('consent')
    if not consent and not user:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            gettext('photo_booking.msg_api_consent_required'),
            field='consent')
    body.text('altcha', length=api.TEXT_LENGTH)  # checked by guarded_hold
    body.text('captcha', length=api.TEXT_LENGTH * 2)
    if user and user.party:
        party = user.party
        email = email or user.email
    else:
        party = pool.get('party.party').photo_guest_of(name, email, phone)
    search = api.SlotSearch(
        service.id, studio.id if studio else None,
        (photographer.id,) if photographer else None, start)
    with api.slot_conflict(search):
        booking = Booking.create_hold(
            service, start, party, studio=studio, photographer=photographer,
            location=None if studio else location, email=email, phone=phone,
            notes=notes, source=source, web_user=user, consent=consent)
    api.record_hold(request, pool, booking)
    return api.booking_json(pool, booking), HTTPStatus.CREATED


@app.route(f'{PREFIX}/challenge', methods=['GET'])
@with_pool
@json_api
def challenge(request, pool):
    "A proof-of-work challenge (ALTCHA) for a hold past the free ones."
    response = api.json_response(abuse.new_challenge())
    response.headers['Cache-Control'] = 'no-store'
    return response


@api_route('/bookings/<token>')
def booking(request, pool, token):
    booking = api.booking_by_token(pool, token)
    return api.booking_json(pool, booking, history=True)


@api_route('/bookings/<token>/confirm', 'POST', write=True)
def confirm(request, pool, token):
    "Confirm a hold (requested for manual photographers); replays are no-ops."
    Booking = pool.get('photo.booking')
    booking = api.booking_by_token(pool, token)
    if booking.state not in ACTIVE_STATES:
        raise ApiError(
            HTTPStatus.CONFLICT,
            gettext('photo_booking.msg_booking_not_confirmable',
                booking=booking.rec_name))
    if booking.state == 'hold':
        Booking.submit([booking])
    return api.booking_json(pool, booking)


@api_route('/bookings/<token>/cancellation')
def cancellation(request, pool, token):
    "What cancelling now would cost, shown before the client confirms."
    booking = api.booking_by_token(pool, token)
    _check_cancellable(booking)
    return api.quote_json(
        booking.quote_cancellation(by='client'), booking.currency.code)


def _check_cancellable(booking):
    if booking.state not in ACTIVE_STATES:
        raise ApiError(
            HTTPStatus.CONFLICT,
            gettext('photo_booking.msg_booking_not_cancellable',
                booking=booking.rec_name))


@api_route('/bookings/<token>/cancel', 'POST', write=True)
def cancel(request, pool, token):
    "Cancel; a late cancellation needs accept_fee, else 409 with the quote."
    Booking = pool.get('photo.booking')
    body = api.json_body(request)
    reason = body.text('reason')
    accept_fee = body.boolean('accept_fee')
    booking = api.booking_by_token(pool, token)
    _check_cancellable(booking)
    quote = booking.quote_cancellation(by='client')
    currency = booking.currency.code
    if quote.fee and not accept_fee:
        raise ApiError(
            HTTPStatus.CONFLICT,
            gettext('photo_booking.msg_booking_late_cancellation',
                booking=booking.rec_name,
                fee=f'{api.money(quote.fee)} {currency}'),
            field='accept_fee', quote=api.quote_json(quote, currency))
    with Transaction().set_context(_skip_warnings=accept_fee):
        quote = Booking.cancel_by_client(booking, reason=reason)
    result = api.booking_json(pool, booking)
    result['quote'] = api.quote_json(quote, currency)
    return result


@api_route('/bookings/<token>/reschedule', 'POST', write=True)
def reschedule(request, pool, token):
    Booking = pool.get('photo.booking')
    body = api.json_body(request)
    start = body.instant('start', required=True)
    photographer = body.record(
        'photographer', pool.get('photo.photographer'))
    booking = api.booking_by_token(pool, token)
    search = api.SlotSearch(
        booking.service.id, booking.studio.id if booking.studio else None,
        ((photographer or booking.photographer).id,), start,
        exclude=(booking.id,))
    with api.slot_conflict(search):
        Booking.reschedule(booking, start, photographer=photographer)
    return api.booking_json(pool, booking)


@api_route('/session', 'POST', limit='login')
def login(request, pool):
    "A portal session for a web user's email and password."
    User = pool.get('web.user')
    body = api.json_body(request)
    email = body.text('email', required=True, length=api.NAME_LENGTH)
    password = body.text(
        'password', required=True, length=api.NAME_LENGTH, strip=False)
    device = body.text('device', length=api.NAME_LENGTH)
    user = User.authenticate(email, password, device=device)
    if not user:
        # Returned, not raised: the failed attempt must be committed.
        return {'error': gettext('photo_booking.msg_api_login_failed')}, \
            HTTPStatus.UNAUTHORIZED
    return {'session': user.new_session(), 'device': user.device_token()}


@api_route('/session', 'DELETE', limit='api_write')
def logout(request, pool):
    Session = pool.get('web.user.session')
    key = api.bearer_token(request)
    if not key:
        raise ApiError(
            HTTPStatus.UNAUTHORIZED,
            gettext('photo_booking.msg_api_session_required'))
    Session.remove(key)
    return None, HTTPStatus.NO_CONTENT


@api_route('/me/bookings')
def my_bookings(request, pool):
    "The signed-in client's bookings, newest first."
    Booking = pool.get('photo.booking')
    user = api.web_user(pool, request)
    domain = [('web_user', '=', user.id)]
    if user.party:
        domain = ['OR', domain[0], ('client', '=', user.party.id)]
    bookings = Booking.search(domain, limit=api.LIST_LIMIT)
    return api.bookings_json(pool, bookings)


@api_route('/staff/bookings', application='photo_booking')
def staff_bookings(request, pool):
    """Bookings over from..to: a photographer's own, else everybody's.

    Runs as the user of the application key, with access rules."""
    Booking = pool.get('photo.booking')
    Photographer = pool.get('photo.photographer')
    own = Photographer.search([('user', '=', Transaction().user)])
    tz = ZoneInfo(api.timezone_of(None, own))
    args = api.query_args(request)
    day_from, day_to = args.period(
        dt.datetime.now(tz).date(), default_days=6)
    domain = [
        ('start', '<', api.day_start(day_to + dt.timedelta(days=1), tz)),
        ('end', '>', api.day_start(day_from, tz)),
        ]
    if own:
        domain.append(('photographer', 'in', [p.id for p in own]))
    bookings = Booking.search(
        domain, order=[('start', 'ASC'), ('id', 'ASC')],
        limit=api.LIST_LIMIT)
    return api.bookings_json(pool, bookings, staff=True)


@api_route('/openapi.json')
def openapi_document(request, pool):
    Booking = pool.get('photo.booking')
    return openapi.document(
        PREFIX.replace('<database_name>', pool.database_name),
        booking_extras=Booking.api_extras_schema(),
        paths=Booking.api_paths(pool.database_name))
