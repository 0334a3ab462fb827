"Portal accounts: notification choices; a new password ends all sessions."
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


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

    @classmethod
    def set_password(cls, users, name, value):
        super().set_password(users, name, value)
        # get_password's placeholder is what a form sends back unchanged.
        if users and value != users[0].get_password(name):
            cls.end_sessions(users)

    @classmethod
    def end_sessions(cls, users):
        """Log the users out everywhere (portal cookie and API bearer): a
        new password must lock out whoever knew the old one."""
        Session = Pool().get('web.user.session')
        with without_check_access():
            Session.delete(Session.search(
                    [('user', 'in', [u.id for u in users])]))
