"""The photographer's steps: their day, their requests, blocking time and
days off — only their own bookings. Run inside a transaction by bot.py."""
import datetime as dt
from zoneinfo import ZoneInfo

from trytond.pool import Pool

from trytond.modules.photo_booking.booking import serialised
from trytond.modules.photo_booking.common import naive, utc_now

from . import parse
from .client import booking_tz, lang, local, when
from .reply import Button, Reply, _

SHOWN_STATES = ('requested', 'confirmed', 'done', 'no_show')


def photographer_of(person):
    "The person's photographer record, or None."
    if not person.photographer:
        return None
    Photographer = Pool().get('photo.photographer')
    return Photographer(person.photographer)


def not_staff():
    return Reply(_('msg_staff_only'))


def schedule(person, days_ahead):
    "The photographer's shoots of today (0) or tomorrow (1)."
    Booking = Pool().get('photo.booking')
    photographer = photographer_of(person)
    if not photographer:
        return [not_staff()]
    tz = ZoneInfo(photographer.timezone)
    day = dt.datetime.now(tz).date() + dt.timedelta(days=days_ahead)
    start = naive(dt.datetime.combine(day, dt.time(0), tz))
    end = naive(dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(0), tz))
    bookings = Booking.search([
            ('photographer', '=', photographer.id),
            ('state', 'in', SHOWN_STATES),
            ('start', '<', end), ('end', '>', start),
            ], order=[('start', 'ASC')])
    title = lang().strftime(day, '%a %d.%m.%Y')
    if not bookings:
        return [Reply(_('msg_schedule_empty', day=title))]
    replies = [Reply(_('msg_schedule_title', day=title))]
    for booking in bookings:
        tz_ = booking_tz(booking)
        buttons = [[Button(_('msg_button_details'), f'bk:{booking.id}')]]
        if booking.state == 'requested':
            buttons[0] += request_buttons(booking)
        replies.append(Reply(_('msg_schedule_line',
                    time=f'{local(booking.start, tz_):%H:%M}–'
                    f'{local(booking.end, tz_):%H:%M}',
                    service=booking.service.rec_name,
                    client=booking.client.rec_name,
                    state=booking.state_string), buttons))
    return replies


def request_buttons(booking):
    return [Button(_('msg_button_approve'), f'ap:{booking.id}'),
        Button(_('msg_button_decline'), f'dc:{booking.id}')]


def requests(person):
    "The requests waiting for the photographer's answer."
    Booking = Pool().get('photo.booking')
    photographer = photographer_of(person)
    if not photographer:
        return [not_staff()]
    bookings = Booking.search([
            ('photographer', '=', photographer.id),
            ('state', '=', 'requested'),
            ], order=[('start', 'ASC')])
    if not bookings:
        return [Reply(_('msg_requests_none'))]
    return [Reply(_('msg_request_line', number=booking.number,
                when=when(booking.start, booking_tz(booking)),
                service=booking.service.rec_name,
                client=booking.client.rec_name),
            [request_buttons(booking)]) for booking in bookings]


def own_booking(person, booking_id):
    "The photographer's own booking of that id, or None."
    Booking = Pool().get('photo.booking')
    photographer = photographer_of(person)
    if not photographer:
        return None
    bookings = Booking.search([('id', '=', booking_id),
            ('photographer', '=', photographer.id)], limit=1)
    return bookings[0] if bookings else None


def details(person, booking_id):
    booking = own_booking(person, booking_id)
    if not booking:
        return Reply(_('msg_booking_gone'), alert=True)
    client = booking.client
    return Reply(_('msg_booking_details', number=booking.number,
            when=when(booking.start, booking_tz(booking)),
            service=booking.service.rec_name,
            client=client.rec_name,
            phone=booking.phone or client.phone or client.mobile or '—',
            email=booking.email or client.email or '—',
            notes=booking.notes or '—', state=booking.state_string))


def answered(booking):
    """Why a request can no longer be confirmed or declined (a button of
    /requests or of the request alert tapped late), as a short alert."""
    if not booking:
        return Reply(_('msg_booking_gone'), alert=True)
    if booking.state in {'confirmed', 'done', 'no_show'}:
        text = _('msg_request_already_confirmed', number=booking.number)
    elif booking.state == 'cancelled' \
            and booking.cancelled_by == 'photographer':
        text = _('msg_request_already_declined', number=booking.number)
    else:
        # Lapsed (the studio's cron), or cancelled by the client or studio.
        text = _('msg_request_not_waiting', number=booking.number,
            reason=booking.cancel_reason or booking.state_string)
    return Reply(text, alert=True)


@serialised
def approve(person, booking_id):
    Booking = Pool().get('photo.booking')
    booking = own_booking(person, booking_id)
    if not booking or booking.state != 'requested':
        return answered(booking)
    Booking.approve([booking])
    return Reply(_('msg_approved', number=booking.number))


@serialised
def decline(person, booking_id):
    Booking = Pool().get('photo.booking')
    booking = own_booking(person, booking_id)
    if not booking or booking.state != 'requested':
        return answered(booking)
    Booking.cancel([booking], by='photographer',
        reason=_('msg_declined_reason'))
    return Reply(_('msg_declined', number=booking.number))


def ask_block(person):
    if not photographer_of(person):
        return not_staff()
    return Reply(_('msg_block_ask'), state='block')


@serialised
def block(person, text):
    "Block the time typed (\"tomorrow 14:00-16:00\") as busy."
    Busy = Pool().get('photo.photographer.busy')
    photographer = photographer_of(person)
    if not photographer:
        return not_staff()
    tz = ZoneInfo(photographer.timezone)
    try:
        day, start, end = parse.parse_period(text, dt.datetime.now(tz).date())
    except ValueError:
        return Reply(_('msg_block_bad'), state='block')
    start = naive(dt.datetime.combine(day, start, tz))
    end = (naive(dt.datetime.combine(day, end, tz)) if end != dt.time.max
        else naive(dt.datetime.combine(day + dt.timedelta(days=1),
                dt.time(0), tz)))
    if end <= utc_now():
        return Reply(_('msg_block_bad'), state='block')
    Busy.create([{'photographer': photographer.id, 'start': start,
                'end': end, 'source': 'manual',
                'summary': _('msg_block_summary')}])
    return Reply(_('msg_blocked',
            when=f'{when(start, photographer.timezone)}–'
            f'{local(end, photographer.timezone):%H:%M}'), state='end')


def ask_day_off(person):
    if not photographer_of(person):
        return not_staff()
    return Reply(_('msg_dayoff_ask'), state='dayoff')


@serialised
def day_off(person, text):
    Exception_ = Pool().get('photo.photographer.exception')
    photographer = photographer_of(person)
    if not photographer:
        return not_staff()
    tz = ZoneInfo(photographer.timezone)
    try:
        day = parse.parse_day(text, dt.datetime.now(tz).date())
    except ValueError:
        return Reply(_('msg_dayoff_bad'), state='dayoff')
    Exception_.create([{'photographer': photographer.id, 'kind': 'closed',
                'date_from': day, 'date_to': day,
                'note': _('msg_block_summary')}])
    return Reply(_('msg_dayoff_done',
            day=lang().strftime(day, '%a %d.%m.%Y')), state='end')
