"""The write paths added after issue 20's first round take the write lock
before their first read too: the Telegram bot's steps (book, confirm,
cancel, move; a photographer's confirm and decline; a shared contact),
a new party, a conversation's first message, a calendar's pull and its
failures, a cancellation's refund.

Each test runs a path while another transaction holds a change it depends
on, not committed yet: a client's cancel, a new party, the conversation's
first message, a manager's refund. The path must decide on that change once committed, never
on what it could read before it: on SQLite by taking the write lock
before it reads, on PostgreSQL by its row locks and a run again after a
serialization failure or a conversation made meanwhile (the bot's Store
retries as trytond's requests do). Each side is its own process with its
own connection.

Run: .venv/bin/python -m pytest -q tests/test_write_lock.py
"""
import datetime as dt
import json
import time
import traceback
from decimal import Decimal

import pytest

import concurrency_worker as cw
from test_concurrency import CONTEXT
from tryton_db import TrytonDB

# How long the holder keeps its change uncommitted once the path started.
HELD = 1.0
CLIENT_CHAT, PHOTOGRAPHER_CHAT, NEW_CHAT = '1001', '2002', '3003'
CHAT_EMAIL = 'chat-client@example.com'
EVENT_ID = 'event-1'
PAID, MANAGER_REFUND = Decimal('1500.00'), Decimal('1000.00')


def event():
    "The event a photographer's calendar reports to two pulls at once."
    from trytond.modules.photo_calendar.remote import RemoteBusy
    return RemoteBusy(EVENT_ID,
        dt.datetime(2030, 1, 7, 9, tzinfo=dt.timezone.utc),
        dt.datetime(2030, 1, 7, 11, tzinfo=dt.timezone.utc), '')


def _pool(db):
    cw._init(db)
    from trytond.pool import Pool
    return Pool(db.name)


def _gateway_down():
    """Stripe at an address that refuses: a refund stays pending, and
    counts, as while the gateway is down."""
    import trytond.config as config
    if not config.has_section('photo_payment'):
        config.add_section('photo_payment')
    for key, value in [('stripe_secret_key', 'sk_test_race'),
            ('stripe_api_base', 'http://127.0.0.1:9'), ('retries', '1'),
            ('retry_delay', '0'), ('http_timeout', '0.5')]:
        config.set('photo_payment', key, value)


def setup(db, queue):
    """A client's hold and confirmed booking (auto-confirming photographer)
    and a request of a manual photographer's; the client and that
    photographer linked to their Telegram chats. Puts their ids."""
    try:
        _pool(db)
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        from trytond.modules.photo_booking.tests.tools import (
            create_world, local, tomorrow)
        from trytond.modules.photo_payment.tests.tools import create_gateways
        from trytond.modules.photo_telegram import people
        with Transaction().start(db.name, 0) as transaction:
            pool = Pool()
            Booking = pool.get('photo.booking')
            Photographer = pool.get('photo.photographer')
            auto = create_world()
            manual = create_world(confirmation='manual')
            # The chats leave whom a former setup linked them to.
            people.link_party(auto.client, CLIENT_CHAT)
            people.unlink_staff(PHOTOGRAPHER_CHAT)
            Photographer.write([manual.photographer],
                {'telegram_chat': PHOTOGRAPHER_CHAT})

            def hold(w, hour):
                return Booking.create_hold(w.service,
                    local(w.studio, tomorrow(2), hour), w.client, w.studio,
                    email=CHAT_EMAIL, source='telegram')
            held = hold(auto, 11)
            confirmed = hold(auto, 14)
            requested = hold(manual, 12)
            paid = hold(auto, 16)
            Booking.submit([confirmed, requested, paid])
            stripe, _ = create_gateways()
            payment, = pool.get('photo.payment.transaction').create([{
                        'booking': paid.id, 'kind': 'payment',
                        'amount': PAID, 'currency': paid.currency.id,
                        'gateway': stripe.id, 'gateway_id': 'pi_race',
                        'state': 'succeeded'}])
            calendar, = pool.get('photo.calendar').create([{
                        'photographer': auto.photographer.id,
                        'name': "Work", 'kind': 'caldav',
                        'url': 'http://127.0.0.1:9/work/'}])
            ids = {'hold': held.id, 'confirmed': confirmed.id,
                'requested': requested.id, 'calendar': calendar.id,
                'paid': paid.id, 'payment': payment.id}
            assert Booking(requested.id).state == 'requested'
            transaction.commit()
        queue.put(('ok', ids))
    except Exception:
        queue.put(('error', traceback.format_exc()))


