"""Photographers' CalDAV and Google calendars in two-way sync: bookings are
pushed as events, busy time is pulled into external busy time (source CalDAV
or Google), which availability reads locally. A failing calendar degrades
(degrade.py), the same way whichever kind it is."""
import datetime as dt
import hmac
import logging
import secrets
from urllib.parse import quote, urlsplit

from sql import For, Null

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from trytond.modules.photo_booking.booking import serialise_writes
from trytond.modules.photo_booking.common import aware, naive, utc_now
from trytond.modules.photo_booking.encryption import (
    EncryptedField, EncryptedMixin, encrypted)
from trytond.modules.photo_booking.security import calendar_uid
from trytond.modules.photo_booking.staff import (
    forget_notifications, notify_staff)

from . import degrade, google_api, ics
from .exceptions import GoogleConnectError
from .feed import booking_history, public_url
from .remote import CalendarError, Remote

logger = logging.getLogger(__name__)
# How often a healthy calendar is read again.
INTERVAL = dt.timedelta(minutes=15)
# Read the events again even when the calendar says nothing changed, so that
# recurring events enter the window as it moves.
FULL_READ = dt.timedelta(days=1)
PUSHED_STATES = {'requested', 'confirmed', 'done', 'no_show', 'cancelled'}
UNKNOWN = '~unknown'
# Bookings changed this long before a failing calendar's last good sync are
# pushed again too once it is read again (push_changed).
CHANGED_MARGIN = dt.timedelta(minutes=10)
# With a push channel Google tells of changes: read anyway now and then.
WATCHED_INTERVAL = dt.timedelta(hours=1)
# Ask for channels of a week; renew the day before they end.
CHANNEL_TTL = dt.timedelta(days=7)
CHANNEL_RENEW = dt.timedelta(days=1)
# How long a consent page may take before its answer is refused.
CONSENT_TIMEOUT = dt.timedelta(minutes=15)
HIDDEN = ['secret', 'sync_token', 'oauth_state', 'oauth_verifier',
    'channel_id', 'channel_token', 'channel_resource']
# What says which calendar is read: another one is read afresh.
ADDRESS = {'kind', 'url', 'google_calendar'}


def own_domain():
    "The UIDs of the events we push end with @ this."
    return urlsplit(public_url()).hostname or 'localhost'


def route_url(path):
    "The URL Google calls back on this database's route path."
    database = quote(Transaction().database.name)
    return f'{public_url()}/{database}/photo_calendar/google/{path}'


def google_settings():
    "The studio's OAuth client at Google (config), or a UserError."
    def get(key, default=None):
        return config.get('photo_calendar', f'google_{key}', default=default)
    if not get('client_id'):
        raise GoogleConnectError(
            gettext('photo_calendar.msg_google_not_configured'))
    return google_api.Settings(get('client_id'), get('client_secret', ''),
        auth_uri=get('auth_uri', google_api.AUTH_URI),
        token_uri=get('token_uri', google_api.TOKEN_URI),
        discovery_url=get('discovery_url'))


