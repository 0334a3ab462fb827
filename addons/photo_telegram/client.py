"""The client's steps: each takes the Person of the chat (and what was
tapped), calls photo_booking's models — the same as the portal and the
API — and returns the Reply. Run inside a transaction by bot.py."""
import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import trytond.config as config
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking import geo
from trytond.modules.photo_booking.booking import serialised
from trytond.modules.photo_booking.common import (
    ACTIVE_STATES, aware, naive, utc_now)
from trytond.modules.photo_booking.exceptions import (
    BookingError, HoldExpiredError, SlotTakenError)

from .reply import Button, Reply, _, rows

ALTERNATIVES = 6
MAX_AHEAD_DAYS = 400
START_FORMAT = '%Y%m%d%H%M'     # a slot's naive-UTC start in callback data
ADDRESS_LENGTH = (5, 200)       # as the portal asks an on-location address


# --- formatting ------------------------------------------------------------

def lang():
    return Pool().get('ir.lang').get()


def local(moment, tz):
    return aware(moment).astimezone(ZoneInfo(tz))


def when(moment, tz):
    "A naive-UTC instant as the studio's wall-clock date and time."
    value = local(moment, tz)
    return lang().strftime(value, '%a %d.%m.%Y %H:%M')


def money(amount, currency):
    return lang().currency(amount, currency, grouping=True)


def booking_tz(booking):
    return booking.timezone or 'UTC'


def booking_line(booking):
    return _('msg_booking_line', number=booking.number or '',
        when=when(booking.start, booking_tz(booking)),
        service=booking.service.rec_name, state=booking.state_string)


# --- linking ---------------------------------------------------------------

def not_linked():
    return Reply(_('msg_not_linked'), ask_contact=_('msg_share_contact'))


def welcome(person):
    if person.party:
        return Reply(_('msg_help_client'))
    if person.staff:
        return Reply(_('msg_help_staff'))
    return Reply(_('msg_welcome'), ask_contact=_('msg_share_contact'))


# --- /book -------------------------------------------------------------------

def _records(model, ids):
    Model = Pool().get(model)
    records = Model.search([('id', 'in', [i for i in ids if i])])
    return {r.id: r for r in records}


def _draft_records(draft):
    service = _records('photo.service', [draft.get('service')]).get(
        draft.get('service'))
    photographer = _records('photo.photographer',
        [draft.get('photographer')]).get(draft.get('photographer'))
    studio = _records('photo.studio', [draft.get('studio')]).get(
        draft.get('studio'))
    return service, photographer, studio


def offering(service, studio=None):
    Photographer = Pool().get('photo.photographer')
    domain = [('services.service', '=', service.id)]
    if studio:
        domain.append(('studios', '=', studio.id))
    return Photographer.search(domain)


def location_team(service, team):
    """The photographers of team who shoot service at the client's place
    (a service that needs no room, photographers who go on location)."""
    if service.needs_room:
        return []
    return [p for p in team if p.on_location]


def studios_of(team):
    return sorted({s for p in team for s in p.studios if s.active},
        key=lambda s: s.name)


def ask_service(person, draft):
    """The services a client can book here: shot in a studio or at the
    client's place by some photographer."""
    Service = Pool().get('photo.service')
    draft.clear()
    if not person.party:
        return not_linked()
    services = [s for s in Service.search([])
        if studios_of(offering(s)) or location_team(s, offering(s))]
    if not services:
        return Reply(_('msg_no_services'))
    return Reply(_('msg_choose_service'), rows([
                Button(f'{s.rec_name} · {money(s.price, s.currency)}',
                    f'svc:{s.id}') for s in services], 1), state='service')


