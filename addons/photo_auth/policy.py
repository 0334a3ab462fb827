"""Who must sign in with a second factor, and from when.

Plain functions over plain values, no trytond import (tests/test_policy.py
tests them directly); user.py gathers the user's data and calls them.

Staff (managers and photographers) have `enrol_within` days from the day
they became staff (or from photo_auth's installation for those who already
were) to enrol an authenticator app. Until then they sign in with their
password and the enrolment wizard, opened at each login, tells how many
days are left ("Later" works). Past the deadline an unenrolled staff member
cannot sign in, unless a manager opened a one-time enrolment window: then
the password alone signs in, the wizard cannot be postponed and nothing
else of the back office is usable until they have enrolled.
"""
import datetime as dt
import math
from dataclasses import dataclass

EXEMPT = 'exempt'        # not staff: no second factor asked
ENROLLED = 'enrolled'    # has a second factor: asked at each login
GRACE = 'grace'          # may still postpone the enrolment
WINDOW = 'window'        # past the deadline, a manager let them enrol now
LOCKED = 'locked'        # past the deadline: the login is refused

DEFAULT_ENROL_WITHIN = 7      # days
DEFAULT_ENROL_WINDOW = 24     # hours


@dataclass(frozen=True)
class Enrolment:
    status: str
    # The end of the grace period (GRACE, WINDOW, LOCKED), in UTC
    deadline: dt.datetime | None = None
    # Whole days left to enrol (GRACE: at least 1)
    days_left: int | None = None
    # The end of the enrolment window (WINDOW)
    window_until: dt.datetime | None = None

    @property
    def restricted(self):
        "Whether the back office is closed to them but for the enrolment."
        return self.status in {WINDOW, LOCKED}

    @property
    def may_postpone(self):
        return self.status == GRACE


def enrolment(staff, enrolled, since, now, within_days,
        window_until=None):
    """The Enrolment of a user.

    staff: a member of a staff group; enrolled: has a second factor;
    since: when they became staff (UTC); now: UTC; within_days: the grace
    period in days (0: none); window_until: the end of the enrolment window
    a manager opened, if any."""
    if not staff:
        return Enrolment(EXEMPT)
    if enrolled:
        return Enrolment(ENROLLED)
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    deadline = since + dt.timedelta(days=within_days)
    if now < deadline:
        days_left = math.ceil((deadline - now) / dt.timedelta(days=1))
        return Enrolment(GRACE, deadline=deadline, days_left=max(days_left, 1))
    if window_until is not None and now < window_until:
        return Enrolment(WINDOW, deadline=deadline, window_until=window_until)
    return Enrolment(LOCKED, deadline=deadline)


def window_end(now, hours):
    "The end of an enrolment window opened at now for hours."
    if hours <= 0:
        raise ValueError("hours must be positive")
    return now + dt.timedelta(hours=hours)


# Models an unenrolled staff member past the deadline may still use: the
# client itself (menus, views, actions, translations, preferences) and the
# enrolment wizard. Everything else (bookings, parties, payments, chats,
# attachments, notes, e-mails...) is refused.
OPEN_PREFIXES = ('ir.', 'res.')
# (Not ir.session: ir.session.wizard keeps the enrolment wizard's state, and
# no access row lets users read sessions anyway.)
CLOSED_PREFIXES = (
    'ir.attachment', 'ir.note', 'ir.email', 'ir.chat',
    'res.user.application', 'res.user.login', 'res.user.device')


def usable_when_restricted(model_name):
    "Whether model_name stays usable by a restricted (unenrolled) user."
    return (model_name.startswith(OPEN_PREFIXES)
        and not model_name.startswith(CLOSED_PREFIXES))
