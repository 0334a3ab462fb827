"Portal accounts: how the client wants to be told about their bookings."
from trytond.model import fields
from trytond.pool import PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'web.user'
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
    def default_email_reminders(cls):
        return True

    @classmethod
    def default_telegram_notifications(cls):
        return True
