"Staff link their Telegram from their preferences by a one-time link."
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

from . import people


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    telegram_link = fields.Function(fields.Char(
            "Telegram Link",
            help="Open it on the phone with Telegram to link the bot to "
            "you (once, within an hour)."), 'get_telegram')
    telegram_linked = fields.Function(fields.Boolean(
            "Telegram Linked",
            help="Clear it to unlink your Telegram chat."),
        'get_telegram', setter='set_telegram_linked')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields += ['telegram_link', 'telegram_linked']

    @classmethod
    def get_telegram(cls, users, names):
        result = {name: {u.id: None for u in users} for name in names}
        me = Transaction().user
        for user in users:
            # The link is a credential: only its owner sees it.
            if user.id != me:
                continue
            chat = people._user_chat(user)
            if 'telegram_linked' in names:
                result['telegram_linked'][user.id] = bool(chat)
            if 'telegram_link' in names:
                result['telegram_link'][user.id] = people.start_url(user)
        return result

    @classmethod
    def set_telegram_linked(cls, users, name, value):
        me = Transaction().user
        if value:
            return  # linking takes the bot: see telegram_link
        for user in users:
            if user.id == me or me == 0:
                people.unlink_user(user)