def choose_service(person, draft, service_id):
    service = _records('photo.service', [service_id]).get(service_id)
    if not service or not offering(service):
        return Reply(_('msg_stale_button'), alert=True)
    draft.clear()
    draft['service'] = service.id
    photographers = offering(service)
    if len(photographers) == 1:
        return choose_photographer(person, draft, photographers[0].id)
    buttons = [Button(_('msg_any_photographer'), 'ph:any')] + [
        Button(p.rec_name, f'ph:{p.id}') for p in photographers]
    return Reply(_('msg_choose_photographer', service=service.rec_name),
        rows(buttons, 1), state='photographer')


def choose_photographer(person, draft, photographer_id=None):
    "photographer_id None: any photographer."
    service, _photographer, _studio = _draft_records(draft)
    if not service:
        return Reply(_('msg_stale_button'), alert=True)
    team = offering(service)
    if photographer_id is not None:
        team = [p for p in team if p.id == photographer_id]
        if not team:
            return Reply(_('msg_stale_button'), alert=True)
    draft['photographer'] = photographer_id
    draft.pop('studio', None)
    draft.pop('location', None)
    studios = studios_of(team)
    at_home = location_team(service, team)
    if len(studios) == 1 and not at_home:
        return choose_studio(person, draft, studios[0].id)
    if not studios and at_home:
        return ask_address(person, draft)
    if not studios:
        return Reply(_('msg_no_services'))
    return place_reply(studios, at_home)


def studio_label(studio, km=None):
    label = f'{studio.rec_name}, {studio.city}' if studio.city \
        else studio.rec_name
    if km is not None:
        label += ' · ' + _('msg_km', km=lang().format('%.1f', km))
    return label


def place_reply(studios, at_home, text=None, distances=None):
    """Where the shoot takes place: the studios (with their distances if
    known), "nearest studio" and "at my place" when they apply."""
    buttons = [Button(studio_label(s, (distances or {}).get(s.id)),
            f'st:{s.id}') for s in studios]
    if len(studios) > 1 and distances is None:
        buttons.append(Button(_('msg_button_nearest'), 'near'))
    if at_home:
        buttons.append(Button(_('msg_button_at_home'), 'home'))
    return Reply(text or _('msg_choose_studio'), rows(buttons, 1),
        state='studio')


def _team_and_studios(draft):
    service, photographer, _studio = _draft_records(draft)
    if not service or not draft.get('service'):
        return service, [], []
    team = team_of(service, photographer, None, anywhere=True)
    return service, studios_of(team), location_team(service, team)


def ask_location(person, draft):
    "Nearest studio: the client shares their location."
    service, studios, _at_home = _team_and_studios(draft)
    if not studios:
        return Reply(_('msg_stale_button'), alert=True)
    return Reply(_('msg_share_location_for_studio'),
        ask_location=_('msg_button_send_location'), state='near')


def nearest_studios(person, draft, latitude, longitude):
    """The studios of the draft sorted by their distance from where the
    client is; those without coordinates after, with no distance."""
    service, studios, at_home = _team_and_studios(draft)
    if not studios:
        return Reply(_('msg_stale_button'), remove_keyboard=True,
            state='end')
    if not geo.valid_point(latitude, longitude):
        return Reply(_('msg_location_bad'), state='near')
    ordered = geo.by_distance((latitude, longitude),
        [(s, s.latitude, s.longitude) for s in studios])
    return [Reply(_('msg_location_thanks'), remove_keyboard=True),
        place_reply([s for s, _km in ordered], at_home,
            text=_('msg_nearest_studios'),
            distances={s.id: km for s, km in ordered})]


def ask_address(person, draft):
    "At the client's place: the address typed, or their location shared."
    service, _studios, at_home = _team_and_studios(draft)
    if not at_home:
        return Reply(_('msg_stale_button'), alert=True)
    draft.pop('studio', None)
    return Reply(_('msg_ask_address', service=service.rec_name),
        ask_location=_('msg_button_send_location'), state='address')


def address_of(text):
    "The address typed, tidied, or None if too short or too long."
    address = ' '.join((text or '').split())
    low, high = ADDRESS_LENGTH
    return address if low <= len(address) <= high else None


