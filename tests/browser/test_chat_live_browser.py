"""The client and the photographer chat live, each in their own browser:
the client on the portal's conversation page on a phone, Anna in sao with
the booking's form and its chat panel open. Neither reloads. Oleg, another
photographer signed in to sao, asks the bus for the booking's conversation
and gets nothing.

The demo of test_backoffice, served the same way (gunicorn, SQLite) with
Tryton's bus open through photo_chat's ChatBus, which reads the new
messages on SQLite (bus.py), and threads for its waiting requests.
Latency figures: bench/chat_browser.py.
"""
import textwrap

import pytest
from conftest import PHONE, _page
from playwright.sync_api import expect
from test_backoffice import (
    DATABASE, OPEN_FORM, SAO, SCREENSHOTS, check, login, new_page,
    serve_demo, step, wait_idle)
from test_portal_browser import log_in

pytestmark = pytest.mark.skipif(
    not SAO.exists(), reason="scripts/test installs sao into var/www/admin")

CLIENT = 'chat.client@example.com'
CLIENT_PASSWORD = 'Chat-Client-7-Password'
SETTINGS = {
    'bus': {'allow_subscribe': 'True',
        'class': 'trytond.modules.photo_chat.bus.ChatBus'},
    # The portal of the same server serves this database
    'photo_booking': {'portal_database': DATABASE},
    }
# Threads for the bus's waiting requests; stopping does not wait for them.
THREADED = ('--threads', '8', '--graceful-timeout', '1')

# After FILL: a client with a portal account and a confirmed booking of
# Anna's; Oleg, another photographer, enrols an authenticator app.
SETUP = textwrap.dedent('''
    import datetime as dt
    import json
    import time
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_auth import totp
    from trytond.modules.photo_booking.exceptions import BookingError
    from trytond.modules.photo_booking.tests.tools import local
    Pool(%(database)r).init()
    with Transaction().start(%(database)r, 0) as transaction:
        pool = Pool()
        Booking = pool.get('photo.booking')
        Photographer = pool.get('photo.photographer')
        User = pool.get('res.user')
        oleg, = User.search([('login', '=', 'oleg')])
        secret = totp.new_secret()
        pool.get('res.user.second_factor').enrol(
            oleg.id, secret, totp.now_code(secret, time.time() - 30))
        anna, = Photographer.search([('user.login', '=', 'anna')])
        studio, = anna.studios
        service = anna.services[0].service
        client, = pool.get('party.party').create([{'name': "Vera Chat"}])
        web_user, = pool.get('web.user').create([{
                    'email': %(client)r, 'password': %(password)r,
                    'email_valid': True, 'party': client.id}])
        today = dt.date.today()
        for day in range(60, 90):
            try:
                booking = Booking.create_hold(service,
                    local(studio, today + dt.timedelta(days=day), 12),
                    client, studio, photographer=anna, web_user=web_user)
            except BookingError:
                continue
            break
        Booking.confirm([booking])
        transaction.commit()
        print(json.dumps({'oleg_secret': secret, 'chat_booking': booking.id}))
    ''') % {'database': DATABASE, 'client': CLIENT,
        'password': CLIENT_PASSWORD}

# Record what the bus brings for the booking's conversation (as sao's chat
# panel registers it), so a page that must get nothing can show it did not.
LISTEN = """(channel) => {
    window.chatBus = [];
    Sao.Bus.register(channel, (message) => window.chatBus.push(
        message.message && message.message.content));
}"""


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    for server in serve_demo(tmp_path_factory.mktemp('chatlive'),
            SETTINGS, THREADED, SETUP):
        server['secrets']['oleg'] = server.pop('oleg_secret')
        yield server


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f'chat-live-{name}.png')


def open_chat_panel(page, booking):
    "The booking's form in sao and its chat panel, as a click opens it."
    step(page, OPEN_FORM, ['photo.booking', booking], "the booking's form")
    wait_idle(page)
    page.locator('button#chat:visible').click()
    expect(page.locator('.chat textarea:visible')).to_be_editable()


