from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('photo.notification|dispatch', "Send Notifications"),
                ('photo.booking|lapse_requests', "Lapse Waiting Requests"),
                ])


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._user_rule_models |= {
            'photo.notification', 'photo.notification.preference',
            'photo.notification.device'}
