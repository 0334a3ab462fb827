"""The enrolment rule (policy.py), without a database."""
import datetime as dt
import unittest

from trytond.modules.photo_auth import policy

SINCE = dt.datetime(2026, 3, 1, 9, 0)
DAY = dt.timedelta(days=1)


def enrolment(now, staff=True, enrolled=False, within=7, window=None):
    return policy.enrolment(staff, enrolled, SINCE, now, within, window)


class EnrolmentTestCase(unittest.TestCase):

    def test_not_staff_exempt(self):
        "Nobody asks a non-staff user to enrol, even long after"
        result = enrolment(SINCE + 100 * DAY, staff=False)
        self.assertEqual(result.status, policy.EXEMPT)
        self.assertFalse(result.restricted)

    def test_enrolled(self):
        "An enrolled staff member is never restricted"
        result = enrolment(SINCE + 100 * DAY, enrolled=True)
        self.assertEqual(result.status, policy.ENROLLED)
        self.assertFalse(result.restricted)

    def test_grace_counts_days_left(self):
        "Within the grace period the days left are whole days, rounded up"
        self.assertEqual(enrolment(SINCE).days_left, 7)
        self.assertEqual(enrolment(SINCE + dt.timedelta(hours=1)).days_left, 7)
        self.assertEqual(enrolment(SINCE + 6 * DAY).days_left, 1)
        last_minute = enrolment(SINCE + 7 * DAY - dt.timedelta(minutes=1))
        self.assertEqual(
            (last_minute.status, last_minute.days_left), (policy.GRACE, 1))
        self.assertTrue(last_minute.may_postpone)
        self.assertFalse(last_minute.restricted)
        self.assertEqual(last_minute.deadline, SINCE + 7 * DAY)

    def test_locked_at_deadline(self):
        "At the deadline an unenrolled staff member is locked out"
        result = enrolment(SINCE + 7 * DAY)
        self.assertEqual(result.status, policy.LOCKED)
        self.assertTrue(result.restricted)
        self.assertFalse(result.may_postpone)

    def test_no_grace(self):
        "enrol_within = 0: enrol before the first use"
        self.assertEqual(enrolment(SINCE, within=0).status, policy.LOCKED)

    def test_window(self):
        "A manager's window lets them in to enrol, without postponing"
        now = SINCE + 30 * DAY
        window = policy.window_end(now, 24)
        result = enrolment(now + dt.timedelta(hours=23), window=window)
        self.assertEqual(result.status, policy.WINDOW)
        self.assertTrue(result.restricted)
        self.assertFalse(result.may_postpone)
        self.assertEqual(result.window_until, now + DAY)
        self.assertEqual(
            enrolment(now + DAY, window=window).status, policy.LOCKED)

    def test_window_within_grace(self):
        "A window opened during the grace period leaves the grace as it is"
        window = policy.window_end(SINCE, 24)
        self.assertEqual(
            enrolment(SINCE + DAY / 2, window=window).status, policy.GRACE)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            enrolment(SINCE, within=-1)
        with self.assertRaises(ValueError):
            policy.window_end(SINCE, 0)

    def test_usable_models_when_restricted(self):
        "A restricted user keeps the client and the wizard, no data"
        for name in ['ir.ui.menu', 'ir.action.wizard', 'res.user',
                'res.user.second_factor.enrol.start', 'ir.session.wizard',
                'ir.lang']:
            self.assertTrue(policy.usable_when_restricted(name), name)
        for name in ['photo.booking', 'party.party',
                'party.contact_mechanism', 'web.user', 'ir.attachment',
                'ir.note', 'ir.email', 'res.user.application']:
            self.assertFalse(policy.usable_when_restricted(name), name)
