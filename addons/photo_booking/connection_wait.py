"""How long a request waits for a database connection, and what it answers
when none came.

trytond's PostgreSQL backend takes its connections from a psycopg_pool
ConnectionPool of at most `[database] maxconn` per worker process, whose
getconn waits 30 seconds for one to be free (trytond has no key for it).
`[photo_booking] connection_wait` bounds a request's wait in all: it is
shared over TRIES tries, each waiting its share (the pool's timeout); before
the next, the pool's idle connections are tested and the broken ones
replaced, then a short random pause (`api.run_retried`). After the last, the API
and the portal answer 503 with Retry-After; the busy message comes from the
module's own files, as reading it from the database would wait again.
"""
import functools
import os
import xml.etree.ElementTree as ET

import polib

from trytond import backend, config

TRIES = 2
DEFAULT_WAIT = 5  # seconds, in all
MODULE_PATH = os.path.dirname(os.path.abspath(__file__))


def wait():
    "Seconds a request may wait for a connection, over all its tries."
    return config.getfloat(
        'photo_booking', 'connection_wait', default=DEFAULT_WAIT)


def _pool(database_name):
    "This process's connection pool of database_name (None on SQLite)."
    return getattr(backend.Database(database_name), '_connpool', None)


def bound(database_name):
    """Set the connection pool of database_name in this process to wait
    one try's share of connection_wait."""
    connections = _pool(database_name)
    if connections is not None:
        share = wait() / TRIES
        if connections.timeout != share:
            connections.timeout = share


def renew(database_name):
    """Test the pool's idle connections and replace the broken ones (e.g.
    killed by the server) before the next try: psycopg_pool's getconn
    waits a growing time (1 s, 2 s, 4 s...) after each broken one it
    meets, so a few of them use up a try."""
    connections = _pool(database_name)
    if connections is not None:
        connections.check()


def ran_out(error):
    "Whether error is the pool's wait for a connection running out."
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # installed without PostgreSQL
        return False
    return isinstance(error, PoolTimeout)


@functools.cache
def shipped_message(message_id, language):
    """The text of photo_booking's message_id in language as the module
    ships it (message.xml, locale/<language>.po), without the database."""
    record = ET.parse(os.path.join(MODULE_PATH, 'message.xml')).find(
        f".//record[@id='{message_id}']/field[@name='text']")
    po_file = os.path.join(MODULE_PATH, 'locale', f'{language}.po')
    if os.path.exists(po_file):
        context = f'model:ir.message,text:{message_id}'
        for entry in polib.pofile(po_file):
            if (entry.msgctxt == context and entry.msgstr
                    and not entry.fuzzy):
                return entry.msgstr
    return record.text
