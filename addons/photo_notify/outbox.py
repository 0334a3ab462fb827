"""The outbox's rules, with no trytond import: who is told of what, by
which channel, under which key, and when a failed send is tried again."""
import datetime as dt
import hashlib
import random
from dataclasses import dataclass

CHANNELS = ('telegram', 'webpush', 'fcm', 'email', 'sms')

# Who is told of each event. 'manager': every studio manager.
RECIPIENTS = {
    'held': (),
    'requested': ('client', 'photographer'),
    'confirmed': ('client', 'photographer'),
    'rescheduled': ('client', 'photographer'),
    'cancelled_by_client': ('client', 'photographer'),
    'cancelled_by_studio': ('client', 'photographer'),
    'done': (),
    'no_show': ('client',),
    'review_invitation': ('client',),
    'reminder': ('client',),
    'request_waiting': ('photographer',),
    'request_expiring': ('manager',),
    'request_expired': ('client', 'photographer'),
    'payment_succeeded': ('client',),
    'payment_failed': ('client',),
    'payment_refunded': ('client',),
    }
# Told whatever the person chose for reminders: the rest are reminders and
# invitations, which carry List-Unsubscribe.
NON_TRANSACTIONAL = frozenset({'reminder', 'review_invitation'})
# Channels where a message sent twice shows once: a mail keeps its
# Message-ID, which mailboxes deduplicate; a push keeps its tag (and web
# push its Topic, FCM its collapse key), so the device shows the second
# in place of the first. Elsewhere a message whose send was interrupted
# is not sent again (at most once).
RESENDABLE = frozenset({'email', 'webpush', 'fcm'})
# Channels whose address is a device: one notification per device.
DEVICES = frozenset({'webpush', 'fcm'})


def booking_event(from_state, to_state, cancelled_by=None, moved=False):
    """The event of a booking's history entry, or None when nobody hears
    of it (a hold the client let lapse, a hold made by the studio)."""
    if moved:
        return 'rescheduled' if to_state != 'hold' else None
    if to_state == 'cancelled':
        if from_state == 'hold':
            return None
        if cancelled_by == 'client':
            return 'cancelled_by_client'
        return 'cancelled_by_studio'
    if from_state is None:
        # Created straight as requested/confirmed by the studio or the API.
        return to_state if to_state in {'requested', 'confirmed'} else None
    return {
        'hold': 'held',
        'requested': 'requested',
        'confirmed': 'confirmed',
        'done': 'done',
        'no_show': 'no_show',
        }.get(to_state)


def key(event, source, recipient, channel):
    """The idempotency key of one notification: event about source (e.g.
    'photo.booking.log,12') to recipient ('party,3') by channel. Stored
    unique, so the same notification is never written twice."""
    return f'{event}:{source}:{recipient}:{channel}'


def targets(channel, address):
    """[(address, channel part of the key)] of a chosen channel: a person
    has one address on most channels, and several devices (a tuple of
    addresses, one notification each, told apart in their keys)."""
    if channel in DEVICES and isinstance(address, tuple):
        return [(a, f'{channel}/{digest(a)}') for a in address]
    return [(address, channel)]


def digest(text, size=16):
    "A short stable digest of text (a device's address in keys)."
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def message_id(notification_key, domain):
    "A Message-ID made from the key: a resent mail is the same mail."
    digest = hashlib.sha256(notification_key.encode()).hexdigest()[:32]
    return f'<{digest}@{domain}>'


@dataclass(frozen=True)
class Retry:
    "How failed sends are tried again."
    base: dt.timedelta = dt.timedelta(minutes=1)
    cap: dt.timedelta = dt.timedelta(hours=6)
    attempts: int = 8


def next_attempt(now, attempts, retry, rng=random):
    """When to try again after attempts failures, or None: dead letter.

    Exponential backoff with full jitter (AWS Architecture Blog,
    "Exponential Backoff And Jitter"): a random delay up to base × 2^(n-1),
    capped, so a channel back after an outage is not hit by every row at
    once. Eight attempts span about two hours."""
    if attempts >= retry.attempts:
        return None
    ceiling = min(retry.cap, retry.base * 2 ** (attempts - 1))
    delay = ceiling * rng.uniform(0.5, 1)
    return now + delay


def pick_channel(preferred, addresses):
    """(channel, address): the first preferred channel the person has an
    address for, or None; a missing address falls back to the next."""
    for channel in preferred:
        address = addresses.get(channel)
        if address:
            return channel, address
    return None
