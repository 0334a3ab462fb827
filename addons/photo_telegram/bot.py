"""The Telegram bot on python-telegram-bot: the Application, its thin
handlers (each runs one step of client.py or staff.py in a transaction
and sends the Reply), the database store and the command that runs it.

    python -m trytond.modules.photo_telegram.bot -c trytond.conf -d DB
        long polling (development), or, with --webhook, the updates the
        webhook route queued in the database (production: one process)
    ... --set-webhook https://studio.example.com/DB/photo_telegram/webhook
"""
import argparse
import asyncio
import logging
import os
import time

import trytond.config as config
from telegram import (
    InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton,
    ReplyKeyboardMarkup, ReplyKeyboardRemove, Update)
from telegram.error import BadRequest
from telegram.ext import (
    Application, ApplicationHandlerStop, CallbackQueryHandler,
    CommandHandler, ConversationHandler, MessageHandler, TypeHandler,
    filters)
from trytond import backend
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking import security
from trytond.modules.photo_booking.booking import serialised

from . import client, people, staff
from .persistence import TrytonPersistence
from .reply import Reply, _

logger = logging.getLogger(__name__)
SECTION = 'photo_telegram'
END = ConversationHandler.END
SECOND_FACTOR_HOURS = 12


# --- the database ------------------------------------------------------------

class Store:
    """Runs a function in a committed transaction of the database, as root,
    off the event loop; retried on DatabaseOperationalError as trytond's
    with_transaction does, then the queued tasks run."""

    def __init__(self, database_name):
        self.database_name = database_name

    def call(self, func, *args, **kwargs):
        from trytond.worker import run_task
        retry = config.getint('database', 'retry')
        count = 0
        while True:
            with Transaction(new=True).start(
                    self.database_name, 0) as transaction:
                try:
                    result = func(*args, **kwargs)
                except backend.DatabaseOperationalError:
                    if count < retry:
                        transaction.rollback()
                        transaction.tasks.clear()
                        count += 1
                        continue
                    raise
                transaction.commit()
            pool = Pool(self.database_name)
            while transaction.tasks:
                run_task(pool, transaction.tasks.pop())
            return result

    async def run(self, func, *args, **kwargs):
        return await asyncio.to_thread(self.call, func, *args, **kwargs)


def store_of(context):
    return context.bot_data['store']


# --- sending -----------------------------------------------------------------

def markup(reply):
    if reply.ask_contact:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(reply.ask_contact, request_contact=True)]],
            one_time_keyboard=True, resize_keyboard=True)
    if reply.ask_location:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(reply.ask_location, request_location=True)]],
            one_time_keyboard=True, resize_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    if reply.buttons:
        return InlineKeyboardMarkup([[
                    InlineKeyboardButton(b.label, url=b.url) if b.url
                    else InlineKeyboardButton(b.label, callback_data=b.data)
                    for b in row] for row in reply.buttons])
    return None


async def send(update, context, replies):
    """Send the replies: a button's first one edits its message in place
    (or, an alert, answers the tap only); the others are new messages."""
    if isinstance(replies, Reply):
        replies = [replies]
    query = update.callback_query
    chat_id = update.effective_chat.id
    if query:
        first = replies[0]
        if first.alert:
            await query.answer(first.text[:200], show_alert=True)
            return
        await query.answer()
        # A reply keyboard (or its removal) goes with a new message only.
        if not (first.ask_contact or first.ask_location
                or first.remove_keyboard):
            try:
                await query.edit_message_text(
                    first.text, reply_markup=markup(first))
            except BadRequest as error:
                if 'not modified' not in str(error):
                    raise
            replies = replies[1:]
    for reply in replies:
        await context.bot.send_message(
            chat_id, reply.text, reply_markup=markup(reply))


def person_step(step, *args, draft=None):
    "step(person, [draft,] *args) for the chat, in the person's language."
    def call(chat, language):
        person = people.who(chat, language)
        with people.in_language(person):
            if draft is not None:
                return step(person, draft, *args)
            return step(person, *args)
    return call


async def respond(update, context, step, *args, draft=False):
    """Run step for the update's chat, send its replies and give the
    dialogue's next state (None: stay)."""
    chat = update.effective_chat.id
    user = update.effective_user
    language = user.language_code if user else None
    data = context.chat_data.setdefault('draft', {}) if draft else None
    try:
        replies = await store_of(context).run(
            person_step(step, *args, draft=data), chat, language)
    except UserError as error:
        replies = Reply(error.message)
    await send(update, context, replies)
    last = replies if isinstance(replies, Reply) else replies[-1]
    if last.state == 'end':
        return END
    return last.state


