"""The booking flow: service → photographer → studio → time → hold →
details → confirmation (with its calendar file); the alternatives when a
time is taken."""
import calendar
import datetime as dt
import re
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import icalendar

from trytond.i18n import gettext
from trytond.protocols.wrappers import HTTPStatus, Response, exceptions
from trytond.transaction import Transaction

from trytond.modules.photo_booking import abuse, setup_cache
from trytond.modules.photo_booking.common import aware, is_email, utc_now
from trytond.modules.photo_booking.exceptions import (
    HoldExpiredError, SlotTakenError)
from trytond.modules.photo_booking.security import calendar_uid

from .pages import (
    GUEST_PARTY, booking_by_token, check_honeypot, form_int, get_record, money,
    send_mail, studio_view, when)
from .web import (
    BadInput, ShowInstead, check_rate, local_time, portal_database, portal_url,
    redirect_to, render, route)

PHONE_RE = re.compile(r'^\+?[0-9][0-9 ()\-]{5,19}$')
ON_LOCATION = 'location'  # the studio step's value for "at your address"
HOLD_COOKIE = 'pb_hold'


class Unavailable(ShowInstead):
    "The chosen time cannot be had: the nearest alternatives, with 409."

    def __init__(self, message, query):
        super().__init__(alternatives_page,
            {'message': message, 'query': query}, HTTPStatus.CONFLICT)


class ProofNeeded(ShowInstead):
    """A hold past the free ones: the page that proves some work in the
    browser (static/altcha.js) and posts the form again with it."""

    def __init__(self, refused, form):
        super().__init__(proof_page, {
                'message': refused.message,
                'fields': [(k, v) for k, v in form.items(multi=True)
                    if k != 'altcha'],
                }, HTTPStatus(refused.status))


def proof_page(visit, pool, message, fields):
    return render(visit, 'proof.html', message=gettext(
            f'photo_booking.{message}'), fields=fields,
        challenge=abuse.new_challenge())


HOLD_KEYS = 'photo_portal.hold_keys'


def guard(visit, keys, anonymous):
    """Refuse a hold over abuse's limits of keys: a 429 page, or the proof
    page where a proof of work lets it in. Checked once per request (a
    proof is spent by the first run): the reservation for count_hold,
    None when checked already."""
    environ = visit.request.environ
    if HOLD_KEYS in environ:
        return None
    form = visit.request.form
    try:
        reservation = abuse.check(portal_database(), keys, anonymous,
            proof={'altcha': form.get('altcha')},
            remote_ip=visit.request.remote_addr)
    except abuse.Refused as refused:
        if refused.wants_proof:
            raise ProofNeeded(refused, form)
        raise BadInput(gettext(
                f'photo_booking.{refused.message}', **refused.values),
            HTTPStatus.TOO_MANY_REQUESTS, retry_after=refused.retry_after)
    environ[HOLD_KEYS] = keys
    # Pending until count_hold's record, or the transaction's end.
    Transaction().atexit(abuse.done, reservation)
    return reservation


def count_hold(keys, booking, reservation):
    """Count booking under keys, once committed, ending the reservation of
    guard in the same call (see abuse.record)."""
    end = booking.hold_expires or utc_now() + dt.timedelta(minutes=15)
    abuse.after_commit(Transaction(), abuse.record, portal_database(), keys,
        booking.token, aware(end).timestamp(), None, reservation)


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
    # "Any photographer" at a studio: the team availability just used,
    # from setup_cache (each view of the calendar reads none of the team).
    Photographer = pool.get('photo.photographer')
    team = choice.photographers or Photographer.browse(
        [c.id for c in setup_cache.setup(
                choice.service, choice.studio).candidates])
    context['price'] = price_range(pool, choice.service, team)
    confirmations = setup_cache.values(
        Photographer, [p.id for p in team], ['confirmation'])
    context['manual'] = [p for p in team
        if confirmations[p.id]['confirmation'] == 'manual']
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
    # The device is the visitor id the server signed: dropping the cookie
    # leaves the address.
    keys = abuse.Keys.of(visit.address, device=None if visit.new_sid
        else f'sid:{visit.sid}')
    reservation = guard(visit, keys, anonymous=not visit.user)
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
    count_hold(keys, booking, reservation)
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
                'photo_portal.msg_booking_hold_replaced'))


