"""The outbox: one row per notification, written in the transaction of its
event, sent by the dispatcher, retried, or left as a dead letter."""
import datetime as dt
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from jinja2 import Environment, PackageLoader, select_autoescape
from sql import Null

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from trytond.modules.photo_booking.booking import (
    aware, serialise_writes, utc_now)
from trytond.modules.photo_booking.encryption import (
    EncryptedMixin, blind_index_field, encrypted)

from . import outbox
from .device import DEVICE_CHANNELS
from .channel import (
    ChannelError, Message, RecipientGone, TemporaryFailure)

logger = logging.getLogger(__name__)
SECTION = 'photo_notify'
EVENTS = [
    ('held', "Booking held"),
    ('requested', "Booking requested"),
    ('confirmed', "Booking confirmed"),
    ('rescheduled', "Booking moved"),
    ('cancelled_by_client', "Cancelled by the client"),
    ('cancelled_by_studio', "Cancelled by the studio"),
    ('done', "Shoot done"),
    ('no_show', "No-show"),
    ('review_invitation', "Review invitation"),
    ('reminder', "Reminder"),
    ('request_waiting', "Request waiting"),
    ('request_expiring', "Request about to lapse"),
    ('request_expired', "Request lapsed"),
    ('payment_succeeded', "Payment received"),
    ('payment_failed', "Payment failed"),
    ('payment_refunded', "Payment refunded"),
    ]
CHANNELS = [
    ('email', "E-mail"),
    ('telegram', "Telegram"),
    ('webpush', "Web push"),
    ('fcm', "Mobile app (FCM)"),
    ('sms', "SMS"),
    ]
RECIPIENTS = [
    ('client', "Client"),
    ('photographer', "Photographer"),
    ('manager', "Manager"),
    ]
STATES = [
    ('pending', "Pending"),
    ('sending', "Sending"),
    ('sent', "Sent"),
    ('dead', "Dead letter"),
    ('discarded', "Discarded"),
    ('withdrawn', "Withdrawn"),
    ]
templates = Environment(
    loader=PackageLoader('trytond.modules.photo_notify', 'templates'),
    autoescape=select_autoescape())


def setting(key, default=None):
    return config.get(SECTION, key, default=default)


def retry_policy():
    return outbox.Retry(
        base=dt.timedelta(seconds=config.getint(
                SECTION, 'retry_base', default=60)),
        cap=dt.timedelta(seconds=config.getint(
                SECTION, 'retry_cap', default=6 * 3600)),
        attempts=config.getint(SECTION, 'attempts', default=8))


def channel_classes():
    "{name: Channel class}; imported on use, as each needs its SDK."
    from .channel_email import EmailChannel
    from .channel_fcm import FcmChannel
    from .channel_sms import SmsChannel
    from .channel_telegram import TelegramChannel
    from .channel_webpush import WebPushChannel
    return {c.name: c for c in [EmailChannel, TelegramChannel, SmsChannel,
            WebPushChannel, FcmChannel]}


def relax_commits(transaction):
    """Let the dispatcher's marks commit without waiting for the disk
    (PostgreSQL's synchronous_commit, for this transaction only): a
    worker that dies loses none of them; a database server that crashes
    may lose the last few, whose messages are then sent again."""
    if backend.name == 'postgresql':
        transaction.connection.cursor().execute(
            'SET LOCAL synchronous_commit TO OFF')


def forget(model, ids):
    "Drop what this transaction read of records ids, updated by SQL."
    transaction = Transaction()
    transaction.counter += 1  # the records' own caches
    for cache in transaction.cache.values():
        if model.__name__ in cache:
            for id_ in ids:
                cache[model.__name__].pop(id_, None)