# --- the holder's changes ---------------------------------------------------

def client_cancels(pool, ids, key):
    Booking = pool.get('photo.booking')
    Booking.cancel([Booking(ids[key])], by='client')


def new_party(pool, ids, key):
    pool.get('party.party').create([{'name': 'Walk-in client'}])


def first_message(pool, ids, key):
    pool.get('ir.chat.channel').post_from_client(
        str(pool.get('photo.booking')(ids[key])), CHAT_EMAIL, "First")


def calendar_pulled(pool, ids, key):
    "A pull stores the event its calendar reported, as pull() does."
    calendar = pool.get('photo.calendar')(ids['calendar'])
    calendar.update_busy([event()], [])
    calendar.last_sync = dt.datetime(2030, 1, 1)
    calendar.save()


def manager_refunds(pool, ids, key):
    "A manager refunds part of the payment (the Refund wizard's call)."
    _gateway_down()
    Payment = pool.get('photo.payment.transaction')
    Payment.refund(Payment(ids['payment']), MANAGER_REFUND)


def calendar_error():
    from trytond.modules.photo_calendar.remote import CalendarError
    return CalendarError('network', "connection refused")


def calendar_push_failed(pool, ids, key):
    "A push to the calendar fails (queued after a booking's change)."
    pool.get('photo.calendar')(ids['calendar']).failed(
        dt.datetime(2030, 1, 1), calendar_error(), push=True)


CHANGES = {
    'client_cancels': client_cancels,
    'new_party': new_party,
    'first_message': first_message,
    'calendar_pulled': calendar_pulled,
    'manager_refunds': manager_refunds,
    'calendar_push_failed': calendar_push_failed,
    }


def hold_change(db, change, ids, key, changed, racing, queue):
    "Make change and keep it uncommitted HELD seconds after the race began."
    try:
        pool = _pool(db)
        from trytond.transaction import Transaction
        with Transaction().start(db.name, 0) as transaction:
            CHANGES[change](pool, ids, key)
            changed.set()
            if not racing.wait(120):
                raise RuntimeError("the path never started")
            time.sleep(HELD)
            transaction.commit()
        queue.put(('ok', None))
    except Exception:
        queue.put(('error', traceback.format_exc()))


# --- the paths ---------------------------------------------------------------

def bot_confirm(ids, key):
    "The client taps Confirm on the summary of their hold."
    from trytond.modules.photo_telegram import client
    from trytond.modules.photo_telegram.bot import person_step
    return CLIENT_CHAT, person_step(
        client.confirm, draft={'booking': ids[key]})


def bot_cancel(ids, key):
    "The client taps Yes under 'Cancel booking … (fee 0)?'."
    from trytond.modules.photo_telegram import client
    from trytond.modules.photo_telegram.bot import person_step
    return CLIENT_CHAT, person_step(client.do_cancel, ids[key], '0.00')


def bot_approve(ids, key):
    "The photographer taps Confirm on the request."
    from trytond.modules.photo_telegram import staff
    from trytond.modules.photo_telegram.bot import person_step
    return PHOTOGRAPHER_CHAT, person_step(staff.approve, ids[key])


def bot_decline(ids, key):
    "The photographer taps Decline on the request."
    from trytond.modules.photo_telegram import staff
    from trytond.modules.photo_telegram.bot import person_step
    return PHOTOGRAPHER_CHAT, person_step(staff.decline, ids[key])


def bot_contact(ids, key):
    "A new person shares their phone with the bot."
    from trytond.modules.photo_telegram.bot import _contact, person_step
    return NEW_CHAT, person_step(_contact, {
            'user_id': 77, 'phone_number': '+79990001122',
            'first_name': 'Ivan'}, 77, 'en')


