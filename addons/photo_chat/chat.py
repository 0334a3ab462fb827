"Tryton's chat channels, with access by the record's own rules."
import datetime
import json
import logging
import uuid
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from sql import Table
from sql.functions import CurrentTimestamp

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, check_access

from trytond.modules.photo_booking.booking import serialise_writes
from trytond.modules.photo_booking.common import utc_now
from trytond.modules.photo_booking.security import retry_after

from . import text as chat_text
from .exceptions import ChatMessageError

logger = logging.getLogger(__name__)
SECTION = 'photo_chat'
MAX_LENGTH = 4000  # characters of one message
SEEN_EVERY = datetime.timedelta(seconds=20)
POST_LIMIT = '30/60'  # messages per author and minute ([photo_booking]
# rate_limit_chat)


def address_key(address):
    """An e-mail address as compared here: mail systems match addresses
    without regard to case."""
    return (address or '').strip().lower()


def check_content(content):
    "A message's text within the size limit, or ChatMessageError."
    if len(content or '') > MAX_LENGTH:
        raise ChatMessageError(gettext(
                'photo_chat.msg_chat_message_too_long', count=MAX_LENGTH))


def check_rate(author):
    """Count one message of author ('res.user,3', 'web.user,5'): a
    ChatMessageError past `[photo_booking] rate_limit_chat`."""
    wait = retry_after('chat', author, POST_LIMIT,
        database=Transaction().database.name)
    if wait:
        raise ChatMessageError(gettext(
                'photo_chat.msg_chat_too_fast', seconds=wait))


def reply_address(identifier):
    """The address whose replies post into the channel of identifier:
    `[photo_chat] reply_to` (default `[email] from`) with +identifier
    in its local part, as Tryton's inbound_email makes them."""
    base = parseaddr(config.get(SECTION, 'reply_to',
            default=config.get('email', 'from', default='')))[1]
    if '@' not in base:
        return None
    local, domain = base.rsplit('@', 1)
    return f'{local.split("+", 1)[0]}+{identifier}@{domain}'


