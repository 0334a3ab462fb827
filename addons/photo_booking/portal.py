"""Client web portal: catalogue, booking flow, accounts and cabinet.

Served at the site root (see portal_web.portal_database); every page is
server-rendered and calls the model methods directly.
"""
import calendar
import datetime as dt
import json
import math
import mimetypes
import os
import re
from decimal import Decimal
from email.message import EmailMessage
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import trytond.config as config
from trytond.i18n import gettext
from trytond.protocols.wrappers import HTTPStatus, Response, exceptions
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction

from . import media as media_rules
from . import portal_security as security
from . import setup_cache
from .booking import utc_now
from .exceptions import HoldExpiredError, SlotTakenError
from .portal_i18n import LANGUAGES, weekday_names, zone_name
from .portal_web import (
    DEFAULT_LANGUAGE, STATIC, BadInput, Unavailable, env, local_time,
    redirect_to, render, route)

ACTIVE = ('hold', 'requested', 'confirmed')
env.globals['media_widths'] = media_rules.WIDTHS
EMAIL_RE = re.compile(r'^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$')
PHONE_RE = re.compile(r'^\+?[0-9][0-9 ()\-]{5,19}$')
GUEST_PARTY = "[web guest]"
ON_LOCATION = 'location'  # the studio step's value for "at your address"
HOLD_COOKIE = 'pb_hold'
# A few big cities for "nearest studio" by a typed city name.
CITIES = {
    'moscow': (55.7558, 37.6173), 'москва': (55.7558, 37.6173),
    'saint petersburg': (59.9343, 30.3351), 'st petersburg': (59.9343, 30.3351),
    'санкт-петербург': (59.9343, 30.3351), 'петербург': (59.9343, 30.3351),
    'kazan': (55.7961, 49.1064), 'казань': (55.7961, 49.1064),
    'novosibirsk': (55.0084, 82.9357), 'новосибирск': (55.0084, 82.9357),
    'yekaterinburg': (56.8389, 60.6057), 'екатеринбург': (56.8389, 60.6057),
    'nizhny novgorod': (56.2965, 43.9361),
    'нижний новгород': (56.2965, 43.9361),
    'sochi': (43.5855, 39.7231), 'сочи': (43.5855, 39.7231),
    'berlin': (52.52, 13.405), 'берлин': (52.52, 13.405),
    }


# --- small helpers -----------------------------------------------------------

def money(amount, currency):
    if amount is None:
        return ''
    amount = Decimal(amount).quantize(Decimal('0.01'))
    text = f'{amount:,.2f}'.replace(',', '\u202f')
    if text.endswith('.00'):
        text = text[:-3]
    elif page_language() == 'ru':
        text = text.replace('.', ',')
    return f'{text} {currency.symbol or currency.code}'


def page_language():
    "The visitor's language, set on the transaction for the request."
    return Transaction().context.get('language') or DEFAULT_LANGUAGE


def when(moment, tz_name, fmt='%d.%m.%Y %H:%M'):
    "A stored naive-UTC datetime shown in the studio's time zone, named."
    local = local_time(moment, ZoneInfo(tz_name))
    return f"{local:{fmt}} ({zone_name(page_language(), tz_name)})"


def form_int(form, name):
    try:
        return int(form.get(name, ''))
    except ValueError:
        return None


def get_record(pool, model, record_id, domain=None):
    "An active catalogue record by id or None."
    Model = pool.get(model)
    if not security.is_id(record_id):
        return None
    records = Model.search([('id', '=', record_id)] + (domain or []), limit=1)
    return records[0] if records else None


def booking_by_token(pool, token, user=None):
    Booking = pool.get('photo.booking')
    if not re.fullmatch(r'[0-9a-f]{32}', token or ''):
        raise exceptions.NotFound()
    domain = [('token', '=', token)]
    if user is not None:
        domain.append(('web_user', '=', user.id))
    bookings = Booking.search(domain, limit=1)
    if not bookings:
        raise exceptions.NotFound()
    return bookings[0]


def require_user(visit):
    if not visit.user:
        raise _LoginRequired()


class _LoginRequired(exceptions.HTTPException):
    code = 303

    def get_response(self, environ=None, scope=None):
        response = Response('', status=303)
        response.headers['Location'] = '/account/login'
        return response


def check_rate(visit, kind):
    # Counted once per request: trytond runs a route again when its
    # transaction is retried (record locks taken, deadlocks).
    verdicts = visit.request.environ.setdefault('photo_booking.rates', {})
    if kind not in verdicts:
        verdicts[kind] = security.retry_after(
            kind, visit.address, database=_database())
    if verdicts[kind]:
        raise BadInput(visit.gettext(
                "Too many attempts. Please wait a few minutes."),
            HTTPStatus.TOO_MANY_REQUESTS, retry_after=verdicts[kind])


def check_honeypot(visit):
    if visit.request.form.get('website'):
        raise BadInput(visit.gettext(
                "We could not accept this form. Please try again."))


def _database():
    from .portal_web import portal_database
    return portal_database()


def opening_hours_text(hours, day_names):
    """'Mo–Sa 09:00–22:00; Su 10:00–20:00' from (weekday 0-6, start, end)
    rows: days in a row with the same hours go together."""
    by_day = {}
    for weekday, start, end in hours:
        by_day.setdefault(weekday, []).append((start, end))
    groups = []  # [first day, last day, spans]
    for day in range(7):
        spans = tuple(sorted(by_day.get(day, ())))
        if not spans:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == spans:
            groups[-1][1] = day
        else:
            groups.append([day, day, spans])
    return '; '.join(
        day_names[first] + (f'–{day_names[last]}' if last != first else '')
        + ' ' + ', '.join(f'{s:%H:%M}–{e:%H:%M}' for s, e in spans)
        for first, last, spans in groups)


