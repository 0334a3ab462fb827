"""The conversation in Telegram (registered where photo_telegram is
installed: tryton.cfg's `[register photo_telegram]`).

Each message of a booking's conversation goes to the Telegram chat of the
client (the studio's public messages) and of each following staff member
linked to the bot (photo_telegram's linking: party / photographer
telegram_chat, a staff preference), never to its author: an event
'chat_telegram' of photo_notify's outbox, by Telegram only, whose first
line is "[<booking number>] <author>". Whoever answers it with Telegram's
Reply posts into the conversation: the bot's handler (first of group 0,
before the dialogues) reads the number from the message replied to (one the bot
sent), checks that the chat is linked to the booking's client or to a
staff member of its conversation, and posts as them; sao and the portal
show it like any other message."""
import re

from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .chat import check_rate
from .exceptions import ChatMessageError
from .notify import authorship

EVENT = 'chat_telegram'
NUMBER = re.compile(r'^\[([^\]\s]{1,40})\]')


class Notification(metaclass=PoolMeta):
    __name__ = 'photo.notification'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.event.selection.append((EVENT, "Chat message in Telegram"))

    @classmethod
    def on_chat_message(cls, message):
        return super().on_chat_message(message) + cls.enqueue_telegram(
            message)

    @classmethod
    def enqueue_telegram(cls, message):
        "Bridge message to the linked Telegram chats of the others."
        pool = Pool()
        Booking = pool.get('photo.booking')
        booking = message.channel.resource
        if not isinstance(booking, Booking):
            return []
        if message.user is not None and not message.user.id:
            return []  # Tryton's notices (a follower joined)
        _sender, client_wrote = authorship(message)

        def keep(recipient, person):
            if not person['addresses'].get('telegram'):
                return False
            if recipient == 'client':
                if message.audience != 'public' or client_wrote:
                    return False
            elif message.user and message.user.id == person.get('user'):
                return False
            # Telegram only: the bridge is the conversation itself.
            person['channels'] = ['telegram']
            return True
        with Transaction().set_user(0):
            return cls.enqueue(EVENT, str(message), booking, keep=keep)

    def message_name(self):
        if self.event == EVENT:
            return 'photo_chat.msg_chat_telegram'
        return super().message_name()

    def values(self):
        values = super().values()
        if self.event == EVENT:
            Message = Pool().get('ir.chat.message')
            source = self.key.split(':')[1]  # 'ir.chat.message,<id>'
            message = Message(int(source.split(',')[1]))
            values['author'] = message.author
            values['content'] = message.content
        return values


class _Bridged(filters.MessageFilter):
    "A reply to a message of a bot that starts with a booking number."

    def filter(self, message):
        replied = message.reply_to_message
        return bool(replied and replied.from_user
            and replied.from_user.is_bot and replied.text
            and NUMBER.match(replied.text))


BRIDGED = _Bridged(name='photo_chat.bridged')


class Bot(metaclass=PoolMeta):
    __name__ = 'photo.telegram.bot'

    @classmethod
    def get_handlers(cls):
        """The bridge first in group 0 (group -1 holds the second factor,
        which lets other texts through): it takes only replies to bridged
        messages, so the dialogues get everything else; staff pass their
        second factor first (staff_guard)."""
        from trytond.modules.photo_telegram.bot import staff_guard
        reply = MessageHandler(
            BRIDGED & filters.TEXT & ~filters.COMMAND,
            staff_guard(bridge_reply))
        return [(reply, 0)] + super().get_handlers()


async def bridge_reply(update, context):
    "A reply to a bridged message: posted into its conversation."
    message = update.effective_message
    replied = message.reply_to_message
    if replied.from_user.id != context.bot.id:
        return  # another bot's message, forwarded
    match = NUMBER.match(replied.text)
    store = context.bot_data['store']
    answer = await store.run(post_reply, str(update.effective_chat.id),
        match.group(1), message.text,
        update.effective_user.language_code if update.effective_user
        else None)
    await message.reply_text(answer)
    raise ApplicationHandlerStop


def post_reply(chat, number, text, telegram_language=None):
    """Post text in the conversation of booking number for the person of
    chat, if they are one of its parties; what to tell them."""
    from trytond.modules.photo_telegram import people
    pool = Pool()
    Booking = pool.get('photo.booking')
    Channel = pool.get('ir.chat.channel')
    person = people.who(chat, telegram_language)
    with Transaction().set_context(language=person.language):
        bookings = Booking.search([('number', '=', number)], limit=1)
        if not bookings or not person.linked:
            return gettext('photo_chat.msg_chat_telegram_not_yours')
        booking, = bookings
        channels = Channel.search([('resource', '=', str(booking))])
        staff = {f.user.id for c in channels for f in c.followers if f.user}
        if booking.photographer and booking.photographer.user:
            staff.add(booking.photographer.user.id)
        try:
            if person.user and person.user in staff:
                with Transaction().set_user(person.user), \
                        Transaction().set_context(_check_access=False):
                    Channel.post(str(booking), text, 'public')
            elif person.party and booking.client.id == person.party:
                addresses = booking.chat_client_addresses()
                email = (booking.web_user.email if booking.web_user
                    else booking.email or min(addresses, default=None))
                if not email:
                    return gettext('photo_chat.msg_chat_telegram_no_email')
                check_rate(f'party.party,{person.party}')
                Channel.post_from_client(str(booking), email, text)
            else:
                return gettext('photo_chat.msg_chat_telegram_not_yours')
        except ChatMessageError as error:
            return error.message
        return gettext('photo_chat.msg_chat_telegram_sent', number=number)
