"Telegram chats linked to clients and photographers."
from trytond.model import Unique, fields
from trytond.pool import PoolMeta


class TelegramChatMixin:
    __slots__ = ()
    telegram_chat = fields.Char(
        "Telegram Chat", readonly=True,
        help="Set when the person starts the bot: where it writes to them.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('telegram_chat_unique', Unique(t, t.telegram_chat),
                'photo_telegram.msg_telegram_chat_unique'),
            ]


class Party(TelegramChatMixin, metaclass=PoolMeta):
    __name__ = 'party.party'


class Photographer(TelegramChatMixin, metaclass=PoolMeta):
    __name__ = 'photo.photographer'
