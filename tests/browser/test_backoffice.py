"""The back office in sao (under /admin/) on the demo with every module of
the suite: every menu's list and a form of every model open without a
client-side error, as the administrator and as a photographer; the cancel
wizard records who cancelled; staff read the studio's times whatever the
time zone of their browser.

The browsers here are in UTC and the studios in Moscow (UTC+3), so a time
that followed the browser would be three hours off.
"""
import configparser
import datetime as dt
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sao import dialogs, wait_idle
from sao import login as sao_login
from tryton_db import new_sqlite_database

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SAO = ROOT / 'var' / 'www' / 'admin' / 'index.html'
SCREENSHOTS = ROOT / 'test-output' / 'screenshots' / 'backoffice'
MODULES = (
    'photo_booking', 'photo_portal', 'photo_crm', 'photo_payment',
    'photo_telegram', 'photo_chat', 'photo_notify',
    'photo_calendar', 'photo_oauth', 'photo_auth', 'photo_audit')
DATABASE = 'backoffice'
ADMIN_PASSWORD = 'admin-secret-42'
CYRILLIC = re.compile('[а-яё]', re.IGNORECASE)
DEAD_ERROR = 'PermanentFailure: SMTP 550: mailbox unavailable'
ANDROID = ('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 '
    '(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36')

pytestmark = pytest.mark.skipif(
    not SAO.exists(), reason="scripts/test installs sao into var/www/admin")

# Runs inside the demo database: the administrator's password and two
# bookings of Anna's the tests know (their ids printed as JSON).
FILL = textwrap.dedent('''
    import datetime as dt
    import json
    import time
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.photo_booking.exceptions import BookingError
    from trytond.modules.photo_booking.tests.tools import local
    Pool(%(database)r).init()
    with Transaction().start(%(database)r, 0) as transaction:
        pool = Pool()
        Booking = pool.get('photo.booking')
        Photographer = pool.get('photo.photographer')
        Party = pool.get('party.party')
        Service = pool.get('photo.service')
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        admin.password = %(password)r
        admin.save()
        # The administrator and Anna have enrolled an authenticator app
        # (a code of the step before: the tests' logins use the next ones).
        from trytond.modules.photo_auth import totp
        SecondFactor = pool.get('res.user.second_factor')
        secrets = {}
        for login in ['admin', 'anna']:
            user, = User.search([('login', '=', login)])
            secrets[login] = totp.new_secret()
            SecondFactor.enrol(user.id, secrets[login],
                totp.now_code(secrets[login], time.time() - 30))
        anna, = Photographer.search([('user.login', '=', 'anna')])
        studio, = anna.studios  # Moscow
        service = anna.services[0].service
        client, = Party.search([], order=[('id', 'DESC')], limit=1)

        def book(starts):
            "Anna's first free start of starts, submitted."
            for start in starts:
                try:
                    booking = Booking.create_hold(
                        service, start, client, studio, photographer=anna,
                        source='backoffice')
                except BookingError:
                    continue
                Booking.submit([booking])
                return booking
        today = dt.date.today()
        # After the demo's month of bookings, at 10:00 in Moscow
        moscow = book(local(studio, today + dt.timedelta(days=d), 10)
            for d in range(45, 60))
        # Cancelling for free ends 90 days before: the client of this one
        # would pay a fee, the studio never does.
        service.free_cancellation = dt.timedelta(days=90)
        service.save()
        late = book(local(studio, today + dt.timedelta(days=d), 14)
            for d in range(45, 60))
        late_anna = book(local(studio, today + dt.timedelta(days=d), 16)
            for d in range(45, 60))
        # A dead letter about Anna's booking (its client's mail refused),
        # and the browser Anna turned push on in (with her party)
        Notification = pool.get('photo.notification')
        dead = Notification.search([('booking', '=', moscow.id),
                ('recipient', '=', 'client')], limit=1)
        Notification.write(dead, {'state': 'dead', 'attempts': 8,
                'last_error': %(dead_error)r})
        pool.get('photo.notification.device').create([{
                    'channel': 'webpush', 'party': anna.party.id,
                    'address': 'https://fcm.googleapis.com/fcm/send/anna',
                    'p256dh': 'BAnna', 'auth': 'anna',
                    'user_agent': %(android)r,
                    'subscribed_at': dt.datetime(2026, 1, 2, 7, 15)}])
        transaction.commit()
        ModelData = pool.get('ir.model.data')
        menus = {name: ModelData.get_id('photo_booking', name)
            for name in ['menu_booking_to_confirm',
                'menu_booking_calendar', 'menu_booking_form']}
        menus.update({name: ModelData.get_id('photo_notify', name)
            for name in ['menu_notification_form', 'menu_device_form']})
        print(json.dumps({'secrets': secrets,
            'moscow': moscow.id, 'late': late.id,
            'late_anna': late_anna.id, 'menus': menus}))
    ''') % {'database': DATABASE, 'password': ADMIN_PASSWORD,
    'dead_error': DEAD_ERROR, 'android': ANDROID}


