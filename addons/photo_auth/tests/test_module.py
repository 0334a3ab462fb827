import datetime as dt
import time
from unittest.mock import patch

from trytond.exceptions import LoginException, RateLimitException
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_auth import policy, totp
from trytond.modules.photo_auth.exceptions import EnrolmentRequired
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import set_config
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin, MessageTranslationTestMixin)

PASSWORD = 'a-long-password-42'


class PhotoAuthTestCase(
        CatalogueTranslationTestMixin,
        MessageTranslationTestMixin, ModuleTestCase):
    "Test photo_auth module"
    module = 'photo_auth'

    def setUp(self):
        super().setUp()
        for key, value in [
                ('authentications', 'password+totp'),
                ('max_attempt', '3')]:
            self.set_config('session', key, value)
        # get_login sleeps 2**failures seconds at most after each try.
        sleep = patch('time.sleep')
        sleep.start()
        self.addCleanup(sleep.stop)

    def set_config(self, section, key, value):
        set_config(self.addCleanup, section, key, value)

    def staff(self, login, group='photo_booking.group_photographer'):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'name': login.title(), 'login': login,
                    'password': PASSWORD,
                    'groups': [('add', [ModelData.get_id(*group.split('.'))])],
                    }])
        return user

    def enrol(self, user, now=None):
        "(secret, recovery codes) of user, enrolled a step ago."
        SecondFactor = Pool().get('res.user.second_factor')
        secret = totp.new_secret()
        now = time.time() if now is None else now
        codes = SecondFactor.enrol(
            user.id, secret, totp.now_code(secret, now - 30))
        return secret, codes

    def login(self, login, **parameters):
        User = Pool().get('res.user')
        return User.get_login(login, parameters)

    @with_transaction()
    def test_not_enrolled_password_only(self):
        "Staff not enrolled yet sign in with the password, and must enrol"
        user = self.staff('anna')
        self.assertEqual(self.login('anna', password=PASSWORD), user.id)
        self.assertIsNone(self.login('anna', password='wrong-password-1'))
        self.assertTrue(user.must_enrol())

    def past_deadline(self, user):
        "Make user staff for longer than the time to enrol."
        User = Pool().get('res.user')
        User.write([user], {'staff_since': dt.datetime.now()
                - dt.timedelta(days=policy.DEFAULT_ENROL_WITHIN, hours=1)})
        User._enrolment_cache.clear()

    def as_user(self, user):
        "What an RPC of user runs as: their user, access checked."
        return Transaction().set_user(user.id), Transaction().set_context(
            _check_access=True)

    @with_transaction()
    def test_joining_staff_starts_time_to_enrol(self):
        "The time to enrol counts from when the user became staff"
        User = Pool().get('res.user')
        user, = User.create([{'name': "Clerk", 'login': 'clerk'}])
        self.assertIsNone(user.staff_since)
        self.assertEqual(user.enrolment().status, policy.EXEMPT)
        joined = self.staff('anna')
        self.assertIsNotNone(joined.staff_since)
        enrolment = joined.enrolment()
        self.assertEqual(
            (enrolment.status, enrolment.days_left), (policy.GRACE, 7))
        self.set_config('photo_auth', 'enrol_within', '3')
        self.assertEqual(joined.enrolment().days_left, 3)

    @with_transaction()
    def test_past_deadline_login_refused(self):
        "Past the time to enrol, the password alone no longer signs in"
        user = self.staff('anna')
        self.past_deadline(user)
        with self.assertRaises(EnrolmentRequired) as cm:
            self.login('anna', password=PASSWORD)
        self.assertIn("Ask a manager", cm.exception.message)
        self.assertIn('"anna"', cm.exception.message)
        # A wrong password tells nothing of it
        self.assertIsNone(self.login('anna', password='wrong-password-1'))

    @with_transaction()
    def test_enrolment_window(self):
        """A manager's window: the password signs in, nothing but the
        enrolment is usable, the enrolment closes the window"""
        pool = Pool()
        Photographer = pool.get('photo.photographer')
        Booking = pool.get('photo.booking')
        Menu = pool.get('ir.ui.menu')
        Enrol = pool.get('res.user.second_factor.enrol', type='wizard')
        user = self.staff('anna')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Anna"}])
        photographer, = Photographer.create([{
                    'party': party.id, 'name': "Anna", 'user': user.id,
                    'timezone': 'Europe/Moscow'}])
        self.past_deadline(user)
        Photographer.allow_enrolment([photographer])
        self.assertEqual(self.login('anna', password=PASSWORD), user.id)
        set_user, context = self.as_user(user)
        with set_user, context:
            with self.assertRaises(AccessError) as cm:
                Booking.search([])
            self.assertIn("Enrol a second factor first", cm.exception.message)
            self.assertTrue(Menu.search([]))
            session_id, _, _ = Enrol.create()
            start = Enrol(session_id).default_start(None)
            self.assertFalse(start['may_postpone'])
            self.assertIn("enrol now", start['notice'])
        self.enrol(user)
        with set_user, context:
            Booking.search([])
        self.assertIsNone(pool.get('res.user')(user.id).enrol_open_until)

    @with_transaction()
    def test_window_expires(self):
        "A window not used within its day closes the login again"
        User = Pool().get('res.user')
        user = self.staff('anna')
        self.past_deadline(user)
        User.open_enrolment_window([user])
        User.write([user], {
                'enrol_open_until': dt.datetime.now() - dt.timedelta(
                    minutes=1)})
        User._enrolment_cache.clear()
        with self.assertRaises(EnrolmentRequired):
            self.login('anna', password=PASSWORD)

    @with_transaction()
    def test_grace_wizard_tells_days_left(self):
        "Within the time to enrol, the wizard tells the days left, Later works"
        Enrol = Pool().get('res.user.second_factor.enrol', type='wizard')
        user = self.staff('anna')
        with Transaction().set_user(user.id):
            session_id, _, _ = Enrol.create()
            start = Enrol(session_id).default_start(None)
        self.assertTrue(start['may_postpone'])
        self.assertIn("7 days left to enrol", start['notice'])

    @with_transaction()
    def test_not_staff_need_not_enrol(self):
        "A user of no staff group is not asked to enrol"
        User = Pool().get('res.user')
        user, = User.create([{'name': "Clerk", 'login': 'clerk'}])
        self.assertFalse(user.must_enrol())

    @with_transaction()
    def test_enrolled_asked_for_code(self):
        "An enrolled user's password alone asks for the code"
        user = self.staff('anna')
        secret, _ = self.enrol(user)
        with self.assertRaises(LoginException) as cm:
            self.login('anna', password=PASSWORD)
        self.assertEqual(cm.exception.name, 'totp_code')
        self.assertEqual(cm.exception.type, 'char')
        self.assertEqual(self.login('anna', password=PASSWORD,
                totp_code=totp.now_code(secret)), user.id)
        self.assertFalse(user.must_enrol())

    @with_transaction()
    def test_wrong_password_right_code(self):
        "The right code with a wrong password signs nobody in"
        user = self.staff('anna')
        secret, _ = self.enrol(user)
        self.assertIsNone(self.login('anna', password='wrong-password-1',
                totp_code=totp.now_code(secret)))

    @with_transaction()
    def test_wrong_codes_rate_limited(self):
        "After [session] max_attempt wrong codes even the right one waits"
        user = self.staff('anna')
        secret, _ = self.enrol(user)
        for _ in range(4):
            self.assertIsNone(self.login(
                    'anna', password=PASSWORD, totp_code='000001'))
        with self.assertRaises(RateLimitException):
            self.login('anna', password=PASSWORD,
                totp_code=totp.now_code(secret))

    @with_transaction()
    def test_check_second_factor(self):
        "Other channels check a staff member's code, once, rate limited"
        user = self.staff('anna')
        secret, codes = self.enrol(user)
        code = totp.now_code(secret)
        self.assertTrue(user.check_second_factor(code))
        self.assertFalse(user.check_second_factor(code))
        self.assertTrue(user.check_second_factor(codes[0]))
        self.assertFalse(user.check_second_factor(codes[0]))
        for _ in range(4):
            self.assertFalse(user.check_second_factor('000001'))
        self.assertFalse(user.check_second_factor(codes[1]))

    @with_transaction()
    def test_not_enrolled_check_second_factor(self):
        "A user without a second factor has no code to check"
        user = self.staff('anna')
        self.assertFalse(user.check_second_factor('123456'))

    @with_transaction()
    def test_reset(self):
        "After a reset the password alone signs in again, to enrol again"
        User = Pool().get('res.user')
        user = self.staff('anna')
        self.enrol(user)
        self.past_deadline(user)
        User.forget_second_factor([user])
        self.assertEqual(self.login('anna', password=PASSWORD), user.id)
        self.assertFalse(User(user.id).second_factor)
        self.assertEqual(User(user.id).enrolment().status, policy.WINDOW)

    @with_transaction()
    def test_secret_unreadable_for_admin(self):
        "The administrator reads no secret through the ORM"
        pool = Pool()
        SecondFactor = pool.get('res.user.second_factor')
        user = self.staff('anna')
        self.enrol(user)
        with Transaction().set_user(1), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                SecondFactor.search([])
            with self.assertRaises(AccessError):
                SecondFactor.read(
                    [SecondFactor.of_user(user.id).id], ['secret'])

    def age(self, Model, key, **ages):
        "Backdate the session of key: {column: age (timedelta)}."
        table = Model.__table__()
        now = dt.datetime.now()
        columns = [getattr(table, c) for c in ages]
        Transaction().connection.cursor().execute(*table.update(
                columns, [now - a for a in ages.values()],
                where=table.key == key))
        for cache in Transaction().cache.values():
            cache.clear()

    @with_transaction()
    def test_back_office_sessions_expire(self):
        "A staff session ends after 12 hours, or one hour without a request"
        Session = Pool().get('ir.session')
        self.set_config('session', 'max_age', '43200')
        self.set_config('session', 'timeout', '3600')
        user = self.staff('anna')
        with Transaction().set_user(user.id):
            idle, old = Session.new(), Session.new()
        self.assertTrue(Session.check(user.id, idle))
        self.assertTrue(Session.check_timeout(user.id, idle))
        self.age(Session, idle, create_date=dt.timedelta(hours=2),
            write_date=dt.timedelta(hours=2))
        self.assertTrue(Session.check(user.id, idle))
        self.assertFalse(Session.check_timeout(user.id, idle))
        self.age(Session, old, create_date=dt.timedelta(hours=13),
            write_date=dt.timedelta(minutes=1))
        self.assertFalse(Session.check(user.id, old))

    @with_transaction()
    def test_portal_sessions_expire(self):
        "A client's portal session ends after 14 days without a visit"
        pool = Pool()
        WebUser = pool.get('web.user')
        WebSession = pool.get('web.user.session')
        self.set_config('session', 'web_timeout', str(14 * 24 * 3600))
        user, = WebUser.create([{'email': 'vera@example.com'}])
        fresh, stale = user.new_session(), user.new_session()
        self.age(WebSession, fresh, create_date=dt.timedelta(days=13))
        self.age(WebSession, stale, create_date=dt.timedelta(days=15))
        self.assertEqual(WebUser.get_user(fresh), user)
        self.assertIsNone(WebUser.get_user(stale))


del ModuleTestCase