def point_address(latitude, longitude):
    "A shared location as the shoot's address: coordinates and a map."
    return (f'{latitude:.6f}, {longitude:.6f} '
        f'{geo.map_url(f"{latitude:.6f}", f"{longitude:.6f}", zoom=17)}')


def give_address(person, draft, text=None, latitude=None, longitude=None):
    "The address (typed text, or a shared location) of the shoot."
    service, _studios, at_home = _team_and_studios(draft)
    if not at_home:
        return Reply(_('msg_stale_button'), remove_keyboard=True,
            state='end')
    if text is not None:
        address = address_of(text)
    elif geo.valid_point(latitude, longitude):
        address = point_address(latitude, longitude)
    else:
        address = None
    if not address:
        return Reply(_('msg_address_bad'),
            ask_location=_('msg_button_send_location'), state='address')
    draft.pop('studio', None)
    draft['location'] = address
    tz = ZoneInfo(place_tz(draft))
    today = dt.datetime.now(tz).date()
    return [Reply(_('msg_address_noted', address=address),
            remove_keyboard=True),
        month_reply(draft, today.replace(day=1))]


def choose_studio(person, draft, studio_id):
    service, photographer, _studio = _draft_records(draft)
    studio = _records('photo.studio', [studio_id]).get(studio_id)
    if not service or not studio:
        return Reply(_('msg_stale_button'), alert=True)
    draft.pop('location', None)
    draft['studio'] = studio.id
    today = dt.datetime.now(ZoneInfo(studio.timezone)).date()
    return month_reply(draft, today.replace(day=1))


def team_of(service, photographer, studio, anywhere=False):
    """Who may shoot: the chosen photographer, else those offering service
    at studio (None: at the client's place; anywhere: in any place)."""
    if photographer:
        return [photographer]
    if studio or anywhere:
        return offering(service, studio)
    return location_team(service, offering(service))


def place_tz(draft):
    "The zone of the draft's place: the studio's, else its photographers'."
    service, photographer, studio = _draft_records(draft)
    if studio:
        return studio.timezone
    team = team_of(service, photographer, None) if service else []
    return team[0].timezone if team else 'UTC'


def placed(draft):
    "The draft's (service, photographer, studio) once its place is known."
    service, photographer, studio = _draft_records(draft)
    if service and (studio or draft.get('location')):
        return service, photographer, studio
    return None, None, None


def free_days(service, studio, photographers, first, last, exclude=(),
        tz=None):
    """The local dates (of the studio, else of tz) between first and last
    with a free slot; studio None: at the client's place."""
    Booking = Pool().get('photo.booking')
    tz = ZoneInfo(studio.timezone if studio else tz)
    return {slot.start.astimezone(tz).date()
        for slot in Booking.available_slots(service, first, last,
            studio=studio, photographers=photographers, exclude=exclude)}


def calendar_buttons(month, today, free, day_data, month_data):
    """An inline month: free days as buttons (day_data(date)), others as
    dots, and « » to the neighbouring months (month_data(date))."""
    weeks = calendar.Calendar().monthdatescalendar(month.year, month.month)
    buttons = []
    for week in weeks:
        row = []
        for day in week:
            if day.month != month.month:
                row.append(Button(' ', 'noop'))
            elif day in free:
                row.append(Button(f'{day.day}✅', day_data(day)))
            else:
                row.append(Button(f'{day.day}', 'noop'))
        buttons.append(row)
    navigation = []
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    if previous >= today.replace(day=1):
        navigation.append(Button('«', month_data(previous)))
    navigation.append(Button(lang().strftime(month, '%B %Y'), 'noop'))
    following = (month + dt.timedelta(days=32)).replace(day=1)
    if following <= today + dt.timedelta(days=MAX_AHEAD_DAYS):
        navigation.append(Button('»', month_data(following)))
    return [navigation] + buttons


