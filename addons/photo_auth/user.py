"""The staff's second factor: a TOTP secret per user, checked by the
`totp` method of trytond's `[session] authentications` chain, enrolled
through a wizard, reset by a manager.

Staff (Photo Manager and Photographer groups) who have not enrolled yet
still sign in with their password, and the enrolment wizard opens at each of
their logins until they enrol (see README: Design)."""
from sql import Null

import trytond.config as config
from trytond.exceptions import LoginException
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from trytond.modules.photo_booking.encryption import (
    EncryptedMixin, encrypted)

from . import totp
from .exceptions import SecondFactorError

PREFERENCES = ['second_factor', 'recovery_codes_left']
STAFF_GROUPS = (
    'photo_booking.group_photo_manager', 'photo_booking.group_photographer')
LOGIN_PARAMETER = 'totp_code'


class SecondFactor(EncryptedMixin, ModelSQL):
    """A staff member's authenticator secret.

    Nobody reads it through the ORM, the administrator neither (no access
    row grants it); the login, the wizard and check_second_factor read it
    as root. `secret`, its only sensitive field, is stored encrypted
    (photo_booking's encryption at rest)."""
    __name__ = 'res.user.second_factor'

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    secret = encrypted(fields.Char("Secret", strip=False, required=True))
    last_step = fields.Integer(
        "Last Step", help="The time step of the last code accepted.")
    recovery_codes = fields.Text(
        "Recovery Codes", help="Hashes of the unused recovery codes.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_unique', Unique(t, t.user),
                'photo_auth.msg_second_factor_user_unique'),
            ]

    @classmethod
    def of_user(cls, user_id):
        "The second factor of user_id, or None when not enrolled."
        with without_check_access():
            factors = cls.search([('user', '=', user_id)], limit=1)
        return factors[0] if factors else None

    def check(self, code):
        """Whether code is the current TOTP code or an unused recovery code;
        either then works no more."""
        step = totp.match(self.secret, code, self.last_step)
        if step is not None:
            return self._consume(
                'last_step', self.last_step, step)
        remaining = totp.use_recovery_code(self.recovery_codes, code)
        if remaining is not None:
            return self._consume(
                'recovery_codes', self.recovery_codes, remaining)
        return False

    def _consume(self, name, old, new):
        """Store new in place of old unless a concurrent login did first:
        a code is accepted once."""
        table = self.__table__()
        column = getattr(table, name)
        if name == 'last_step':
            unchanged = (column == Null) | (column < new)
        else:
            unchanged = column == old if old is not None else column == Null
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update([column], [new],
                where=(table.id == self.id) & unchanged))
        consumed = cursor.rowcount == 1
        # Written in SQL: what the transaction read of the row is stale.
        transaction.counter += 1
        for cache in transaction.cache.values():
            cache.get(self.__name__, {}).pop(self.id, None)
        return consumed

    @classmethod
    def enrol(cls, user_id, secret, code):
        """Enrol user_id with secret once code proves the app has it, and
        return the new recovery codes (shown once, stored hashed)."""
        step = totp.match(secret, code)
        if step is None:
            raise SecondFactorError(gettext('photo_auth.msg_enrol_wrong_code'))
        codes = totp.new_recovery_codes()
        with without_check_access():
            cls.delete(cls.search([('user', '=', user_id)]))
            cls.create([{
                        'user': user_id,
                        'secret': secret,
                        'last_step': step,
                        'recovery_codes': totp.hash_recovery_codes(codes),
                        }])
        return codes


class SecondFactorMixin:
    "Whether the person has a second factor, and the button resetting it."
    __slots__ = ()
    second_factor = fields.Function(fields.Boolean(
            "Second Factor",
            help="Whether they sign in with a code of an authenticator app."),
        'get_second_factor')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'reset_second_factor': {
                    'invisible': ~Eval('second_factor', False),
                    'depends': ['second_factor'],
                    },
                })


