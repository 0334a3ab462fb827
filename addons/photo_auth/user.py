"""The staff's second factor: a TOTP secret per user, checked by the
`totp` method of trytond's `[session] authentications` chain, enrolled
through a wizard, reset by a manager.

Staff (Photo Manager and Photographer groups) who have not enrolled yet
sign in with their password during a grace period (`[photo_auth]
enrol_within` days), the enrolment wizard opening at each login; past it
their login is refused until a manager opens an enrolment window, in which
they can do nothing but enrol (policy.py, README: Design)."""

from sql import Null

import trytond.config as config
from trytond.cache import Cache
from trytond.exceptions import LoginException
from trytond.i18n import gettext, ngettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from trytond.modules.photo_booking.common import utc_now
from trytond.modules.photo_booking.encryption import (
    EncryptedMixin, encrypted)

from . import policy, totp
from .exceptions import EnrolmentRequired, SecondFactorError

PREFERENCES = ['second_factor', 'recovery_codes_left', 'enrol_deadline']
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
        User = Pool().get('res.user')
        codes = totp.new_recovery_codes()
        with without_check_access():
            cls.delete(cls.search([('user', '=', user_id)]))
            cls.create([{
                        'user': user_id,
                        'secret': secret,
                        'last_step': step,
                        'recovery_codes': totp.hash_recovery_codes(codes),
                        }])
            # The enrolment window a manager opened is used up.
            User.write([User(user_id)], {'enrol_open_until': None})
        User._enrolment_cache.clear()
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
                'allow_enrolment': {
                    'invisible': Eval('second_factor', False),
                    'depends': ['second_factor'],
                    },
                })


