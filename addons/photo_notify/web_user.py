"""What a client chooses in the portal: the channel of each kind of news
(booking news, reminders), on the profile page."""
from trytond.model import fields
from trytond.pool import PoolMeta

from . import outbox

NEWS_CHANNELS = [
    (None, ""),
    ('email', "E-mail"),
    ('telegram', "Telegram"),
    ('sms', "SMS"),
    ]
REMINDER_CHANNELS = NEWS_CHANNELS + [('none', "No reminders")]


class User(metaclass=PoolMeta):
    __name__ = 'web.user'
    news_channel = fields.Selection(NEWS_CHANNELS, "Booking News By",
        help="How the client hears of their bookings' changes and "
        "payments (e-mail when the channel cannot reach them).")
    reminder_channel = fields.Selection(REMINDER_CHANNELS, "Reminders By",
        help="How the client is reminded of their shoots and invited to "
        "review them.")

    def notification_channels(self, event):
        """The channels the client wants to hear of event by, preferred
        first. Until they choose on the profile page: their account's
        first choices (Telegram, e-mail)."""
        chosen = (self.reminder_channel if event in outbox.NON_TRANSACTIONAL
            else self.news_channel)
        if not chosen:
            return [c for c, on in [
                    ('telegram', self.telegram_notifications),
                    ('email', self.email_reminders),
                    ] if on]
        if chosen == 'none':
            return []
        return [chosen] + ([] if chosen == 'email' else ['email'])