def state_handler(step, pattern, *groups, draft=True, convert=None):
    """A button handler calling step with the pattern's groups (converted
    by convert: e.g. int)."""
    async def handle(update, context):
        match = context.matches[0] if context.matches else None
        values = [match.group(g) for g in groups] if match else []
        if convert:
            values = [convert(v) for v in values]
        return await respond(update, context, step, *values, draft=draft)
    return CallbackQueryHandler(handle, pattern=pattern)


def command(step, draft=False):
    async def handle(update, context):
        return await respond(update, context, step, draft=draft)
    return handle


def text_step(step, draft=False):
    async def handle(update, context):
        return await respond(update, context, step,
            update.effective_message.text, draft=draft)
    return handle


def location_step(step):
    "A shared location: step(person, draft, latitude=…, longitude=…)."
    async def handle(update, context):
        where = update.effective_message.location
        return await respond(update, context, lambda person, draft: step(
                person, draft, latitude=where.latitude,
                longitude=where.longitude), draft=True)
    return handle


async def reask(update, context):
    "Free text where a button was expected: ask again, stay."
    await update.effective_message.reply_text(_text(update, context,
            'msg_use_buttons'))
    return None


def _text(update, context, message_id):
    "A text of the catalogue in the Telegram user's language (no DB)."
    user = update.effective_user
    return context.bot_data['texts'](
        message_id, people.language_of(user.language_code if user else None))


async def noop(update, context):
    await update.callback_query.answer()


async def stale(update, context):
    "A button of an old message (an old calendar, a finished booking)."
    await update.callback_query.answer(
        _text(update, context, 'msg_stale_button'), show_alert=True)


async def nothing_to_cancel(update, context):
    await respond(update, context, client.leave, draft=True)


async def unknown_text(update, context):
    await respond(update, context, client.welcome)


# --- linking -----------------------------------------------------------------

@serialised
def _start(person, token):
    "/start [token]: link by the deep link's token, else say hello."
    if not token:
        return client.welcome(person)
    kind = people.link_token(person.chat, token)
    person = people.who(person.chat, person.language)
    with people.in_language(person):
        if kind == 'party':
            name = Pool().get('party.party')(person.party).rec_name
            return Reply(_('msg_linked_client', name=name),
                remove_keyboard=True)
        name = Pool().get('res.user')(person.user).rec_name
        return Reply(_('msg_linked_staff', name=name), remove_keyboard=True)


async def start(update, context):
    token = context.args[0] if context.args else None
    await respond(update, context, _start, token)


@serialised
def _contact(person, contact, telegram_user_id, language):
    if contact.get('user_id') != telegram_user_id:
        return Reply(_('msg_contact_not_own'),
            ask_contact=_('msg_share_contact'))
    if person.party:
        return Reply(_('msg_help_client'), remove_keyboard=True)
    name = ' '.join(filter(None, [contact.get('first_name'),
                contact.get('last_name')]))
    people.link_contact(person.chat, name, contact['phone_number'], language)
    person = people.who(person.chat, language)
    with people.in_language(person):
        return Reply(_('msg_linked_client', name=name),
            remove_keyboard=True)


async def contact(update, context):
    shared = update.effective_message.contact
    user = update.effective_user
    await respond(update, context, _contact, shared.to_dict(), user.id,
        user.language_code)


@serialised
def _unlink(person):
    people.unlink(person.chat)
    return Reply(_('msg_unlinked'), remove_keyboard=True)


# --- staff: a second factor, once per Telegram session ------------------------

ASK, REFUSE = 'ask', 'refuse'


def second_factor_need(person):
    """What a staff action needs first, as in the back office (photo_auth):
    ASK the user's second factor when they have one; REFUSE staff past the
    deadline to enrol one (`enrolment_restricted`: the back office is closed
    to them too); None otherwise (not staff, or still in their grace
    period, when the back office asks the password only)."""
    if not person.user:
        return None
    User = Pool().get('res.user')
    user = User(person.user)
    if not hasattr(user, 'check_second_factor'):
        return None
    restricted = getattr(User, 'enrolment_restricted', None)
    if restricted is not None and restricted(user.id):
        return REFUSE
    return ASK if getattr(user, 'second_factor', False) else None


