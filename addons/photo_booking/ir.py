from trytond.pool import PoolMeta
from trytond.transaction import Transaction

# Models whose record rules compare with the current user: photographers
# see and act on their own bookings, schedule and clients only.
USER_RULE_MODELS = {
    'photo.booking',
    'photo.booking.equipment_line',
    'photo.booking.log',
    'photo.photographer',
    'photo.photographer.working_hours',
    'photo.photographer.exception',
    'photo.photographer.fixed_slot',
    'photo.photographer.busy',
    'photo.review',
    'party.party',
    'party.contact_mechanism',
    'party.address',
    'web.user',
    }


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('photo.booking|release_expired_holds', "Release Expired Holds"))
        cls.method.selection.append(
            ('photo.api.idempotency_key|clean', "Forget Idempotency Keys"))


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Modules that depend on this one add their models in __setup__.
        cls._user_rule_models = set(USER_RULE_MODELS)

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in cls._user_rule_models:
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & cls._user_rule_models:
            key = (*key, Transaction().user)
        return key