def reply_identifier(email):
    """The channel identifier of the address email was sent to (To or
    Cc, at our reply domain), or None."""
    ours = reply_address('x')
    if not ours:
        return None
    local, domain = ours.rsplit('@', 1)
    prefix = local[:-1]
    for key in ('To', 'Cc', 'Delivered-To'):
        for _name, address in getaddresses(email.get_all(key, [])):
            address_local, _, address_domain = address.rpartition('@')
            if (address_domain.lower() == domain.lower()
                    and address_local.lower().startswith(prefix.lower())):
                identifier = address_local[len(prefix):]
                if len(identifier) == 32 and identifier.isalnum():
                    return identifier.lower()
    return None


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'
    client_read = fields.Integer(
        "Read by Client", readonly=True,
        help="The last message the client has seen (in the portal).")
    client_seen = fields.DateTime(
        "Seen by Client", readonly=True,
        help="When the client's conversation page last asked for news.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Reading a conversation marks its notifications read.
        cls.__rpc__['get'] = RPC(readonly=False, check_access=False)

    @classmethod
    def _get_channel(cls, resource):
        """The conversation of resource, made at its first message.

        Searched, then created if missing: on SQLite under the write lock,
        so two first messages at once (the portal, a mail, the bot, the
        back office) make one; on PostgreSQL the second one's insert fails
        on the conversation the first made meanwhile, and runs again."""
        serialise_writes()
        try:
            return super()._get_channel(resource)
        except (SQLConstraintError, backend.DatabaseIntegrityError) as error:
            if backend.name != 'postgresql':
                raise
            raise backend.DatabaseOperationalError(
                "conversation made by a concurrent transaction") from error

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if module == 'photo_chat':
            cls._migrate_photo_chat_message()

    @classmethod
    def _migrate_photo_chat_message(cls):
        """Databases from before Tryton's chat kept messages in
        photo_chat_message: they become public messages of each booking's
        channel (the client's by their email, the photographer's by their
        user), and the old table is dropped."""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        Follower = pool.get('ir.chat.follower')
        Booking = pool.get('photo.booking')
        TableHandler = backend.TableHandler
        if not TableHandler.table_exist('photo_chat_message'):
            return
        cursor = Transaction().connection.cursor()
        old = Table('photo_chat_message')
        cursor.execute(*old.select(
                old.booking, old.author, old.body, old.create_date,
                order_by=[old.id]))
        rows = cursor.fetchall()
        channel = cls.__table__()
        follower = Follower.__table__()
        message = Message.__table__()
        channels = {}
        for booking_id, author, body, create_date in rows:
            booking = Booking(booking_id)
            if booking_id not in channels:
                # SQL only: the pool is not complete during an update.
                cursor.execute(*channel.select(channel.id,
                        where=channel.resource == str(booking)))
                new = not cursor.fetchone()
                if new:
                    cursor.execute(*channel.insert(
                            [channel.resource, channel.identifier,
                                channel.create_uid, channel.create_date],
                            [[str(booking), uuid.uuid4().hex, 0,
                                    CurrentTimestamp()]]))
                cursor.execute(*channel.select(channel.id,
                        where=channel.resource == str(booking)))
                channels[booking_id], = cursor.fetchone()
                staff = booking.chat_staff_users()
                if new and staff:
                    cursor.execute(*follower.insert(
                            [follower.channel, follower.user,
                                follower.create_uid, follower.create_date],
                            [[channels[booking_id], u.id, 0,
                                    CurrentTimestamp()]
                                for u in staff]))
            user, email = None, None
            photographer = booking.photographer
            if (author == 'photographer' and photographer
                    and photographer.user):
                user = photographer.user.id
            else:
                email = (booking.client.email if author == 'client'
                    else photographer and photographer.party.email)
            if user is None and not email:
                # Nobody to name: the studio's root account speaks, with
                # the author's name kept in the text.
                user = 0
                name = (booking.client if author == 'client'
                    else photographer).rec_name
                body = f"{name}: {body}"
            cursor.execute(*message.insert(
                    [message.channel, message.user, message.email,
                        message.content, message.audience,
                        message.create_uid, message.create_date],
                    [[channels[booking_id], user, email, body, 'public', 0,
                            create_date]]))
        logger.info(
            "photo_chat: %d messages moved to Tryton's chat", len(rows))
        TableHandler.drop_table('photo.chat.message', 'photo_chat_message')

    @classmethod
    def check_access(cls, resource):
        """Tryton checks the model's access only ("TODO check record rule"
        in ir/chat.py): the record's rules decide too, so a photographer
        reads and posts in their own bookings' conversations only."""
        pool = Pool()
        Rule = pool.get('ir.rule')
        super().check_access(resource)
        model, id_ = str(resource).split(',')
        with check_access():
            Rule.check(model, [int(id_)], mode='read')

    @classmethod
    def post(cls, resource, content, audience='internal'):
        transaction = Transaction()
        user = transaction.context.get('user', transaction.user)
        if user:
            # Tryton's own notices (a follower joined) post as root.
            check_content(content)
            check_rate(f'res.user,{user}')
        return super().post(resource, content, audience=audience)

    @classmethod
    def _email_channel(cls, email):
        """The conversation a mail answers: by the address it was sent to
        (reply_address), and only from one of its parties (the client's
        or a following staff member's address); else None (not posted)."""
        identifier = reply_identifier(email)
        if not identifier:
            return None
        channels = cls.search([('identifier', '=', identifier)])
        if len(channels) != 1:
            return None
        channel, = channels
        sender = address_key(parseaddr(email.get('From', ''))[1])
        if not sender or sender not in channel.party_addresses():
            logger.info("chat mail from %r to channel %s refused: not a "
                "party", sender, channel.id)
            return None
        return channel

    def party_addresses(self):
        "The e-mail addresses that may write in the conversation."
        addresses = set()
        resource = self.resource
        if hasattr(resource, 'chat_client_addresses'):
            addresses.update(resource.chat_client_addresses())
        for follower in self.followers:
            if follower.user and follower.user.email:
                addresses.add(follower.user.email)
            elif follower.email:
                addresses.add(follower.email)
        return {address_key(a) for a in addresses if a}

    @classmethod
    def _email_content(cls, body):
        return chat_text.reply_text(body)

    @classmethod
    def post_from_email(cls, email):
        """Tryton's post_from_email, given the text decoded: it reads the
        text part's payload as sent (quoted-printable, base64)."""
        text = None
        for part in email.walk():
            if part.get_content_type() == 'text/plain':
                text = part.get_content()
                break
        if text is None:
            return None
        plain = EmailMessage()
        for key in ('From', 'To', 'Cc', 'Delivered-To', 'Message-ID',
                'In-Reply-To', 'References', 'Subject'):
            for value in email.get_all(key, []):
                plain[key] = value
        plain.set_content(text, cte='8bit')
        content = cls._email_content(plain.get_payload())
        if not content.strip():
            return None
        check_content(content)
        return super().post_from_email(plain)

    @classmethod
    def create(cls, vlist):
        channels = super().create(vlist)
        cls.add_staff_followers(channels)
        return channels

    @classmethod
    def add_staff_followers(cls, channels):
        Follower = Pool().get('ir.chat.follower')
        for channel in channels:
            resource = channel.resource
            if hasattr(resource, 'chat_staff_users'):
                for user in resource.chat_staff_users():
                    Follower.add_user(channel, user)

    @classmethod
    def post_from_client(cls, resource, email, content):
        """Post content by the client known by email (portal, e-mail): a
        public message, as Tryton's post_from_email makes them."""
        Message = Pool().get('ir.chat.message')
        check_content(content)
        message = Message(
            channel=cls._get_channel(resource), email=email,
            audience='public', content=content)
        message.save()
        cls.dispatch_message(message, lambda u: u == email)
        return message

    @classmethod
    def get(cls, resource, before=None, after=None):
        messages = super().get(resource, before=before, after=after)
        cls.mark_read(resource)
        return messages

    @classmethod
    def mark_client_read(cls, resource, messages):
        "The client has seen messages of resource's conversation."
        last = max((m.id for m in messages), default=0)
        channel = cls._get_channel(resource) if last else None
        if channel and last > (channel.client_read or 0):
            channel.client_read = last
            channel.save()

    @classmethod
    def mark_client_seen(cls, resource):
        """The client's page is open on resource's conversation: they are
        not away (written at most every SEEN_EVERY)."""
        now = utc_now().replace(microsecond=0)
        channel = cls._get_channel(resource)
        if channel and (not channel.client_seen
                or now - channel.client_seen >= SEEN_EVERY):
            channel.client_seen = now
            channel.save()

    @classmethod
    def mark_read(cls, resource):
        "Mark the current user's notifications of resource's chat read."
        Notification = Pool().get('res.notification')
        transaction = Transaction()
        if transaction.readonly or not transaction.user:
            return
        model, id_ = str(resource).split(',')
        notifications = Notification.search([
                ('user', '=', transaction.user),
                ('unread', '=', True),
                ('model', '=', model),
                ('records', '=', json.dumps([int(id_)])),
                ('icon', '=', 'tryton-chat'),
                ])
        if notifications:
            Notification.write(notifications, {'unread': False})
