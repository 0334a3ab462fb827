"Tryton's chat channels, with access by the record's own rules."
import json
import logging
import uuid

from sql import Table
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, check_access

logger = logging.getLogger(__name__)


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'
    client_read = fields.Integer(
        "Read by Client", readonly=True,
        help="The last message the client has seen (in the portal).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Reading a conversation marks its notifications read.
        cls.__rpc__['get'] = RPC(readonly=False, check_access=False)

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