def alternatives_page(visit, pool, message, query):
    "The nearest free times around the one the visitor could not get."
    Booking = pool.get('photo.booking')
    choice = Choice(pool, query)
    start = parse_start(query.get('start'))
    alternatives = []
    if choice.service and choice.place_chosen and start:
        tz = ZoneInfo(choice.timezone)
        wanted = aware(start)
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


def details_page(visit, booking, status=HTTPStatus.OK, values=None,
        errors=None):
    """The details page of a held booking, with the signed-in client's name,
    email and phone where values lack them (other modules' forms on the
    page, such as photo_payment's code, show it again with their errors)."""
    values = dict(values or {})
    user = visit.user
    if user:
        values.setdefault('name', user.party.name if user.party else '')
        values.setdefault('email', user.email)
        values.setdefault('phone', user.party.phone if user.party else '')
    return render(visit, 'book_details.html', status=status,
        booking=booking_view(booking), values=values, errors=errors or {})


@route('/book/details/<token>')
def details(visit, pool, token):
    return details_page(visit, hold_or_404(pool, token))


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
    if len(values['email']) > 200 or not is_email(values['email']):
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
        return details_page(visit, booking, HTTPStatus.BAD_REQUEST, values,
            errors)
    # Bookings per e-mail and phone: the proof of work was the hold's.
    contacts = abuse.Keys.of(contacts=[values['email'], values['phone']])
    count_hold(contacts, booking,
        guard(visit, contacts, anonymous=False))
    # Without a login the email is not verified: the booking joins no
    # account (attach_guest_bookings moves it once the email is confirmed)
    # and no client's own party, only the guest party of that email.
    user = visit.user
    if user and user.party:
        client = user.party
    else:
        client = pool.get('party.party').photo_guest_of(
            values['name'], values['email'], values['phone'])
    Booking.write([booking], {
            'client': client.id,
            'email': values['email'],
            'phone': values['phone'],
            'notes': values['comment'] or None,
            'web_user': user.id if user else None,
            'consent_at': utc_now(),
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


# The calendar's status of each booking state.
ICS_STATUS = {
    'hold': 'TENTATIVE', 'requested': 'TENTATIVE', 'cancelled': 'CANCELLED',
    }


def ics(booking):
    """The booking as an iCalendar file (RFC 5545): in the studio's zone,
    with its VTIMEZONE, a UID that stays the same and a SEQUENCE that grows
    with each change, so a calendar updates the event it already has."""
    tz = ZoneInfo(booking.timezone or 'UTC')
    location = (booking.studio.address or booking.studio.name
        if booking.studio else booking.location or '')
    event = icalendar.Event()
    # Not the token: it can cancel, and calendars share their UIDs.
    event.add('uid', f'{calendar_uid(booking.token)}@'
        f'{urlsplit(portal_url()).hostname}')
    event.add('dtstamp', dt.datetime.now(dt.timezone.utc))
    event.add('dtstart', local_time(booking.start, tz))
    event.add('dtend', local_time(booking.end, tz))
    # Every state change and move is one more line of its history.
    event.add('sequence', max(len(booking.history) - 1, 0))
    event.add('summary',
        f'{booking.service.name} — {booking.photographer.name}')
    event.add('location', location)
    event.add('description', booking.number)
    event.add('status', ICS_STATUS.get(booking.state, 'CONFIRMED'))
    calendar = icalendar.Calendar()
    calendar.add('prodid', '-//photo_booking//portal//EN')
    calendar.add('version', '2.0')
    calendar.add('method', 'PUBLISH')
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


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
    response = Response(ics(booking), mimetype='text/calendar')
    response.headers['Content-Disposition'] = (
        f'attachment; filename="booking-{booking.number}.ics"')
    return response


# --- mail --------------------------------------------------------------------


def send_booking_mail(visit, booking):
    if booking.email and booking.portal_mails_client():
        send_mail(visit, [booking], booking.email, 'mail_booking.txt',
            booking=booking_view(booking))