def month_reply(draft, month, note=None):
    service, photographer, studio = placed(draft)
    if not service:
        return Reply(_('msg_stale_button'), alert=True)
    tz_name = place_tz(draft)
    today = dt.datetime.now(ZoneInfo(tz_name)).date()
    if month < today.replace(day=1) or month > today + dt.timedelta(
            days=MAX_AHEAD_DAYS):
        return Reply(_('msg_stale_button'), alert=True)
    last = month.replace(
        day=calendar.monthrange(month.year, month.month)[1])
    free = free_days(service, studio, team_of(service, photographer, studio),
        max(month, today), last, tz=tz_name)
    text = _('msg_choose_day', service=service.rec_name, tz=tz_name)
    if not free:
        text += '\n' + _('msg_no_free_day')
    if note:
        text = note + '\n' + text
    return Reply(text, calendar_buttons(month, today, free,
            lambda d: f'day:{d.isoformat()}',
            lambda m: f'mon:{m.strftime("%Y-%m")}'), state='day')


def choose_month(person, draft, value):
    try:
        month = dt.date.fromisoformat(value + '-01')
    except ValueError:
        return Reply(_('msg_stale_button'), alert=True)
    return month_reply(draft, month)


def time_buttons(slots, tz, data):
    return rows([Button(local(naive(s.start), tz).strftime('%H:%M'),
                data(naive(s.start))) for s in slots], 4)


def choose_day(person, draft, value):
    Booking = Pool().get('photo.booking')
    service, photographer, studio = placed(draft)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if not (service and day):
        return Reply(_('msg_stale_button'), alert=True)
    tz_name = place_tz(draft)
    slots = Booking.available_slots(service, day, day, studio=studio,
        photographers=team_of(service, photographer, studio))
    if not slots:
        return month_reply(draft, day.replace(day=1),
            note=_('msg_day_full'))
    buttons = time_buttons(slots, tz_name,
        lambda s: f't:{s.strftime(START_FORMAT)}')
    buttons.append([Button(_('msg_button_back'),
                f'mon:{day.strftime("%Y-%m")}')])
    return Reply(_('msg_choose_time', day=lang().strftime(day, '%a %d.%m'),
            tz=tz_name), buttons, state='time')


def parse_start(value):
    try:
        start = dt.datetime.strptime(value, START_FORMAT)
    except ValueError:
        return None
    now = utc_now()
    if not now - dt.timedelta(days=1) <= start <= now + dt.timedelta(
            days=MAX_AHEAD_DAYS):
        return None
    return start


def alternatives(service, studio, photographers, wanted, data, exclude=(),
        tz_name=None):
    """Buttons of the free times nearest to wanted (naive UTC); studio
    None: at the client's place, in tz_name."""
    Booking = Pool().get('photo.booking')
    tz_name = studio.timezone if studio else tz_name
    tz = ZoneInfo(tz_name)
    today = dt.datetime.now(tz).date()
    day = max(local(wanted, tz_name).date(), today)
    slots = Booking.available_slots(service,
        max(today, day - dt.timedelta(days=1)), day + dt.timedelta(days=7),
        studio=studio, photographers=photographers, exclude=exclude)
    slots.sort(key=lambda s: abs(naive(s.start) - wanted))
    slots = sorted(slots[:ALTERNATIVES], key=lambda s: s.start)
    return [[Button(when(naive(s.start), tz_name),
                data(naive(s.start)))] for s in slots]


def release(draft):
    "Give the draft's held time back (the client went back or left)."
    Booking = Pool().get('photo.booking')
    booking_id = draft.pop('booking', None)
    if booking_id:
        holds = Booking.search([('id', '=', booking_id),
                ('state', '=', 'hold')])
        if holds:
            Booking.cancel(holds, by='system',
                reason=_('msg_hold_released_by_client'))


