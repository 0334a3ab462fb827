"""The one small interface every channel implements, with no trytond
import: a channel sends a rendered Message to one address or says why it
could not."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    key: str                # the notification's idempotency key
    address: str            # email, chat id, phone, subscription, token
    language: str
    subject: str
    text: str
    html: str = None
    link: str = None        # where the message leads (booking page)
    link_label: str = None
    ics: str = None         # the booking as an iCalendar event
    unsubscribe: str = None  # set for non-transactional messages
    keys: dict = None       # web push: the subscription's p256dh and auth
    reply_to: str = None    # where a reply goes (e-mail)
    # Chat channels: rows of (label, callback data) buttons answered by the
    # bot (e.g. photo_telegram's Confirm / Decline under a request).
    actions: tuple = ()


def short_text(message, limit=1000):
    """The message's text for a push: without its link (the push opens
    it), cut at limit characters (push services take about 4 KB)."""
    text = message.text.strip()
    if message.link:
        text = text.replace(message.link, '').strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + '…'
    return text


class ChannelError(Exception):
    "A send failed."


class TemporaryFailure(ChannelError):
    "Worth trying again later (4xx, timeouts, rate limits, outage)."


class PermanentFailure(ChannelError):
    "Trying again cannot help (5xx, malformed address): a dead letter."


class RecipientGone(PermanentFailure):
    """The address refuses us for good (a blocked bot): it is marked and
    no later message is sent there."""


class Channel:
    "Sends messages; one instance serves one batch, then is closed."
    name = None

    def send(self, message):
        "Send message or raise a ChannelError."
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