def studio_view(studio):
    lat, lon = studio.latitude, studio.longitude
    map_url = None
    if lat is not None and lon is not None:
        map_url = ('https://www.openstreetmap.org/?'
            + urlencode({'mlat': lat, 'mlon': lon})
            + f'#map=16/{lat}/{lon}')
    return {
        'record': studio,
        'map_url': map_url,
        'equipment': [e for e in studio.equipment if e.active],
        'rooms': [r for r in studio.rooms if r.active],
        'hours': opening_hours_text(
            [(int(h.weekday), h.start_time, h.end_time)
                for h in studio.opening_hours],
            weekday_names(page_language())),
        }


# --- catalogue ---------------------------------------------------------------

def catalogue(pool):
    Service = pool.get('photo.service')
    Photographer = pool.get('photo.photographer')
    Studio = pool.get('photo.studio')
    Review = pool.get('photo.review')
    services = Service.search([])
    photographers = Photographer.search([])
    reviews = {}
    if photographers:
        for review in Review.search([
                    ('photographer', 'in', [p.id for p in photographers]),
                    ('state', '=', 'published'),
                    ], limit=50):
            reviews.setdefault(review.photographer.id, [])
            if len(reviews[review.photographer.id]) < 3:
                reviews[review.photographer.id].append(review)
    return services, photographers, reviews, Studio.search([])


@route('/')
def home(visit, pool):
    services, photographers, reviews, studios = catalogue(pool)
    return render(visit, 'home.html', services=services,
        photographers=photographers, reviews=reviews,
        studios=[studio_view(s) for s in studios], money=money)


MEDIA_MODELS = {
    'photographer': 'photo.photographer',
    'studio': 'photo.studio',
    'room': 'photo.studio.room',
    }
# (database, kind, id, write date, width) -> (bytes, mimetype)
_media_cache = {}


@route('/media/<any(photographer, studio, room):kind>/<int:record_id>')
def media(visit, pool, kind, record_id):
    """The record's photo; ?w= one of media.WIDTHS scales it down for a
    srcset."""
    record = get_record(pool, MEDIA_MODELS[kind], record_id)
    if not record or not record.photo:
        raise exceptions.NotFound()
    width = form_int(visit.request.args, 'w')
    data = bytes(record.photo)
    if width is None:
        body, mimetype = data, media_rules.mimetype(data)
    elif width in media_rules.WIDTHS:
        key = (Transaction().database.name, kind, record.id,
            record.write_date or record.create_date, width)
        if key not in _media_cache:
            if len(_media_cache) > 200:
                _media_cache.clear()
            _media_cache[key] = media_rules.resized(data, width)
        body, mimetype = _media_cache[key]
    else:
        raise BadInput(visit.gettext("This page does not exist."),
            HTTPStatus.NOT_FOUND)
    response = Response(body, mimetype=mimetype)
    response.headers['Cache-Control'] = 'public, max-age=3600'
    return response


CITY_RADIUS_KM = 30  # a studio this close to a searched city is in it


def haversine(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371 * 2 * math.asin(math.sqrt(h))


@route('/studios')
def studios(visit, pool):
    Studio = pool.get('photo.studio')
    _ = visit.gettext
    args = visit.request.args
    origin, message = None, None
    city = (args.get('city') or '').strip()[:100]
    try:
        if args.get('lat') and args.get('lon'):
            origin = (float(args['lat']), float(args['lon']))
            if not (-90 <= origin[0] <= 90 and -180 <= origin[1] <= 180):
                raise ValueError
    except ValueError:
        raise BadInput(_("The location is not valid."))
    records = Studio.search([])
    if not origin and city:
        matching = [s for s in records
            if s.city and s.city.lower() == city.lower()
            and s.latitude is not None]
        if matching:
            origin = (
                sum(float(s.latitude) for s in matching) / len(matching),
                sum(float(s.longitude) for s in matching) / len(matching))
        elif city.lower() in CITIES:
            origin = CITIES[city.lower()]
        else:
            message = _("We do not know this city; all studios are shown.")
    views = [studio_view(s) for s in records]
    if origin:
        for view in views:
            s = view['record']
            view['distance'] = (
                haversine(origin, (float(s.latitude), float(s.longitude)))
                if s.latitude is not None and s.longitude is not None
                else None)
            # Searched by city: no "0.3 km" for the studios in it.
            view['in_city'] = bool(city and not args.get('lat')
                and view['distance'] is not None
                and view['distance'] < CITY_RADIUS_KM)
        views.sort(key=lambda v: (
                v['distance'] is None, v['distance'] or 0))
    return render(visit, 'studios.html', studios=views, city=city,
        origin=origin, message=message,
        from_city=bool(city and origin and not args.get('lat')))


@route('/legal/<code>')
def legal(visit, pool, code):
    page = pool.get('photo.legal.page').get_page(code)
    if not page:
        raise exceptions.NotFound()
    return render(visit, 'legal.html', page=page)


# --- booking flow ------------------------------------------------------------

class Choice:
    "What the visitor picked so far, parsed and checked."

    def __init__(self, pool, args):
        self.service = get_record(
            pool, 'photo.service', form_int(args, 'service'))
        self.any = args.get('photographer') == 'any'
        self.photographer = None if self.any else get_record(
            pool, 'photo.photographer', form_int(args, 'photographer'))
        self.studio = get_record(
            pool, 'photo.studio', form_int(args, 'studio'))
        if self.photographer and self.service \
                and not self.photographer.offer(self.service):
            self.photographer = None
        if self.studio and self.photographer \
                and self.studio not in self.photographer.studios:
            self.studio = None
        self._location_team = None
        self.on_location = (args.get('studio') == ON_LOCATION
            and self.service is not None
            and (self.photographer or self.any)
            and bool(self.location_team(pool)))

    def location_team(self, pool):
        "The chosen photographers who shoot the service at the client's."
        if self._location_team is None:
            team = []
            if self.service and not self.service.needs_room:
                team = ([self.photographer] if self.photographer
                    else offering(pool, self.service))
                team = [p for p in team if p.on_location]
            self._location_team = team
        return self._location_team

    @property
    def place_chosen(self):
        return bool(self.studio or self.on_location)

    @property
    def photographers(self):
        if self.on_location:
            return self._location_team
        return [self.photographer] if self.photographer else None

    @property
    def timezone(self):
        if self.studio:
            return self.studio.timezone
        team = self.photographers
        return team[0].timezone if team else 'UTC'

    def args(self, **extra):
        args = {}
        if self.service:
            args['service'] = self.service.id
        if self.any:
            args['photographer'] = 'any'
        elif self.photographer:
            args['photographer'] = self.photographer.id
        if self.studio:
            args['studio'] = self.studio.id
        elif self.on_location:
            args['studio'] = ON_LOCATION
        args.update(extra)
        return args

    def url(self, **extra):
        return '/book?' + urlencode(self.args(**extra))


def price_range(pool, service, photographers):
    """What the service costs with the photographers, as text: one price
    or the cheapest to the dearest."""
    Booking = pool.get('photo.booking')
    prices = sorted({Booking.price_of(service.id, p.id)
            for p in photographers} or {service.price})
    low, high = (money(price, service.currency)
        for price in (prices[0], prices[-1]))
    return low if low == high else f'{low} – {high}'


def offering(pool, service, studio=None):
    Photographer = pool.get('photo.photographer')
    domain = [('services.service', '=', service.id)]
    if studio:
        domain.append(('studios', '=', studio.id))
    return Photographer.search(domain)


def parse_month(value, today):
    try:
        year, month = map(int, (value or '').split('-'))
        first = dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)
    return max(first, today.replace(day=1))


