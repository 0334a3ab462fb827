"""Trytond's bus with the conversations' access checked.

Tryton's `/bus` route lets any signed-in user subscribe to any channel
(`chat:<model>,<id>` included): the messages of a booking its photographer
may not read would reach them live. With `[bus] allow_subscribe` on, set

    [bus]
    class = trytond.modules.photo_chat.bus.ChatBus

and a subscriber keeps only the chat channels of records they may read, by
the same check as sao's chat panel (ir.chat.channel's check_access).
"""
import logging

import trytond.config as config
from trytond.bus import LongPollingBus
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

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
        return super().subscribe(database, channels, last_message)


def warn_unguarded():
    "Log an error where the bus is open but its chat channels unguarded."
    if (config.getboolean('bus', 'allow_subscribe', default=False)
            and config.get('bus', 'class') != CLASS):
        logger.error("[bus] allow_subscribe is on without [bus] class = %s: "
            "any signed-in user can read any booking's chat live", CLASS)