class User(SecondFactorMixin, metaclass=PoolMeta):
    __name__ = 'res.user'

    recovery_codes_left = fields.Function(fields.Integer(
            "Recovery Codes Left"), 'get_second_factor')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields += PREFERENCES

    @classmethod
    def get_preferences_fields_view(cls):
        result = super().get_preferences_fields_view()
        for name in PREFERENCES:
            if name in result['fields']:
                result['fields'][name]['readonly'] = True
        return result

    @classmethod
    def set_preferences(cls, values):
        super().set_preferences(
            {k: v for k, v in values.items() if k not in PREFERENCES})

    @classmethod
    def get_second_factor(cls, users, names):
        SecondFactor = Pool().get('res.user.second_factor')
        with without_check_access():
            factors = {f.user.id: f for f in SecondFactor.search(
                    [('user', 'in', [u.id for u in users])])}
        result = {}
        if 'second_factor' in names:
            result['second_factor'] = {
                u.id: u.id in factors for u in users}
        if 'recovery_codes_left' in names:
            result['recovery_codes_left'] = {
                u.id: totp.count_recovery_codes(factors[u.id].recovery_codes)
                if u.id in factors else None for u in users}
        return result

    @classmethod
    def _login_totp(cls, login, parameters):
        """The user's id when the code is right or the user has not
        enrolled; sao asks for the code (LoginException) when missing.

        A wrong code returns None: get_login counts it in
        res.user.login.attempt, so a few wrong codes lock the login as wrong
        passwords do."""
        SecondFactor = Pool().get('res.user.second_factor')
        user_id, _, _ = cls._get_login(login)
        if not user_id:
            return None
        factor = SecondFactor.of_user(user_id)
        if factor is None:
            return user_id
        code = parameters.get(LOGIN_PARAMETER)
        if not code:
            raise LoginException(LOGIN_PARAMETER,
                gettext('photo_auth.msg_totp_code', login=login),
                type='char')
        if factor.check(code):
            return user_id
        return None

    def check_second_factor(self, code):
        """Whether code is this user's current authenticator code or one of
        the recovery codes (each works once).

        For other channels acting for a staff member (the Telegram bot):
        failures count as failed logins of f'2fa:{login}', and past
        `[session] max_attempt` of them every code is refused until they
        age out (`[session] timeout`)."""
        pool = Pool()
        SecondFactor = pool.get('res.user.second_factor')
        LoginAttempt = pool.get('res.user.login.attempt')
        key = f'2fa:{self.login}'
        if LoginAttempt.count(key) > config.getint(
                'session', 'max_attempt', default=5):
            return False
        factor = SecondFactor.of_user(self.id)
        if factor is not None and factor.check(code):
            LoginAttempt.remove(key)
            return True
        LoginAttempt.add(key)
        return False

    def must_enrol(self):
        "Whether this user is staff and has no second factor yet."
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        SecondFactor = pool.get('res.user.second_factor')
        staff = {ModelData.get_id(*g.split('.')) for g in STAFF_GROUPS}
        return (bool(staff & {g.id for g in self.groups})
            and SecondFactor.of_user(self.id) is None)

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        preferences = super()._get_preferences(
            user, context_only=context_only)
        if 'actions' in preferences and user.must_enrol():
            action_id = Action.get_action_id(
                ModelData.get_id('photo_auth', 'wizard_second_factor_enrol'))
            if action_id not in preferences['actions']:
                preferences['actions'].insert(0, action_id)
        return preferences

    @classmethod
    @ModelView.button
    def reset_second_factor(cls, users):
        cls.forget_second_factor(users)

    @classmethod
    def forget_second_factor(cls, users):
        """Forget the users' second factor: they sign in with their password
        and enrol again (a lost phone)."""
        SecondFactor = Pool().get('res.user.second_factor')
        with without_check_access():
            SecondFactor.delete(SecondFactor.search(
                    [('user', 'in', [u.id for u in users])]))


class Photographer(SecondFactorMixin, metaclass=PoolMeta):
    __name__ = 'photo.photographer'

    @classmethod
    def get_second_factor(cls, photographers, name):
        User = Pool().get('res.user')
        users = [p.user for p in photographers if p.user]
        enrolled = User.get_second_factor(
            users, ['second_factor'])['second_factor']
        return {p.id: bool(p.user and enrolled.get(p.user.id))
            for p in photographers}

    @classmethod
    @ModelView.button
    def reset_second_factor(cls, photographers):
        User = Pool().get('res.user')
        User.forget_second_factor(
            [p.user for p in photographers if p.user])


class EnrolStart(ModelView):
    "Enrol a second factor"
    __name__ = 'res.user.second_factor.enrol.start'

    qr_code = fields.Binary("QR Code", readonly=True)
    secret = fields.Char(
        "Secret", readonly=True,
        help="Type it into the app if it cannot scan the QR code.")
    code = fields.Char(
        "Code", required=True,
        help="The 6 digits the app shows now.")


class EnrolDone(ModelView):
    "Second factor enrolled"
    __name__ = 'res.user.second_factor.enrol.done'

    recovery_codes = fields.Text(
        "Recovery Codes", readonly=True,
        help="Each signs in once in place of a code of the app. "
        "Keep them somewhere safe: they are shown only now.")


class Enrol(Wizard):
    """Enrol the current user's second factor: scan the QR code with an
    authenticator app, confirm one of its codes, keep the recovery codes."""
    __name__ = 'res.user.second_factor.enrol'

    start = StateView('res.user.second_factor.enrol.start',
        'photo_auth.second_factor_enrol_start_view_form', [
            Button("Later", 'end', 'tryton-cancel'),
            Button("Enrol", 'enrol', 'tryton-ok', default=True),
            ])
    enrol = StateTransition()
    done = StateView('res.user.second_factor.enrol.done',
        'photo_auth.second_factor_enrol_done_view_form', [
            Button("Done", 'end', 'tryton-ok', default=True),
            ])

    def default_start(self, fields):
        User = Pool().get('res.user')
        user = User(Transaction().user)
        secret = self.start.secret or totp.new_secret()
        issuer = config.get('photo_auth', 'issuer', default='Photo Studio')
        uri = totp.provisioning_uri(secret, user.login, issuer)
        return {
            'secret': secret,
            'qr_code': totp.qr_png(uri),
            }

    def transition_enrol(self):
        SecondFactor = Pool().get('res.user.second_factor')
        codes = SecondFactor.enrol(
            Transaction().user, self.start.secret, self.start.code)
        self.done.recovery_codes = '\n'.join(codes)
        return 'done'

    def default_done(self, fields):
        return {'recovery_codes': self.done.recovery_codes}