@serialised
def choose_time(person, draft, value):
    """Hold the time for the client and show the summary to confirm; if
    the time was just taken, the nearest free ones."""
    pool = Pool()
    Booking = pool.get('photo.booking')
    Party = pool.get('party.party')
    WebUser = pool.get('web.user')
    service, photographer, studio = placed(draft)
    start = parse_start(value)
    if not (service and start and person.party):
        return Reply(_('msg_stale_button'), alert=True)
    tz_name = place_tz(draft)
    release(draft)
    party = Party(person.party)
    web_user = WebUser(person.web_user) if person.web_user else None
    try:
        booking = Booking.create_hold(service, start, party, studio=studio,
            photographer=photographer, source='telegram',
            location=None if studio else draft['location'],
            email=(web_user.email if web_user else None) or party.email,
            phone=party.phone or party.mobile, web_user=web_user)
    except SlotTakenError:
        buttons = alternatives(service, studio,
            team_of(service, photographer, studio), start,
            lambda s: f't:{s.strftime(START_FORMAT)}', tz_name=tz_name)
        buttons.append([Button(_('msg_button_back'),
                    f'mon:{local(start, tz_name):%Y-%m}')])
        return Reply(_('msg_slot_taken') if len(buttons) > 1
            else _('msg_slot_taken_none'), buttons, state='time')
    draft['booking'] = booking.id
    return summary(booking)


