"""A studio manager logs into sao (under /admin/) and sees the booking
calendar; a photographer sees only their own bookings there."""
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from tryton_db import new_sqlite_database

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SAO = ROOT / 'var' / 'www' / 'admin' / 'index.html'
SCREENSHOTS = ROOT / 'test-output' / 'screenshots' / 'backoffice'
PASSWORD = 'admin-secret-42'

pytestmark = pytest.mark.skipif(
    not SAO.exists(), reason="scripts/test installs sao into var/www/admin")

# Runs inside the test database: two photographers with a booking each.
FILL = textwrap.dedent('''
    import datetime as dt
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking.tests.tools import (
        create_world, local, tomorrow)
    Pool('backoffice').init()
    with Transaction().start('backoffice', 0) as transaction:
        pool = Pool()
        Booking = pool.get('photo.booking')
        User = pool.get('res.user')
        Item = pool.get('ir.module.config_wizard.item')
        ModelData = pool.get('ir.model.data')
        Item.write(Item.search([]), {'state': 'done'})
        admin, = User.search([('login', '=', 'admin')])
        admin.password = '%(password)s'
        admin.save()
        w = create_world(photographers=2, equipment_quantity=2)
        anna, = User.create([{
            'login': 'anna', 'name': 'Anna', 'password': '%(password)s',
            'groups': [('add', [ModelData.get_id(
                'photo_booking', 'group_photographer')])]}])
        w.photographers[0].user = anna
        w.photographers[0].save()
        for photographer, hour in zip(w.photographers, [11, 15]):
            booking = Booking.create_hold(
                w.service, local(w.studio, tomorrow(), hour), w.client,
                w.studio, photographer=photographer)
            Booking.submit([booking])
        transaction.commit()
    ''') % {'password': PASSWORD}


def run(*args, env):
    "Run a setup command; its error output tells why it failed."
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode:
        pytest.fail(f"{args[0]} failed:\n{result.stderr[-3000:]}")


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp('backoffice')
    new_sqlite_database(str(folder / 'backoffice.sqlite'))
    env = {
        **os.environ,
        'TRYTOND_CONFIG': str(ROOT / 'config' / 'trytond.conf'),
        'TRYTOND_DATABASE__PATH': str(folder),
        'TRYTOND_WEB__ROOT': str(ROOT / 'var' / 'www'),
        }
    env.pop('TRYTOND_DATABASE_URI', None)
    run(sys.executable, '-c', FILL, env=env)
    port = free_port()
    process = subprocess.Popen([
            VENV_BIN / 'gunicorn', '--workers', '2',
            '--bind', f'127.0.0.1:{port}', 'trytond.application:app'],
        env={**env, 'TRYTOND_DATABASE_NAMES': 'backoffice'},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}'
    for _ in range(100):
        try:
            urllib.request.urlopen(url + '/admin/', timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def page(browser):
    # The manager's browser is in Moscow, like the studio.
    context = browser.new_context(
        viewport={'width': 1280, 'height': 800},
        timezone_id='Europe/Moscow', locale='en-GB')
    yield context.new_page()
    context.close()


def login(page, url, user):
    page.goto(url + '/admin/')
    page.get_by_label('User name').fill(user)
    page.get_by_role('button', name='Login').click()
    password = page.locator('input[type=password]:visible')
    password.fill(PASSWORD)
    page.get_by_role('button', name='OK').click()


def open_calendar(page):
    page.get_by_text('Photo Studio', exact=True).click()
    page.get_by_text('Calendar', exact=True).click()


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f'{name}.png')


def test_manager_sees_booking_calendar(server, page):
    from playwright.sync_api import expect
    login(page, server, 'admin')
    open_calendar(page)
    # Shown in the user's (the studio's) time zone: 11:00 and 15:00.
    expect(page.get_by_text('11:00 - 12:00').first).to_be_visible()
    expect(page.get_by_text('15:00 - 16:00').first).to_be_visible()
    shot(page, 'manager-calendar')


def test_photographer_sees_own_bookings(server, page):
    from playwright.sync_api import expect
    login(page, server, 'anna')
    page.get_by_text('Photo Studio', exact=True).click()
    page.get_by_text('Bookings', exact=True).click()
    page.get_by_text('Upcoming', exact=True).click()
    expect(page.get_by_text('Photographer 1').first).to_be_visible()
    expect(page.get_by_text('Photographer 2')).to_have_count(0)
    shot(page, 'photographer-bookings')