class Notification(EncryptedMixin, ModelSQL, ModelView):
    "Notification"
    __name__ = 'photo.notification'
    _rec_name = 'key'

    key = fields.Char("Key", required=True, readonly=True, strip=False,
        help="One notification per event, recipient and channel.")
    event = fields.Selection(EVENTS, "Event", required=True, readonly=True)
    event_string = event.translated('event')
    booking = fields.Many2One('photo.booking', "Booking", readonly=True,
        ondelete='CASCADE')
    recipient = fields.Selection(
        RECIPIENTS, "Recipient", required=True, readonly=True)
    party = fields.Many2One('party.party', "Party", readonly=True,
        ondelete='CASCADE')
    user = fields.Many2One('res.user', "User", readonly=True,
        ondelete='CASCADE')
    channel = fields.Selection(CHANNELS, "Channel", required=True,
        readonly=True)
    # A client's e-mail, phone or chat: stored encrypted.
    address = encrypted(
        fields.Char("Address", required=True, readonly=True))
    language = fields.Char("Language", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True,
        sort=False)
    scheduled_at = fields.DateTime("Due", required=True, readonly=True)
    lease_until = fields.DateTime("Claimed Until", readonly=True)
    in_flight = fields.DateTime("Sending Since", readonly=True,
        help="Set while the message is handed to its channel.")
    attempts = fields.Integer("Attempts", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    sent_at = fields.DateTime("Sent", readonly=True)
    amount = fields.Char("Amount", readonly=True,
        help="The sum a payment notification is about.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key),
                'photo_notify.msg_notification_key_unique'),
            ]
        cls._sql_indexes.update({
                # The dispatcher's claim: due rows among the live ones.
                Index(t, (t.scheduled_at, Index.Range()),
                    where=t.state.in_(['pending', 'sending'])),
                Index(t, (t.booking, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'dead'),
                })
        cls._order = [('scheduled_at', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': ~Eval('state').in_(['dead', 'discarded']),
                    'depends': ['state'],
                    },
                'discard': {
                    'invisible': ~Eval('state').in_(['dead', 'pending']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    # --- writing: in the transaction of the event -------------------------

    @classmethod
    def enqueue(cls, event, source, booking=None, due=None, amount=None,
            keep=None):
        """Write the notifications of event about source (a 'model,id'
        string making each event distinct) for the people it concerns,
        each by their preferred channel; those written already are kept.
        keep(recipient, person), when given, chooses among the people.
        Returns them all, new and kept."""
        now = utc_now()
        rows = []
        for recipient in cls.recipients(event):
            for person in cls.people(recipient, booking, event):
                if keep and not keep(recipient, person):
                    continue
                chosen = outbox.pick_channel(
                    person['channels'], person['addresses'])
                if not chosen:
                    continue
                channel, address = chosen
                for target, channel_key in outbox.targets(channel, address):
                    rows.append({
                            'key': outbox.key(
                                event, source, person['ref'], channel_key),
                            'event': event,
                            'booking': booking.id if booking else None,
                            'recipient': recipient,
                            'party': person.get('party'),
                            'user': person.get('user'),
                            'channel': channel,
                            'address': target,
                            'language': person['language'],
                            'scheduled_at': due or now,
                            'amount': amount,
                            })
        if not rows:
            return []
        existing = cls.search([('key', 'in', [r['key'] for r in rows])])
        keys = {n.key for n in existing}
        # Wanted again after being withdrawn (a booking moved back, a
        # device gone and e-mail back): pending again.
        due_of = {r['key']: r['scheduled_at'] for r in rows}
        for notification in existing:
            if notification.state == 'withdrawn':
                cls.write([notification], {'state': 'pending',
                        'scheduled_at': due_of[notification.key]})
        return existing + cls.create(
            [r for r in rows if r['key'] not in keys])

    @classmethod
    def recipients(cls, event):
        """Who is told of event: outbox.RECIPIENTS; a module adding its
        own events (and their selection entries) extends this."""
        return outbox.RECIPIENTS[event]

    @classmethod
    def people(cls, recipient, booking, event=None):
        """[{ref, party, user, language, channels, addresses}] of the
        recipient role for booking: channels in preferred order, and the
        address of each channel they can be reached on."""
        pool = Pool()
        Blocked = pool.get('photo.notification.blocked')
        people = []
        if recipient == 'client':
            people.append(cls.client_person(booking, event))
        elif recipient == 'photographer':
            photographer = booking.photographer
            if photographer.user:
                person = cls.staff_person(photographer.user)
            else:
                person = {
                    'ref': f'party,{photographer.party.id}',
                    'party': photographer.party.id,
                    'language': cls.staff_language(),
                    'channels': ['telegram', 'email'],
                    'addresses': {'email': photographer.party.email},
                    }
            chat = getattr(photographer, 'telegram_chat', None)
            person['addresses'].setdefault('telegram', chat)
            people.append(person)
        elif recipient == 'manager':
            people.extend(cls.staff_person(u) for u in cls.managers())
        for person in people:
            # Devices come as tuples of addresses; a gone one is deleted,
            # never blocked.
            devices = {c: a for c, a in person['addresses'].items()
                if isinstance(a, tuple)}
            person['addresses'] = {**Blocked.reachable(
                    {c: a for c, a in person['addresses'].items()
                        if c not in devices}), **devices}
        return people

    @classmethod
    def client_person(cls, booking, event=None):
        pool = Pool()
        Configuration = pool.get('ir.configuration')
        Device = pool.get('photo.notification.device')
        party = booking.client
        web_user = booking.web_user
        if web_user:
            channels = web_user.notification_channels(event)
        else:
            channels = ['email']
        # Turning push on in a browser or the app is the client's choice
        # of it: first, while a device is subscribed (unless they want no
        # news of this kind at all).
        devices = Device.addresses(party) if channels else {}
        channels = [c for c in ['webpush', 'fcm'] if c in devices] + channels
        return {
            'ref': f'party,{party.id}',
            'party': party.id,
            'language': (party.lang.code if party.lang
                else Configuration.get_language()),
            'channels': channels,
            'addresses': {
                'email': booking.email or (web_user.email if web_user
                    else None) or party.email,
                'telegram': getattr(party, 'telegram_chat', None),
                'sms': booking.phone or party.phone,
                **devices,
                },
            }

    @classmethod
    def staff_person(cls, user):
        pool = Pool()
        Preference = pool.get('photo.notification.preference')
        Device = pool.get('photo.notification.device')
        channels, addresses = Preference.of_user(user)
        # A photographer who turned push on (in the portal, with their
        # party) is told there first, as a client is.
        devices = {}
        for party in Device.staff_parties(user):
            for channel, found in Device.addresses(party).items():
                devices[channel] = devices.get(channel, ()) + found
        channels = [c for c in ['webpush', 'fcm'] if c in devices] + [
            c for c in channels if c not in devices]
        addresses.update(devices)
        return {
            'ref': f'res.user,{user.id}',
            'user': user.id,
            'language': (user.language.code if user.language
                else cls.staff_language()),
            'channels': channels,
            'addresses': addresses,
            }

    @classmethod
    def staff_language(cls):
        pool = Pool()
        Configuration = pool.get('photo.configuration')
        language = Configuration(1).staff_language
        return (language.code if language
            else pool.get('ir.configuration').get_language())

    @classmethod
    def managers(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        group = ModelData.get_id('photo_booking', 'group_photo_manager')
        return User.search([('groups', '=', group), ('active', '=', True)])

    @classmethod
    def withdraw(cls, bookings, events, keep=()):
        "Withdraw the bookings' pending events, except the keys in keep."
        pending = cls.search([
                ('booking', 'in', [b.id for b in bookings]),
                ('event', 'in', list(events)),
                ('state', '=', 'pending'),
                ('key', 'not in', list(keep)),
                ])
        if pending:
            cls.write(pending, {'state': 'withdrawn'})
        return pending

    # --- the dispatcher ---------------------------------------------------

    @classmethod
    def claim(cls, size=100, now=None):
        """Claim up to size due notifications for this worker: they are
        'sending' until sent or until the lease ends. A worker that died
        leaves them to the next, except the one it was handing to a
        channel: resent if the channel makes a resend harmless (e-mail:
        the same Message-ID), else a dead letter whose outcome is unknown
        (at most once: no second SMS or Telegram message).
        PostgreSQL: rows locked by another worker's claim are skipped;
        SQLite: claims are serialised by its write lock. Returns the ids."""
        now = now or utc_now()
        transaction = Transaction()
        database = transaction.database
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        serialise_writes()
        expired = (table.state == 'sending') & (table.lease_until <= now)
        cursor.execute(*table.select(table.id,
                where=expired & (table.in_flight != Null)
                & ~table.channel.in_(list(outbox.RESENDABLE))))
        uncertain = [i for i, in cursor]
        if uncertain:
            cursor.execute(*table.update(
                    [table.state, table.lease_until, table.in_flight,
                        table.last_error],
                    ['dead', None, None,
                        gettext('photo_notify.msg_outcome_unknown')],
                    where=table.id.in_(uncertain)))
            forget(cls, uncertain)
        due = (table.scheduled_at <= now) & (
            (table.state == 'pending') | expired)
        query = table.select(table.id, where=due,
            order_by=[table.scheduled_at.asc, table.id.asc], limit=size)
        if database.has_select_for():
            For = database.get_select_for_skip_locked()
            query.for_ = For('UPDATE')
        cursor.execute(*query)
        ids = [i for i, in cursor]
        if ids:
            lease = dt.timedelta(
                seconds=config.getint(SECTION, 'lease', default=300))
            cursor.execute(*table.update(
                    [table.state, table.lease_until, table.attempts,
                        table.in_flight],
                    ['sending', now + lease, table.attempts + 1, None],
                    where=table.id.in_(ids)))
            forget(cls, ids)
        return ids

    @classmethod
    def deliver(cls, ids, now=None, commit=None, channels=None,
            senders=None):
        """Render and send the claimed notifications, marking each sent,
        to retry or dead. The batch is rendered first, its records read
        together; marks are plain UPDATEs. commit, when given, is called
        after each mark (and before a send that must not be repeated): the
        dispatcher commits there, so that a crash leaves at most the
        messages in flight uncertain. channels: {name: Channel} kept open by
        the caller across batches (else opened and closed here).

        Messages of channels where a resend is harmless (outbox.RESENDABLE:
        e-mail, web push, FCM) go out `senders` at a time ([photo_notify]
        senders, 4), each sending thread with its own connections; their
        rows are marked here, in this transaction, as each send ends. The
        others (Telegram, SMS) go one by one, each marked in flight first.
        Returns how many were sent."""
        classes = channel_classes()
        own_channels = channels is None
        channels = {} if own_channels else channels
        senders = senders or config.getint(SECTION, 'senders', default=4)
        rendered = []
        for notification in cls.browse(ids):
            if notification.state != 'sending':
                continue
            try:
                rendered.append((notification, notification.render()))
            except backend.DatabaseOperationalError:
                raise
            except Exception as exception:
                # A template or data error: this row only, never the
                # batch; managers see it in the dead letters.
                logger.warning("notification %s not rendered",
                    notification.key, exc_info=True)
                rendered.append((notification, exception))
        parallel = [(n, m) for n, m in rendered
            if n.channel in outbox.RESENDABLE
            and not isinstance(m, Exception)] if senders > 1 else []
        in_parallel = {n.id for n, _ in parallel}
        serial = [(n, m) for n, m in rendered if n.id not in in_parallel]
        sent = 0
        try:
            if parallel:
                sent += cls._send_parallel(
                    parallel, classes, senders, now, commit)
            for notification, message in serial:
                outcome = cls._send(notification, message, channels, classes,
                    now or utc_now(), commit)
                sent += outcome == 'sent'
                if commit:
                    commit()
        finally:
            if own_channels:
                for channel in channels.values():
                    channel.close()
        return sent

    @classmethod
    def _send_parallel(cls, rendered, classes, senders, now, commit):
        """Send rendered [(notification, message)] from `senders` threads
        (one channel instance each: no connection is shared); their rows
        are marked and committed here as each send ends. The threads never
        touch the database."""
        local = threading.local()
        opened = []
        lock = threading.Lock()

        def send(name, message):
            channels = getattr(local, 'channels', None)
            if channels is None:
                channels = local.channels = {}
                with lock:
                    opened.append(channels)
            if name not in channels:
                channels[name] = classes[name]()
            channels[name].send(message)

        sent = 0
        try:
            with ThreadPoolExecutor(max_workers=senders) as executor:
                futures = {executor.submit(send, n.channel, m): n
                    for n, m in rendered}
                for future in as_completed(futures):
                    outcome = cls._outcome(futures[future],
                        future.exception(), now or utc_now())
                    sent += outcome == 'sent'
                    if commit:
                        commit()
        finally:
            for channels in opened:
                for channel in channels.values():
                    channel.close()
        return sent

    @classmethod
    def _send(cls, notification, message, channels, classes, now, commit):
        "Send one rendered message and mark its row; returns its state."
        name = notification.channel
        try:
            if isinstance(message, Exception):
                raise message
            if name not in channels:
                channels[name] = classes[name]()
            if name not in outbox.RESENDABLE:
                cls._mark([notification.id], in_flight=now)
                if commit:
                    commit()
            channels[name].send(message)
        except backend.DatabaseOperationalError:
            raise
        except Exception as exception:
            return cls._outcome(notification, exception, now)
        return cls._outcome(notification, None, now)

    @classmethod
    def _outcome(cls, notification, exception, now):
        """Mark the row of a send that ended with exception (None: sent);
        returns its new state."""
        if exception is None:
            cls._mark([notification.id], state='sent', sent_at=now,
                lease_until=None, in_flight=None, last_error=None)
            if notification.channel in outbox.DEVICES:
                Pool().get('photo.notification.device').used(
                    notification.channel, notification.address, now)
            return 'sent'
        if isinstance(exception, RecipientGone):
            cls.address_gone(notification.channel, notification.address,
                str(exception))
            return cls._give_up(notification, exception)
        if isinstance(exception, ChannelError):
            when = None
            if isinstance(exception, TemporaryFailure):
                when = outbox.next_attempt(
                    now, notification.attempts, retry_policy(), random)
            if not when:
                return cls._give_up(notification, exception)
            cls._mark([notification.id], state='pending', scheduled_at=when,
                lease_until=None, in_flight=None,
                last_error=str(exception)[:1000])
            return 'pending'
        logger.warning("notification %s failed", notification.key,
            exc_info=exception)
        return cls._give_up(notification, exception)

    @classmethod
    def address_gone(cls, channel, address, reason):
        """The channel refuses address for good: a device is deleted (the
        push service forgot it), another address is blocked."""
        pool = Pool()
        Blocked = pool.get('photo.notification.blocked')
        Device = pool.get('photo.notification.device')
        if channel in dict(DEVICE_CHANNELS):
            Device.forget(channel, [address])
        else:
            Blocked.block(channel, address, reason)

    @classmethod
    def _give_up(cls, notification, exception):
        cls._mark([notification.id], state='dead', lease_until=None,
            in_flight=None, last_error=(
                f'{type(exception).__name__}: {exception}')[:1000])
        return 'dead'

    @classmethod
    def _mark(cls, ids, **values):
        """Write values on rows ids in a plain UPDATE: the dispatcher's hot
        path, its values made here, never from user input."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        values.update(write_uid=Transaction().user, write_date=utc_now())
        cursor.execute(*table.update(
                [getattr(table, name) for name in values],
                list(values.values()), where=table.id.in_(ids)))
        forget(cls, ids)

    @classmethod
    def dispatch(cls, size=None):
        """Cron and queue task: send what is due, batch after batch, each
        claim committed before its sends and each mark right after its
        send, so that workers share the rows and a killed one loses
        nothing (see README: delivery guarantees)."""
        size = size or config.getint(SECTION, 'batch', default=100)
        transaction = Transaction()
        channels = {}
        total = 0
        try:
            while True:
                ids = cls._claim_retrying(size)
                if not ids:
                    return total
                try:
                    with transaction.new_transaction() as sending:
                        def commit():
                            sending.commit()
                            relax_commits(sending)
                        relax_commits(sending)
                        total += Pool().get(cls.__name__).deliver(
                            ids, commit=commit, channels=channels)
                except backend.DatabaseOperationalError:
                    # Rows not marked yet are claimed again after their
                    # lease; the next batch goes on.
                    logger.warning("batch interrupted", exc_info=True)
        finally:
            for channel in channels.values():
                channel.close()

    @classmethod
    def _claim_retrying(cls, size):
        """claim in a transaction of its own, committed: run again when it
        lost a race to another worker (PostgreSQL's repeatable read)."""
        retries = config.getint('database', 'retry')
        for count in range(retries + 1):
            try:
                with Transaction().new_transaction():
                    return Pool().get(cls.__name__).claim(size)
            except backend.DatabaseOperationalError:
                if count == retries:
                    raise
                time.sleep(random.uniform(0, 0.05 * (count + 1)))

    # --- rendering --------------------------------------------------------

    def render(self):
        "The Message of this notification, in the recipient's language."
        with Transaction().set_context(language=self.language):
            values = self.values()
            name = self.message_name()
            subject = gettext(f'{name}_subject', **values)
            text = gettext(f'{name}_body', **values)
            link = values.get('link')
            link_label = gettext('photo_notify.msg_open_booking')
            extra_links = self.extra_links()
            actions = tuple(tuple(row) for row in self.chat_actions())
            unsubscribe = None
            if self.event in outbox.NON_TRANSACTIONAL and self.recipient \
                    == 'client' and setting('portal_url'):
                unsubscribe = setting('portal_url').rstrip('/') \
                    + '/account/profile'
            html = templates.get_template('notification.html').render(
                subject=subject, paragraphs=text.split('\n\n'), link=link,
                link_label=link_label, lang=self.language,
                extra_links=extra_links,
                footer=gettext('photo_notify.msg_footer'),
                unsubscribe=unsubscribe,
                unsubscribe_label=gettext('photo_notify.msg_unsubscribe'))
            if link:
                text = f'{text}\n\n{link}'
            for label, url in extra_links:
                text = f'{text}\n\n{label}\n{url}'
        keys = None
        if self.channel == 'webpush':
            keys = Pool().get('photo.notification.device').keys(self.address)
        return Message(
            key=self.key, address=self.address, language=self.language,
            subject=subject, text=text + '\n', html=html, link=link,
            link_label=link_label, ics=self.calendar(),
            unsubscribe=unsubscribe, keys=keys,
            reply_to=self.reply_to(), actions=actions)

    def message_name(self):
        """The ir.message id (without _subject/_body) of this
        notification's texts; another module's events name theirs."""
        return f'photo_notify.msg_{self.event}_{self.recipient}'

    def extra_links(self):
        """[(text, url)] another module adds to the end of the message, in
        its language (e.g. a link to the studio's chat bot in a client's
        mails); none by default."""
        return []

    def chat_actions(self):
        """Rows of (label, callback data) buttons a chat channel shows
        under the message, answered by the module's bot (e.g. Confirm /
        Decline under a waiting request); none by default."""
        return []

    def reply_to(self):
        "Where a reply to this notification goes (e-mail), if anywhere."
        return None

    def values(self):
        "The placeholders of the event's messages."
        booking = self.booking
        if not booking:
            return {}
        Lang = Pool().get('ir.lang')
        lang = Lang.get(self.language)
        local = aware(booking.start).astimezone(booking.tzinfo)
        place = (', '.join(filter(None, [
                        booking.studio.name, booking.studio.address]))
            if booking.studio else booking.location or '')
        return {
            'number': booking.number,
            'client': booking.client.rec_name,
            'service': booking.service.rec_name,
            'photographer': booking.photographer.rec_name,
            'when': (lang.strftime(local, '%d.%m.%Y %H:%M')
                + f' ({booking.timezone or "UTC"})'),
            'place': place,
            'amount': self.amount or '',
            'reason': booking.cancel_reason or '',
            'link': self.link(),
            }

    def link(self):
        base = setting('portal_url')
        if not base or not self.booking:
            return None
        base = base.rstrip('/')
        if self.recipient == 'client':
            return f'{base}/booking/{self.booking.token}'
        database = Transaction().database.name
        return (f'{base}/admin/#{database}/model/photo.booking/'
            f'{self.booking.id}')

    def calendar(self):
        "The booking's .ics for mails to the client about its time."
        from . import ics
        booking = self.booking
        if (not booking or self.channel != 'email'
                or self.recipient != 'client'
                or self.event not in {'confirmed', 'rescheduled', 'reminder',
                    'cancelled_by_client', 'cancelled_by_studio',
                    'request_expired'}):
            return None
        host = config.get('email', 'from', default='').rpartition(
            '@')[2].strip('>') or 'localhost'
        return ics.event(
            uid=f'booking-{booking.id}@{host}',
            start=aware(booking.start), end=aware(booking.end),
            summary=f'{booking.service.rec_name} — '
            f'{booking.photographer.rec_name}',
            location=(booking.studio.address or booking.studio.name
                if booking.studio else booking.location or ''),
            description=booking.number,
            cancelled=booking.state == 'cancelled')

    # --- back office ------------------------------------------------------

    @classmethod
    @ModelView.button
    def retry(cls, notifications):
        "Send dead letters again, now, with a fresh count of attempts."
        cls.write([n for n in notifications
                if n.state in {'dead', 'discarded'}], {
                'state': 'pending', 'scheduled_at': utc_now(),
                'attempts': 0, 'lease_until': None,
                })

    @classmethod
    @ModelView.button
    def discard(cls, notifications):
        cls.write([n for n in notifications
                if n.state in {'dead', 'pending'}], {'state': 'discarded'})


class Blocked(EncryptedMixin, ModelSQL, ModelView):
    "Blocked Address"
    __name__ = 'photo.notification.blocked'
    channel = fields.Selection(CHANNELS, "Channel", required=True,
        readonly=True)
    # Stored encrypted, found and kept unique by its keyed hash.
    address = encrypted(fields.Char("Address", required=True, readonly=True),
        blind_index='address_hash')
    address_hash = blind_index_field()
    reason = fields.Text("Reason", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('address_hash_unique', Unique(t, t.channel, t.address_hash),
                'photo_notify.msg_blocked_unique'),
            ]

    @classmethod
    def __register__(cls, module_name):
        # Before encryption the clear address was unique.
        cls.__table_handler__(module_name).drop_constraint('address_unique')
        super().__register__(module_name)

    @classmethod
    def block(cls, channel, address, reason):
        "Stop sending to address by channel (e.g. a chat that blocked us)."
        if not cls.search([('channel', '=', channel),
                    ('address', '=', address)]):
            cls.create([{'channel': channel, 'address': address,
                        'reason': reason[:1000]}])

    @classmethod
    def reachable(cls, addresses):
        "addresses without the blocked ones."
        wanted = [(c, a) for c, a in addresses.items() if a]
        if not wanted:
            return {}
        blocked = {(b.channel, b.address) for b in cls.search(
                ['OR'] + [[('channel', '=', c), ('address', '=', str(a))]
                    for c, a in wanted])}
        return {c: str(a) for c, a in wanted if (c, str(a)) not in blocked}