def parse_day(value):
    try:
        return dt.date.fromisoformat(value or '')
    except ValueError:
        return None


def free_days(pool, service, studio, photographers, first, last, exclude,
        tz_name):
    """The local dates between first and last with at least one free slot.

    studio None means on location, in tz_name (the photographers' zone).
    Kept in setup_cache.answers, which any booking change clears."""
    Booking = pool.get('photo.booking')
    key = ('free_days', service.id, studio.id if studio else None, tz_name,
        tuple(p.id for p in photographers) if photographers else None,
        first, last, tuple(b.id for b in exclude))
    days = setup_cache.answers.get(key)
    if days is None:
        tz = ZoneInfo(tz_name)
        days = setup_cache.answers.set(key, frozenset(
                slot.start.astimezone(tz).date()
                for slot in Booking.available_slots(
                    service, first, last, studio=studio,
                    photographers=photographers, exclude=exclude)))
    return days


def picker(pool, visit, service, studio, photographers, exclude=(),
        tz_name=None):
    """The month calendar and, for a chosen day, its free times.

    Without a studio (on location) times are in tz_name."""
    Booking = pool.get('photo.booking')
    args = visit.request.args
    tz_name = studio.timezone if studio else tz_name
    tz = ZoneInfo(tz_name)
    today = dt.datetime.now(tz).date()
    month = parse_month(args.get('month'), today)
    day = parse_day(args.get('day'))
    if day and not today <= day <= today + MAX_AHEAD:
        day = None
    month = min(month, (today + MAX_AHEAD).replace(day=1))
    if day:
        month = day.replace(day=1)
    last = month.replace(
        day=calendar.monthrange(month.year, month.month)[1])
    free = free_days(pool, service, studio, photographers,
        max(month, today), last, exclude, tz_name) if photographers != [] \
        else frozenset()
    times = []
    if day and day in free:
        # Always live: the hold re-checks anyway, but show no stale time.
        times = [(slot.start.astimezone(tz), slot)
            for slot in Booking.available_slots(
                service, day, day, studio=studio,
                photographers=photographers, exclude=exclude)]
    weeks = calendar.Calendar().monthdatescalendar(month.year, month.month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    return {
        'tz': tz_name,
        'month': month,
        'weeks': weeks,
        'free': free,
        'today': today,
        'day': day,
        'times': times,
        'previous': previous if previous >= today.replace(day=1) else None,
        'next': last + dt.timedelta(days=1),
        }


@route('/book')
def book(visit, pool):
    choice = Choice(pool, visit.request.args)
    context = {'choice': choice, 'money': money}
    if not choice.service:
        # From a photographer's or a studio's card: what they offer.
        context['services'] = [s
            for s in pool.get('photo.service').search([])
            if (not choice.photographer or choice.photographer.offer(s))
            and (not choice.studio or offering(pool, s, choice.studio))]
        return render(visit, 'book_service.html', **context)
    if not choice.photographer and not choice.any:
        photographers = offering(pool, choice.service, choice.studio)
        context['photographers'] = photographers
        context['price_range'] = price_range(
            pool, choice.service, photographers)
        context['price_of'] = lambda photographer: price_range(
            pool, choice.service, [photographer])
        return render(visit, 'book_photographer.html', **context)
    if not choice.place_chosen:
        if choice.photographer:
            studios = [s for s in choice.photographer.studios if s.active]
        else:
            studios = sorted({s for p in offering(pool, choice.service)
                    for s in p.studios if s.active}, key=lambda s: s.name)
        on_location = bool(choice.location_team(pool))
        if len(studios) == 1 and not on_location:
            return redirect_to('/book', choice.args(studio=studios[0].id))
        context['studios'] = [studio_view(s) for s in studios]
        context['on_location'] = on_location
        return render(visit, 'book_studio.html', **context)
    context['picker'] = picker(
        pool, visit, choice.service, choice.studio, choice.photographers,
        tz_name=choice.timezone)
    team = choice.photographers or offering(
        pool, choice.service, choice.studio)
    context['price'] = price_range(pool, choice.service, team)
    context['manual'] = [p for p in team if p.confirmation == 'manual']
    context['team'] = team
    return render(visit, 'book_time.html', **context)


# Nothing is bookable further ahead; also keeps dates clear of overflow.
MAX_AHEAD = dt.timedelta(days=400)


def parse_start(value):
    "A form's naive-UTC start, or None if malformed or far off."
    try:
        start = dt.datetime.strptime(value or '', '%Y-%m-%dT%H:%M')
    except ValueError:
        return None
    now = utc_now()
    if not now - dt.timedelta(days=1) <= start <= now + MAX_AHEAD:
        return None
    return start


def guest_party(pool):
    Party = pool.get('party.party')
    parties = Party.search([('name', '=', GUEST_PARTY)], limit=1)
    if parties:
        return parties[0]
    party, = Party.create([{'name': GUEST_PARTY}])
    return party


@route('/book/hold', methods=['POST'])
def hold(visit, pool):
    Booking = pool.get('photo.booking')
    _ = visit.gettext
    form = visit.request.form
    check_rate(visit, 'booking')
    check_honeypot(visit)
    choice = Choice(pool, form)
    start = parse_start(form.get('start'))
    if not choice.service or not choice.place_chosen or not start \
            or not (choice.photographer or choice.any):
        raise BadInput(_("Please choose a service, a studio and a time."))
    client = (visit.user.party if visit.user and visit.user.party
        else guest_party(pool))
    query = choice.args(start=form.get('start'))
    release_previous_hold(visit, pool)
    try:
        booking = Booking.create_hold(
            choice.service, start, client, studio=choice.studio,
            photographer=choice.photographer, source='web',
            web_user=visit.user)
    except SlotTakenError:
        raise Unavailable(_("Sorry, this time has just been taken."), query)
    visit.extra_cookies[HOLD_COOKIE] = booking.token
    return redirect_to(f'/book/details/{booking.token}')


def release_previous_hold(visit, pool):
    "A visitor who goes back and picks again gives up the earlier hold."
    Booking = pool.get('photo.booking')
    token = visit.request.cookies.get(HOLD_COOKIE) or ''
    if not re.fullmatch(r'[0-9a-f]{32}', token):
        return
    holds = Booking.search([('token', '=', token), ('state', '=', 'hold')])
    if holds:
        # Not the client's cancellation: the cabinet does not list it.
        Booking.cancel(holds, by='system', reason=gettext(
                'photo_booking.msg_booking_hold_replaced'))


def alternatives_page(visit, pool, message, query):
    "The nearest free times around the one the visitor could not get."
    Booking = pool.get('photo.booking')
    choice = Choice(pool, query)
    start = parse_start(query.get('start'))
    alternatives = []
    if choice.service and choice.place_chosen and start:
        tz = ZoneInfo(choice.timezone)
        wanted = start.replace(tzinfo=dt.timezone.utc)
        today = dt.datetime.now(tz).date()
        day = max(wanted.astimezone(tz).date(), today)
        slots = Booking.available_slots(
            choice.service, max(today, day - dt.timedelta(days=1)),
            day + dt.timedelta(days=7), studio=choice.studio,
            photographers=choice.photographers)
        slots.sort(key=lambda s: abs(s.start - wanted))
        alternatives = [(s.start.astimezone(tz), s) for s in slots[:6]]
        alternatives.sort(key=lambda a: a[0])
    return render(visit, 'taken.html', message=message, choice=choice,
        alternatives=alternatives,
        tz=choice.timezone if choice.place_chosen else None,
        action=query.get('action', '/book/hold'),
        back=query.get('back') or choice.url())


def hold_or_404(pool, token):
    booking = booking_by_token(pool, token)
    if booking.state != 'hold':
        raise _Redirect(f'/booking/{booking.token}')
    next_url = booking.portal_next_url()
    if next_url:
        # Details are in; the booking waits on a later step.
        raise _Redirect(next_url)
    return booking


class _Redirect(exceptions.HTTPException):
    code = 303

    def __init__(self, location):
        super().__init__()
        self.location = location

    def get_response(self, environ=None, scope=None):
        response = Response('', status=303)
        response.headers['Location'] = self.location
        return response


def booking_view(booking):
    tz = booking.timezone or 'UTC'
    location = booking.location
    return {
        'record': booking,
        'location': None if booking.studio else location,
        'when': when(booking.start, tz),
        'start': local_time(booking.start, ZoneInfo(tz)),
        'end': local_time(booking.end, ZoneInfo(tz)),
        'tz': tz,
        'price': money(booking.price, booking.currency),
        'hold_until': (when(booking.hold_expires, tz, '%H:%M')
            if booking.hold_expires else ''),
        }


@route('/book/details/<token>')
def details(visit, pool, token):
    booking = hold_or_404(pool, token)
    values = {}
    if visit.user:
        values = {
            'name': visit.user.party.name if visit.user.party else '',
            'email': visit.user.email,
            'phone': visit.user.party.phone if visit.user.party else '',
            }
    return render(visit, 'book_details.html', booking=booking_view(booking),
        values=values, errors={})


def validate_contact(visit, form, consent=True):
    _ = visit.gettext
    values = {
        'name': (form.get('name') or '').strip(),
        'email': (form.get('email') or '').strip().lower(),
        'phone': (form.get('phone') or '').strip(),
        'comment': (form.get('comment') or '').strip(),
        }
    errors = {}
    if not 1 <= len(values['name']) <= 100:
        errors['name'] = _("Give your name (up to 100 characters).")
    if len(values['email']) > 200 or not EMAIL_RE.match(values['email']):
        errors['email'] = _("Give a valid email address.")
    if not PHONE_RE.match(values['phone']):
        errors['phone'] = _("Give a phone number with digits only, "
            "like +7 900 123-45-67.")
    if len(values['comment']) > 2000:
        errors['comment'] = _("The comment is too long.")
    # Kept as the client left it when the form comes back with errors.
    values['consent'] = form.get('consent') == 'yes'
    if consent and not values['consent']:
        errors['consent'] = _(
            "Please agree to the processing of your personal data.")
    return values, errors


def contact_party(pool, name, email, phone):
    Party = pool.get('party.party')
    party, = Party.create([{
                'name': name,
                'photo_guest': True,
                'contact_mechanisms': [('create', [
                            {'type': 'email', 'value': email},
                            {'type': 'phone', 'value': phone},
                            ])],
                }])
    return party


@route('/book/details/<token>', methods=['POST'])
def details_post(visit, pool, token):
    Booking = pool.get('photo.booking')
    _ = visit.gettext
    booking = hold_or_404(pool, token)
    check_honeypot(visit)
    values, errors = validate_contact(visit, visit.request.form)
    if not booking.studio:
        values['location'] = ' '.join(
            (visit.request.form.get('location') or '').split())
        if not 5 <= len(values['location']) <= 200:
            errors['location'] = _("Give the address where the shoot "
                "takes place: street, house and city (up to 200 "
                "characters).")
    if errors:
        return render(visit, 'book_details.html',
            status=HTTPStatus.BAD_REQUEST, booking=booking_view(booking),
            values=values, errors=errors)
    # Without a login the email is not verified: the booking joins no
    # account (attach_guest_bookings moves it once the email is confirmed).
    user = visit.user
    if user and user.party:
        client = user.party
    else:
        client = contact_party(
            pool, values['name'], values['email'], values['phone'])
    Booking.write([booking], {
            'client': client.id,
            'email': values['email'],
            'phone': values['phone'],
            'notes': values['comment'] or None,
            'web_user': user.id if user else None,
            **({} if booking.studio else {'location': values['location']}),
            })
    try:
        Booking.submit([booking])
    except HoldExpiredError:
        raise Unavailable(_(
                "The time was held for you for a limited time only and "
                "has been released. Please choose a time again."),
            booking_query(booking))
    send_booking_mail(visit, booking)
    # A module may keep the booking held for a next step (a payment).
    next_url = (booking.state == 'hold'
        and booking.portal_next_url(submitted=True)) \
        or f'/booking/{booking.token}'
    return redirect_to(next_url)


def booking_query(booking):
    "The picker's query for booking's service, photographer and time."
    return {
        'service': booking.service.id,
        'photographer': booking.photographer.id,
        'studio': booking.studio.id if booking.studio else ON_LOCATION,
        'start': booking.start.strftime('%Y-%m-%dT%H:%M'),
        }


def google_calendar_url(booking):
    fmt = '%Y%m%dT%H%M%SZ'
    location = (booking.studio.address or booking.studio.name
        if booking.studio else booking.location or '')
    return 'https://calendar.google.com/calendar/render?' + urlencode({
            'action': 'TEMPLATE',
            'text': f'{booking.service.name} — {booking.photographer.name}',
            'dates': f'{booking.start:{fmt}}/{booking.end:{fmt}}',
            'details': f'{booking.number}',
            'location': location,
            'ctz': booking.timezone or 'UTC',
            })


def ics_escape(text):
    return (text or '').replace('\\', '\\\\').replace(';', '\\;').replace(
        ',', '\\,').replace('\n', '\\n')


def ics(booking, host):
    fmt = '%Y%m%dT%H%M%SZ'
    location = (booking.studio.address or booking.studio.name
        if booking.studio else booking.location or '')
    now = dt.datetime.now(dt.timezone.utc)
    lines = [
        'BEGIN:VCALENDAR', 'VERSION:2.0',
        'PRODID:-//photo_booking//portal//EN', 'METHOD:PUBLISH',
        'BEGIN:VEVENT',
        # Not the token: it can cancel, and calendars share their UIDs.
        f'UID:{security.calendar_uid(booking.token)}@{host}',
        f'DTSTAMP:{now:{fmt}}',
        f'DTSTART:{booking.start:{fmt}}',
        f'DTEND:{booking.end:{fmt}}',
        'SUMMARY:' + ics_escape(
            f'{booking.service.name} — {booking.photographer.name}'),
        'LOCATION:' + ics_escape(location),
        'DESCRIPTION:' + ics_escape(f'{booking.number}'),
        'STATUS:' + (
            'CANCELLED' if booking.state == 'cancelled' else 'CONFIRMED'),
        'END:VEVENT', 'END:VCALENDAR', '']
    return '\r\n'.join(lines)


@route('/booking/<token>')
def confirmation(visit, pool, token):
    booking = booking_by_token(pool, token)
    if booking.state == 'hold':
        return redirect_to(booking.portal_next_url()
            or f'/book/details/{booking.token}')
    return render(visit, 'confirmation.html', booking=booking_view(booking),
        google_url=google_calendar_url(booking))


@route('/booking/<token>.ics')
def booking_ics(visit, pool, token):
    booking = booking_by_token(pool, token)
    response = Response(
        ics(booking, visit.request.host.split(':')[0]),
        mimetype='text/calendar')
    response.headers['Content-Disposition'] = (
        f'attachment; filename="booking-{booking.number}.ics"')
    return response


# --- mail --------------------------------------------------------------------

def send_mail(visit, records, to, template, **context):
    "Mail template to to about records (of one model), after the commit."
    _ = visit.gettext
    message = EmailMessage()
    body = env.get_template(template).render(
        _=_, lang=visit.lang, base_url=visit.request.host_url.rstrip('/'),
        **context)
    subject, _sep, text = body.partition('\n')
    message['From'] = config.get('email', 'from')
    message['To'] = to
    message['Subject'] = subject.strip()
    message.set_content(text.strip() + '\n')
    if records:
        type(records[0]).queue_mail(records, message)
    else:
        # About no record (a reset asked for an unknown address): sent at
        # the commit all the same, its failure only logged.
        send_message_transactional(message)


def send_booking_mail(visit, booking):
    if booking.email:
        send_mail(visit, [booking], booking.email, 'mail_booking.txt',
            booking=booking_view(booking))


# --- accounts ----------------------------------------------------------------

def attach_guest_bookings(pool, user):
    "Bookings made as a guest with the account's email join the account."
    Booking = pool.get('photo.booking')
    bookings = Booking.search([
            ('email', '=', user.email),
            ('web_user', '=', None),
            ])
    if bookings:
        Booking.write(bookings, {'web_user': user.id})
    return bookings


@route('/account/signup')
def signup(visit, pool):
    "Prefilled from the guest booking just made (?booking=<its token>)."
    values = {}
    token = visit.request.args.get('booking')
    if token:
        try:
            booking = booking_by_token(pool, token)
        except exceptions.NotFound:
            booking = None
        if booking and not booking.web_user and booking.email:
            values = {
                'name': (booking.client.name
                    if booking.client.name != GUEST_PARTY else ''),
                'email': booking.email,
                'phone': booking.phone or '',
                }
    return render(visit, 'signup.html', values=values, errors={})


@route('/account/signup', methods=['POST'])
def signup_post(visit, pool):
    User = pool.get('web.user')
    Party = pool.get('party.party')
    _ = visit.gettext
    form = visit.request.form
    check_rate(visit, 'signup')
    check_honeypot(visit)
    values, errors = validate_contact(visit, form)
    password = form.get('password') or ''
    if not 8 <= len(password) <= 200:
        errors['password'] = _("The password needs at least 8 characters.")
    if errors:
        return render(visit, 'signup.html', status=HTTPStatus.BAD_REQUEST,
            values=values, errors=errors)
    # The same answer, and the same work (a password hash, a mail), for a
    # new email and a known one: the page tells nobody who has an account.
    # The new account opens from the link of its mail.
    known = User.search([('email', '=', values['email'])], limit=1)
    if known:
        User.hash_password(password)
        send_mail(visit, known, values['email'], 'mail_signup_exists.txt')
    else:
        party, = Party.create([{
                    'name': values['name'],
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': values['email']},
                                {'type': 'phone', 'value': values['phone']},
                                ])],
                    }])
        user = User(email=values['email'], party=party)
        user.password = password
        user.set_email_token()
        user.save()
        send_mail(visit, [user], user.email, 'mail_verify.txt', user=user)
    return render(visit, 'signup.html', sent=True, values=values, errors={})


