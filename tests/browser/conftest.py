"""A live portal for Playwright: a temporary SQLite database filled with a
small studio world, served by trytond's WSGI app in a thread, and Debian's
Chromium.

trytond reads its configuration when first imported, so this file sets
TRYTOND_CONFIG before anything imports trytond.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SCREENSHOTS = os.path.join(ROOT, 'test-output', 'screenshots')
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run']
PHONE = {'width': 390, 'height': 844}
DESKTOP = {'width': 1280, 'height': 900}

WORKDIR = tempfile.mkdtemp(prefix='photo-portal-')
DATABASE = 'portal_' + uuid.uuid4().hex[:8]
# Another database, with photo_payment, for the pay step (payment_portal)
PAY_DATABASE = 'payportal_' + uuid.uuid4().hex[:8]
# And one with photo_chat, for the client's conversation (chat_portal)
CHAT_DATABASE = 'chatportal_' + uuid.uuid4().hex[:8]
CONFIG = os.path.join(WORKDIR, 'trytond.conf')
CHAT_PASSWORD = 'Correct-Horse-7-Battery'


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


SMTP_PORT = _free_port()
PORTAL_PORT = _free_port()
PORTAL_URL = f'http://127.0.0.1:{PORTAL_PORT}'
from tryton_db import RELAXED_ABUSE  # noqa: E402 (no trytond import)
RELAXED_LINES = '\n'.join(f'{k} = {v}' for k, v in RELAXED_ABUSE.items()
    if k != 'proof_after_device')
with open(CONFIG, 'w') as f:
    f.write(f"""[database]
