"Portal accounts: how the client wants to be told about their bookings."
from trytond.model import fields
from trytond.pool import PoolMeta

from .mail import MailMixin


class User(MailMixin, metaclass=PoolMeta):
    __name__ = 'web.user'
    email_reminders = fields.Boolean(
        "Email Reminders",
        help="Send booking reminders and changes by email.")
    telegram_notifications = fields.Boolean(
        "Telegram Notifications",
        help="Send booking reminders and changes through the Telegram bot "
        "once the client has started it.")

    @classmethod
    def default_email_reminders(cls):
        return True

    @classmethod
    def default_telegram_notifications(cls):
        # Nothing to promise before the client has started the bot.
        return False
