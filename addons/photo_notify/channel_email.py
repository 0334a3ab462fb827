"""E-mail over SMTP: HTML and plain text, the booking's .ics attached,
List-Unsubscribe on reminders and invitations."""
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

import trytond.config as config
from trytond.sendmail import get_smtp_server

from . import outbox
from .channel import Channel, PermanentFailure, TemporaryFailure


def build(message, sender, domain):
    "The EmailMessage of message; its Message-ID comes from the key."
    mail = EmailMessage()
    mail['From'] = sender
    mail['To'] = message.address
    mail['Subject'] = message.subject
    mail['Date'] = formatdate(localtime=False)
    mail['Message-ID'] = outbox.message_id(message.key, domain)
    mail['Content-Language'] = message.language
    if message.reply_to:
        mail['Reply-To'] = message.reply_to
    if message.unsubscribe:
        mail['List-Unsubscribe'] = f'<{message.unsubscribe}>'
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype='html')
    if message.ics:
        mail.add_attachment(message.ics.encode(), maintype='text',
            subtype='calendar', filename='booking.ics',
            params={'method': 'PUBLISH'})
    return mail


def classify(exception):
    """TemporaryFailure for SMTP 4xx replies and connection trouble,
    PermanentFailure for 5xx (RFC 5321 §4.2.1)."""
    code = getattr(exception, 'smtp_code', None)
    if isinstance(exception, smtplib.SMTPRecipientsRefused):
        code = max(c for c, _ in exception.recipients.values())
    if code is not None and 500 <= code < 600:
        return PermanentFailure(f'SMTP {code}: {exception}')
    return TemporaryFailure(str(exception) or type(exception).__name__)


class EmailChannel(Channel):
    "One SMTP connection per batch, from trytond's [email] uri."
    name = 'email'

    def __init__(self):
        self.sender = config.get('email', 'from')
        self.domain = self.sender.rpartition('@')[2].strip('>') or 'localhost'
        self.server = None

    def send(self, message):
        mail = build(message, self.sender, self.domain)
        try:
            if self.server is None:
                self.server = get_smtp_server(strict=True)
            self.server.send_message(mail)
        except (smtplib.SMTPException, OSError) as exception:
            self.close()
            raise classify(exception) from exception

    def close(self):
        if self.server is not None:
            try:
                self.server.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the connection is gone already: nothing to close
            self.server = None