uri = sqlite://
path = {WORKDIR}
[session]
super_pwd =
[email]
uri = smtp://127.0.0.1:{SMTP_PORT}
from = studio@example.com
[web]
email_validation_url = {PORTAL_URL}/account/verify
reset_password_url = {PORTAL_URL}/account/reset/confirm
[photo_portal]
url = {PORTAL_URL}
[photo_booking]
portal_database = {DATABASE}
rate_limit_booking = 1000/60
rate_limit_signup = 1000/60
rate_limit_login = 1000/60
{RELAXED_LINES}
# A fourth hold of one browser within the hour proves some work first
# (test_proof_of_work_on_phone); the page solves it by itself.
proof_after_device = 3
""")
os.environ['TRYTOND_CONFIG'] = CONFIG
os.environ.pop('TRYTOND_DATABASE_URI', None)

# No trytond import: it installs in a child process.
from tryton_db import MODULE, new_sqlite_database  # noqa: E402


def _create_database(database=DATABASE, modules=(MODULE,)):
    path = os.path.join(WORKDIR, database + '.sqlite')
    if modules == (MODULE,):
        new_sqlite_database(path)
        return
    open(path, 'w').close()
    env = dict(os.environ)
    passfile = os.path.join(WORKDIR, 'admin.pass')
    with open(passfile, 'w') as f:
        f.write('admin-' + uuid.uuid4().hex + '\n')
    env['TRYTONPASSFILE'] = passfile
    subprocess.run([
            os.path.join(os.path.dirname(sys.executable), 'trytond-admin'),
            '-c', CONFIG, '-d', database, '-u', *modules,
            '--activate-dependencies', '-l', 'ru',
            '--email', 'admin@example.com'],
        check=True, env=env, stdout=subprocess.DEVNULL)


def _seed():
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking.tests.tools import (
        create_on_location, create_world)

    sys.path.insert(0, os.path.join(ROOT, 'scripts'))
    from demo_images import interior

    pool = Pool(DATABASE)
    pool.init()
    with Transaction().start(DATABASE, 0):
        w = create_world(photographers=2)
        w.studio.street = "Tverskaya 1"
        w.studio.latitude = Decimal('55.7600')
        w.studio.longitude = Decimal('37.6100')
        w.studio.phone = "+7 495 120-45-67"
        w.studio.description = "A loft with big windows."
        w.studio.photo = interior('MSK')
        w.studio.save()
        for i, room in enumerate(w.rooms):
            room.photo = interior(f'MSK-{i}')
            room.save()
        anna, bob = w.photographers
        anna.name, anna.bio = "Anna Lens", "Portraits in natural light."
        with open(os.path.join(ROOT, 'addons', 'photo_portal', 'static',
                    'icons', 'icon-192.png'), 'rb') as photo:
            anna.photo = photo.read()
        anna.save()
        bob.name, bob.bio = "Boris Flash", "Studio fashion and family."
        bob.save()
        outdoor, olga = create_on_location(w)
        return {'service': w.service.id, 'studio': w.studio.id,
            'anna': anna.id, 'bob': bob.id,
            'outdoor': outdoor.id, 'olga': olga.id}


@pytest.fixture(scope='session')
def portal():
    "The base URL of a running portal and the ids of its world."
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    _create_database()
    ids = _seed()
    from trytond.wsgi import SharedDataMiddlewareIndex, app

    # As deployed: [web] root holds sao in admin/, '/' falls through to us.
    root = os.path.join(WORKDIR, 'www')
    os.makedirs(os.path.join(root, 'admin'))
    with open(os.path.join(root, 'admin', 'index.html'), 'w') as f:
        f.write('<!doctype html><title>sao</title>')
    served = SharedDataMiddlewareIndex(app, {'/': root})
    server = make_server(
        '127.0.0.1', PORTAL_PORT, served, threaded=True,
        request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {'url': PORTAL_URL, **ids}
    server.shutdown()
    shutil.rmtree(WORKDIR, ignore_errors=True)


def _seed_payments():
    """The pay database's world: a service with a 60 % prepayment taken by
    Stripe or YooKassa, a promo code, and accounting (invoices)."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    from trytond.modules.photo_payment.tests.tools import (
        create_accounting, create_gateways, create_paid_world)

    pool = Pool(PAY_DATABASE)
    pool.init()
    extras = {}
    while True:
        # As admin, like the module tests: set_company needs a real user
        with Transaction().start(PAY_DATABASE, 1, **extras) as transaction:
            try:
                pool = Pool()
                w = create_paid_world(percent=Decimal(60), photographers=2)
                stripe, yookassa = create_gateways()
                company = create_accounting(w, [stripe, yookassa])
                pool.get('photo.payment.promo').create([{
                            'code': 'SPRING', 'discount': Decimal(10)}])
            except TransactionError as e:
                # The chart locks tables: start again holding them
                transaction.rollback()
                e.fix(extras)
                continue
            anna, bob = w.photographers
            return {'service': w.service.id, 'studio': w.studio.id,
                'anna': anna.id, 'bob': bob.id, 'company': company.id,
                'gateways': {'stripe': stripe.id, 'yookassa': yookassa.id}}


@pytest.fixture(scope='session')
def payment_world(portal):
    """The pay database next to the portal's, with fake Stripe and YooKassa
    whose hosted pages call back the portal's webhooks."""
    from trytond import config
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_payment.tests.fakes import (
        FakeStripe, FakeYooKassa)
    from trytond.modules.photo_payment.tests.tools import (
        STRIPE_SECRET, STRIPE_WEBHOOK_SECRET, YOOKASSA_SECRET, YOOKASSA_SHOP)

    _create_database(PAY_DATABASE, ('photo_portal', 'photo_payment'))
    ids = _seed_payments()
    stripe = FakeStripe(STRIPE_SECRET, STRIPE_WEBHOOK_SECRET).start()
    yookassa = FakeYooKassa(YOOKASSA_SHOP, YOOKASSA_SECRET).start()
    with Transaction().start(PAY_DATABASE, 0, readonly=True):
        Gateway = Pool().get('photo.payment.gateway')
        for fake, gateway_id in [
                (stripe, ids['gateways']['stripe']),
                (yookassa, ids['gateways']['yookassa'])]:
            gateway = Gateway(gateway_id)
            fake.webhook_url = (f"{portal['url']}/{PAY_DATABASE}/"
                f"photo_payment/{gateway.kind}/{gateway.webhook_identifier}")
    if not config.has_section('photo_payment'):
        config.add_section('photo_payment')
    for key, value in {
            'stripe_api_base': stripe.url,
            'yookassa_api_url': yookassa.url + '/v3',
            'stripe_secret_key': STRIPE_SECRET,
            'stripe_webhook_secret': STRIPE_WEBHOOK_SECRET,
            'yookassa_shop_id': YOOKASSA_SHOP,
            'yookassa_secret_key': YOOKASSA_SECRET,
            # The fake's notifications come from this host
            'yookassa_networks': '127.0.0.1/32',
            'retries': '2',
            'retry_delay': '0',
            'http_timeout': '10',
            }.items():
        config.set('photo_payment', key, value)
    yield {**portal, **ids, 'database': PAY_DATABASE,
        'stripe': stripe, 'yookassa': yookassa}
    stripe.stop()
    yookassa.stop()