def backoffice_party(ids, key):
    "A manager creates a client in the back office."
    from trytond.pool import Pool

    def create(chat, language):
        party, = Pool().get('party.party').create(
            [{'name': 'Phoned-in client'}])
        return party.code
    return None, create


def chat_message(ids, key):
    "The client's message in the conversation of their booking."
    from trytond.pool import Pool

    def post(chat, language):
        pool = Pool()
        pool.get('ir.chat.channel').post_from_client(
            str(pool.get('photo.booking')(ids[key])), CHAT_EMAIL, "Second")
    return None, post


def calendar_pull(ids, key):
    "Another pull of the same calendar (the cron, Sync Now, a push notice)."
    from trytond.pool import Pool

    def pull(chat, language):
        calendar = Pool().get('photo.calendar')(ids['calendar'])
        calendar.update_busy([event()], [])
        calendar.last_sync = dt.datetime(2030, 1, 2)
        calendar.save()
    return None, pull


def client_cancel_refund(ids, key):
    "The client cancels their paid booking early: all that is left back."
    from trytond.pool import Pool

    def cancel(chat, language):
        _gateway_down()
        Booking = Pool().get('photo.booking')
        Booking.cancel([Booking(ids[key])], by='client')
    return None, cancel


def calendar_pull_failed(ids, key):
    "The cron's pull of the same calendar fails."
    from trytond.pool import Pool

    def pull(chat, language):
        Pool().get('photo.calendar')(ids['calendar']).failed(
            dt.datetime(2030, 1, 1), calendar_error())
    return None, pull


PATHS = {
    'bot_confirm': bot_confirm,
    'bot_cancel': bot_cancel,
    'bot_approve': bot_approve,
    'bot_decline': bot_decline,
    'bot_contact': bot_contact,
    'backoffice_party': backoffice_party,
    'chat_message': chat_message,
    'calendar_pull': calendar_pull,
    'client_cancel_refund': client_cancel_refund,
    'calendar_pull_failed': calendar_pull_failed,
    }


def run_path(db, path, ids, key, changed, racing, queue):
    """Once the holder's change is made, run path in the bot's Store (a
    committed transaction, run again on a conflict); put what it answered
    and, read afterwards, the booking's state, the chat's party and the
    conversation's messages."""
    try:
        pool = _pool(db)
        from trytond.transaction import Transaction
        from trytond.modules.photo_telegram.bot import Store
        chat, step = PATHS[path](ids, key)
        if not changed.wait(120):
            raise RuntimeError("the change was never made")
        racing.set()
        reply = Store(db.name).call(step, chat, 'en')
        with Transaction().start(db.name, 0, readonly=True):
            Booking = pool.get('photo.booking')
            Party = pool.get('party.party')
            Channel = pool.get('ir.chat.channel')
            Message = pool.get('ir.chat.message')
            booking = Booking(ids[key])
            channels = Channel.search(
                [('resource', '=', str(booking))])
            result = {
                'text': getattr(reply, 'text', reply),
                'alert': getattr(reply, 'alert', None),
                'state': booking.state,
                'cancelled_by': booking.cancelled_by,
                'chat_parties': len(Party.search(
                        [('telegram_chat', '=', NEW_CHAT)])),
                'channels': len(channels),
                'messages': sorted(m.content for m in Message.search(
                        [('channel', 'in', [c.id for c in channels])])),
                'busy': pool.get('photo.photographer.busy').search_count(
                    [('external_id', 'like', f"%:{EVENT_ID}")]),
                'failures': pool.get('photo.calendar')(
                    ids['calendar']).failures,
                'warned': sorted(n.user.id for n in pool.get(
                        'res.notification').search(
                        [('model', '=', 'photo.calendar')])
                    if json.loads(n.records) == [ids['calendar']]),
                'refunds': sorted(r.amount for r in pool.get(
                        'photo.payment.transaction')(ids['payment']).refunds
                    if r.state in {'pending', 'succeeded'}),
                }
        queue.put(('ok', result))
    except Exception:
        queue.put(('error', traceback.format_exc()))


