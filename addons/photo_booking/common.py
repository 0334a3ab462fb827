"""What every part of the suite shares: instants as Tryton stores them, the
states that hold a slot, the rule for an e-mail address and the base of
our transactions' data managers."""
import datetime as dt
import re

# Bookings in these states keep their slot (the exclusion constraints and
# every availability read agree on them).
ACTIVE_STATES = ('hold', 'requested', 'confirmed')

# Something@somewhere.tld without spaces, nor what would break a header.
EMAIL_RE = re.compile(r'^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$')


def utc_now():
    "The current instant as Tryton stores it: naive UTC."
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def aware(value):
    "A stored naive-UTC (or already aware) datetime as an aware one."
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def naive(value):
    "An aware datetime as Tryton stores it: naive UTC."
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def is_email(value):
    return bool(value) and EMAIL_RE.match(value) is not None


class DataManager:
    """A trytond data manager doing nothing at any step of a commit: its
    subclasses act at those they need. A transaction joins one of each
    class (join finds an equal one)."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __hash__(self):
        return hash(type(self))

    def tpc_begin(self, transaction):
        pass

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        pass

    def tpc_abort(self, transaction):
        pass
