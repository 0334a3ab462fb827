"""The back office closed to staff who are past the deadline without a
second factor: every model access check refuses them but the client's own
models (menus, views, preferences) and the enrolment wizard (policy.py)."""
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from . import policy


class ModelAccess(metaclass=PoolMeta):
    __name__ = 'ir.model.access'

    @classmethod
    def check(cls, model_name, mode='read', raise_exception=True):
        transaction = Transaction()
        if (transaction.check_access and transaction.user
                and not policy.usable_when_restricted(model_name)
                and Pool().get('res.user').enrolment_restricted(
                    transaction.user)):
            if raise_exception:
                raise AccessError(gettext('photo_auth.msg_enrol_first'))
            return False
        return super().check(
            model_name, mode=mode, raise_exception=raise_exception)
