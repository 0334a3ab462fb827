"""Photographers' CalDAV calendars in two-way sync: bookings are pushed as
events, busy time is pulled into external busy time (source CalDAV), which
availability reads locally. A failing calendar degrades (degrade.py)."""
import datetime as dt
import json
import logging
from urllib.parse import urlsplit

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from trytond.modules.photo_booking.common import aware, naive, utc_now
from trytond.modules.photo_booking.encryption import (
    EncryptedMixin, encrypted)
from trytond.modules.photo_booking.security import calendar_uid

from . import degrade, ics
from .feed import public_url
from .remote import CalendarError, Remote

logger = logging.getLogger(__name__)
# How often a healthy calendar is read again.
INTERVAL = dt.timedelta(minutes=15)
# Read the events again even when the calendar says nothing changed, so that
# recurring events enter the window as it moves.
FULL_READ = dt.timedelta(days=1)
PUSHED_STATES = {'requested', 'confirmed', 'done', 'no_show'}
UNKNOWN = '~unknown'


def own_domain():
    "The UIDs of the events we push end with @ this."
    return urlsplit(public_url()).hostname or 'localhost'


class Calendar(EncryptedMixin, ModelSQL, ModelView):
    "Photographer Calendar"
    __name__ = 'photo.calendar'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    url = fields.Char("CalDAV URL", required=True,
        help="The address of the calendar collection, e.g. "
        "https://caldav.yandex.ru/calendars/you@yandex.ru/events-…/")
    username = fields.Char("Username")
    password = fields.Function(fields.Char("Password",
            help="Kept secret: it is never shown again. Type a new one to "
            "change it."), 'get_password', setter='set_password')
    secret = encrypted(fields.Char("Secret", readonly=True, strip=False))
    push = fields.Boolean("Push Bookings",
        help="Add the photographer's shoots to this calendar.")
    last_sync = fields.DateTime("Last Good Sync", readonly=True)
    known_until = fields.DateTime("Known Until", readonly=True,
        help="Busy time was read up to here; later times are blocked "
        "until the calendar syncs again.")
    failures = fields.Integer("Failures in a Row", readonly=True)
    failing = fields.Function(fields.Boolean("Failing"), 'get_failing',
        searcher='search_failing')
    last_error = fields.Text("Last Error", readonly=True,
        states={'invisible': ~Eval('failing')}, depends=['failing'])
    error_at = fields.DateTime("Failed At", readonly=True,
        states={'invisible': ~Eval('failing')}, depends=['failing'])
    next_sync = fields.DateTime("Next Sync", readonly=True)
    sync_token = fields.Char("Sync Token", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({'sync': {}})

    @classmethod
    def default_push(cls):
        return True

    @classmethod
    def default_failures(cls):
        return 0

    def get_password(self, name):
        return None

    @classmethod
    def set_password(cls, calendars, name, value):
        if value:
            cls.write(calendars, {'secret': value, 'next_sync': None})

    def get_failing(self, name):
        return bool(self.failures)

    @classmethod
    def search_failing(cls, name, clause):
        _, operator, value = clause
        failing = (operator == '=') == bool(value)
        return [('failures', '>' if failing else '=', 0)]

    @classmethod
    def copy(cls, calendars, default=None):
        default = default.copy() if default else {}
        for name in ['secret', 'sync_token', 'last_sync', 'known_until',
                'last_error', 'error_at', 'next_sync']:
            default.setdefault(name)
        default.setdefault('failures', 0)
        return super().copy(calendars, default=default)

    def remote(self):
        return Remote(self.url, self.username, self._secret())

    def _secret(self):
        # From the column, past the field access that hides it from all.
        return self._fields['secret'].get(
            [self.id], type(self), 'secret')[self.id]

    @classmethod
    @ModelView.button
    def sync(cls, calendars):
        "Read the calendars' busy time now."
        now = utc_now()
        for calendar in calendars:
            calendar.pull(now)

    @classmethod
    def sync_due(cls):
        "Cron: read the calendars whose time has come."
        now = utc_now()
        for calendar in cls.search(['OR',
                    ('next_sync', '=', None), ('next_sync', '<=', now)]):
            calendar.pull(now)

    def pull(self, now):
        """Replace this calendar's busy time by what it holds now; on a
        failure keep it all, store the error and try again later."""
        start, end = degrade.window(aware(now),
            self.photographer.horizon_days)
        try:
            remote = self.remote()
            changed, token = remote.changed_since(self.sync_token)
            fresh = self.last_sync and now - self.last_sync < FULL_READ
            spans = None
            if changed or not fresh:
                spans = remote.busy(start, end, self.photographer.timezone,
                    '@' + own_domain())
        except CalendarError as error:
            logger.info("calendar %s failed: %s", self.id, error)
            self.failed(now, error)
            return
        if spans is not None:
            self.replace_busy(spans, end)
            self.known_until = naive(end)
            self.last_sync = now
        self.sync_token = token
        self.failures = 0
        self.next_sync = now + INTERVAL
        self.save()

    def failed(self, now, error):
        first = not self.failures
        self.failures = (self.failures or 0) + 1
        self.last_error = gettext(f'photo_calendar.msg_error_{error.kind}',
            detail=error.detail)
        self.error_at = now
        self.next_sync = now + degrade.retry_delay(self.failures)
        self.save()
        if first:
            self.notify_failure()

    def notify_failure(self):
        "Tell the photographer and the managers that the calendar fails."
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Notification = pool.get('res.notification')
        User = pool.get('res.user')
        group = ModelData.get_id('photo_booking', 'group_photo_manager')
        users = set(User.search([('groups', '=', group)]))
        if self.photographer.user:
            users.add(self.photographer.user)
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        last = (lang.strftime(self.last_sync, format='%d.%m.%Y %H:%M')
            + ' UTC' if self.last_sync else '—')
        Notification.create([{
                    'user': user.id,
                    'label': gettext('photo_calendar.msg_calendar_failing',
                        calendar=self.name,
                        photographer=self.photographer.rec_name,
                        last_sync=last),
                    'description': (self.last_error or '')[:200],
                    'icon': 'tryton-warning',
                    'model': self.__name__,
                    'records': json.dumps([self.id]),
                    } for user in users])

    def external_id(self, remote_id):
        return f'{self.id}:{remote_id}'

    def replace_busy(self, spans, known_until):
        """Make the photographer's CalDAV busy time of this calendar what
        spans say, with the unknown far end from known_until blocked."""
        Busy = Pool().get('photo.photographer.busy')
        wanted = {self.external_id(s.external_id): (
                naive(s.start), naive(s.end), s.summary) for s in spans}
        unknown_start, unknown_end = degrade.unknown_span(known_until)
        wanted[self.external_id(UNKNOWN)] = (naive(unknown_start),
            naive(unknown_end), gettext('photo_calendar.msg_busy_unknown',
                calendar=self.name))
        existing = Busy.search([
                ('photographer', '=', self.photographer.id),
                ('source', '=', 'caldav'),
                ('external_id', 'like', f'{self.id}:%'),
                ])
        to_delete, to_write = [], []
        for busy in existing:
            values = wanted.pop(busy.external_id, None)
            if values is None:
                to_delete.append(busy)
            elif values != (busy.start, busy.end, busy.summary):
                to_write.extend(([busy], dict(zip(
                                ['start', 'end', 'summary'], values))))
        if to_delete:
            Busy.delete(to_delete)
        if to_write:
            Busy.write(*to_write)
        if wanted:
            Busy.create([{
                        'photographer': self.photographer.id,
                        'source': 'caldav', 'external_id': external_id,
                        'start': start, 'end': end, 'summary': summary,
                        } for external_id, (start, end, summary)
                    in wanted.items()])

    def push_booking(self, booking):
        "Create, update or remove booking's event in this calendar."
        uid = f'{calendar_uid(booking.token)}@{own_domain()}'
        try:
            remote = self.remote()
            if booking.state in PUSHED_STATES:
                event = self.photographer.feed_event(
                    booking, uid, 0, None)
                remote.put(uid, ics.feed(self.name,
                        self.photographer.timezone, [event],
                        dt.datetime.now(dt.timezone.utc)).decode())
            else:
                remote.delete(uid)
        except CalendarError as error:
            logger.info("booking %s not pushed to calendar %s: %s",
                booking.id, self.id, error)
            self.failed(utc_now(), error)


class Busy(metaclass=PoolMeta):
    __name__ = 'photo.photographer.busy'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.source.selection.append(('caldav', "CalDAV"))


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'
    _calendar_fields = frozenset({
            'state', 'start', 'end', 'service', 'studio', 'room', 'location'})

    @classmethod
    def on_modification(cls, mode, bookings, field_names=None):
        # A new booking is a hold, never pushed: the hot path of a hold
        # queues nothing. It is pushed once it is submitted (a write).
        super().on_modification(mode, bookings, field_names=field_names)
        if mode == 'write' and field_names & cls._calendar_fields:
            cls.__queue__.push_to_calendars(bookings)

    @classmethod
    def push_to_calendars(cls, bookings):
        "Queued after the commit: the bookings' events in their calendars."
        Calendar = Pool().get('photo.calendar')
        calendars = Calendar.search([
                ('photographer', 'in', list({
                            b.photographer.id for b in bookings})),
                ('push', '=', True),
                ])
        for booking in bookings:
            if booking.state == 'hold':
                continue
            for calendar in calendars:
                if calendar.photographer == booking.photographer:
                    calendar.push_booking(booking)