def terms(booking):
    service = booking.service
    text = _('msg_terms',
        hours=int(service.free_cancellation.total_seconds() // 3600),
        percent=format(service.cancellation_fee_percent.normalize(), 'f'))
    prepay = getattr(booking, 'prepayment_due', None)
    if prepay and getattr(booking, 'needs_prepayment', False):
        text += '\n' + _('msg_prepay', amount=money(prepay, booking.currency))
    return text


def summary(booking):
    tz = booking_tz(booking)
    return Reply(_('msg_summary', service=booking.service.rec_name,
            photographer=booking.photographer.rec_name,
            studio=booking.studio.rec_name if booking.studio
            else booking.location or '',
            when=when(booking.start, tz),
            price=money(booking.price, booking.currency),
            terms=terms(booking),
            until=local(booking.hold_expires, tz).strftime('%H:%M')
            if booking.hold_expires else ''),
        [[Button(_('msg_button_confirm'), 'ok'),
                Button(_('msg_button_back'),
                    f'mon:{local(booking.start, tz):%Y-%m}')]],
        state='confirm')


def portal_url(path):
    base = config.get('photo_notify', 'portal_url') or ''
    return base.rstrip('/') + path if base else None


@serialised
def confirm(person, draft):
    "Submit the held booking: confirmed, requested, or to be paid."
    Booking = Pool().get('photo.booking')
    booking_id = draft.get('booking')
    bookings = Booking.search([('id', '=', booking_id),
            ('client', '=', person.party)]) if booking_id else []
    if not bookings or bookings[0].state != 'hold':
        return Reply(_('msg_stale_button'), alert=True)
    booking, = bookings
    try:
        Booking.submit([booking])
    except HoldExpiredError:
        draft.pop('booking', None)
        return month_reply(draft, local(booking.start,
                booking_tz(booking)).date().replace(day=1),
            note=_('msg_hold_expired'))
    draft.clear()
    booking = Booking(booking.id)
    tz = booking_tz(booking)
    if booking.state == 'hold':
        # A module keeps it held for a next step: the prepayment.
        next_url = getattr(booking, 'portal_next_url', lambda: None)()
        url = portal_url(next_url) if next_url else None
        amount = money(getattr(booking, 'portal_due_now', booking.price),
            booking.currency)
        return Reply(_('msg_booked_pay', number=booking.number,
                amount=amount, until=local(
                    booking.hold_expires, tz).strftime('%H:%M')),
            [[Button(_('msg_button_pay', amount=amount), url=url)]]
            if url else [], state='end')
    message = ('msg_booked_requested' if booking.state == 'requested'
        else 'msg_booked_confirmed')
    return Reply(_(message, number=booking.number, when=when(
                booking.start, tz),
            photographer=booking.photographer.rec_name), state='end')


@serialised
def leave(person, draft):
    release(draft)
    draft.clear()
    return Reply(_('msg_dialog_cancelled'), remove_keyboard=True,
        state='end')


# --- /my ---------------------------------------------------------------------

def own_booking(person, booking_id):
    "The client's booking of that id, or None."
    Booking = Pool().get('photo.booking')
    if not person.party:
        return None
    bookings = Booking.search([('id', '=', booking_id),
            ('client', '=', person.party)], limit=1)
    return bookings[0] if bookings else None


def my_bookings(person):
    pool = Pool()
    Booking = pool.get('photo.booking')
    Review = pool.get('photo.review')
    if not person.party:
        return [not_linked()]
    now = utc_now()
    bookings = Booking.search([('client', '=', person.party),
            ('state', '!=', 'hold'),
            ['OR', ('state', '!=', 'cancelled'),
                ('cancelled_by', '!=', 'system')]],
        order=[('start', 'ASC')])
    upcoming = [b for b in bookings
        if b.state in ACTIVE_STATES and b.end >= now]
    past = [b for b in reversed(bookings) if b not in upcoming][:5]
    if not bookings:
        return [Reply(_('msg_my_none'))]
    reviewed = {r.booking.id for r in Review.search(
            [('booking', 'in', [b.id for b in past])])}
    replies = [Reply(_('msg_my_upcoming') if upcoming
            else _('msg_my_no_upcoming'))]
    for booking in upcoming:
        replies.append(Reply(booking_line(booking), [[
                        Button(_('msg_button_cancel'), f'cx:{booking.id}'),
                        Button(_('msg_button_move'), f'mv:{booking.id}'),
                        ]]))
    if past:
        replies.append(Reply(_('msg_my_past')))
    for booking in past:
        buttons = []
        if booking.state == 'done' and booking.id not in reviewed:
            buttons = [[Button(_('msg_button_review'), f'rv:{booking.id}')]]
        replies.append(Reply(booking_line(booking), buttons))
    return replies


def ask_cancel(person, booking_id):
    booking = own_booking(person, booking_id)
    if not booking or booking.state not in ACTIVE_STATES:
        return Reply(_('msg_booking_gone'), alert=True)
    quote = booking.quote_cancellation(by='client')
    return Reply(_('msg_cancel_ask', number=booking.number,
            when=when(booking.start, booking_tz(booking)),
            fee=money(quote.fee, booking.currency)), [[
                Button(_('msg_button_yes'), f'cy:{booking.id}:{quote.fee}'),
                Button(_('msg_button_no'), 'cn'),
                ]])


@serialised
def do_cancel(person, booking_id, fee_shown):
    Booking = Pool().get('photo.booking')
    booking = own_booking(person, booking_id)
    if not booking or booking.state not in ACTIVE_STATES:
        return Reply(_('msg_booking_gone'), alert=True)
    quote = booking.quote_cancellation(by='client')
    if str(quote.fee) != fee_shown:
        reply = ask_cancel(person, booking_id)
        reply.text = _('msg_fee_changed') + '\n' + reply.text
        return reply
    with Transaction().set_context(_skip_warnings=True):
        Booking.cancel_by_client(booking)
    return Reply(_('msg_cancelled', number=booking.number,
            fee=money(quote.fee, booking.currency)))


def keep(person):
    return Reply(_('msg_kept'))


def move_month(person, booking_id, month=None):
    booking = own_booking(person, booking_id)
    if (not booking or booking.state not in ACTIVE_STATES
            or booking.start <= utc_now()):
        return Reply(_('msg_booking_gone'), alert=True)
    tz_name = booking_tz(booking)
    today = dt.datetime.now(ZoneInfo(tz_name)).date()
    if month is None:
        month = local(booking.start, tz_name).date().replace(day=1)
        month = max(month, today.replace(day=1))
    if month < today.replace(day=1):
        return Reply(_('msg_stale_button'), alert=True)
    last = month.replace(
        day=calendar.monthrange(month.year, month.month)[1])
    free = free_days(booking.service, booking.studio, [booking.photographer],
        max(month, today), last, exclude=[booking], tz=tz_name)
    text = _('msg_move_choose_day', number=booking.number,
        when=when(booking.start, tz_name), tz=tz_name)
    return Reply(text, calendar_buttons(month, today, free,
            lambda d: f'md:{booking.id}:{d.isoformat()}',
            lambda m: f'mm:{booking.id}:{m.strftime("%Y-%m")}'))


def move_day(person, booking_id, value):
    Booking = Pool().get('photo.booking')
    booking = own_booking(person, booking_id)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if not booking or not day or booking.state not in ACTIVE_STATES:
        return Reply(_('msg_booking_gone'), alert=True)
    slots = Booking.available_slots(booking.service, day, day,
        studio=booking.studio, photographers=[booking.photographer],
        exclude=[booking])
    buttons = time_buttons(slots, booking_tz(booking),
        lambda s: f'mt:{booking.id}:{s.strftime(START_FORMAT)}')
    buttons.append([Button(_('msg_button_back'),
                f'mm:{booking.id}:{day.strftime("%Y-%m")}')])
    return Reply(_('msg_choose_time', day=lang().strftime(day, '%a %d.%m'),
            tz=booking_tz(booking)), buttons)


@serialised
def move_time(person, booking_id, value):
    Booking = Pool().get('photo.booking')
    booking = own_booking(person, booking_id)
    start = parse_start(value)
    if not booking or not start or booking.state not in ACTIVE_STATES:
        return Reply(_('msg_booking_gone'), alert=True)
    try:
        Booking.reschedule(booking, start)
    except SlotTakenError:
        buttons = alternatives(booking.service, booking.studio,
            [booking.photographer], start,
            lambda s: f'mt:{booking.id}:{s.strftime(START_FORMAT)}',
            exclude=[booking], tz_name=booking_tz(booking))
        return Reply(_('msg_slot_taken') if buttons
            else _('msg_slot_taken_none'), buttons)
    except BookingError as error:
        return Reply(error.message)
    booking = Booking(booking.id)
    return Reply(_('msg_moved', number=booking.number,
            when=when(booking.start, booking_tz(booking))))


def ask_review(person, booking_id):
    Review = Pool().get('photo.review')
    booking = own_booking(person, booking_id)
    if not booking or booking.state != 'done':
        return Reply(_('msg_booking_gone'), alert=True)
    if Review.search([('booking', '=', booking.id)], limit=1):
        return Reply(_('msg_review_done'), alert=True)
    return Reply(_('msg_review_ask', number=booking.number), [[
                Button(f'{n}⭐', f'rs:{booking.id}:{n}')
                for n in range(1, 6)]])


@serialised
def review(person, draft, booking_id, rating):
    Review = Pool().get('photo.review')
    booking = own_booking(person, booking_id)
    if not booking or booking.state != 'done' or rating not in range(1, 6):
        return Reply(_('msg_booking_gone'), alert=True)
    if Review.search([('booking', '=', booking.id)], limit=1):
        return Reply(_('msg_review_done'), alert=True)
    review = Review.leave(booking, booking.client, rating)
    draft['review'] = review.id
    return Reply(_('msg_review_comment'), state='comment')


@serialised
def review_comment(person, draft, text):
    Review = Pool().get('photo.review')
    review_id = draft.pop('review', None)
    reviews = Review.search([('id', '=', review_id),
            ('client', '=', person.party)]) if review_id else []
    if reviews and text:
        Review.write(reviews, {'comment': text.strip()[:2000]})
    return Reply(_('msg_review_thanks'), state='end')