def staff_guard(handler):
    """Staff actions ask the user's second factor (when they have one, see
    second_factor_need) once per SECOND_FACTOR_HOURS in this chat, and are
    refused to staff who should have enrolled one by now."""
    async def guarded(update, context):
        if context.chat_data.get('second_factor_until', 0) < time.time():
            chat = update.effective_chat.id
            need = await store_of(context).run(lambda: second_factor_need(
                    people.who(chat)))
            if need == ASK:
                context.chat_data['second_factor_pending'] = True
            if need:
                if update.callback_query:
                    # An alert: the message and its buttons stay, to be
                    # tapped again once the code is given.
                    await respond(update, context, lambda person: Reply(_(
                                'msg_second_factor_ask_tap' if need == ASK
                                else 'msg_second_factor_enrol'), alert=True))
                    return None
                await respond(update, context, lambda person: Reply(_(
                            'msg_second_factor_ask' if need == ASK
                            else 'msg_second_factor_enrol')))
                return END
        return await handler(update, context)
    return guarded


def _check_second_factor(person, code):
    User = Pool().get('res.user')
    if not person.user:
        return False
    try:
        return bool(User(person.user).check_second_factor(code))
    except UserError:
        return False


async def second_factor(update, context):
    "The code, when asked for: checked, then the person repeats the action."
    if not context.chat_data.get('second_factor_pending'):
        return
    code = update.effective_message.text.strip()
    chat = update.effective_chat.id
    ok = await store_of(context).run(lambda: _check_second_factor(
            people.who(chat), code))
    if ok:
        context.chat_data.pop('second_factor_pending', None)
        context.chat_data['second_factor_until'] = (
            time.time() + SECOND_FACTOR_HOURS * 3600)
    await respond(update, context, lambda person: Reply(_(
                'msg_second_factor_ok' if ok else 'msg_second_factor_bad')))
    raise ApplicationHandlerStop


# --- flood and persistence -----------------------------------------------------

FLOOD = security.MemoryCounter()


async def flood_limit(update, context):
    """At most `[photo_telegram] flood_limit` ('count/seconds', default
    20/10) updates per chat: beyond, one warning and then silence."""
    chat = update.effective_chat
    if not chat:
        return
    count, seconds = security.parse_limit(
        config.get(SECTION, 'flood_limit'), '20/10')
    hits = FLOOD.hit(f'{context.bot.id}:{chat.id}', seconds)
    if hits <= count:
        return
    if hits == count + 1:
        await context.bot.send_message(chat.id, _text(
                update, context, 'msg_flood'))
    if update.callback_query:
        await update.callback_query.answer()
    raise ApplicationHandlerStop


async def flush(update, context):
    "Keep every dialogue's state now: a restart resumes it."
    if update.effective_chat:
        # process_update marks the chat only after the last group.
        context.application.mark_data_for_update_persistence(
            chat_ids=update.effective_chat.id)
    await context.application.update_persistence()


# --- the application ---------------------------------------------------------

