"""Mails to clients, sent once the transaction is committed; a mail that
cannot be sent is told to the studio's managers."""
import logging
import smtplib
from email import message_from_string, policy

from trytond.i18n import gettext
from trytond.sendmail import send_message

from .staff import notify_staff

logger = logging.getLogger(__name__)


class MailMixin:
    "Models whose records mails are about (bookings, portal accounts)."
    __slots__ = ()

    @classmethod
    def queue_mail(cls, records, message):
        "Send message (an EmailMessage) about records after the commit."
        cls.__queue__.send_mail(records, message.as_string())

    @classmethod
    def send_mail(cls, records, message):
        "Send message (as text) now; a failure notifies the managers."
        message = message_from_string(message, policy=policy.default)
        try:
            send_message(message, strict=True)
        except (smtplib.SMTPException, OSError) as exception:
            logger.warning("mail %r to %s not sent", message['Subject'],
                message['To'], exc_info=True)
            cls.notify_mail_failure(records, message, exception)

    @classmethod
    def notify_mail_failure(cls, records, message, exception):
        "A notification to each manager, opening the records."
        notify_staff(records, gettext('photo_booking.msg_mail_not_sent',
                to=message['To'], subject=message['Subject']),
            str(exception), icon='tryton-email', model=cls.__name__)