@route('/account/verify', readonly=False)
def verify(visit, pool):
    User = pool.get('web.user')
    token = visit.request.args.get('token') or ''
    users = User.validate_email_token([token]) if token else []
    if not users:
        raise BadInput(visit.gettext(
                "This link is not valid or has already been used."))
    for user in users:
        attach_guest_bookings(pool, user)
    # Not logged in by the link: one forwarded by its owner would open
    # their account in someone else's browser.
    return redirect_to('/account/login', {'notice': 'verified'})


@route('/account/verify/resend', methods=['POST'])
def verify_resend(visit, pool):
    "A new validation link for an account whose email is not confirmed."
    require_user(visit)
    check_rate(visit, 'signup')
    user = visit.user
    if user.email_valid:
        return redirect_to('/account')
    user.set_email_token()
    user.save()
    send_mail(visit, [user], user.email, 'mail_verify.txt', user=user)
    return redirect_to('/account', {'notice': 'resent'})


@route('/account/login')
def login(visit, pool):
    return render(visit, 'login.html', email='', error=None)


@route('/account/login', methods=['POST'])
def login_post(visit, pool):
    User = pool.get('web.user')
    _ = visit.gettext
    check_rate(visit, 'login')
    email = (visit.request.form.get('email') or '').strip().lower()[:200]
    password = visit.request.form.get('password') or ''
    user = User.authenticate(email, password, device=visit.device) \
        if email and password else None
    if not user:
        return render(visit, 'login.html', status=HTTPStatus.BAD_REQUEST,
            email=email, error=_("Wrong email or password."))
    visit.login(user.new_session(), device=user.device_token())
    return redirect_to('/account')