def test_client_and_photographer_chat_live(live, browser):
    """The client's message shows in Anna's chat panel and Anna's answer on
    the client's phone, neither reloading; the cabinet's badge counts the
    studio's message the client has not seen; Oleg's bus brings nothing of
    a booking that is not his."""
    booking = live['chat_booking']
    channel = f'chat:photo.booking,{booking}'
    context, phone = _page(browser, PHONE, is_mobile=True, has_touch=True,
        device_scale_factor=2)
    anna, oleg = new_page(browser, 'UTC'), new_page(browser, 'UTC')
    try:
        phone.goto(f"{live['url']}/account/login")
        log_in(phone, CLIENT, CLIENT_PASSWORD)
        expect(phone.locator('.chat-link .badge')).to_have_count(0)
        phone.get_by_role('link', name='Сообщения').click()
        expect(phone.get_by_role('heading', name='Переписка со студией')
            ).to_be_visible()

        login(anna, live, 'anna')
        open_chat_panel(anna, booking)
        anna.evaluate(LISTEN, channel)
        login(oleg, live, 'oleg')
        oleg.evaluate(LISTEN, channel)
        # Oleg's sao may not read the conversation either
        refused = oleg.evaluate("""(record) => new Promise((resolve) =>
            Sao.rpc({method: 'model.ir.chat.channel.get',
                params: [record, {}]}, Sao.Session.current_session, true,
                false).then(() => resolve(false), () => resolve(true)))""",
            f'photo.booking,{booking}')
        assert refused
        oleg.errors.clear()

        # The client writes; Anna's panel shows it without a reload
        phone.get_by_label('Ваше сообщение').fill("Можно взять собаку?")
        phone.get_by_role('button', name='Отправить').click()
        expect(phone.locator('.chat-message.mine .chat-text').last
            ).to_have_text("Можно взять собаку?")
        expect(anna.locator('.chat .chat-content').last
            ).to_have_text("Можно взять собаку?", timeout=5000)

        # Anna answers in the panel; the client's page shows it
        anna.locator('.chat textarea:visible').fill("Да, конечно!")
        anna.locator('.chat button[type=submit]:visible').click()
        expect(phone.locator('.chat-message:not(.mine) .chat-text').last
            ).to_have_text("Да, конечно!", timeout=5000)
        expect(anna.locator('.chat .chat-content').last
            ).to_have_text("Да, конечно!")
        assert phone.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth")
        shot(phone, 'client-phone')
        shot(anna, 'anna-sao')
        # Anna's bus brought both messages
        anna.wait_for_function("""(texts) => texts.every(
            (text) => window.chatBus.includes(text))""",
            arg=["Можно взять собаку?", "Да, конечно!"], timeout=5000)

        # Seen on the page: no badge in the cabinet
        phone.goto(f"{live['url']}/account")
        expect(phone.get_by_role('heading', name='Мои записи')).to_be_visible()
        expect(phone.locator('.chat-link .badge')).to_have_count(0)
        # Anna writes while the client is away from the conversation
        anna.locator('.chat textarea:visible').fill("Ждём вас в 12:00.")
        anna.locator('.chat button[type=submit]:visible').click()
        expect(anna.locator('.chat .chat-content').last
            ).to_have_text("Ждём вас в 12:00.")
        phone.reload()
        expect(phone.locator('.chat-link .badge')).to_have_text('1')
        shot(phone, 'client-cabinet-badge')
        phone.get_by_role('link', name='Сообщения').click()
        expect(phone.locator('.chat-message:not(.mine) .chat-text').last
            ).to_have_text("Ждём вас в 12:00.")
        phone.goto(f"{live['url']}/account")
        expect(phone.locator('.chat-link .badge')).to_have_count(0)

        # Oleg's bus, listening all along, got none of the three
        assert oleg.evaluate("window.chatBus") == []
        shot(oleg, 'oleg-sao')
        check(anna, "anna's chat")
        check(oleg, "oleg's sao")
    finally:
        context.close()
        anna.context.close()
        oleg.context.close()
