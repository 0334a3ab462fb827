"""web.user with its sign-in accounts: what the portal shows of them, and
no way in left to a closed account."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta

from .portal import account_panel, login_panels


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    oauth_identities = fields.One2Many(
        'photo.oauth.identity', 'web_user', "Sign-in Accounts",
        readonly=True)

    def can_unlink(self, identity):
        """Whether identity may go: not the last way in of an account
        without a password."""
        others = [i for i in self.oauth_identities if i != identity]
        return bool(self.password_hash or others)

    @classmethod
    def portal_login_panels(cls):
        return super().portal_login_panels() + login_panels()

    def portal_account_panels(self):
        return super().portal_account_panels() + account_panel(self)

    @classmethod
    def write(cls, *args):
        super().write(*args)
        # A closed account (deleted from the cabinet, its party erased)
        # keeps no way in.
        Identity = Pool().get('photo.oauth.identity')
        actions = iter(args)
        closed = []
        for users, values in zip(actions, actions):
            if values.get('active') is False:
                closed.extend(users)
        if closed:
            Identity.delete(Identity.search([
                        ('web_user', 'in', [u.id for u in closed])]))

    @classmethod
    def copy(cls, users, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('oauth_identities')
        return super().copy(users, default=default)