@route('/account/logout', methods=['POST'])
def logout(visit, pool):
    Session = pool.get('web.user.session')
    if visit.session_key:
        Session.remove(visit.session_key)
    visit.logout()
    return redirect_to('/')


@route('/account/reset')
def reset(visit, pool):
    return render(visit, 'reset.html', sent=False)


@route('/account/reset', methods=['POST'])
def reset_post(visit, pool):
    User = pool.get('web.user')
    check_rate(visit, 'reset')
    check_honeypot(visit)
    email = (visit.request.form.get('email') or '').strip().lower()[:200]
    users = User.search([('email', '=', email)], limit=1) if email else []
    for user in users:
        # A new link each time, unlike web.user.reset_password: a request
        # made by someone else must not keep the owner from getting one,
        # and it ends the link that request may have leaked.
        user.set_reset_password_token()
        user.save()
        send_mail(visit, [user], user.email, 'mail_reset.txt', user=user)
    if not users and EMAIL_RE.match(email):
        # The same answer, and the same work (a mail), whether the account
        # exists or not: neither the page nor its timing tells.
        send_mail(visit, [], email, 'mail_reset_unknown.txt')
    return render(visit, 'reset.html', sent=True)


@route('/account/reset/confirm')
def reset_confirm(visit, pool):
    args = visit.request.args
    return render(visit, 'reset_confirm.html', email=args.get('email', ''),
        token=args.get('token', ''), error=None)