class Calendar(EncryptedMixin, ModelSQL, ModelView):
    "Photographer Calendar"
    __name__ = 'photo.calendar'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    kind = fields.Selection([
            ('caldav', "CalDAV"),
            ('google', "Google"),
            ], "Kind", required=True, sort=False,
        help="CalDAV: Yandex, iCloud, Nextcloud… Google: signs in with "
        "Google's consent page (Connect Google).")
    url = fields.Char("CalDAV URL",
        states={'required': Eval('kind') == 'caldav',
            'invisible': Eval('kind') != 'caldav'},
        help="The address of the calendar collection, e.g. "
        "https://caldav.yandex.ru/calendars/you@yandex.ru/events-…/")
    username = fields.Char("Username",
        states={'invisible': Eval('kind') != 'caldav'})
    password = fields.Function(fields.Char("Password",
            states={'invisible': Eval('kind') != 'caldav'},
            help="Kept secret: it is never shown again. Type a new one to "
            "change it."), 'get_password', setter='set_password')
    google_calendar = fields.Char("Google Calendar ID",
        states={'required': Eval('kind') == 'google',
            'invisible': Eval('kind') != 'google'},
        help="'primary' for the account's main calendar, or the ID shown "
        "in Google Calendar's settings of another one.")
    # The CalDAV password or Google's refresh token: never read over RPC.
    secret = encrypted(fields.Char("Secret", readonly=True, strip=False))
    connected = fields.Function(fields.Boolean("Connected",
            states={'invisible': Eval('kind') != 'google'},
            help="Google gave access to this calendar."), 'get_connected')
    details = fields.Boolean("Read Event Titles",
        help="Keep the titles of the calendar's events with the busy time "
        "(private events never). Without it only busy or free is read.")
    push = fields.Boolean("Push Bookings",
        help="Add the photographer's shoots to this calendar.")
    oauth_state = fields.Char("OAuth State", readonly=True, strip=False)
    oauth_verifier = fields.Char(
        "OAuth Verifier", readonly=True, strip=False)
    oauth_at = fields.DateTime("Consent Asked At", readonly=True)
    channel_id = fields.Char("Channel", readonly=True, strip=False)
    channel_token = fields.Char("Channel Token", readonly=True, strip=False)
    channel_resource = fields.Char(
        "Channel Resource", readonly=True, strip=False)
    channel_expires = fields.DateTime("Push Channel Until", readonly=True,
        states={'invisible': Eval('kind') != 'google'},
        help="Google tells of changes until then; the channel is renewed "
        "the day before. Empty: read by the cron only.")
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
        t = cls.__table__()
        cls._sql_constraints += [
            ('oauth_state_unique', Unique(t, t.oauth_state),
                'photo_calendar.msg_oauth_state_unique'),
            ('channel_id_unique', Unique(t, t.channel_id),
                'photo_calendar.msg_channel_unique'),
            ]
        cls._buttons.update({
                'sync': {},
                'google_connect': {
                    'invisible': Eval('kind') != 'google',
                    'depends': ['kind'],
                    },
                })

    @classmethod
    def default_kind(cls):
        return 'caldav'

    @classmethod
    def default_google_calendar(cls):
        return 'primary'

    @classmethod
    def default_push(cls):
        return True

    @classmethod
    def default_details(cls):
        return False

    @classmethod
    def default_failures(cls):
        return 0

    def get_password(self, name):
        return None

    @classmethod
    def set_password(cls, calendars, name, value):
        if value:
            cls.write(calendars, {'secret': value, 'next_sync': None})

    @classmethod
    def get_connected(cls, calendars, name):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys((c.id for c in calendars), False)
        cursor.execute(*table.select(table.id,
                where=table.id.in_([c.id for c in calendars])
                & (table.secret != Null)))
        for id_, in cursor:
            result[id_] = True
        return result

    def get_failing(self, name):
        return bool(self.failures)

    @classmethod
    def search_failing(cls, name, clause):
        _, operator, value = clause
        failing = (operator == '=') == bool(value)
        return [('failures', '>' if failing else '=', 0)]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'write' and values.keys() & ADDRESS:
            # Read the new calendar in full at the next cron, with none of
            # the old one's back-off or sync token; its busy time then
            # replaces the old one's (which counts until then).
            values.update(sync_token=None, next_sync=None)
        return values

    @classmethod
    def on_write(cls, calendars, values):
        callbacks = super().on_write(calendars, values)
        if 'kind' in values:
            # Busy time of another source, which a sync of the new kind
            # would not replace: it goes with the old kind.
            callbacks.append(cls._forget_busy(
                    [c for c in calendars if c.kind != values['kind']]))
        if values.get('push'):
            # Switched on: the shoots to come are pushed after the commit.
            synced = [c for c in calendars if not c.push and c.last_sync]
            if synced:
                callbacks.append(
                    lambda: cls.__queue__.push_upcoming(synced))
        return callbacks

    @classmethod
    def on_delete(cls, calendars):
        # A calendar removed leaves no busy time behind, nor its "unknown"
        # far end, which would block more days every day.
        callbacks = super().on_delete(calendars)
        callbacks.append(cls._forget_busy(calendars))
        # Its failure warnings would open a calendar that is gone.
        ids = [c.id for c in calendars]
        callbacks.append(lambda: forget_notifications(cls.__name__, ids))
        return callbacks

    @classmethod
    def _forget_busy(cls, calendars):
        "A callback deleting the busy time the calendars pulled so far."
        Busy = Pool().get('photo.photographer.busy')
        busy = [b for c in calendars for b in c._busy()]
        return lambda: Busy.delete(busy)

    @classmethod
    def fields_get(cls, fields_names=None, level=0):
        # Nobody may read the hidden fields (field access): described,
        # a client reading every field it is told of (proteus) would fail.
        definition = super().fields_get(fields_names, level=level)
        for name in HIDDEN:
            definition.pop(name, None)
        return definition

    @classmethod
    def copy(cls, calendars, default=None):
        default = default.copy() if default else {}
        for name in HIDDEN + ['last_sync', 'known_until', 'oauth_at',
                'last_error', 'error_at', 'next_sync', 'channel_expires']:
            default.setdefault(name)
        default.setdefault('failures', 0)
        return super().copy(calendars, default=default)

    def remote(self):
        "The CalDAV collection, or the Google calendar."
        if self.kind == 'google':
            try:
                settings = google_settings()
            except GoogleConnectError as error:
                raise CalendarError('auth', error.message) from error
            return google_api.Google(settings, self._hidden('secret'),
                self.google_calendar)
        return Remote(self.url, self.username, self._hidden('secret'))

    def _hidden(self, name):
        """The stored value of a field (one nobody reads over RPC, decrypted
        if it is), not what this record read before."""
        field = self._fields[name]
        if isinstance(field, EncryptedField):
            return field.get([self.id], type(self), name)[self.id]
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(getattr(table, name),
                where=table.id == self.id))
        return cursor.fetchone()[0]

    # --- Google's consent -------------------------------------------------

    @classmethod
    @ModelView.button
    def google_connect(cls, calendars):
        """Open Google's consent page for the calendar: its answer comes
        back to the route oauth_callback, with the state asked here."""
        if not calendars:
            return
        calendar = calendars[0]  # one consent page at a time
        settings = google_settings()
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        cls.write([calendar], {
                'oauth_state': state, 'oauth_verifier': verifier,
                'oauth_at': utc_now()})
        return {
            'type': 'ir.action.url',
            'name': gettext('photo_calendar.msg_google_consent'),
            'url': google_api.authorization_url(settings,
                route_url('oauth'), state, verifier),
            }

    @classmethod
    def oauth_callback(cls, state, code=None, error=None):
        """Google's answer to a consent: keep the refresh token the code
        gives and read the calendar at once. The state must be one asked
        here within CONSENT_TIMEOUT, and serves once. Returns the calendar,
        or raises GoogleConnectError."""
        calendars = cls.search([('oauth_state', '=', state)], limit=1) \
            if state else []
        if not calendars:
            raise GoogleConnectError(
                gettext('photo_calendar.msg_oauth_unknown_state'))
        calendar, = calendars
        verifier = calendar._hidden('oauth_verifier')
        asked = calendar.oauth_at
        cls.write([calendar], {
                'oauth_state': None, 'oauth_verifier': None,
                'oauth_at': None})
        if error or not code:
            raise GoogleConnectError(gettext(
                    'photo_calendar.msg_oauth_refused', error=error or '—'))
        if not asked or utc_now() - asked > CONSENT_TIMEOUT:
            raise GoogleConnectError(
                gettext('photo_calendar.msg_oauth_expired'))
        try:
            token = google_api.exchange_code(google_settings(),
                route_url('oauth'), code, verifier)
        except CalendarError as error:
            raise GoogleConnectError(gettext(
                    'photo_calendar.msg_oauth_refused',
                    error=error.detail)) from error
        cls.write([calendar], {'secret': token, 'sync_token': None,
                'next_sync': None, 'known_until': None})
        calendar = cls(calendar.id)
        calendar.pull(utc_now())
        return calendar

    # --- Google's push channel --------------------------------------------

    @classmethod
    def from_channel(cls, channel_id, token, resource_id):
        """The Google calendar whose open push channel is channel_id, if
        token is its token and resource_id its resource; else None."""
        if not channel_id or not token or not resource_id:
            return None
        calendars = cls.search([('channel_id', '=', channel_id)], limit=1)
        if not calendars:
            return None
        calendar, = calendars
        expected = calendar._hidden('channel_token') or ''
        if (not hmac.compare_digest(expected.encode(), token.encode())
                or calendar._hidden('channel_resource') != resource_id):
            return None
        return calendar

    @classmethod
    def channel_message(cls, calendar, state):
        """Google says calendar's events changed (state 'exists' or
        'not_exists'; 'sync' opens the channel): read it after the commit."""
        if state != 'sync':
            cls.__queue__.sync([calendar])

    def watch(self, remote, now):
        """Open a push channel where the server is reachable, or renew the
        one ending soon; a channel that cannot be opened leaves the cron."""
        if (self.kind != 'google'
                or not config.get('photo_calendar', 'public_url')
                or (self.channel_expires
                    and self.channel_expires - now > CHANNEL_RENEW)):
            return
        channel_id = secrets.token_hex(16)
        token = secrets.token_urlsafe(32)
        try:
            resource, expires = remote.watch(channel_id, token,
                route_url('push'), CHANNEL_TTL)
        except CalendarError as error:
            logger.info("calendar %s: no push channel: %s", self.id, error)
            return
        old = self._hidden('channel_id'), self._hidden('channel_resource')
        self.channel_id = channel_id
        self.channel_token = token
        self.channel_resource = resource
        self.channel_expires = naive(expires)
        self.save()
        if all(old):
            try:
                remote.stop(*old)
            except CalendarError as error:
                logger.info("calendar %s: channel %s not stopped: %s",
                    self.id, old[0], error)

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
        """Bring this calendar's busy time up to date; on a failure keep it
        all, store the error and try again later."""
        if self.kind == 'google' and not self.connected:
            return  # waits for Connect Google
        start, end = degrade.window(aware(now),
            self.photographer.horizon_days)
        sync_token = self._hidden('sync_token')
        last_good = self.last_sync
        try:
            remote = self.remote()
            if self.kind == 'google':
                token = self._pull_google(
                    remote, sync_token, start, end, now)
            else:
                token = self._pull_caldav(remote, sync_token, start, end, now)
        except CalendarError as error:
            logger.info("calendar %s failed: %s", self.id, error)
            self.failed(now, error)
            return
        recovered = bool(self.failures)
        self.sync_token = token
        self.failures = 0
        self.save()
        self.watch(remote, now)
        self.next_sync = now + (WATCHED_INTERVAL if self.channel_expires
            and self.channel_expires > now else INTERVAL)
        self.save()
        if recovered:
            self.notify_recovery()
        if self.push and not last_good:
            # Connected: the shoots booked before come in, after the commit.
            type(self).__queue__.push_upcoming([self])
        elif self.push and recovered:
            # Read again: what it missed while failing comes in.
            type(self).__queue__.push_changed([self], last_good)

    def _pull_caldav(self, remote, sync_token, start, end, now):
        """Read the events again when the calendar says something changed
        (or once a day). Returns the new sync token."""
        changed, token = remote.changed_since(sync_token)
        if changed or self._window_moved(end):
            spans = remote.busy(start, end, self.photographer.timezone,
                '@' + own_domain())
            self.replace_busy(spans, end)
            self.known_until = naive(end)
        # Read or not, the calendar answered: its busy time is known now.
        self.last_sync = now
        return token

    def _window_moved(self, end):
        "Whether the window to read ends a day past the one read in full."
        return (not self.known_until
            or naive(end) - self.known_until >= FULL_READ)

    def _pull_google(self, remote, sync_token, start, end, now):
        """Apply what changed since the sync token; read the whole window
        when there is none, when Google dropped it (410), or once a day so
        that the window moves on. Returns the new sync token."""
        full = not sync_token or self._window_moved(end)
        changes = remote.changes(None if full else sync_token, start, end,
            self.photographer.timezone, self.details)
        if changes.full:
            self.replace_busy(changes.busy, end)
            self.known_until = naive(end)
        else:
            self.update_busy(changes.busy, changes.gone)
        self.last_sync = now
        return changes.token

    def failed(self, now, error, push=False):
        """Keep error; a failed pull, or the first failure, backs the next
        read off. Pushes failing while the calendar fails add no wait: one
        more each (a busy day's bookings) would put it hours away.
        Decided on the count stored once locked: two failures at once (a
        push and a pull) count twice and warn once."""
        self._lock()
        self.failures = self._hidden('failures') or 0
        first = not self.failures
        self.last_error = gettext(f'photo_calendar.msg_error_{error.kind}',
            detail=error.detail)
        self.error_at = now
        if first or not push:
            self.failures += 1
            self.next_sync = now + degrade.retry_delay(self.failures)
        self.save()
        if first:
            self.notify_failure()

    def _last_sync_text(self):
        Lang = Pool().get('ir.lang')
        return (Lang.get().strftime(self.last_sync, format='%d.%m.%Y %H:%M')
            + ' UTC' if self.last_sync else '—')

    def _staff(self):
        "Who hears of this calendar: its photographer (managers always)."
        return [self.photographer.user] if self.photographer.user else []

    def notify_failure(self):
        "Tell the photographer and the managers that the calendar fails."
        notify_staff([self], gettext('photo_calendar.msg_calendar_failing',
                calendar=self.name, photographer=self.photographer.rec_name,
                last_sync=self._last_sync_text()),
            self.last_error, users=self._staff())

    def notify_recovery(self):
        "Tell them that it is read again."
        notify_staff([self], gettext('photo_calendar.msg_calendar_recovered',
                calendar=self.name, photographer=self.photographer.rec_name,
                last_sync=self._last_sync_text()),
            icon='tryton-ok', users=self._staff())

    def external_id(self, remote_id):
        return f'{self.id}:{remote_id}'

    def replace_busy(self, spans, known_until):
        """Make the photographer's CalDAV busy time of this calendar what
        spans say, with the unknown far end from known_until blocked."""
        self._lock()
        wanted = self._wanted(spans)
        unknown_start, unknown_end = degrade.unknown_span(known_until)
        wanted[self.external_id(UNKNOWN)] = (naive(unknown_start),
            naive(unknown_end), gettext('photo_calendar.msg_busy_unknown',
                calendar=self.name))
        self._store_busy(wanted, self._busy())

    def update_busy(self, spans, gone):
        """Change the busy time of this calendar by spans new or changed,
        and remove that of the remote ids gone."""
        self._lock()
        wanted = self._wanted(spans)
        ids = list(wanted) + [self.external_id(i) for i in gone]
        existing = self._busy(ids) if ids else []
        for external_id in gone:
            wanted.setdefault(self.external_id(external_id), None)
        self._store_busy(wanted, existing)

    def _lock(self):
        """Before reading what is stored of this calendar to change it:
        two pulls at once (cron, Sync Now, a push notice) must not both
        add what neither saw. SQLite: its write lock; PostgreSQL: the
        calendar's row, the second pull then fails as a serialization
        error and runs again."""
        serialise_writes()
        if backend.name == 'postgresql':
            table = self.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(table.id,
                    where=table.id == self.id, for_=For('UPDATE')))

    def _wanted(self, spans):
        return {self.external_id(s.external_id): (naive(s.start),
                naive(s.end), s.summary if self.details else '')
            for s in spans}

    def _busy(self, external_ids=None):
        "The photographer's busy time of this calendar (those ids)."
        Busy = Pool().get('photo.photographer.busy')
        domain = [
            ('photographer', '=', self.photographer.id),
            ('source', '=', self.kind),
            ('external_id', 'like', f'{self.id}:%'),
            ]
        if external_ids is not None:
            domain.append(('external_id', 'in', external_ids))
        return Busy.search(domain)

    def _store_busy(self, wanted, existing):
        """Make existing busy time what wanted says ({external id: (start,
        end, summary) or None to remove}); existing ones not in wanted go."""
        Busy = Pool().get('photo.photographer.busy')
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
        new = [(i, v) for i, v in wanted.items() if v is not None]
        if new:
            Busy.create([{
                        'photographer': self.photographer.id,
                        'source': self.kind, 'external_id': external_id,
                        'start': start, 'end': end, 'summary': summary,
                        } for external_id, (start, end, summary) in new])

    @classmethod
    def push_upcoming(cls, calendars):
        """Queued: the shoots to come of the calendars' photographers in
        the calendars."""
        for calendar in calendars:
            calendar._push_upcoming(
                [('state', 'in', sorted(PUSHED_STATES - {'cancelled'}))])

    @classmethod
    def push_changed(cls, calendars, since):
        """Queued once failing calendars are read again: the shoots to come
        of their photographers changed since their last good sync, cancelled
        ones too, whose pushes they may have missed (a push that failed is
        not tried again by itself)."""
        # A booking's dates are its transaction's start, which may come
        # before the last good sync although its push came after.
        since -= CHANGED_MARGIN
        for calendar in calendars:
            if calendar._remove_missed():
                calendar._push_upcoming([
                        ('state', 'in', sorted(PUSHED_STATES)),
                        ['OR', ('write_date', '>=', since),
                            ('create_date', '>=', since)],
                        ])

    def _remove_missed(self):
        """Remove the shoots handed to another photographer whose removal
        this calendar missed; False if it fails again (then the rest wait
        for its next recovery)."""
        Removal = Pool().get('photo.calendar.removal')
        removals = Removal.search([('calendar', '=', self.id)],
            order=[('id', 'ASC')])
        done = []
        for removal in removals:
            # Handed back since: pushed again with the changed shoots.
            if (removal.booking.photographer != self.photographer
                    and not self.push_booking(removal.booking, remove=True)):
                break
            done.append(removal)
        Removal.delete(done)
        return len(done) == len(removals)

    def _push_upcoming(self, domain):
        """Push the photographer's shoots to come within domain, soonest
        first, until the calendar fails (once: it is tried again later)."""
        Booking = Pool().get('photo.booking')
        bookings = Booking.search([
                ('photographer', '=', self.photographer.id),
                ('end', '>=', utc_now()),
                *domain,
                ], order=[('start', 'ASC'), ('id', 'ASC')])
        history = booking_history(bookings)
        for booking in bookings:
            if not self.push_booking(booking, history):
                break

    def push_booking(self, booking, history=None, remove=False):
        """Create or update booking's event in this calendar — the feed's
        event: same UID, same SEQUENCE, cancelled ones as cancelled — or
        remove it (remove: the booking is no longer this photographer's).
        Returns whether the calendar took it."""
        key = calendar_uid(booking.token)  # Google's event id: base32hex
        uid = f'{key}@{own_domain()}'
        try:
            remote = self.remote()
            if remove or booking.state not in PUSHED_STATES:
                remote.delete(key if self.kind == 'google' else uid)
                return True
            if history is None:
                history = booking_history([booking])
            event = self.photographer.feed_event(
                booking, uid, *history[booking.id])
            if self.kind == 'google':
                remote.put(key, google_api.event_body(event))
            else:
                remote.put(uid, ics.feed(self.name,
                        self.photographer.timezone, [event],
                        dt.datetime.now(dt.timezone.utc)).decode())
        except CalendarError as error:
            logger.info("booking %s not pushed to calendar %s: %s",
                booking.id, self.id, error)
            self.failed(utc_now(), error, push=True)
            return False
        return True