def handlers():
    "[(handler, group)]: photo.telegram.bot.get_handlers' own."
    text = filters.TEXT & ~filters.COMMAND
    cancel = CommandHandler('cancel', command(client.leave, draft=True))
    booking = ConversationHandler(
        entry_points=[CommandHandler('book',
                command(client.ask_service, draft=True))],
        states={
            'service': [state_handler(client.choose_service,
                    r'^svc:(\d+)$', 1, convert=int)],
            'photographer': [
                state_handler(client.choose_photographer, r'^ph:any$'),
                state_handler(client.choose_photographer, r'^ph:(\d+)$', 1,
                    convert=int)],
            'studio': [
                state_handler(client.choose_studio, r'^st:(\d+)$', 1,
                    convert=int),
                state_handler(client.ask_location, r'^near$'),
                state_handler(client.ask_address, r'^home$')],
            # "Nearest studio": the client shares where they are.
            'near': [
                MessageHandler(filters.LOCATION,
                    location_step(client.nearest_studios)),
                state_handler(client.choose_studio, r'^st:(\d+)$', 1,
                    convert=int),
                state_handler(client.ask_address, r'^home$')],
            # At the client's place: the address typed or shared.
            'address': [
                MessageHandler(filters.LOCATION,
                    location_step(client.give_address)),
                MessageHandler(text, text_step(client.give_address,
                        draft=True)),
                state_handler(client.choose_studio, r'^st:(\d+)$', 1,
                    convert=int)],
            'day': [
                state_handler(client.choose_day,
                    r'^day:(\d{4}-\d{2}-\d{2})$', 1),
                state_handler(client.choose_month, r'^mon:(\d{4}-\d{2})$',
                    1)],
            'time': [
                state_handler(client.choose_time, r'^t:(\d{12})$', 1),
                state_handler(client.choose_day,
                    r'^day:(\d{4}-\d{2}-\d{2})$', 1),
                state_handler(client.choose_month, r'^mon:(\d{4}-\d{2})$',
                    1)],
            'confirm': [
                state_handler(client.confirm, r'^ok$'),
                state_handler(client.choose_month, r'^mon:(\d{4}-\d{2})$',
                    1)],
            },
        fallbacks=[cancel, MessageHandler(text, reask)],
        allow_reentry=True, name='booking', persistent=True)
    photographer = ConversationHandler(
        entry_points=[
            CommandHandler('block', staff_guard(command(staff.ask_block))),
            CommandHandler('dayoff',
                staff_guard(command(staff.ask_day_off)))],
        states={
            'block': [MessageHandler(text, text_step(staff.block))],
            'dayoff': [MessageHandler(text, text_step(staff.day_off))],
            },
        fallbacks=[cancel], allow_reentry=True, name='photographer',
        persistent=True)
    review = ConversationHandler(
        entry_points=[state_handler(client.review, r'^rs:(\d+):(\d)$', 1, 2,
                convert=int)],
        states={'comment': [
                MessageHandler(text, text_step(client.review_comment,
                        draft=True)),
                CommandHandler('skip', command(lambda person, draft:
                        client.review_comment(person, draft, None),
                        draft=True))]},
        fallbacks=[cancel], name='review', persistent=True)

    def button(step, pattern, *groups, convert=int, guard=False):
        handler = state_handler(step, pattern, *groups, draft=False,
            convert=convert)
        if guard:
            handler.callback = staff_guard(handler.callback)
        return handler

    return [
        (TypeHandler(Update, flood_limit), -2),
        (MessageHandler(text, second_factor), -1),
        # The dialogues that read text first: the booking re-asks any.
        (review, 0),
        (photographer, 0),
        (booking, 0),
        (CommandHandler('start', start), 0),
        (CommandHandler('help', command(client.welcome)), 0),
        (CommandHandler('unlink', command(_unlink)), 0),
        (CommandHandler('my', command(client.my_bookings)), 0),
        (CommandHandler('today', staff_guard(command(
                        lambda p: staff.schedule(p, 0)))), 0),
        (CommandHandler('tomorrow', staff_guard(command(
                        lambda p: staff.schedule(p, 1)))), 0),
        (CommandHandler('requests', staff_guard(command(staff.requests))),
            0),
        (CommandHandler('cancel', nothing_to_cancel), 0),
        (MessageHandler(filters.CONTACT, contact), 0),
        (button(client.ask_cancel, r'^cx:(\d+)$', 1), 0),
        (button(client.do_cancel, r'^cy:(\d+):(\d+(?:\.\d+)?)$', 1, 2,
                convert=str), 0),
        (button(client.keep, r'^cn$'), 0),
        (button(client.move_month, r'^mv:(\d+)$', 1), 0),
        (button(client.move_day, r'^md:(\d+):(\d{4}-\d{2}-\d{2})$', 1, 2,
                convert=str), 0),
        (button(client.move_time, r'^mt:(\d+):(\d{12})$', 1, 2,
                convert=str), 0),
        (button(client.ask_review, r'^rv:(\d+)$', 1), 0),
        (button(staff.details, r'^bk:(\d+)$', 1, guard=True), 0),
        (button(staff.approve, r'^ap:(\d+)$', 1, guard=True), 0),
        (button(staff.decline, r'^dc:(\d+)$', 1, guard=True), 0),
        (CallbackQueryHandler(noop, pattern=r'^noop$'), 0),
        # Last of group 0: what no handler above took.
        (CallbackQueryHandler(stale), 0),
        (MessageHandler(text, unknown_text), 0),
        (TypeHandler(Update, flush), 100),
        ]


