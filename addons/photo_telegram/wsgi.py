"""Counts the web application's 5xx answers for the staff chat's alert
(alerts.py): a WSGI middleware, listed in trytond's config

    [wsgi middleware]
    errors = trytond.modules.photo_telegram.wsgi.ServerErrors

Each 5xx (or an exception escaping to the server, which answers 500) is a
row of photo.telegram.server_error in the site's database
(`[photo_booking] portal_database`), written in a transaction of its own,
so every worker process's errors meet there and the bot counts them.
Why the database and not Redis: the bot reads its alerts' state there
already, it is the one store every deployment has, and the writes are
bounded (spike.WriteBudget: past the limit a process stops writing until
the next window). If the database itself is down the row is lost, and the
bot, which needs the database too, cannot tell anyone anyway.
"""
import logging
import time

import trytond.config as config
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking.access_log import redact
from trytond.modules.photo_booking.common import utc_now

from . import spike

logger = logging.getLogger(__name__)
SECTION = 'photo_telegram'
BUDGET = spike.WriteBudget()


def error_limit():
    "(count, minutes): more than count 5xx in minutes is a spike."
    return (config.getint(SECTION, 'errors_alert_count', default=20),
        config.getint(SECTION, 'errors_alert_minutes', default=5))


def record(status, path, database=None, now=None):
    """Keep one 5xx answer of path; False when the process's budget for
    the window is spent (the spike is known already)."""
    count, minutes = error_limit()
    if not BUDGET.allow(time.time(), count, minutes * 60):
        return False
    database = database or config.get(
        'photo_booking', 'portal_database', default='demo')
    try:
        if database not in Pool.database_list():
            Pool(database).init()
        with Transaction(new=True).start(database, 0) as transaction:
            Pool(database).get('photo.telegram.server_error').record(
                status, redact(path), now or utc_now())
            transaction.commit()
    except Exception:
        # The failing request must still get its answer; the alert misses
        # this one (the database is likely the trouble).
        logger.warning("could not count a %s answer", status, exc_info=True)
        return False
    return True


class ServerErrors:
    "WSGI middleware: counts the answers of status 5xx."

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')

        def counting(status, headers, exc_info=None):
            if status[:1] == '5':
                record(int(status[:3]), path)
            return start_response(status, headers, exc_info)
        try:
            return self.app(environ, counting)
        except Exception:
            record(500, path)   # the server answers it with a 500
            raise


