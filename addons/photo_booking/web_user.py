"""Portal accounts: notification preferences; sign-in attempts counted per
address and per known device, refused at once instead of slept on; a new
password ends all sessions."""
import datetime as dt
import logging
import math

from sql import Literal, Null
from sql.aggregate import Count, Min
from sql.operators import Equal

import trytond.config as config
from trytond.model import Exclude, Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from . import security
from .encryption import EncryptedMixin, blind_index_field, encrypted
from .exceptions import TooManyAttempts
from .mail import MailMixin

logger = logging.getLogger(__name__)


class User(MailMixin, EncryptedMixin, metaclass=PoolMeta):
    __name__ = 'web.user'
    # The e-mail is stored encrypted: sign-in, sign-up and the back office
    # find it by this keyed hash, unique among active accounts.
    email_hash = blind_index_field()
    email_reminders = fields.Boolean(
        "Email Reminders",
        help="Send booking reminders and changes by email.")
    telegram_notifications = fields.Boolean(
        "Telegram Notifications",
        help="Send booking reminders and changes through the Telegram bot "
        "once the client has started it.")
    # web_user.xml's photographer rule follows it.
    photo_bookings = fields.One2Many(
        'photo.booking', 'web_user', "Photo Bookings", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        encrypted(cls.email, blind_index='email_hash')
        t = cls.__table__()
        # Ciphertexts all differ: the unique email is its hash's.
        cls._sql_constraints = [
            ('email_hash_exclude', Exclude(t, (t.email_hash, Equal),
                    where=t.active == Literal(True)), message)
            if name == 'email_exclude' else (name, constraint, message)
            for name, constraint, message in cls._sql_constraints]
        cls._sql_indexes.add(
            Index(t, (t.email_hash, Index.Equality(cardinality='high'))))

    @classmethod
    def __register__(cls, module_name):
        if module_name == 'photo_booking':
            cls.__table_handler__(module_name).drop_constraint(
                'email_exclude')
        super().__register__(module_name)

    @classmethod
    def personal_data_accessed(cls, users, action):
        """Someone viewed ('view') or exported ('export') the personal data
        of users: a hook for the audit log (photo_audit)."""

    @classmethod
    def default_email_reminders(cls):
        return True

    @classmethod
    def default_telegram_notifications(cls):
        # Nothing to promise before the client has started the bot.
        return False

    @classmethod
    def authenticate(cls, email, password, device=None):
        """The user of email and password, or None after a failure.

        web_user's sleeps 2**n - 1 s in the worker and counts failures per
        email from anywhere, so a stranger locks the owner out. Here the
        failures count per (email, IP address), or per device when device
        is a token this email got at a past sign-in (device_token): past
        `[session] max_attempt` the attempt is refused at once
        (TooManyAttempts), and the owner's known devices keep working."""
        pool = Pool()
        Attempt = pool.get('web.user.authenticate.attempt')
        email = email.lower()
        users = cls.search([('email', '=', email)], limit=1)
        user = users[0] if users else None
        if not (user and device and security.check_device(
                    device, email, user.password_hash)):
            device = None
            # A flood from the network does not lock out known devices.
            Attempt.check_network()
        Attempt.check(email, device)
        if user and user.password_hash:
            valid, new_hash = cls.check_password(
                password, user.password_hash)
            if valid:
                if new_hash:
                    logger.info("Update password hash for %s", user.id)
                    with Transaction().new_transaction():
                        with without_check_access():
                            cls.write([cls(user.id)], {
                                    'password_hash': new_hash,
                                    })
                Attempt.forget(email, device)
                return user
        Attempt.add(email, device)

    def device_token(self):
        "A token that keeps this device signing in despite others' failures."
        return security.device_token(self.email, self.password_hash)

    @classmethod
    def set_password_token(cls, email, token, password):
        """web_user's, refusing at once past `[session] max_attempt` failed
        tokens for email from this address instead of sleeping a random,
        uncapped delay in the worker."""
        pool = Pool()
        Attempt = pool.get('web.user.authenticate.attempt')
        email = email.lower()
        Attempt.check_network()
        Attempt.check(email)
        users = cls.search([('email', '=', email)], limit=1)
        if users:
            user, = users
            if token and user.reset_password_token == token:
                expire = user.reset_password_token_expire
                user.clear_reset_password_token()
                if expire > dt.datetime.now():
                    user.password = password
                    user.save()
                    Attempt.forget(email)
                    return True
                user.save()
        Attempt.add(email)
        return False

    @classmethod
    def set_password(cls, users, name, value):
        super().set_password(users, name, value)
        # get_password's placeholder is what a form sends back unchanged.
        if users and value != users[0].get_password(name):
            cls.end_sessions(users)

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        if mode == 'write' and 'active' in (field_names or ()):
            # A deactivated account (erased with its party among them) is
            # logged out everywhere: its API bearer would go on working.
            cls.end_sessions([u for u in users if not u.active])

    @classmethod
    def end_sessions(cls, users):
        """Log the users out everywhere (portal cookie and API bearer): a
        new password must lock out whoever knew the old one."""
        Session = Pool().get('web.user.session')
        with without_check_access():
            Session.delete(Session.search(
                    [('user', 'in', [u.id for u in users])]))


class Erase(metaclass=PoolMeta):
    "web_user's erase clears the email; the secrets go with it."
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        User = Pool().get('web.user')
        return super().to_erase(party_id) + [
            (User, [('party', '=', party_id)], False,
                ['password_hash', 'email_token', 'reset_password_token',
                    'reset_password_token_expire', 'email_hash'],
                [None] * 5),
            ]


class UserAuthenticateAttempt(metaclass=PoolMeta):
    __name__ = 'web.user.authenticate.attempt'

    @classmethod
    def _where(cls, table, login, device):
        "The recent failures of login on device, else from this address."
        login = login[:cls.login.size]
        where = (table.login == login) & (table.create_date >= cls.delay())
        if device:
            return where & (table.device_cookie == device)
        ip_address, _ = Transaction().remote_address()
        return (where & (table.device_cookie == Null)
            & (table.ip_address == (str(ip_address) if ip_address else Null)))

    @classmethod
    def check(cls, login, device=None):
        "Raise TooManyAttempts past max_attempt recent failures."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        limit = config.getint('session', 'max_attempt', default=5)
        cursor.execute(*table.select(table.create_date,
                where=cls._where(table, login, device),
                order_by=[table.create_date.desc]))
        dates = [d for d, in cursor]
        if len(dates) > limit:
            # Refused until all but `limit` of them are older than delay.
            raise TooManyAttempts(_seconds_until(dates[limit], cls.delay()))

    @classmethod
    def check_network(cls):
        "Raise TooManyAttempts once the address's network floods."
        transaction = Transaction()
        _, ip_network = transaction.remote_address()
        if not ip_network:
            return
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.select(Count(), Min(table.create_date),
                where=(table.ip_network == str(ip_network))
                & (table.create_date >= cls.delay())))
        count, oldest = cursor.fetchone()
        if count > config.getint(
                'session', 'max_attempt_ip_network', default=300):
            raise TooManyAttempts(_seconds_until(oldest, cls.delay()))

    @classmethod
    def forget(cls, login, device=None):
        "Clear the failures a success from here (or this device) ends."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=cls._where(table, login, device)))


def _seconds_until(date, delay):
    "Seconds until date falls out of the window that started at delay."
    if isinstance(date, str):  # SQLite without type detection
        date = dt.datetime.fromisoformat(date)
    return max(1, math.ceil((date - delay).total_seconds()))