def run(*args, env):
    "Run a setup command; its error output tells why it failed."
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode:
        pytest.fail(f"{args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "The demo of the whole suite served by gunicorn, as scripts/run does."
    yield from serve_demo(tmp_path_factory.mktemp('backoffice'))


def serve_demo(folder, settings=None, gunicorn_options=(), setup=None):
    """Build the demo in folder and serve it with gunicorn (2 workers and
    gunicorn_options) on config/trytond.conf changed by settings
    ({section: {key: value}}: the file's values win over the environment's);
    setup, a script run in the database after FILL, prints JSON added to
    what is yielded."""
    config_file = ROOT / 'config' / 'trytond.conf'
    if settings:
        config = configparser.ConfigParser(interpolation=None)
        config.read(config_file)
        config.read_dict(settings)
        config_file = folder / 'trytond.conf'
        with open(config_file, 'w') as f:
            config.write(f)
    database = folder / f'{DATABASE}.sqlite'
    new_sqlite_database(str(database), modules=MODULES)
    env = {
        **{k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')},
        'TRYTOND_CONFIG': str(config_file),
        'TRYTOND_DATABASE__PATH': str(folder),
        'TRYTOND_WEB__ROOT': str(ROOT / 'var' / 'www'),
        }
    # The demo makes its photographers' passwords on its first run.
    passwords_file = folder / 'demo-passwords'
    run(sys.executable, str(ROOT / 'scripts' / 'demo.py'),
        '-c', env['TRYTOND_CONFIG'], '-d', DATABASE,
        '--passwords', str(passwords_file), env=env)
    passwords = dict(
        line.split() for line in passwords_file.read_text().splitlines())
    ids = json.loads(run(sys.executable, '-c', FILL, env=env))
    if setup:
        ids.update(json.loads(run(sys.executable, '-c', setup, env=env)))
    port = free_port()
    process = subprocess.Popen([
            VENV_BIN / 'gunicorn', '--workers', '2', *gunicorn_options,
            '--bind', f'127.0.0.1:{port}', 'trytond.application:app'],
        env={**env, 'TRYTOND_DATABASE_NAMES': DATABASE},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}'
    for _ in range(150):
        try:
            urllib.request.urlopen(url + '/admin/', timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield {'url': url, 'database': database,
        'passwords': {'admin': ADMIN_PASSWORD, **passwords}, **ids}
    process.terminate()
    process.wait(10)


def query(server, sql, *args):
    with sqlite3.connect(server['database']) as connection:
        return connection.execute(sql, args).fetchall()


class ClientErrors(list):
    """What sao got wrong on a page: uncaught exceptions, console errors
    (but the optional custom.css and sao's translations of the browser's
    language, which the server may not have)."""
    OPTIONAL = ('/admin/custom.css', '/admin/locale/')

    def __init__(self, page):
        super().__init__()
        page.on('pageerror', lambda error: self.append(f"{error}"))
        page.on('console', self.console)

    def console(self, message):
        url = (message.location or {}).get('url', '')
        if message.type == 'error' and not any(
                part in url for part in self.OPTIONAL):
            self.append(f"console: {message.text} ({url})")


def new_page(browser, timezone):
    "A page at 1440 px like the issue's, its client errors recorded."
    context = browser.new_context(
        viewport={'width': 1440, 'height': 900},
        timezone_id=timezone, locale='en-GB')
    page = context.new_page()
    page.errors = ClientErrors(page)
    return page


@pytest.fixture
def page(browser):
    # A browser in UTC, the studios in Moscow
    page = new_page(browser, 'UTC')
    yield page
    page.context.close()


def login(page, server, user, menu=True):
    """Sign in to the demo's sao as user (with the code of their
    authenticator app when enrolled); with menu, wait for the main window.

    Enrolled users sign in once: their later pages open in the session of
    the first, as a browser left open does. A code signs in once and the
    app shows a new one every 30 s, so each new sign-in waited for it."""
    enrolled = user in server['secrets']
    key = (server['url'], user)  # test_chat_live_browser has its own server
    if enrolled and menu and key in _sessions:
        cookies, stored = _sessions[key]
        page.context.add_cookies(cookies)
        page.context.add_init_script(
            f"localStorage.setItem({json.dumps(SESSION_KEY)}, "
            f"{json.dumps(stored)})")
        page.goto(f"{server['url']}/admin/#{DATABASE}")
        page.locator('#menu .treeview').wait_for()
        wait_idle(page)
        return
    code = (lambda: authenticator_code(server, user)) if enrolled else None
    sao_login(page, server['url'], DATABASE, user, server['passwords'][user],
        code=code, menu=menu)
    if enrolled and menu:
        _sessions[key] = (page.context.cookies(), page.evaluate(
                "(key) => localStorage.getItem(key)", SESSION_KEY))


# sao keeps who is signed in here, its cookie the session's key.
SESSION_KEY = f'sao_session_{DATABASE}'
_sessions = {}


_used_steps = {}


def authenticator_code(server, user):
    """The code user's authenticator app shows, for a time step no login
    used yet (a code signs in once): waits for the next step if needed."""
    secret = server['secrets'][user]
    last = _used_steps.get(user, int(time.time() // 30) - 1)
    current = int(time.time() // 30)
    if last + 1 > current + 1:
        # The server accepts one step ahead: wait until last is current.
        time.sleep(last * 30 - time.time() + 0.5)
        current = int(time.time() // 30)
    step = max(current, last + 1)
    _used_steps[user] = step
    return pyotp.TOTP(secret).at(step * 30)


def rpc(page, method, *params):
    "Call the server as the logged-in user, as sao does."
    return page.evaluate("""([method, params]) => new Promise(
        (resolve, reject) => Sao.rpc({method, params: [...params, {}]},
            Sao.Session.current_session, true, false)
            .then(resolve, (error) => reject(
                new Error(JSON.stringify(error) || 'error'))))""",
        [method, list(params)])


def step(page, script, arg=None, what=''):
    """Run an async script of sao calls; a promise that never settles (a
    stuck "Processing", a dialog waiting for an answer) fails in 15 s."""
    try:
        return page.evaluate(STEP, [script, arg])
    except PlaywrightError as error:
        pytest.fail(f"{what}: {error.message} {list(page.errors)} "
            f"{dialogs(page)}")


STEP = """async ([script, arg]) => {
        let timer;
        const timeout = new Promise((_, reject) => { timer = setTimeout(
            () => reject(new Error('stuck for 15 s')), 15000); });
        try {
            return await Promise.race([(0, eval)(script)(arg), timeout]);
        } finally {
            clearTimeout(timer);
        }
    }"""


def check(page, what):
    wait_idle(page)
    problems = list(page.errors) + dialogs(page)
    page.errors.clear()
    assert not problems, f"{what}: {problems}"


# Open a menu as a click does; then the form of its first record, as a
# double-click does; then close the tab. Returns the views opened.
OPEN_MENU = """async (id) => {
    await Sao.Action.exec_keyword(
        'tree_open', {model: 'ir.ui.menu', id: id, ids: [id]}, null, false);
    return Sao.Tab.tabs.length;
}"""
OPEN_FIRST_RECORD = """async () => {
    const tab = Sao.Tab.tabs.get_current();
    const screen = tab && tab.screen;
    if (!screen) {
        return null;
    }
    const opened = [screen.current_view.view_type];
    if (screen.current_view.view_type != 'form' && screen.group.length) {
        screen.current_record = screen.group[0];
        await screen.switch_view('form');
        opened.push(screen.current_view.view_type);
    }
    return opened;
}"""
OPEN_FORM = """async ([model, id]) => {
    await Sao.Tab.create({model: model, res_id: id || undefined,
        mode: ['form'], context: {}, name: model});
    // Open once the form shows its record: a new one comes after the tab,
    // with its defaults (closing before would find no record to let go).
    const screen = Sao.Tab.tabs.get_current().screen;
    while (!screen.current_record) {
        await new Promise(resolve => setTimeout(resolve, 50));
    }
}"""
CLOSE_TABS = """async () => {
    for (const tab of [...Sao.Tab.tabs]) {
        const record = tab.screen && tab.screen.current_record;
        if (record && record.id < 0) {  // a new record: nothing to keep
            tab._close_allowed = () => jQuery.when();
        }
        await tab.close();
    }
}"""


def open_everything(page, user):
    """Open every menu of the user that opens a window, the form of the
    first record of each list, and the form of one record (or a new one) of every model of the
    suite no menu led to. Returns what was opened."""
    # The models the suite defines or extends (photo_crm adds to parties)
    suite_models = {v['model'] for v in rpc(page,
            'model.ir.ui.view.search_read',
            [('module', 'in', list(MODULES))], 0, None, None, ['model'])}
    menus = [m for m in rpc(page, 'model.ir.ui.menu.search_read',
            [], 0, None, [('id', 'ASC')], ['complete_name', 'action'])
        if (m['action'] or '').startswith('ir.action.act_window,')]
    windows = {w['id']: w['res_model'] for w in rpc(page,
            'model.ir.action.act_window.search_read',
            [('id', 'in', [int(m['action'].split(',')[1]) for m in menus])],
            0, None, None, ['res_model'])}
    menus = [m for m in menus
        if windows.get(int(m['action'].split(',')[1])) in suite_models]
    opened, models = [], set()
    for menu in menus:
        what = f"{user}: menu {menu['complete_name']}"
        step(page, OPEN_MENU, menu['id'], what)
        check(page, what)
        views = step(page, OPEN_FIRST_RECORD, what=f"{what}, first record")
        check(page, f"{what}, first record")
        model = page.evaluate("""() => {
            const tab = Sao.Tab.tabs.get_current();
            return tab && tab.screen ? tab.screen.model_name : null; }""")
        if views and 'form' in views:
            models.add(model)
        opened.append((menu['complete_name'], model, views))
        step(page, CLOSE_TABS, what=f"{what}, closing")
        check(page, f"{what}, closing")
    # Every stored model of the suite with a form view
    views = rpc(page, 'model.ir.ui.view.search_read', [
            ('type', '=', 'form'), ('model', 'like', 'photo.%'),
            ('inherit', '=', None)], 0, None, None, ['model'])
    for model in sorted({v['model'] for v in views} - models):
        try:
            ids = rpc(page, f'model.{model}.search', [], 0, 1, None)
        except PlaywrightError:
            # A wizard's form, or a model the user may not read: the
            # refusal is ours, not sao's
            page.wait_for_timeout(50)
            page.errors.clear()
            continue
        step(page, OPEN_FORM, [model, ids[0] if ids else None],
            f"{user}: form of {model}")
        check(page, f"{user}: form of {model}")
        opened.append((None, model, ['form']))
        step(page, CLOSE_TABS, what=f"{user}: closing {model}")
        check(page, f"{user}: closing {model}")
    return opened


@pytest.mark.parametrize('user', ['admin', 'anna'])
def test_every_list_and_form_opens(server, page, user):
    """Every menu is in Russian; every menu's list, the form of its first
    record and a form of every model of the suite open in sao with no
    client-side error."""
    login(page, server, user)
    check(page, f"{user}: login")
    # In Russian, the staff language of the demo: our menus and Tryton's
    names = [m['name'] for m in rpc(page, 'model.ir.ui.menu.search_read',
            [], 0, None, None, ['name'])]
    assert names and [n for n in names if not CYRILLIC.search(n)] == []
    opened = open_everything(page, user)
    menus = {name for name, _, _ in opened if name}
    models = {model for _, model, views in opened if 'form' in (views or [])}
    assert any('photo.booking' == m for m in models), opened
    if user == 'admin':
        # The payments list the booking form embeds, and its own menus
        assert {'photo.payment.transaction', 'photo.payment.event'
            } <= models, opened
        assert len(menus) >= 15, menus
    else:
        assert 'photo.payment.transaction' not in models
        assert len(menus) >= 3, menus



def test_photographer_enrols_second_factor(server, browser, page):
    """Ivan, a photographer without a second factor yet, signs in with his
    password and the enrolment opens by itself: he scans the QR code, types
    his app's code and keeps ten recovery codes. From then on sao asks him
    for the app's code after his password."""
    # The enrolment opens before the main window
    login(page, server, 'ivan', menu=False)
    dialog = page.locator('.modal:visible')
    secret_input = dialog.locator('input[name=secret]')
    secret_input.wait_for(timeout=15000)
    page.wait_for_function("""() => [...document.querySelectorAll(
        '.modal img')].some(image => image.naturalWidth >= 200)""")
    shot(page, 'second-factor-enrol')
    secret = secret_input.input_value()
    assert re.fullmatch('[A-Z2-7]{32}', secret)
    step = int(time.time() // 30)
    dialog.locator('input[name=code]').fill(pyotp.TOTP(secret).at(step * 30))
    dialog.locator('.modal-footer button.btn-primary').click()
    codes = page.locator('.modal:visible textarea')
    expect(codes).to_have_value(re.compile(r'^([a-z2-9]{5}-[a-z2-9]{5}\n){9}'
            r'[a-z2-9]{5}-[a-z2-9]{5}$'))
    shot(page, 'second-factor-recovery-codes')
    press_until_closed(page, page.locator('.modal:visible').filter(
        has=page.locator('textarea')))
    page.locator('#menu .treeview').wait_for()
    check(page, "ivan enrolled")
    (stored,), = query(server, "SELECT f.secret FROM res_user_second_factor f "
        "JOIN res_user u ON u.id = f.user WHERE u.login = 'ivan'")
    # Kept encrypted at rest (photo_booking's encryption)
    assert stored.startswith('v1:') and secret not in stored
    server['secrets']['ivan'] = secret
    _used_steps['ivan'] = step
    second = new_page(browser, 'UTC')
    try:
        login(second, server, 'ivan')  # with the app's next code
        check(second, "ivan's login with a code")
        assert second.locator('.modal:visible').count() == 0
    finally:
        second.context.close()


def press_until_closed(page, dialog, tries=10):
    """Press the default button of dialog (a locator) until it closes.

    sao's wizard drops a click on its buttons made while it still draws
    the step (Sao.Wizard.process does nothing while __processing, which
    clears a few deferred callbacks after the step's values show): a click
    the instant the recovery codes show sends nothing and leaves them
    open (on a loaded machine the gap widens). Another click goes
    through."""
    button = dialog.locator('.modal-footer button.btn-primary')
    for _ in range(tries):
        if not dialog.count():
            return
        try:
            button.click(timeout=3000)
            dialog.wait_for(state='hidden', timeout=3000)
        except PlaywrightError:
            pass  # dropped, or closed meanwhile: look again
    assert not dialog.count(), f"the dialog stays: {dialogs(page)}"


def test_photographer_past_deadline_must_enrol(server, browser, page):
    """Maria, a photographer who let the time to enrol a second factor
    pass, is refused at login and told to ask a manager. Once the manager
    allows her enrolment she signs in with her password, the enrolment
    cannot be postponed and the back office refuses everything else until
    she has enrolled."""
    query(server, "UPDATE res_user SET staff_since = '2020-01-01 00:00:00', "
        "enrol_open_until = NULL WHERE login = 'maria'")
    login(page, server, 'maria', menu=False)
    refused = page.locator('.modal:visible').filter(
        has_text=re.compile('Ask a manager|Попросите менеджера'))
    refused.wait_for(timeout=15000)
    shot(page, 'second-factor-refused')
    assert page.locator('#menu .treeview').count() == 0

    # The manager's Allow Enrolment on her photographer form
    (photographer,), = query(server, "SELECT p.id FROM photo_photographer p "
        "JOIN res_user u ON u.id = p.user WHERE u.login = 'maria'")
    manager = new_page(browser, 'UTC')
    try:
        login(manager, server, 'admin')
        rpc(manager, 'model.photo.photographer.allow_enrolment',
            [photographer])
    finally:
        manager.context.close()

    maria = new_page(browser, 'UTC')
    try:
        login(maria, server, 'maria', menu=False)
        dialog = maria.locator('.modal:visible')
        secret_input = dialog.locator('input[name=secret]')
        secret_input.wait_for(timeout=15000)
        # Only "Enrol": no "Later"
        expect(dialog.locator('.modal-footer button:visible')).to_have_count(1)
        shot(maria, 'second-factor-enrol-now')
        with pytest.raises(PlaywrightError, match=re.compile(
                'Enrol a second factor first|Сначала подключите')):
            rpc(maria, 'model.photo.booking.search_count', [])
        secret = secret_input.input_value()
        step_ = int(time.time() // 30)
        dialog.locator('input[name=code]').fill(
            pyotp.TOTP(secret).at(step_ * 30))
        dialog.locator('.modal-footer button.btn-primary').click()
        expect(maria.locator('.modal:visible textarea')).to_have_value(
            re.compile(r'^([a-z2-9]{5}-[a-z2-9]{5}\n){9}'))
        press_until_closed(maria, maria.locator('.modal:visible').filter(
                has=maria.locator('textarea')))
        maria.locator('#menu .treeview').wait_for()
        server['secrets']['maria'] = secret
        _used_steps['maria'] = step_
        # Enrolled: the back office is hers again
        assert rpc(maria, 'model.photo.booking.search_count', []) >= 0
        check(maria, "maria enrolled")
    finally:
        maria.context.close()


def test_staff_read_of_client_phone_audited(server, browser, page):
    """Anna opening a booking in sao (its client's e-mail and phone) leaves
    an audit entry of what she read, which the manager finds in the log."""
    login(page, server, 'anna')
    open_record(page, 'photo.booking', server['moscow'])
    check(page, "anna's booking form")
    (anna,), = query(server, "SELECT id FROM res_user WHERE login = 'anna'")
    entries = query(server, "SELECT records, field, actor_kind "
        "FROM photo_audit_entry WHERE action = 'view' "
        "AND model = 'photo.booking' AND \"user\" = ?", anna)
    assert any(str(server['moscow']) in records.split(',')
        and 'phone' in field for records, field, _ in entries), entries
    manager = new_page(browser, 'UTC')
    try:
        login(manager, server, 'admin')
        logged = rpc(manager, 'model.photo.audit.entry.search_read',
            [['action', '=', 'view'], ['user', '=', anna]], 0, 10, None,
            ['model', 'field', 'records'])
    finally:
        manager.context.close()
    assert any(e['model'] == 'photo.booking' for e in logged), logged


def open_record(page, model, id):
    step(page, OPEN_FORM, [model, id], f"form of {model} {id}")
    wait_idle(page)


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f'{name}.png')


@pytest.mark.parametrize('user', ['admin', 'anna'])
def test_cancel_wizard_records_the_studio(server, page, user):
    """Cancelling in the back office records what the dialog shows, the
    studio, even once the reason is typed: the client pays no fee for a
    cancellation by the studio, however late."""
    late = server['late'] if user == 'admin' else server['late_anna']
    login(page, server, user)
    open_record(page, 'photo.booking', late)
    page.locator('.tab-pane.active button[name=cancel_wizard]').click()
    dialog = page.locator('.modal:visible')
    by = dialog.locator('select[name=cancelled_by]')
    expect(by).to_have_value('"studio"')
    dialog.locator('textarea').press_sequentially("The photographer is ill")
    shot(page, f'cancel-wizard-reason-typed-{user}')
    # Straight from the reason to the button, as people do: leaving the
    # reason redraws the dialog while the click reads its fields.
    dialog.locator('.modal-footer button.btn-primary').click()
    expect(dialog).to_have_count(0)
    wait_idle(page)
    check(page, "cancelling")
    (state, by, fee, stored), = query(server,
        "SELECT state, cancelled_by, CAST(cancellation_fee AS TEXT), "
        "cancel_reason FROM photo_booking WHERE id = ?", late)
    assert (state, by, fee) == ('cancelled', 'studio', '0.00')
    # The reason is personal data, stored encrypted: read as sao reads it
    assert stored.startswith('v1:') and 'ill' not in stored
    (record,) = rpc(page, 'model.photo.booking.read', [late], ['cancel_reason'])
    reason = record['cancel_reason']
    # sao commits typed text after a pause: a click at once may cut the
    # last letters (a known limit, not what this test is about)
    assert reason and "The photographer is ill".startswith(reason)


def open_menu(page, server, name):
    step(page, OPEN_MENU, server['menus'][name], name)
    check(page, name)


# The right edge on screen of the list column of a field
COLUMN_RIGHT = """(name) => {
    const view = Sao.Tab.tabs.get_current().screen.current_view;
    const column = view.columns.find((c) => c.attributes.name == name);
    const label = jQuery('.tab-pane.active .treeview th label:visible')
        .filter((i, l) => l.textContent == column.attributes.string);
    return label.length ? label.get(0).closest('th')
        .getBoundingClientRect().right : null;
}"""
LIST = """() => {
    const screen = Sao.Tab.tabs.get_current().screen;
    return screen.group.map((record) => record._values.number);
}"""


def test_staff_read_studio_times(server, page):
    """A manager whose browser is in UTC reads a Moscow booking at 10:00,
    the studio's time; the requests to confirm come soonest first without
    clients' holds, with their price and state on screen at 1440 px."""
    login(page, server, 'admin')
    step(page, """async (id) => Sao.Tab.create({model: 'photo.booking',
        mode: ['tree'], domain: [['id', '=', id]], context: {},
        name: 'Moscow'})""", server['moscow'], "the booking's list")
    check(page, "the booking's list")
    row = page.locator('.tab-pane.active .treeview tbody tr').first
    (number,), = query(server,
        "SELECT number FROM photo_booking WHERE id = ?", server['moscow'])
    assert number in row.inner_text()
    assert '10:00–11:00' in row.inner_text()
    for name in ['price', 'state']:
        right = page.evaluate(COLUMN_RIGHT, name)
        assert right and right <= 1440, (name, right)
    shot(page, 'booking-list-studio-time')
    step(page, CLOSE_TABS, what="closing")
    # Its form, with the payments list that used to break it
    open_record(page, 'photo.booking', server['moscow'])
    check(page, "the booking's form")
    expect(page.locator('.tab-pane.active input[name=studio_time]')
        ).to_have_value('10:00–11:00')
    shot(page, 'booking-form')
    step(page, CLOSE_TABS, what="closing")

    open_menu(page, server, 'menu_booking_to_confirm')
    requested = [n for n, in query(server, "SELECT number FROM photo_booking "
            "WHERE state = 'requested' ORDER BY start, id")]
    assert requested and page.evaluate(LIST) == requested
    # (sao hides the state column here: the tab's domain fixes it)
    right = page.evaluate(COLUMN_RIGHT, 'price')
    assert right and right <= 1440, right
    shot(page, 'to-confirm-list')
    step(page, CLOSE_TABS, what="closing")


# The time of the first hour line at the top of the calendar's time grid
FIRST_HOUR = """() => {
    const scroller = jQuery('.tab-pane.active .fc-scroller:visible').get(0);
    const top = scroller.getBoundingClientRect().top;
    const hour = [...scroller.querySelectorAll('.fc-slats tr[data-time]')]
        .find((slat) => slat.getBoundingClientRect().top >= top - 2);
    return hour && hour.dataset.time;
}"""


@pytest.mark.parametrize('user, timezone', [
        ('admin', 'Europe/Moscow'), ('anna', 'Europe/Moscow'),
        ('admin', 'UTC')])
def test_calendar_opens_at_working_hours(server, browser, user, timezone):
    """The week of bookings opens at the hour the earliest studio opens
    (9:00 in Moscow), in the browser's time as its grid is, not at 0:00."""
    (opens,), = query(server,
        "SELECT MIN(start_time) FROM photo_studio_opening_hours")
    (studio_zone,), = set(query(server, "SELECT timezone FROM photo_studio"))
    today = dt.datetime.now(ZoneInfo(studio_zone)).date()
    expected = dt.datetime.combine(
        today, dt.time.fromisoformat(opens), ZoneInfo(studio_zone)
        ).astimezone(ZoneInfo(timezone)).time()
    assert expected != dt.time(0)
    page = new_page(browser, timezone)
    try:
        login(page, server, user)
        open_menu(page, server, 'menu_booking_calendar')
        expect(page.locator('.tab-pane.active .fc-agendaWeek-view')
            ).to_be_visible()
        try:
            page.wait_for_function(f"({FIRST_HOUR})() == '{expected}'",
                timeout=5000, polling=50)
        except PlaywrightError:
            pass  # the assertion tells where it opened
        assert page.evaluate(FIRST_HOUR) == str(expected)
        check(page, "the calendar")
        shot(page, f'calendar-{user}-{timezone.replace("/", "-")}')
    finally:
        page.context.close()


def test_photographer_sees_own_bookings(server, page):
    "Anna's list of bookings holds hers only"
    login(page, server, 'anna')
    open_menu(page, server, 'menu_booking_form')
    step(page, """async () => {
        const screen = Sao.Tab.tabs.get_current().screen;
        screen.limit = 1000;
        await screen.search_filter(); }""", what="all of them")
    check(page, "anna's bookings")
    shown = page.evaluate(LIST)
    hers = {n for n, in query(server, "SELECT b.number FROM photo_booking b "
            "JOIN photo_photographer p ON p.id = b.photographer "
            "JOIN res_user u ON u.id = p.user WHERE u.login = 'anna'")}
    assert shown and set(shown) <= hers
    shot(page, 'photographer-bookings')


SECONDS = re.compile(r'\d:\d\d:\d\d')


def test_staff_times_without_seconds(server, page):
    """A cancellation's time shows hours and minutes without the seconds it
    was stored with; so do the times of a photographer's fixed slots."""
    (booking,), = query(server, "SELECT id FROM photo_booking "
        "WHERE state = 'cancelled' ORDER BY id LIMIT 1")
    with sqlite3.connect(server['database']) as connection:
        connection.execute("UPDATE photo_booking "
            "SET cancelled_at = '2026-01-02 10:15:37' WHERE id = ?",
            (booking,))
    login(page, server, 'admin')
    open_record(page, 'photo.booking', booking)
    check(page, "a cancelled booking's form")
    cancelled = page.locator(
        '.tab-pane.active input[type=text][name=cancelled_at]')
    expect(cancelled).to_have_value(re.compile(r'\s10:15$'))
    shot(page, 'booking-cancelled-at')
    step(page, CLOSE_TABS, what="closing")

    step(page, """async () => Sao.Tab.create({
        model: 'photo.photographer.fixed_slot', mode: ['tree'],
        context: {}, name: 'Fixed slots'})""", what="fixed slots")
    check(page, "fixed slots")
    cells = page.locator('.tab-pane.active .treeview tbody td')
    texts = cells.all_inner_texts()
    assert any(re.search(r'\d:\d\d', text) for text in texts), texts
    assert not [text for text in texts if SECONDS.search(text)]
    shot(page, 'fixed-slots')


NOTIFICATIONS = """() => {
    const screen = Sao.Tab.tabs.get_current().screen;
    return screen.group.map((record) => [
        record._values.state, record._values.last_error || '']);
}"""


@pytest.mark.parametrize('user', ['admin', 'anna'])
def test_dead_letters_and_booking_log(server, page, user):
    """The Notifications menu opens on its dead letters, with the error
    (and Retry for a manager); a booking's Notifications tab lists what was
    sent about it, to whom and how: as a manager and as the booking's
    photographer."""
    login(page, server, user)
    open_menu(page, server, 'menu_notification_form')
    expect(page.locator('.tab-pane.active .nav-tabs a',
            has_text='Неотправленные')).to_be_visible()
    body = page.locator('.tab-pane.active .treeview tbody')
    expect(body).to_contain_text('SMTP 550')
    rows = page.evaluate(NOTIFICATIONS)
    assert ['dead', DEAD_ERROR] in rows, rows
    assert {state for state, _ in rows} == {'dead'}, rows
    if user == 'admin':
        expect(body.locator('button[name=retry]').first).to_be_visible()
    shot(page, f'dead-letters-{user}')
    step(page, CLOSE_TABS, what="closing")

    open_record(page, 'photo.booking', server['moscow'])
    check(page, "the booking's form")
    page.locator('.tab-pane.active .nav-tabs a',
        has_text='Уведомления').click()
    wait_idle(page)
    check(page, "the booking's notifications")
    log = page.locator(
        '.tab-pane.active .tab-pane.active .treeview tbody tr:visible')
    (count,), = query(server, "SELECT COUNT(*) FROM photo_notification "
        "WHERE booking = ?", server['moscow'])
    assert count >= 3
    expect(log).to_have_count(count)
    expect(log.filter(has_text='SMTP 550')).to_have_count(1)
    shot(page, f'booking-notifications-{user}')
    step(page, CLOSE_TABS, what="closing")


@pytest.mark.parametrize('user', ['admin', 'anna'])
def test_staff_push_devices(server, page, user):
    """Staff see the browsers they get push notifications on (a readable
    name, never the keys) in My Push Devices and remove one; a manager
    sees no photographer's devices."""
    login(page, server, user)
    open_menu(page, server, 'menu_device_form')
    rows = page.locator('.tab-pane.active .treeview tbody tr:visible')
    if user == 'admin':
        expect(rows.filter(has_text='Android')).to_have_count(0)
        shot(page, 'push-devices-admin')
        return
    expect(rows.filter(has_text='Chrome на Android')).to_have_count(1)
    shot(page, 'push-devices-anna')
    ids = rpc(page, 'model.photo.notification.device.search', [], 0, None,
        None)
    assert len(ids) == 1
    with pytest.raises(PlaywrightError):
        rpc(page, 'model.photo.notification.device.read', ids, ['p256dh'])
    page.wait_for_timeout(50)
    page.errors.clear()
    step(page, """async () => {
        const screen = Sao.Tab.tabs.get_current().screen;
        screen.current_record = screen.group[0];
        await screen.remove(true, false, true, [screen.group[0]]);
    }""", what="removing the device")
    check(page, "removing the device")
    assert query(server, "SELECT COUNT(*) FROM photo_notification_device"
        ) == [(0,)]
