"""ICS feeds: a photographer's shoots and a studio room's bookings, each at a
secret, revocable URL that calendar applications subscribe to.

What a subscriber sees:
- a photographer's feed (the photographer's own, or a manager's): every shoot
  with its service, the client's name, phone and email, the booking number and
  the place — what the photographer sees of their bookings in the back office;
- a room's feed (for the studio's staff, or a screen at the door): when the
  room is booked, for which service and photographer, and the booking number
  — never who the client is nor how to reach them.
Holds are left out (they last minutes); requests are TENTATIVE, cancelled
shoots stay as CANCELLED so subscribers drop them, and each move or change
of state raises the event's SEQUENCE (the count of the booking's history).
"""
import datetime as dt
import secrets
from collections import defaultdict
from urllib.parse import quote

from sql.aggregate import Count, Max

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, Unique, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, check_access

from trytond.modules.photo_booking.common import aware, utc_now
from trytond.modules.photo_booking.security import calendar_uid

from . import ics

# How far back a feed goes: recent shoots stay visible, and cancellations
# reach subscribers before they drop out.
PAST = dt.timedelta(days=30)
STATUS = {
    'requested': 'TENTATIVE',
    'confirmed': 'CONFIRMED',
    'done': 'CONFIRMED',
    'no_show': 'CONFIRMED',
    'cancelled': 'CANCELLED',
    }


def public_url():
    "The address of this server as calendar applications reach it."
    return config.get(
        'photo_calendar', 'public_url',
        default='http://localhost:8000').rstrip('/')


class FeedMixin:
    "A record with a secret ICS feed URL that its users can revoke."
    __slots__ = ()
    feed_token = fields.Char("Feed Token", readonly=True, strip=False)
    feed_url = fields.Function(
        fields.Char("Calendar Feed",
            help="Subscribe to this address in Google, Apple or Outlook "
            "calendar. Anyone who has it sees the feed: make a new one "
            "to revoke it."),
        'get_feed_url')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('feed_token_unique', Unique(t, t.feed_token),
                'photo_calendar.msg_feed_token_unique'),
            ]
        cls._buttons.update({
                'new_feed_url': {},
                })

    @classmethod
    def _feed_visible(cls, records):
        "The ids among records whose feed URL the user may see and change."
        return {r.id for r in records}

    @classmethod
    def get_feed_url(cls, records, name):
        visible = cls._feed_visible(records)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        urls = dict.fromkeys((r.id for r in records))
        database = quote(Transaction().database.name)
        for sub_ids in grouped_slice(visible, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id, table.feed_token,
                    where=reduce_ids(table.id, sub_ids)
                    & (table.feed_token != None)))  # noqa: E711
            for id_, token in cursor:
                urls[id_] = (f'{public_url()}/{database}'
                    f'/photo_calendar/feed/{token}.ics')
        return urls

    @classmethod
    @ModelView.button
    def new_feed_url(cls, records):
        "Give records a new feed URL: the old one stops working."
        if Transaction().user and len(
                cls._feed_visible(records)) < len(records):
            raise AccessError(gettext('photo_calendar.msg_feed_not_yours'))
        for record in records:
            record.feed_token = secrets.token_urlsafe(24)
        cls.save(records)

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default else {}
        default.setdefault('feed_token')
        return super().copy(records, default=default)

    @classmethod
    def from_feed_token(cls, token):
        "The active record whose feed token is token, or None."
        records = cls.search([('feed_token', '=', token)], limit=1)
        return records[0] if records else None

    def feed_bookings_domain(self):
        raise NotImplementedError

    def feed_name(self):
        raise NotImplementedError

    def feed_timezone(self):
        raise NotImplementedError

    def feed_event(self, booking, uid, sequence, modified):
        raise NotImplementedError

    def feed(self, host):
        "The bytes of this record's feed, with event UIDs @host."
        Booking = Pool().get('photo.booking')
        bookings = Booking.search([
                self.feed_bookings_domain(),
                ('state', '!=', 'hold'),
                ('end', '>=', utc_now() - PAST),
                ], order=[('start', 'ASC'), ('id', 'ASC')])
        history = booking_history(bookings)
        events = [self.feed_event(b, f'{calendar_uid(b.token)}@{host}',
                *history[b.id]) for b in bookings]
        return ics.feed(self.feed_name(), self.feed_timezone(), events,
            dt.datetime.now(dt.timezone.utc))


def booking_history(bookings):
    """(sequence, last change) per booking id: each logged state change or
    move raises the sequence."""
    Log = Pool().get('photo.booking.log')
    log = Log.__table__()
    cursor = Transaction().connection.cursor()
    result = defaultdict(lambda: (0, None))
    for sub_ids in grouped_slice(
            [b.id for b in bookings], backend.MAX_QUERY_PARAMS):
        cursor.execute(*log.select(
                log.booking, Count(log.id), Max(log.create_date),
                where=reduce_ids(log.booking, sub_ids),
                group_by=[log.booking]))
        for booking, count, last in cursor:
            if isinstance(last, str):  # SQLite's aggregates
                last = dt.datetime.fromisoformat(last)
            result[booking] = (
                max(count - 1, 0), aware(last) if last else None)
    return result


def _place(booking):
    if booking.studio:
        return ', '.join(filter(None, [booking.studio.name,
                    booking.room.name if booking.room else None,
                    booking.studio.address]))
    return booking.location or ''


class Photographer(FeedMixin, metaclass=PoolMeta):
    __name__ = 'photo.photographer'

    @classmethod
    def _feed_visible(cls, records):
        # Photographers read every photographer but write only their own
        # record: the same rule says whose feed they see.
        Rule = Pool().get('ir.rule')
        with check_access():
            domain = Rule.domain_get(cls.__name__, mode='write')
        if not domain:
            return super()._feed_visible(records)
        return {r.id for r in cls.search([
                    ('id', 'in', [r.id for r in records]), domain])}

    def feed_bookings_domain(self):
        return [('photographer', '=', self.id)]

    def feed_name(self):
        return self.name

    def feed_timezone(self):
        return self.timezone

    def feed_event(self, booking, uid, sequence, modified):
        return ics.FeedEvent(
            uid=uid, start=aware(booking.start), end=aware(booking.end),
            timezone=booking.timezone,
            summary=f'{booking.service.name} — {booking.client.rec_name}',
            status=STATUS[booking.state], sequence=sequence,
            location=_place(booking),
            description='\n'.join(filter(None, [booking.number,
                        booking.client.rec_name, booking.phone,
                        booking.email])),
            modified=modified)


class Room(FeedMixin, metaclass=PoolMeta):
    __name__ = 'photo.studio.room'

    def feed_bookings_domain(self):
        return [('room', '=', self.id)]

    def feed_name(self):
        return f'{self.studio.name} — {self.name}'

    def feed_timezone(self):
        return self.studio.timezone

    def feed_event(self, booking, uid, sequence, modified):
        return ics.FeedEvent(
            uid=uid, start=aware(booking.start), end=aware(booking.end),
            timezone=booking.timezone,
            summary=(f'{booking.service.name} — '
                f'{booking.photographer.rec_name}'),
            status=STATUS[booking.state], sequence=sequence,
            location=_place(booking), description=booking.number or '',
            modified=modified)
