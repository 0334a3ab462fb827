"""Bookings tell their people: each history entry is an event, written to
the outbox in the same transaction; reminders and request timers are
outbox rows due later."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from trytond.modules.photo_booking.booking import (
    aware, naive, serialised, utc_now)

from . import outbox, reminder, routes

# Rows a booking's later life makes pointless.
TIMED = ('reminder', 'request_waiting', 'request_expiring')
# The context key a caller sets to name the event of a cancellation.
EVENT_CONTEXT = 'photo_notify_event'


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'
    notifications = fields.One2Many(
        'photo.notification', 'booking', "Notifications", readonly=True)

    @classmethod
    def api_paths(cls, database_name):
        return {**super().api_paths(database_name),
            **routes.openapi_paths(database_name)}

    @classmethod
    def notify_history(cls, entries):
        """Write the notifications of history entries (booking id, from
        state, to state[, old start, old end, new start, new end])."""
        Notification = Pool().get('photo.notification')
        now = utc_now()
        for entry in entries:
            booking_id, from_state, to_state, *times = entry
            moved = bool(times) and times[0] is not None
            booking = cls(booking_id)
            event = outbox.booking_event(
                from_state, to_state, booking.cancelled_by, moved)
            if to_state == 'cancelled' and event:
                event = Transaction().context.get(EVENT_CONTEXT) or event
            if event and event != 'held':
                source = f'photo.booking,{booking.id}'
                if moved:
                    source += f'@{booking.start:%Y%m%dT%H%M}'
                Notification.enqueue(event, source, booking)
            booking.plan_timers(now)

    def plan_timers(self, now):
        """Plan the booking's rows due later and withdraw those its new
        state or time made pointless: reminders while confirmed (for its
        current time), request timers while requested, the review
        invitation once done."""
        pool = Pool()
        Notification = pool.get('photo.notification')
        config = pool.get('photo.configuration')(1)
        at = f'photo.booking,{self.id}@{self.start:%Y%m%dT%H%M}'
        wanted = []
        if self.state == 'confirmed':
            for offset, due in reminder.plan(aware(self.start),
                    self.service.reminders, aware(now), self.tzinfo):
                wanted += Notification.enqueue('reminder',
                    f'{at}-{reminder.offset_label(offset)}', self,
                    due=naive(due))
        elif self.state == 'requested':
            deadline = self.request_deadline(config)
            wanted += Notification.enqueue('request_waiting', at, self,
                due=min(now + config.request_reminder, deadline))
            wanted += Notification.enqueue('request_expiring', at, self,
                due=max(now, deadline - config.request_warning))
        elif self.state == 'done':
            Notification.enqueue('review_invitation',
                f'photo.booking,{self.id}', self,
                due=now + config.review_delay)
        Notification.withdraw([self], TIMED, keep=[n.key for n in wanted])

    def request_deadline(self, config):
        "When the request lapses: never after the shoot starts."
        Log = Pool().get('photo.booking.log')
        requested = Log.search([('booking', '=', self.id),
                ('to_state', '=', 'requested')], order=[('id', 'DESC')],
            limit=1)
        since = requested[0].create_date if requested else utc_now()
        return min(since + config.request_deadline, self.start)

    @classmethod
    @serialised
    def lapse_requests(cls, now=None):
        """Cron: cancel the requests their photographer left waiting past
        the deadline, as the studio (photo_payment refunds them in full);
        the client and the photographer are told it lapsed."""
        pool = Pool()
        Configuration = pool.get('photo.configuration')
        config = Configuration(1)
        now = now or utc_now()
        lapsed = [b for b in cls.search([('state', '=', 'requested')])
            if b.request_deadline(config) <= now]
        if lapsed:
            with Transaction().set_context(
                    **{EVENT_CONTEXT: 'request_expired'}):
                cls.cancel(lapsed, by='studio', reason=gettext(
                        'photo_notify.msg_request_lapsed_reason'), now=now)
        return lapsed


class BookingLog(metaclass=PoolMeta):
    __name__ = 'photo.booking.log'

    @classmethod
    def record(cls, entries):
        super().record(entries)
        Pool().get('photo.booking').notify_history(entries)