class Removal(ModelSQL):
    """A shoot handed to another photographer while the calendar of the
    first one failed: its event is removed once that calendar is read
    again (push_changed)."""
    __name__ = 'photo.calendar.removal'
    calendar = fields.Many2One('photo.calendar', "Calendar", required=True,
        ondelete='CASCADE')
    booking = fields.Many2One('photo.booking', "Booking", required=True,
        ondelete='CASCADE')


class Busy(metaclass=PoolMeta):
    __name__ = 'photo.photographer.busy'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.source.selection.append(('caldav', "CalDAV"))
        cls.source.selection.append(('google', "Google"))


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'
    _calendar_fields = frozenset({'state', 'start', 'end', 'service',
            'studio', 'room', 'location', 'photographer'})

    @classmethod
    def on_modification(cls, mode, bookings, field_names=None):
        # A new booking is a hold, never pushed: the hot path of a hold
        # queues nothing. It is pushed once it is submitted (a write).
        super().on_modification(mode, bookings, field_names=field_names)
        if mode == 'write' and field_names & cls._calendar_fields:
            cls.__queue__.push_to_calendars(bookings)

    @classmethod
    def on_write(cls, bookings, values):
        callbacks = super().on_write(bookings, values)
        if 'photographer' in values:
            # Handed to another photographer: out of the first one's
            # calendars (queued like the push, after the commit).
            moved = [[b.id, b.photographer.id] for b in bookings
                if b.state != 'hold'
                and b.photographer.id != values['photographer']]
            if moved:
                callbacks.append(lambda: cls.__queue__.remove_from_calendars(
                        cls.browse([m[0] for m in moved]), moved))
        return callbacks

    @classmethod
    def _calendars(cls, photographer_ids):
        Calendar = Pool().get('photo.calendar')
        return Calendar.search([
                ('photographer', 'in', list(set(photographer_ids))),
                ('push', '=', True),
                ])

    @classmethod
    def push_to_calendars(cls, bookings):
        "Queued after the commit: the bookings' events in their calendars."
        bookings = [b for b in bookings if b.state != 'hold']
        calendars = cls._calendars([b.photographer.id for b in bookings])
        history = booking_history(bookings)
        failed = set()  # one failure each: its back-off grows once a run
        for booking in bookings:
            for calendar in calendars:
                if (calendar.photographer == booking.photographer
                        and calendar not in failed
                        and not calendar.push_booking(booking, history)):
                    failed.add(calendar)

    @classmethod
    def remove_from_calendars(cls, bookings, moved):
        """Queued after the commit: remove the bookings' events from the
        calendars of the photographers they were taken from (moved: [booking
        id, former photographer id] pairs)."""
        Removal = Pool().get('photo.calendar.removal')
        former = dict(moved)
        calendars = cls._calendars(former.values())
        failed = set()
        missed = []  # removed once the calendar is read again
        for booking in bookings:
            for calendar in calendars:
                if (calendar.photographer.id == former.get(booking.id)
                        and calendar.photographer != booking.photographer
                        and (calendar in failed or not calendar.push_booking(
                                booking, remove=True))):
                    failed.add(calendar)
                    missed.append(
                        {'calendar': calendar.id, 'booking': booking.id})
        if missed:
            Removal.create(missed)
