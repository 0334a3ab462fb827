"""Telegram through python-telegram-bot's Bot, at [photo_notify]
telegram_api (the fake Bot API in tests); within Telegram's limits."""
import asyncio
import threading
import time
from collections import deque

import trytond.config as config
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter)

from .channel import Channel, PermanentFailure, RecipientGone, TemporaryFailure

SECTION = 'photo_notify'
# https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
# A little over a second: the network may bring two messages closer.
PER_CHAT_INTERVAL = 1.05
OVERALL_PER_SECOND = 30


class RateLimiter:
    """At most one message a second to a chat and overall_per_second in
    all, for every channel instance of the process (workers are processes:
    2 workers send at most 2 × 30/s, which Telegram tolerates in bursts,
    and its 429 answers are retried with the delay it asks)."""

    def __init__(self, per_chat=PER_CHAT_INTERVAL,
            overall=OVERALL_PER_SECOND, clock=time.monotonic,
            sleep=time.sleep):
        self.per_chat = per_chat
        self.overall = overall
        self.clock = clock
        self.sleep = sleep
        self.last = {}
        self.recent = deque()
        self.lock = threading.Lock()

    def wait(self, chat):
        "Sleep until a message may go to chat, and count it."
        with self.lock:
            now = self.clock()
            delay = 0.0
            if chat in self.last:
                delay = max(delay, self.last[chat] + self.per_chat - now)
            while self.recent and self.recent[0] <= now - 1:
                self.recent.popleft()
            if len(self.recent) >= self.overall:
                delay = max(delay, self.recent[0] + 1 - now)
            if delay > 0:
                self.sleep(delay)
                now += delay
            self.last[chat] = now
            self.recent.append(now)
            if len(self.last) > 10000:  # forget chats idle for long
                self.last = {c: t for c, t in self.last.items()
                    if t > now - self.per_chat}


LIMITER = RateLimiter()


def classify(exception):
    if isinstance(exception, Forbidden):
        return RecipientGone(str(exception))
    if isinstance(exception, RetryAfter):
        return TemporaryFailure(str(exception))
    if isinstance(exception, (BadRequest, InvalidToken)):
        return PermanentFailure(str(exception))
    if isinstance(exception, NetworkError):  # TimedOut is one
        return TemporaryFailure(str(exception))
    return PermanentFailure(str(exception))


class TelegramChannel(Channel):
    """[photo_notify] telegram_token (from the environment) and
    telegram_api (default https://api.telegram.org/bot)."""
    name = 'telegram'

    def __init__(self, limiter=LIMITER):
        token = config.get(SECTION, 'telegram_token')
        if not token:
            raise TemporaryFailure("no [photo_notify] telegram_token")
        self.bot = Bot(token, base_url=config.get(
                SECTION, 'telegram_api',
                default='https://api.telegram.org/bot'))
        self.limiter = limiter
        self.loop = asyncio.new_event_loop()

    def send(self, message):
        keyboard = [[InlineKeyboardButton(label, callback_data=data)
                for label, data in row] for row in message.actions]
        if message.link:
            keyboard.append([InlineKeyboardButton(
                        message.link_label or message.link,
                        url=message.link)])
        markup = InlineKeyboardMarkup(keyboard) if keyboard else None
        text = f'{message.subject}\n\n{message.text}'[:4096]
        self.limiter.wait(message.address)
        try:
            self.loop.run_until_complete(self.bot.send_message(
                    chat_id=message.address, text=text,
                    reply_markup=markup))
        except Exception as exception:
            raise classify(exception) from exception

    def close(self):
        try:
            self.loop.run_until_complete(self.bot.shutdown())
        finally:
            self.loop.close()
