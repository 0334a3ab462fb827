"A booking is a conversation: Tryton's chat on the booking record."
import json
from collections import defaultdict

from sql.aggregate import Count

from trytond.model import ChatMixin, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Booking(ChatMixin, metaclass=PoolMeta):
    __name__ = 'photo.booking'

    chat_unread = fields.Function(
        fields.Integer(
            "Unread",
            help="Chat messages on this booking you have not read yet."),
        'get_chat_unread')

    def chat_language(self, audience='internal'):
        # What the client reads is in the client's language; staff notes
        # stay in the studio's.
        if audience == 'public' and self.client and self.client.lang:
            return self.client.lang.code

    def chat_staff_users(self):
        "The back-office users who follow the booking's conversation."
        users = set()
        if self.photographer and self.photographer.user:
            users.add(self.photographer.user)
        # The staff member who entered it in the back office (the portal
        # and the bot create bookings as root).
        if self.create_uid and self.create_uid.id:
            users.add(self.create_uid)
        return users

    def chat_client_addresses(self):
        "The client's e-mail addresses known to this booking."
        return {a for a in [
                self.email,
                self.web_user.email if self.web_user else None,
                self.client.email if self.client else None,
                ] if a}

    def chat_client_messages(self, after=None):
        "The conversation as the client sees it: public messages only."
        Message = Pool().get('ir.chat.message')
        domain = [
            ('channel.resource', '=', str(self)),
            ('audience', '=', 'public'),
            ]
        if after is not None:
            domain.append(('id', '>', after))
        return Message.search(domain, order=[('id', 'ASC')])

    def chat_client_unread(self):
        "How many staff messages the client has not seen."
        Channel = Pool().get('ir.chat.channel')
        channels = Channel.search([('resource', '=', str(self))])
        if not channels:
            return 0
        channel, = channels
        return sum(1 for m in self.chat_client_messages(
                after=channel.client_read or 0) if m.user)

    @classmethod
    def get_chat_unread(cls, bookings, name):
        """The current user's unread chat notifications per booking: Tryton
        notifies each following user of each message (res.notification,
        the bell of sao), and opening the chat marks them read."""
        pool = Pool()
        Notification = pool.get('res.notification')
        notification = Notification.__table__()
        cursor = Transaction().connection.cursor()
        keys = {json.dumps([b.id]): b.id for b in bookings}
        unread = defaultdict(int)
        cursor.execute(*notification.select(
                notification.records, Count(),
                where=(notification.user == Transaction().user)
                & notification.unread
                & (notification.model == cls.__name__)
                & (notification.icon == 'tryton-chat')
                & notification.records.in_(list(keys)),
                group_by=[notification.records]))
        for records, count in cursor:
            unread[keys[records]] = count
        return {b.id: unread[b.id] for b in bookings}

    @classmethod
    def write(cls, *args):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        super().write(*args)
        actions = iter(args)
        moved = [b for records, values in zip(actions, actions)
            if 'photographer' in values for b in records]
        if moved:
            # A new photographer follows the conversation they take over.
            Channel.add_staff_followers(Channel.search([
                        ('resource', 'in', [str(b) for b in moved]),
                        ]))
