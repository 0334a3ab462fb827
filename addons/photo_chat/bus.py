"""Trytond's bus with the conversations' access checked.

Tryton's `/bus` route lets any signed-in user subscribe to any channel
(`chat:<model>,<id>` included): the messages of a booking its photographer
may not read would reach them live. With `[bus] allow_subscribe` on, set

    [bus]
    class = trytond.modules.photo_chat.bus.ChatBus

and a subscriber keeps only the chat channels of records they may read, by
the same check as sao's chat panel (ir.chat.channel's check_access).

Tryton's bus needs PostgreSQL's LISTEN/NOTIFY; on SQLite (the demo, the
tests) it answers nothing. There ChatBus answers the chat channels by
reading the conversations' new messages every POLL_INTERVAL seconds while
the request waits (at most POLL_WAIT seconds, then sao asks again), so sao's
chat panel is live on SQLite too. Other channels (sao's notification bell)
stay silent on SQLite.
"""
import logging
import time

import trytond.config as config
from trytond.bus import LongPollingBus
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

# SQLite: seconds between two reads of the new messages, and the longest a
# request waits (sao's aborted requests keep their thread until then).
POLL_INTERVAL = 0.1
POLL_WAIT = 30
# Our message ids on SQLite: the prefix and the ir.chat.message id.
POLLED = 'ir.chat.message:'

CLASS = 'trytond.modules.photo_chat.bus.ChatBus'


def readable(channels):
    """channels without the chat channels that the current user may not
    read; inside a transaction as that user."""
    Channel = Pool().get('ir.chat.channel')
    kept = set()
    for channel in channels:
        if channel.startswith('chat:'):
            try:
                Channel.check_access(channel[len('chat:'):])
            except (UserError, ValueError, KeyError):
                continue
        kept.add(channel)
    return kept


class ChatBus(LongPollingBus):

    @classmethod
    def subscribe(cls, database, channels, last_message=None):
        # The route adds the session's own 'user:<id>' channel.
        users = [int(c[len('user:'):]) for c in channels
            if c.startswith('user:')]
        if any(c.startswith('chat:') for c in channels):
            if len(users) != 1:
                channels = {c for c in channels if not c.startswith('chat:')}
            else:
                with Transaction().start(database, users[0], readonly=True):
                    channels = readable(channels)
        with Transaction().start(database, 0, readonly=True) as transaction:
            has_channel = transaction.database.has_channel()
        if not has_channel:
            return cls.poll(database, channels, last_message)
        return super().subscribe(database, channels, last_message)

    @classmethod
    def poll(cls, database, channels, last_message=None):
        """The bus's answer for channels on a database without LISTEN: the
        first message after last_message (one of ours) of their
        conversations, waiting for it up to POLL_WAIT seconds; without
        last_message, the first one posted from now on."""
        resources = {c[len('chat:'):] for c in channels
            if c.startswith('chat:')}
        after = None
        if isinstance(last_message, str) and last_message.startswith(POLLED):
            try:
                after = int(last_message[len(POLLED):])
            except ValueError:
                pass
        wait = min(config.getint('bus', 'long_polling_timeout'), POLL_WAIT)
        deadline = time.monotonic() + wait
        while True:
            if resources:
                with Transaction().start(database, 0, readonly=True):
                    if after is None:
                        after = newest_message(resources)
                    found = next_message(resources, after)
                if found:
                    return cls.create_response(*found)
            if time.monotonic() >= deadline:
                return cls.create_response(None, None)
            time.sleep(POLL_INTERVAL)


def newest_message(resources):
    "The id of the last message of the records' conversations, or 0."
    Message = Pool().get('ir.chat.message')
    newest = Message.search([('channel.resource', 'in', list(resources))],
        order=[('id', 'DESC')], limit=1)
    return newest[0].id if newest else 0


def next_message(resources, after):
    """The bus's channel and content of the first message after the id
    after in the records' conversations (as Tryton publishes it, with our
    message id), or None."""
    Message = Pool().get('ir.chat.message')
    found = Message.search([
            ('channel.resource', 'in', list(resources)),
            ('id', '>', after),
            ], order=[('id', 'ASC')], limit=1)
    if not found:
        return None
    message, = found
    return f'chat:{message.channel.resource}', {
        'type': 'message',
        'message': message.as_dict(),
        'message_id': f'{POLLED}{message.id}',
        }


def warn_unguarded():
    "Log an error where the bus is open but its chat channels unguarded."
    if (config.getboolean('bus', 'allow_subscribe', default=False)
            and config.get('bus', 'class') != CLASS):
        logger.error("[bus] allow_subscribe is on without [bus] class = %s: "
            "any signed-in user can read any booking's chat live", CLASS)