@route('/account/reset/confirm', methods=['POST'])
def reset_confirm_post(visit, pool):
    User = pool.get('web.user')
    _ = visit.gettext
    check_rate(visit, 'reset_confirm')
    form = visit.request.form
    email = (form.get('email') or '').strip().lower()[:200]
    token = (form.get('token') or '')[:200]
    password = form.get('password') or ''
    error = None
    if not 8 <= len(password) <= 200:
        error = _("The password needs at least 8 characters.")
    elif not email or not token \
            or not User.set_password_token(email, token, password):
        error = _("This link is not valid or has expired. "
            "Ask for a new one.")
    if error:
        return render(visit, 'reset_confirm.html',
            status=HTTPStatus.BAD_REQUEST, email=email, token=token,
            error=error)
    return redirect_to('/account/login', {'notice': 'password'})


# --- cabinet -----------------------------------------------------------------

NOTIFICATION_PREFERENCES = ('email_reminders', 'telegram_notifications')

def my_bookings(pool, user):
    Booking = pool.get('photo.booking')
    return Booking.search([
            ('web_user', '=', user.id),
            Booking.portal_cabinet_domain(),
            ], order=[('start', 'ASC')])


@route('/account')
def cabinet(visit, pool):
    require_user(visit)
    Review = pool.get('photo.review')
    now = utc_now()
    bookings = my_bookings(pool, visit.user)
    reviewed = {r.booking.id for r in Review.search([
                ('booking', 'in', [b.id for b in bookings])])}
    upcoming = [booking_view(b) for b in bookings
        if b.state in ACTIVE and b.end >= now]
    past = [booking_view(b) for b in reversed(bookings)
        if not (b.state in ACTIVE and b.end >= now)]
    return render(visit, 'cabinet.html', upcoming=upcoming, past=past,
        reviewed=reviewed, notice=visit.request.args.get('notice'))