@pytest.fixture
def payment_portal(payment_world):
    """The portal serving the pay database during one test (the portal reads
    [photo_booking] portal_database at each request)."""
    from trytond import config
    previous = config.get('photo_booking', 'portal_database')
    config.set('photo_booking', 'portal_database', PAY_DATABASE)
    yield payment_world
    config.set('photo_booking', 'portal_database', previous)


@pytest.fixture(scope='session')
def chat_world(portal):
    """The chat database: a confirmed booking of web user maria@example.com
    (password CHAT_PASSWORD) with Anna, who is a back-office user."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking.tests.tools import (
        create_world, portal_booking, staff_users)

    _create_database(CHAT_DATABASE, ('photo_portal', 'photo_chat'))
    Pool(CHAT_DATABASE).init()
    with Transaction().start(CHAT_DATABASE, 0) as transaction:
        w = create_world()
        staff = staff_users(w)
        _, booking = portal_booking(
            w, password=CHAT_PASSWORD, email_valid=True)
        ids = {'booking': booking.id, 'anna': staff.photographers[0].id}
        transaction.commit()
    yield {**portal, **ids, 'database': CHAT_DATABASE}


@pytest.fixture
def chat_portal(chat_world):
    "The portal serving the chat database during one test."
    from trytond import config
    previous = config.get('photo_booking', 'portal_database')
    config.set('photo_booking', 'portal_database', CHAT_DATABASE)
    yield chat_world
    config.set('photo_booking', 'portal_database', previous)


@pytest.fixture(scope='session')
def smtp():
    from aiosmtpd.controller import Controller
    messages = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            messages.append(envelope.content)
            return '250 OK'
    controller = Controller(Handler(), hostname='127.0.0.1', port=SMTP_PORT)
    controller.start()
    yield messages
    controller.stop()


@pytest.fixture
def mailed_link(smtp):
    """link(to, pattern): the first match of pattern in the mail sent to
    `to`, waited for up to 10 s (sign-up opens the account from its link)."""
    from email import message_from_bytes

    def link(to, pattern):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for mail in map(message_from_bytes, list(smtp)):
                if mail['To'] == to:
                    found = re.search(
                        pattern, mail.get_payload(decode=True).decode())
                    if found:
                        return found.group(0)
            time.sleep(0.05)
        pytest.fail(f"no mail to {to} matching {pattern}")
    return link


@pytest.fixture(scope='session')
def browser():
    from playwright.sync_api import sync_playwright
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, viewport, **extra):
    context = browser.new_context(
        viewport=viewport, locale='ru-RU', **extra)
    context.set_default_timeout(15000)
    return context, context.new_page()


@pytest.fixture
def phone_page(browser, portal, smtp):
    context, page = _page(
        browser, PHONE, is_mobile=True, has_touch=True,
        device_scale_factor=2)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, portal, smtp):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def new_phone_context(browser, portal, smtp):
    contexts = []

    def make():
        context, page = _page(
            browser, PHONE, is_mobile=True, has_touch=True)
        contexts.append(context)
        return page
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    "shot(page, step): save a screenshot named after the test and step."
    os.makedirs(SCREENSHOTS, exist_ok=True)

    def take(page, step):
        name = f'{request.node.name}-{step}.png'
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)
        return name
    return take