class User(SecondFactorMixin, metaclass=PoolMeta):
    __name__ = 'res.user'

    recovery_codes_left = fields.Function(fields.Integer(
            "Recovery Codes Left"), 'get_second_factor')
    staff_since = fields.DateTime(
        "Staff Since", readonly=True,
        help="When the user joined a staff group: the time to enrol a "
        "second factor counts from then.")
    enrol_open_until = fields.DateTime(
        "Enrolment Open Until", readonly=True,
        help="Until then the user may sign in with the password only, "
        "to enrol a second factor (opened by a manager).")
    enrol_deadline = fields.Function(fields.DateTime(
            "Enrol Before",
            help="Staff without a second factor cannot sign in after it."),
        'get_enrol_deadline')
    _enrolment_cache = Cache(
        'res.user.enrolment_restricted', duration=300, context=False)

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
            enrolment = cls(user_id).enrolment()
            if enrolment.status == policy.LOCKED:
                raise EnrolmentRequired(gettext(
                        'photo_auth.msg_enrol_required', login=login,
                        deadline=cls._show_date(enrolment.deadline)))
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
        SecondFactor = Pool().get('res.user.second_factor')
        return self.is_staff() and SecondFactor.of_user(self.id) is None

    @classmethod
    def staff_groups(cls):
        ModelData = Pool().get('ir.model.data')
        return {ModelData.get_id(*g.split('.')) for g in STAFF_GROUPS}

    def is_staff(self):
        return bool(self.staff_groups() & {g.id for g in self.groups})

    @classmethod
    def second_factor_installed(cls):
        """When photo_auth was activated (its first XML record), where the
        grace of staff who already were starts."""
        ModelData = Pool().get('ir.model.data')
        with without_check_access():
            first = ModelData.search([('module', '=', 'photo_auth')],
                order=[('id', 'ASC')], limit=1)
        return first[0].create_date if first else None

    def enrolment(self, now=None):
        "The user's policy.Enrolment (must they enrol, until when)."
        SecondFactor = Pool().get('res.user.second_factor')
        now = now or utc_now()
        with without_check_access():
            staff = self.is_staff()
            enrolled = SecondFactor.of_user(self.id) is not None
            since = (self.staff_since or self.second_factor_installed()
                or self.create_date)
            window = self.enrol_open_until
        return policy.enrolment(staff, enrolled, since, now,
            config.getint('photo_auth', 'enrol_within',
                default=policy.DEFAULT_ENROL_WITHIN), window)

    @classmethod
    def enrolment_restricted(cls, user_id):
        """Whether user_id may use nothing of the back office but the
        enrolment (staff past the deadline without a second factor)."""
        restricted = cls._enrolment_cache.get(user_id)
        if restricted is None:
            with without_check_access():
                restricted = cls(user_id).enrolment().restricted
            cls._enrolment_cache.set(user_id, restricted)
        return restricted

    @classmethod
    def get_enrol_deadline(cls, users, name):
        result = {}
        for user in users:
            result[user.id] = user.enrolment().deadline
        return result

    @staticmethod
    def _show_date(value):
        Lang = Pool().get('ir.lang')
        return Lang.get().strftime(value.date()) if value else ''

    @classmethod
    def became_staff(cls, users):
        "Start the users' time to enrol unless it started already."
        users = [u for u in users if not u.staff_since]
        if users:
            with without_check_access():
                cls.write(users, {'staff_since': utc_now()})
            cls._enrolment_cache.clear()

    @classmethod
    @ModelView.button
    def allow_enrolment(cls, users):
        cls.open_enrolment_window(users)

    @classmethod
    def open_enrolment_window(cls, users):
        """Let the users sign in with their password only for
        `[photo_auth] enrol_window` hours, to enrol and nothing else."""
        until = policy.window_end(utc_now(), config.getint(
                'photo_auth', 'enrol_window',
                default=policy.DEFAULT_ENROL_WINDOW))
        with without_check_access():
            cls.write(list(users), {'enrol_open_until': until})
        cls._enrolment_cache.clear()

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
        and enrol again (a lost phone), within the grace period or the
        enrolment window this opens."""
        SecondFactor = Pool().get('res.user.second_factor')
        with without_check_access():
            SecondFactor.delete(SecondFactor.search(
                    [('user', 'in', [u.id for u in users])]))
        cls.open_enrolment_window(users)


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

    @classmethod
    @ModelView.button
    def allow_enrolment(cls, photographers):
        User = Pool().get('res.user')
        User.open_enrolment_window(
            [p.user for p in photographers if p.user])


class UserGroup(metaclass=PoolMeta):
    "The time to enrol starts when a user joins a staff group."
    __name__ = 'res.user-res.group'

    @classmethod
    def create(cls, vlist):
        User = Pool().get('res.user')
        records = super().create(vlist)
        staff = User.staff_groups()
        with without_check_access():
            User.became_staff(list({r.user for r in records
                        if r.group.id in staff}))
        return records


class EnrolStart(ModelView):
    "Enrol a second factor"
    __name__ = 'res.user.second_factor.enrol.start'

    notice = fields.Text("Notice", readonly=True,
        states={'invisible': ~Eval('notice')})
    may_postpone = fields.Boolean("May Postpone", readonly=True)

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
            Button("Later", 'end', 'tryton-cancel',
                states={'invisible': ~Eval('may_postpone', True)}),
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
        enrolment = user.enrolment()
        return {
            'secret': secret,
            'qr_code': totp.qr_png(uri),
            'may_postpone': not enrolment.restricted,
            'notice': self._notice(enrolment),
            }

    @staticmethod
    def _notice(enrolment):
        "What the wizard tells about the deadline, or None."
        if enrolment.status == policy.GRACE:
            return ngettext('photo_auth.msg_enrol_days_left',
                enrolment.days_left, days=enrolment.days_left)
        if enrolment.status == policy.WINDOW:
            return gettext('photo_auth.msg_enrol_now')

    def transition_enrol(self):
        SecondFactor = Pool().get('res.user.second_factor')
        codes = SecondFactor.enrol(
            Transaction().user, self.start.secret, self.start.code)
        self.done.recovery_codes = '\n'.join(codes)
        return 'done'

    def default_done(self, fields):
        return {'recovery_codes': self.done.recovery_codes}
