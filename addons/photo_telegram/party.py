"Telegram chats linked to clients and photographers."
from trytond.model import Unique, fields
from trytond.pool import Pool, PoolMeta


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


class Erase(metaclass=PoolMeta):
    "An erased client's chat with the bot is forgotten: it writes no more."
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        Party = Pool().get('party.party')
        return super().to_erase(party_id) + [
            (Party, [('id', '=', party_id)], False,
                ['telegram_chat'], [None]),
            ]