@route('/account/booking/<token>/cancel')
def cancel(visit, pool, token):
    require_user(visit)
    booking = booking_by_token(pool, token, visit.user)
    if booking.state not in ACTIVE:
        raise BadInput(visit.gettext("This booking can no longer be "
                "cancelled."))
    quote = booking.quote_cancellation(by='client')
    return render(visit, 'cancel.html', booking=booking_view(booking),
        fee=money(quote.fee, booking.currency), has_fee=bool(quote.fee),
        fee_raw=str(quote.fee))


@route('/account/booking/<token>/cancel', methods=['POST'])
def cancel_post(visit, pool, token):
    require_user(visit)
    Booking = pool.get('photo.booking')
    booking = booking_by_token(pool, token, visit.user)
    quote = booking.quote_cancellation(by='client')
    shown = visit.request.form.get('fee') or ''
    if shown != str(quote.fee):
        # The fee changed since the page was shown: show it again.
        return redirect_to(f'/account/booking/{booking.token}/cancel')
    with Transaction().set_context(_skip_warnings=True):
        Booking.cancel_by_client(booking)
    return redirect_to('/account', {'notice': 'cancelled'})


@route('/account/booking/<token>/reschedule')
def reschedule(visit, pool, token):
    require_user(visit)
    booking = booking_by_token(pool, token, visit.user)
    if booking.state not in ACTIVE:
        raise BadInput(visit.gettext(
                "This booking can no longer be rescheduled."))
    return render(visit, 'reschedule.html', booking=booking_view(booking),
        picker=picker(pool, visit, booking.service, booking.studio,
            [booking.photographer], exclude=[booking],
            tz_name=booking.timezone))


@route('/account/booking/<token>/reschedule', methods=['POST'])
def reschedule_post(visit, pool, token):
    require_user(visit)
    Booking = pool.get('photo.booking')
    _ = visit.gettext
    booking = booking_by_token(pool, token, visit.user)
    start = parse_start(visit.request.form.get('start'))
    if not start:
        raise BadInput(_("Please choose a time."))
    try:
        Booking.reschedule(booking, start)
    except SlotTakenError:
        query = booking_query(booking)
        query.update({
                'start': start.strftime('%Y-%m-%dT%H:%M'),
                'action': f'/account/booking/{booking.token}/reschedule',
                'back': f'/account/booking/{booking.token}/reschedule',
                })
        raise Unavailable(_("Sorry, this time has just been taken."), query)
    return redirect_to('/account', {'notice': 'rescheduled'})


@route('/account/booking/<token>/review', methods=['POST'])
def review_post(visit, pool, token):
    require_user(visit)
    Review = pool.get('photo.review')
    _ = visit.gettext
    booking = booking_by_token(pool, token, visit.user)
    rating = form_int(visit.request.form, 'rating')
    comment = (visit.request.form.get('comment') or '').strip()
    if rating not in range(1, 6):
        raise BadInput(_("Choose a rating from 1 to 5."))
    if len(comment) > 2000:
        raise BadInput(_("The comment is too long."))
    if Review.search([('booking', '=', booking.id)], limit=1):
        raise BadInput(_("You have already reviewed this shoot."))
    Review.leave(booking, booking.client, rating, comment or None)
    return redirect_to('/account', {'notice': 'reviewed'})


@route('/account/profile')
def profile(visit, pool):
    require_user(visit)
    party = visit.user.party
    return render(visit, 'profile.html', values={
            'name': party.name if party else '',
            'phone': party.phone if party else '',
            'email': visit.user.email,
            'email_reminders': visit.user.email_reminders,
            'telegram_notifications': visit.user.telegram_notifications,
            'language': (party.lang.code if party and party.lang
                and party.lang.code in LANGUAGES else visit.lang),
            }, errors={})


@route('/account/profile', methods=['POST'])
def profile_post(visit, pool):
    require_user(visit)
    ContactMechanism = pool.get('party.contact_mechanism')
    user = visit.user
    form = visit.request.form.copy()
    form['email'] = user.email
    values, errors = validate_contact(visit, form, consent=False)
    # Unticked boxes are not sent.
    preferences = {name: form.get(name) == 'yes'
        for name in NOTIFICATION_PREFERENCES}
    values.update(preferences)
    values['language'] = (form.get('language')
        if form.get('language') in LANGUAGES else visit.lang)
    if errors:
        return render(visit, 'profile.html', status=HTTPStatus.BAD_REQUEST,
            values=values, errors=errors)
    pool.get('web.user').write([user], preferences)
    party = user.party
    party.name = values['name']
    # Mails and reminders speak the client's language.
    party.lang, = pool.get('ir.lang').search(
        [('code', '=', values['language'])], limit=1)
    party.save()
    visit.set_lang = values['language']
    phones = [c for c in party.contact_mechanisms if c.type == 'phone']
    if phones:
        ContactMechanism.write(phones[:1], {'value': values['phone']})
    else:
        ContactMechanism.create([{
                    'party': party.id, 'type': 'phone',
                    'value': values['phone']}])
    return redirect_to('/account', {'notice': 'profile'})


