"""Access logs without the capability tokens that travel in URLs.

A booking's token (in /booking/<token>, /book/details/<token> and the API's
/bookings/<token>) can cancel it, and reset and verification links carry
theirs in the query: whoever reads the logs must not get them. gunicorn
logs through RedactingLogger (`--logger-class`, see scripts/run), any
other handler can take RedactTokens as a logging filter.
"""
import logging
import re

from gunicorn.glogging import Logger

REDACTED = '[redacted]'
# Booking tokens are uuid4().hex; session keys and reset tokens are longer.
PATH_TOKEN_RE = re.compile(r'(?<=/)[0-9a-fA-F]{32,}(?=[/.?#\s]|$)')
QUERY_TOKEN_RE = re.compile(
    r'(?<=[?&])(token|key|session|device)=[^&#\s"]*', re.IGNORECASE)
SECRET_HEADERS = {'{authorization}i', '{cookie}i', '{set-cookie}o'}


def redact(text):
    "text with the tokens of the URLs in it replaced."
    text = PATH_TOKEN_RE.sub(REDACTED, text)
    return QUERY_TOKEN_RE.sub(lambda m: f'{m.group(1)}={REDACTED}', text)


class RedactingLogger(Logger):
    "gunicorn's logger, its access-log atoms redacted."

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name in SECRET_HEADERS:
                atoms[name] = REDACTED
            elif isinstance(value, str):
                atoms[name] = redact(value)
        return atoms


class RedactTokens(logging.Filter):
    "A logging filter redacting the message of each record."

    def filter(self, record):
        record.msg, record.args = redact(record.getMessage()), None
        return True
