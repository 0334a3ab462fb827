"""Chat messages for people who are away, through photo_notify's outbox
(registered where photo_notify is installed: tryton.cfg's
`[register photo_notify]`).

Each message of a booking's conversation is an event 'chat_message' for
the client (public messages of the studio) and the staff who follow it,
except its author, those online (the client's chat page open, a staff
session used within `[session] timeout`), and those told of this
conversation within `[photo_chat] email_interval` minutes: at most one
notification per conversation, person and interval. The mail's
Reply-To is the conversation's reply address, so answering it posts in
the chat (Channel.post_from_email, see inbound.py)."""
import datetime as dt

from sql.conditionals import Coalesce

import trytond.config as config
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from trytond.modules.photo_booking.booking import aware, utc_now

from . import text as chat_text
from .chat import SECTION, address_key, reply_address

EVENT = 'chat_message'
# The chat's events: their client links open the conversation.
CHAT_EVENTS = {EVENT, 'chat_telegram'}
# The client's chat page asks for news every half second while visible:
# silent for this long, the client is away.
CLIENT_AWAY = dt.timedelta(seconds=60)
DIGEST_SIZE = 10  # messages quoted in a notification


def email_interval():
    return dt.timedelta(minutes=config.getint(
            SECTION, 'email_interval', default=15))


def authorship(message):
    """(the author's e-mail address if written by e-mail or the portal,
    whether the client wrote it) of a chat message."""
    channel = message.channel
    sender_email = (address_key(message.email)
        if message.user is None and message.email else None)
    staff_emails = {address_key(f.user.email)
        for f in channel.followers if f.user and f.user.email}
    client_wrote = bool(sender_email
        and sender_email in channel.party_addresses()
        and sender_email not in staff_emails)
    return sender_email, client_wrote


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def dispatch_message(cls, message, is_sender):
        super().dispatch_message(message, is_sender)
        if Transaction().context.get('_notify', True):
            Pool().get('photo.notification').on_chat_message(message)


class Notification(metaclass=PoolMeta):
    __name__ = 'photo.notification'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.event.selection.append((EVENT, "Chat message"))
        cls.recipient.selection.append(('follower', "Chat follower"))

    @classmethod
    def recipients(cls, event):
        if event in CHAT_EVENTS:
            # The client (public messages) and the staff who follow.
            return ('client', 'follower')
        return super().recipients(event)

    @classmethod
    def on_chat_message(cls, message):
        "The notifications of a new chat message (telegram.py adds its own)."
        return cls.enqueue_chat(message)

    @classmethod
    def people(cls, recipient, booking, event=None):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Blocked = pool.get('photo.notification.blocked')
        if recipient != 'follower':
            return super().people(recipient, booking, event)
        channels = Channel.search([('resource', '=', str(booking))])
        people = [cls.staff_person(f.user)
            for c in channels for f in c.followers
            if f.user and f.user.active]
        for person in people:
            person['addresses'] = Blocked.reachable(person['addresses'])
        return people

    @classmethod
    def enqueue_chat(cls, message):
        """Tell who is away of message, at most once per conversation and
        email_interval each."""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Session = pool.get('ir.session')
        channel = message.channel
        booking = channel.resource
        if not isinstance(booking, Booking):
            return []
        if message.user is not None and not message.user.id:
            return []  # Tryton's notices (a follower joined)
        now = utc_now()
        sender_email, client_wrote = authorship(message)

        def online(user_id):
            timeout = dt.timedelta(
                seconds=config.getint('session', 'timeout'))
            session = Session.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*session.select(session.id,
                    where=(session.create_uid == user_id)
                    & (Coalesce(session.write_date, session.create_date)
                        >= now - timeout),
                    limit=1))
            return bool(cursor.fetchone())

        def told_lately(recipient, person):
            who = (('user', '=', person['user']) if person.get('user')
                else ('party', '=', person.get('party')))
            return bool(cls.search([
                        ('event', '=', EVENT),
                        ('booking', '=', booking.id),
                        ('recipient', '=', recipient),
                        who,
                        ('create_date', '>=', now - email_interval()),
                        ], limit=1))

        def keep(recipient, person):
            if recipient == 'client':
                if message.audience != 'public' or client_wrote:
                    return False
                seen = channel.client_seen
                if seen and aware(seen) >= aware(now) - CLIENT_AWAY:
                    return False
            else:
                user = person.get('user')
                if message.user and message.user.id == user:
                    return False
                email = pool.get('res.user')(user).email
                if sender_email and email and sender_email == (
                        address_key(email)):
                    return False
                if online(user):
                    return False
            return not told_lately(recipient, person)

        with Transaction().set_user(0):
            return cls.enqueue(EVENT, str(message), booking, keep=keep)

    def message_name(self):
        if self.event == EVENT:
            return f'photo_chat.msg_chat_message_{self.recipient}'
        return super().message_name()

    def reply_to(self):
        if self.event == EVENT and self.channel == 'email':
            channel = self.chat_channel()
            if channel:
                return reply_address(channel.identifier)
        return super().reply_to()

    def chat_channel(self):
        Channel = Pool().get('ir.chat.channel')
        if not self.booking:
            return None
        channels = Channel.search(
            [('resource', '=', str(self.booking))], limit=1)
        return channels[0] if channels else None

    def link(self):
        link = super().link()
        if (self.event in CHAT_EVENTS and self.recipient == 'client'
                and link and self.booking):
            base = link.rsplit('/booking/', 1)[0]
            return f'{base}/account/booking/{self.booking.token}/chat'
        return link

    def values(self):
        values = super().values()
        if self.event == EVENT:
            values['messages'] = self.chat_digest()
            values['reply_above'] = '\n'.join([chat_text.REPLY_MARK,
                    gettext('photo_chat.msg_chat_reply_above')])
        return values

    def chat_digest(self):
        """The conversation's messages from the one notified on, as the
        recipient may read them (the client: public only), by others."""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        Lang = pool.get('ir.lang')
        source = self.key.split(':')[1]  # 'ir.chat.message,<id>'
        first = int(source.split(',')[1])
        domain = [
            ('channel.resource', '=', str(self.booking)),
            ('id', '>=', first),
            ]
        if self.recipient == 'client':
            # The studio's public messages.
            domain += [('audience', '=', 'public'), ('user', '!=', None),
                ('user', '!=', 0)]
        else:
            domain.append(['OR', ('user', '=', None),
                    ('user', 'not in', [0, self.user.id if self.user else 0])])
        with Transaction().set_user(0):
            messages = Message.search(
                domain, order=[('id', 'ASC')], limit=DIGEST_SIZE)
        lang = Lang.get(self.language)
        tz = self.booking.tzinfo

        def line(message):
            when = aware(message.create_date).astimezone(tz)
            return (f"{message.author} "
                f"({lang.strftime(when, '%d.%m %H:%M')}):\n{message.content}")
        return '\n\n'.join(line(m) for m in messages)