def race(db, change, path, key):
    """Run path while change holds what it depends on; what the path
    answered and the state after both committed."""
    changed, racing = CONTEXT.Event(), CONTEXT.Event()
    queues = CONTEXT.Queue(), CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=hold_change,
            args=(db, change, db.ids, key, changed, racing, queues[0])),
        CONTEXT.Process(target=run_path,
            args=(db, path, db.ids, key, changed, racing, queues[1])),
        ]
    for process in processes:
        process.start()
    try:
        (held, error), (status, answer) = (q.get(timeout=300) for q in queues)
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    assert held == 'ok', error
    assert status == 'ok', answer
    return answer


@pytest.fixture(scope='module', params=['postgresql', 'sqlite'])
def db(request, tmp_path_factory):
    from test_concurrency import run_child
    db = TrytonDB(request.param, str(tmp_path_factory.mktemp(request.param)),
        modules=('photo_telegram', 'photo_chat', 'photo_calendar',
            'photo_payment'))
    db.create()
    try:
        db.ids = run_child(setup, db)
        yield db
    finally:
        db.drop()


@pytest.fixture
def fresh(db):
    "New bookings for a test of its own."
    from test_concurrency import run_child
    db.ids = run_child(setup, db)
    return db


@pytest.mark.parametrize('path, key', [
        # The client taps Confirm on the summary of their hold.
        ('bot_confirm', 'hold'),
        # The client taps Yes under "Cancel booking …?".
        ('bot_cancel', 'confirmed'),
        # The photographer taps Confirm, or Decline, on the request.
        ('bot_approve', 'requested'),
        ('bot_decline', 'requested'),
        ])
def test_bot_tap_on_a_booking_cancelled_meanwhile(fresh, path, key):
    """A tap in the bot as the client cancels elsewhere: the bot says the
    booking is gone or no longer waits, never "confirmed", "cancelled" or
    "declined", and the client's cancellation stays"""
    answer = race(fresh, 'client_cancels', path, key)
    assert answer['state'] == 'cancelled'
    assert answer['cancelled_by'] == 'client'
    assert answer['alert'], answer['text']


def test_bot_contact_while_a_party_is_made(db):
    "A phone shared with the bot as another client is created: linked"
    answer = race(db, 'new_party', 'bot_contact', 'hold')
    assert answer['chat_parties'] == 1, answer
    assert not answer['alert'], answer['text']


def test_party_created_while_another_is_made(db):
    "A client created as another is (back office, anywhere): it gets a code"
    answer = race(db, 'new_party', 'backoffice_party', 'hold')
    assert answer['text'], answer  # its code, no "code must be unique"


def test_two_first_messages_make_one_conversation(fresh):
    "Two first messages of a booking at once: one conversation with both"
    answer = race(fresh, 'first_message', 'chat_message', 'confirmed')
    assert answer['channels'] == 1
    assert answer['messages'] == ['First', 'Second']


def test_two_pulls_of_a_calendar_store_its_event_once(db):
    "A calendar pulled twice at once: its event is busy time once"
    answer = race(db, 'calendar_pulled', 'calendar_pull', 'hold')
    assert answer['busy'] == 1, answer


def test_cancellation_refunds_what_a_manager_left(fresh):
    """The client cancels while a manager's refund of part of the payment
    is not committed yet: the cancellation gives back only what is left,
    never the whole payment a second time"""
    answer = race(fresh, 'manager_refunds', 'client_cancel_refund', 'paid')
    assert answer['state'] == 'cancelled'
    assert answer['refunds'] == sorted(
        [MANAGER_REFUND, PAID - MANAGER_REFUND]), answer


def test_calendar_failing_twice_at_once_counts_both(fresh):
    """A push and a pull of one calendar fail at the same moment: two
    failures in a row, and its staff warned once"""
    answer = race(fresh, 'calendar_push_failed', 'calendar_pull_failed',
        'hold')
    assert answer['failures'] == 2, answer
    assert answer['warned'], answer
    assert len(answer['warned']) == len(set(answer['warned'])), answer