def catalogue_texts(store):
    """A function (message id, language) → text for the few answers given
    without reading the database (flood, stale buttons), read once."""
    ids = ['msg_use_buttons', 'msg_stale_button', 'msg_flood']

    def read():
        texts = {}
        for language in ['en', 'ru']:
            with Transaction().set_context(language=language):
                for id_ in ids:
                    texts[id_, language] = _(id_)
        return texts
    texts = store.call(read)
    return lambda id_, language: texts[id_, language]


def build(store, token=None, base_url=None, persistence=True):
    """The Application for the database of store: the token and the Bot API
    base from [photo_notify] (the notifications' bot) unless given; the
    handlers of photo.telegram.bot.get_handlers."""
    token = token or config.get('photo_notify', 'telegram_token')
    base_url = base_url or config.get('photo_notify', 'telegram_api',
        default='https://api.telegram.org/bot')
    builder = (Application.builder().token(token).base_url(base_url)
        .updater(None))
    if persistence:
        builder = builder.persistence(TrytonPersistence(store))
    application = builder.build()
    application.bot_data['store'] = store
    application.bot_data['texts'] = catalogue_texts(store)
    for handler, group in store.call(
            lambda: Pool().get('photo.telegram.bot').get_handlers()):
        application.add_handler(handler, group)
    application.add_error_handler(error_handler)
    return application


async def error_handler(update, context):
    logger.error("update %s failed", getattr(update, 'update_id', None),
        exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id,
                await store_of(context).run(_failure_text))
        except Exception:
            logger.warning("could not apologise", exc_info=True)


def _failure_text():
    return _('msg_failure')


# --- the process -------------------------------------------------------------

async def send_alerts(application, store):
    "Send the staff alerts due now to [photo_telegram] staff_chat."
    from . import alerts
    chat = config.get(SECTION, 'staff_chat')
    if not chat:
        return
    for text in await store.run(alerts.due):
        await application.bot.send_message(chat, text)


async def watch(application, store, stop, interval=60):
    "Check the staff alerts every interval seconds until stop."
    while not stop.is_set():
        try:
            await send_alerts(application, store)
        except Exception:
            # Alerts must not stop the bot; the next round tries again.
            logger.error("staff alerts failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except asyncio.TimeoutError:
            pass


async def run_polling(application, stop):
    "Long polling: getUpdates, each update handled in order."
    await application.initialize()
    await application.bot.delete_webhook()
    await application.start()
    offset = None
    try:
        while not stop.is_set():
            updates = await application.bot.get_updates(
                offset=offset, timeout=10)
            for update in updates:
                offset = update.update_id + 1
                await application.process_update(update)
    finally:
        if offset:  # confirm the handled ones, as the Updater does
            await application.bot.get_updates(offset=offset, timeout=0)
        await application.stop()
        await application.shutdown()


async def run_queue(application, store, stop, interval=0.5):
    """Webhook mode: handle the updates the webhook route queued, in order
    (one process, so one copy of each dialogue's state)."""
    Queue = Pool(store.database_name).get('photo.telegram.update')
    await application.initialize()
    await application.start()
    try:
        while not stop.is_set():
            batch = await store.run(Queue.take)
            for data in batch:
                await application.process_update(
                    Update.de_json(data, application.bot))
            if not batch:
                await asyncio.sleep(interval)
    finally:
        await application.stop()
        await application.shutdown()


def main(argv=None):
    parser = argparse.ArgumentParser(prog='photo_telegram.bot')
    parser.add_argument('-c', '--config', dest='config')
    parser.add_argument('-d', '--database', dest='database', required=True)
    parser.add_argument('--webhook', action='store_true',
        help="handle the updates the webhook route queued")
    parser.add_argument('--set-webhook', metavar='URL',
        help="tell Telegram to post updates to URL, then exit")
    args = parser.parse_args(argv)
    config.update_etc(args.config or os.environ.get('TRYTOND_CONFIG'))
    logging.basicConfig(level=logging.INFO)
    Pool(args.database).init()
    store = Store(args.database)
    application = build(store)
    if args.set_webhook:
        async def set_webhook():
            async with application.bot:
                await application.bot.set_webhook(args.set_webhook,
                    secret_token=config.get(SECTION, 'webhook_secret'))
        asyncio.run(set_webhook())
        return
    async def run():
        stop = asyncio.Event()
        await asyncio.gather(
            run_queue(application, store, stop) if args.webhook
            else run_polling(application, stop),
            watch(application, store, stop))
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