@route('/account/data.json')
def my_data(visit, pool):
    require_user(visit)
    Review = pool.get('photo.review')
    user = visit.user
    party = user.party
    bookings = pool.get('photo.booking').search([
            ('web_user', '=', user.id)], order=[('start', 'ASC')])
    def yes_no(value):
        # Words a person reads, not SQLite's 1/0.
        return 'yes' if value else 'no'
    data = {
        'account': {
            'email': user.email, 'email_valid': yes_no(user.email_valid),
            'notifications': {name: yes_no(getattr(user, name))
                for name in NOTIFICATION_PREFERENCES},
            },
        'party': {
            'name': party.name if party else None,
            'contacts': [{'type': c.type, 'value': c.value}
                for c in (party.contact_mechanisms if party else [])],
            },
        'bookings': [{
                'number': b.number, 'state': b.state,
                'service': b.service.name,
                'photographer': b.photographer.name,
                'studio': b.studio.name if b.studio else None,
                'location': b.location,
                'start': b.start.isoformat() + 'Z',
                'end': b.end.isoformat() + 'Z',
                'price': str(b.price), 'currency': b.currency.code,
                'email': b.email, 'phone': b.phone, 'notes': b.notes,
                'cancellation_fee': (str(b.cancellation_fee)
                    if b.cancellation_fee is not None else None),
                } for b in bookings],
        'reviews': [{
                'booking': r.booking.number, 'rating': r.rating,
                'comment': r.comment}
            for r in Review.search([('booking', 'in', [
                                b.id for b in bookings])])],
        }
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype='application/json')
    response.headers['Content-Disposition'] = (
        'attachment; filename="my-data.json"')
    response.headers['Cache-Control'] = 'no-store'
    return response


@route('/account/delete', methods=['POST'])
def delete_account(visit, pool):
    """Anonymise the client: bookings keep prices and fees, not contacts."""
    require_user(visit)
    Booking = pool.get('photo.booking')
    User = pool.get('web.user')
    Party = pool.get('party.party')
    ContactMechanism = pool.get('party.contact_mechanism')
    _ = visit.gettext
    user = visit.user
    if visit.request.form.get('confirm') != 'yes':
        raise BadInput(_("Tick the box to confirm deleting your account."),
            back='/account')
    now = utc_now()
    bookings = Booking.search([('web_user', '=', user.id)])
    if any(b.state in ACTIVE and b.end >= now for b in bookings):
        raise BadInput(_("Cancel your upcoming bookings before deleting "
                "the account."), back='/account')
    # The account's party and the parties made for its guest bookings.
    parties = {b.client for b in bookings} | (
        {user.party} if user.party else set())
    parties = [p for p in parties if p.name != GUEST_PARTY]
    if bookings:
        Booking.write(bookings, {
                'email': None, 'phone': None, 'notes': None,
                'web_user': None})
    User.delete([user])
    if parties:
        ContactMechanism.delete(
            [c for p in parties for c in p.contact_mechanisms])
        Party.write(parties, {'name': _("Deleted client")})
    visit.logout()
    return redirect_to('/', {'notice': 'deleted'})


# --- PWA and static files ------------------------------------------------------

@route('/manifest.webmanifest')
def manifest(visit, pool):
    _ = visit.gettext
    data = {
        'name': _("Photo studio booking"),
        'short_name': _("Photo booking"),
        'lang': visit.lang,
        'start_url': '/?source=pwa',
        'scope': '/',
        'display': 'standalone',
        'background_color': '#ffffff',
        'theme_color': '#1f2937',
        'icons': [
            {'src': '/static/icons/icon-192.png', 'sizes': '192x192',
                'type': 'image/png'},
            {'src': '/static/icons/icon-512.png', 'sizes': '512x512',
                'type': 'image/png', 'purpose': 'any maskable'},
            {'src': '/static/icons/icon.svg', 'sizes': 'any',
                'type': 'image/svg+xml'},
            ],
        }
    response = Response(json.dumps(data, ensure_ascii=False),
        mimetype='application/manifest+json')
    response.headers['Cache-Control'] = 'public, max-age=3600'
    return response


@route('/offline')
def offline(visit, pool):
    return render(visit, 'offline.html')


@route('/<path:path>', methods=('GET',))
def not_found(visit, pool, path):
    """Any other address (a mistyped one, '/book/'): the portal's 404 page
    rather than the JSON-RPC routes' bare 405. Every real page has its own,
    more specific route."""
    raise exceptions.NotFound()


def static_response(path, extra_headers=None, root=STATIC):
    "A file of root (this module's static/ by default) or NotFound."
    full = os.path.normpath(os.path.join(root, path))
    if not full.startswith(root + os.sep) or not os.path.isfile(full):
        raise exceptions.NotFound()
    with open(full, 'rb') as file:
        data = file.read()
    mimetype = mimetypes.guess_type(full)[0] or 'application/octet-stream'
    if full.endswith('.js'):
        mimetype = 'text/javascript'
    response = Response(data, mimetype=mimetype)
    response.headers['Cache-Control'] = 'public, max-age=300'
    for key, value in (extra_headers or {}).items():
        response.headers[key] = value
    return response


def _static(request, path):
    from .portal_web import SECURITY_HEADERS
    try:
        response = static_response(path)
    except exceptions.NotFound as e:
        return e
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def _service_worker(request):
    return static_response('sw.js', {
            'Service-Worker-Allowed': '/', 'Cache-Control': 'no-cache'})


def _favicon(request):
    return static_response('icons/favicon.ico', {
            'Cache-Control': 'public, max-age=86400'})


def _register_static():
    from trytond.wsgi import app
    app.route('/static/<path:path>', methods=['GET'])(_static)
    app.route('/favicon.ico', methods=['GET'])(_favicon)
    app.route('/sw.js', methods=['GET'])(_service_worker)


_register_static()
