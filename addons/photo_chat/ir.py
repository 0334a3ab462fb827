from trytond.pool import PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # A photographer reads and posts on their own bookings' chats only.
        cls._user_rule_models.add('photo.chat.message')
