"""scripts/demo.py loads a consistent demo and a second run changes nothing.

Builds a throw-away SQLite database with trytond-admin, runs the demo
twice as the `run` command does and reads the result with sqlite3.
"""
import datetime as dt
import os
import sqlite3
import stat
import subprocess
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODULES = [
    'photo_booking', 'photo_portal', 'photo_crm', 'photo_payment',
    'photo_telegram', 'photo_chat', 'photo_notify',
    'photo_calendar', 'photo_oauth', 'photo_auth', 'photo_audit']
ACTIVE = ('hold', 'requested', 'confirmed')
DB = 'demo'


def environ(workdir):
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    passfile = workdir / 'admin.pass'
    passfile.write_text('demo-admin-secret\n')
    env['TRYTONPASSFILE'] = str(passfile)
    return env


def run_demo(workdir):
    result = subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'demo.py'),
            '-c', str(workdir / 'trytond.conf'), '-d', DB,
            '--passwords', str(workdir / 'demo-passwords')],
        cwd=ROOT, env=environ(workdir), capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot(workdir):
    "Counts and every booking, to compare two runs."
    with sqlite3.connect(workdir / f'{DB}.sqlite') as connection:
        def one(query, *args):
            return connection.execute(query, args).fetchone()[0]
        return {
            'studios': one("SELECT COUNT(*) FROM photo_studio"),
            'rooms': one("SELECT COUNT(*) FROM photo_studio_room"),
            'equipment': one("SELECT COUNT(*) FROM photo_equipment"),
            'services': one("SELECT COUNT(*) FROM photo_service"),
            'photographers': one("SELECT COUNT(*) FROM photo_photographer"),
            'photographer_users': one(
                "SELECT COUNT(*) FROM photo_photographer p "
                "JOIN \"res_user-res_group\" ug ON ug.user = p.user "
                "JOIN ir_model_data d ON d.db_id = ug.\"group\" "
                "AND d.model = 'res.group' AND d.fs_id = ?",
                'group_photographer'),
            'parties': one("SELECT COUNT(*) FROM party_party"),
            'users': one("SELECT COUNT(*) FROM res_user"),
            'reviews': one("SELECT COUNT(*) FROM photo_review"),
            'fixed_slots': one(
                "SELECT COUNT(*) FROM photo_photographer_fixed_slot"),
            'exceptions': one(
                "SELECT COUNT(*) FROM photo_photographer_exception"),
            'busy': one("SELECT COUNT(*) FROM photo_photographer_busy"),
            'currencies': sorted(r[0] for r in connection.execute(
                    "SELECT code FROM currency_currency")),
            'ru': one("SELECT translatable FROM ir_lang WHERE code = 'ru'"),
            'studio_names': connection.execute(
                "SELECT s.name, t.value FROM photo_studio s "
                "LEFT JOIN ir_translation t ON t.res_id = s.id "
                "AND t.name = 'photo.studio,name' AND t.lang = 'ru' "
                # Tryton reads no fuzzy translation.
                "AND NOT t.fuzzy "
                "ORDER BY s.code").fetchall(),
            'pictures': [one(f"SELECT COUNT(*) FROM {table} "
                    "WHERE photo IS NOT NULL") for table in (
                    'photo_studio', 'photo_studio_room',
                    'photo_photographer')],
            'bookings': connection.execute(
                "SELECT number, state, photographer, room, start, \"end\", "
                "busy_start, busy_end, price, cancellation_fee "
                "FROM photo_booking ORDER BY number").fetchall(),
            'equipment_lines': connection.execute(
                "SELECT booking, equipment, unit, busy_start, busy_end, "
                "blocking FROM photo_booking_equipment_line "
                "ORDER BY id").fetchall(),
            'companies': one("SELECT COUNT(*) FROM company_company"),
            'accounts': one("SELECT COUNT(*) FROM account_account"),
            'fiscal_years': connection.execute(
                "SELECT name, start_date, end_date FROM account_fiscalyear "
                "ORDER BY start_date").fetchall(),
            'periods': one("SELECT COUNT(*) FROM account_period"),
            'payment_methods': one(
                "SELECT COUNT(*) FROM account_invoice_payment_method"),
            'invoices': connection.execute(
                "SELECT number, state, CAST(total_amount_cache AS TEXT) "
                "FROM account_invoice ORDER BY id").fetchall(),
            }


@pytest.fixture(scope='module')
def demo_db(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('demo')
    (workdir / 'trytond.conf').write_text(
        f'[database]\nuri = sqlite://\npath = {workdir}\n')
    (workdir / f'{DB}.sqlite').touch()
    subprocess.run(
        [str(VENV_BIN / 'trytond-admin'), '-c', str(workdir / 'trytond.conf'),
            '-d', DB, '--email', 'admin@example.com',
            '--activate-dependencies', '-u', *MODULES],
        env=environ(workdir), check=True, capture_output=True, timeout=300)
    first_output = run_demo(workdir)
    first = snapshot(workdir)
    second_output = run_demo(workdir)
    second = snapshot(workdir)
    return first, second, first_output, second_output, workdir


def parse(value):
    return dt.datetime.fromisoformat(value)


def overlapping(rows):
    "Pairs of (key, start, end) rows sharing a key whose ranges overlap."
    by_key = defaultdict(list)
    for key, start, end in rows:
        by_key[key].append((parse(start), parse(end)))
    return [(key, a, b) for key, ranges in by_key.items()
        for a, b in combinations(ranges, 2)
        if a[0] < b[1] and b[0] < a[1]]


def test_demo_content(demo_db):
    first, _, output, *_ = demo_db
    assert first['studios'] == 2
    assert first['rooms'] >= 4
    assert first['services'] == 5
    assert first['photographers'] >= 3
    assert first['photographer_users'] == first['photographers']
    assert first['currencies'] == ['EUR', 'RUB']
    assert first['ru'] == 1
    assert first['fixed_slots'] and first['exceptions'] and first['busy']
    assert first['parties'] >= 10 + first['photographers']

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    past = defaultdict(int)
    future = defaultdict(int)
    for _, state, _, _, start, *_ in first['bookings']:
        (past if parse(start) < now else future)[state] += 1
    assert {'done', 'no_show', 'cancelled'} <= set(past), past
    assert set(past) <= {'done', 'no_show', 'cancelled'}, past
    assert {'confirmed', 'requested', 'hold'} <= set(future), future
    assert set(future) <= set(ACTIVE), future
    assert first['reviews'] >= 1
    # English pages get English names; Russian ones keep theirs.
    assert first['studio_names'] == [
        ("Svet Photo Studio — Moscow", "Фотостудия «Свет» — Москва"),
        ("Svet Photo Studio — Saint Petersburg",
            "Фотостудия «Свет» — Санкт-Петербург")]
    assert first['pictures'] == [
        first['studios'], first['rooms'], first['photographers']]
    cancelled_fees = [fee for _, state, *_, fee in first['bookings']
        if state == 'cancelled']
    assert any(fee and float(fee) > 0 for fee in cancelled_fees)

    assert "demo: studios… ok" in output
    assert "anna" in output and "admin" in output


def test_personal_data_encrypted(demo_db):
    """The demo's clients' phones and e-mails, the bookings' contacts and
    notes and the accounts' e-mails are ciphertext in the database, under
    the key generated into the data path."""
    *_, workdir = demo_db
    assert (workdir / '.photo_booking_encryption_keys').exists()
    with sqlite3.connect(workdir / f'{DB}.sqlite') as connection:
        values = [v for query in [
                "SELECT value FROM party_contact_mechanism",
                "SELECT email FROM web_user",
                "SELECT email FROM photo_booking",
                "SELECT phone FROM photo_booking",
                "SELECT notes FROM photo_booking",
                ] for v, in connection.execute(query) if v]
    assert values
    assert all(v.startswith('v1:local:') for v in values), [
        v for v in values if not v.startswith('v1:')][:5]


def test_photographer_passwords_per_install(demo_db):
    """The photographers' passwords are made at random on the first run,
    kept in a file only its owner reads, printed, and let them log in"""
    *_, first_output, second_output, workdir = demo_db
    path = workdir / 'demo-passwords'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passwords = dict(line.split() for line in path.read_text().splitlines())
    assert set(passwords) == {'anna', 'ivan', 'maria', 'oleg'}
    source = (ROOT / 'scripts' / 'demo.py').read_text()
    for login, password in passwords.items():
        assert len(password) >= 16 and password not in source
        assert f"{login:<6} / {password}" in first_output
        assert f"{login:<6} / {password}" in second_output
    from trytond.res.user import PASSWORD_HASH
    with sqlite3.connect(workdir / f'{DB}.sqlite') as connection:
        hashes = dict(connection.execute(
                "SELECT login, password_hash FROM res_user"))
    for login, password in passwords.items():
        assert PASSWORD_HASH.verify(password, hashes[login]), login


def test_second_run_changes_nothing(demo_db):
    first, second, _, output, _ = demo_db
    assert second == first
    assert " new)" not in output


def test_no_overlap(demo_db):
    first, *_ = demo_db
    active = [b for b in first['bookings'] if b[1] in ACTIVE]
    assert not overlapping(
        (photographer, busy_start, busy_end)
        for _, _, photographer, _, _, _, busy_start, busy_end, *_
        in active)
    assert not overlapping(
        (room, busy_start, busy_end)
        for _, _, _, room, _, _, busy_start, busy_end, *_ in active
        if room)
    assert not overlapping(
        ((equipment, unit), busy_start, busy_end)
        for _, equipment, unit, busy_start, busy_end, blocking
        in first['equipment_lines'] if blocking)


# Run against the demo database: invoice a portrait shoot as photo_payment
# does for a succeeded payment, print the result, roll back.
INVOICE_SHOOT = """
import sys
from decimal import Decimal
from trytond import config
config.update_etc(sys.argv[1])
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError
pool = Pool(sys.argv[2])
pool.init()


def invoice_shoot():
    from trytond.modules.photo_payment.invoice import paid_invoice
    User = pool.get('res.user')
    Date = pool.get('ir.date')
    FiscalYear = pool.get('account.fiscalyear')
    Service = pool.get('photo.service')
    Method = pool.get('account.invoice.payment.method')
    Booking = pool.get('photo.booking')
    company = User(1).company
    with Transaction().set_context(company=company.id):
        fiscal_year = FiscalYear.find(company.id, date=Date.today())
        service, = Service.search([('product.code', '=', 'DEMO-PORTRAIT')])
        booking, = Booking.search(
            [('service', '=', service.id), ('state', '=', 'done')], limit=1)
        method, = Method.search([('company', '=', company.id)])
        invoice = paid_invoice(
            company, booking.client, company.currency, service.product,
            booking.receipt_description, quantity=1,
            unit_price=Decimal(1500), reference=booking.number,
            description=booking.receipt_description, payment_method=method,
            payment_description='demo')
        return (company.rec_name, company.currency.code, fiscal_year.name,
            invoice.number, invoice.state, invoice.total_amount,
            invoice.lines[0].account.code)


extras = {}
while True:
    # Retried with the locks it needs, as the server does.
    with Transaction().start(sys.argv[2], 1, **extras) as transaction:
        try:
            print(*invoice_shoot())
        except TransactionError as error:
            error.fix(extras)
            continue
        finally:
            transaction.rollback()
    break
"""


def test_accounting(demo_db):
    """The studio company has this year's fiscal year, the demo products a
    revenue account, the sold gift certificate its paid invoice, and a
    shoot's payment is invoiced and posted as photo_payment does."""
    first, _, output, _, workdir = demo_db
    assert first['companies'] == 1
    years = [int(name) for name, *_ in first['fiscal_years']]
    today = dt.datetime.now(ZoneInfo('Europe/Moscow')).date()  # company's
    assert years == [today.year, today.year + 1]
    assert first['periods'] == 24
    assert first['payment_methods'] == 1
    assert first['accounts'] > 50
    assert first['invoices'] == [(f'INV-{today.year}-1', 'paid', '5000.00')]
    with sqlite3.connect(workdir / f'{DB}.sqlite') as connection:
        assert connection.execute(
            "SELECT p.name, c.code FROM res_user u "
            "JOIN company_company co ON co.id = u.company "
            "JOIN party_party p ON p.id = co.party "
            "JOIN currency_currency c ON c.id = co.currency "
            "WHERE u.login = 'admin'").fetchone() == (
                "Фотостудия «Свет»", 'RUB')
        assert not connection.execute(
            "SELECT code FROM product_template "
            "WHERE code LIKE 'DEMO-%' AND account_category IS NULL"
            ).fetchall()
    assert "demo: accounting: company, chart of accounts, fiscal years… ok" \
        in output

    result = subprocess.run(
        [sys.executable, '-c', INVOICE_SHOOT, str(workdir / 'trytond.conf'),
            DB],
        cwd=ROOT, env=environ(workdir), capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [
        "Фотостудия", "«Свет»", 'RUB', str(today.year),
        f'INV-{today.year}-2', 'paid', '1500.00', '4.1.2']


def copy_encryption_keys(source, target):
    "The keys generated into the data path go with a copied database."
    keys = source / '.photo_booking_encryption_keys'
    if keys.exists():
        (target / keys.name).write_bytes(keys.read_bytes())


def test_upgrade_in_place_from_before_the_portal_split(demo_db, tmp_path):
    """A demo database made when the portal was part of photo_booking is
    upgraded in place by `./scripts/run`'s update: photo_portal gets
    activated and takes over the legal pages, which keep their rows and the
    studio's edits, and the menu is not doubled."""
    *_, workdir = demo_db
    database = tmp_path / f'{DB}.sqlite'
    database.write_bytes((workdir / f'{DB}.sqlite').read_bytes())
    copy_encryption_keys(workdir, tmp_path)
    (tmp_path / 'trytond.conf').write_text(
        f'[database]\nuri = sqlite://\npath = {tmp_path}\n')
    with sqlite3.connect(database) as connection:
        # Every record of photo_portal's XML was photo_booking's before.
        connection.execute("UPDATE ir_model_data SET module = 'photo_booking' "
            "WHERE module = 'photo_portal'")
        connection.execute("UPDATE ir_model SET module = 'photo_booking' "
            "WHERE module = 'photo_portal'")
        connection.execute("DELETE FROM ir_module_dependency WHERE module IN "
            "(SELECT id FROM ir_module WHERE name = 'photo_portal')")
        connection.execute("DELETE FROM ir_module WHERE name = 'photo_portal'")
        connection.execute("UPDATE photo_legal_page SET body = 'Edited.' "
            "WHERE code = 'offer'")
        pages = connection.execute(
            "SELECT id, code FROM photo_legal_page ORDER BY id").fetchall()
    subprocess.run(
        [str(VENV_BIN / 'trytond-admin'), '-c', str(tmp_path / 'trytond.conf'),
            '-d', DB, '-u', *MODULES, '--activate-dependencies'],
        env=environ(tmp_path), check=True, capture_output=True, timeout=300)
    with sqlite3.connect(database) as connection:
        def rows(query):
            return connection.execute(query).fetchall()
        assert rows("SELECT state FROM ir_module "
            "WHERE name = 'photo_portal'") == [('activated',)]
        assert rows(
            "SELECT id, code FROM photo_legal_page ORDER BY id") == pages
        assert rows("SELECT body FROM photo_legal_page "
            "WHERE code = 'offer'") == [('Edited.',)]
        assert rows("SELECT DISTINCT module FROM ir_model_data "
            "WHERE fs_id LIKE '%legal_page%'") == [('photo_portal',)]
        assert rows("SELECT module FROM ir_model "
            "WHERE name = 'photo.legal.page'") == [('photo_portal',)]
        assert rows("SELECT COUNT(*) FROM ir_ui_menu "
            "WHERE name = 'Legal Pages'") == [(1,)]
        assert rows("SELECT COUNT(*) FROM ir_action_act_window "
            "WHERE res_model = 'photo.legal.page'") == [(1,)]


def test_upgrade_moves_old_chat_messages_into_tryton_chat(demo_db, tmp_path):
    """A demo database from when photo_chat kept its own photo_chat_message
    table is upgraded in place: each message joins its booking's
    conversation (ir.chat) with its date, and the old table and model go."""
    *_, workdir = demo_db
    database = tmp_path / f'{DB}.sqlite'
    database.write_bytes((workdir / f'{DB}.sqlite').read_bytes())
    copy_encryption_keys(workdir, tmp_path)
    (tmp_path / 'trytond.conf').write_text(
        f'[database]\nuri = sqlite://\npath = {tmp_path}\n')
    with sqlite3.connect(database) as connection:
        booking, = connection.execute(
            "SELECT MIN(id) FROM photo_booking").fetchone()
        connection.execute(
            "CREATE TABLE photo_chat_message (id INTEGER PRIMARY KEY, "
            "booking INTEGER, author VARCHAR, body TEXT, seen BOOLEAN, "
            "create_date TIMESTAMP, create_uid INTEGER, "
            "write_date TIMESTAMP, write_uid INTEGER)")
        connection.execute(
            "INSERT INTO photo_chat_message "
            "(id, booking, author, body, seen, create_date) VALUES (1, ?, 'client', 'Можно в 11:30?', 0, "
            "'2026-01-01 10:00:00'), (2, ?, 'photographer', 'Да', 1, "
            "'2026-01-01 10:05:00')", (booking, booking))
        connection.execute(
            "INSERT INTO ir_model (name, string, module, create_uid, "
            "create_date) VALUES ('photo.chat.message', 'Chat Message', "
            "'photo_chat', 0, '2026-01-01 10:00:00')")
    subprocess.run(
        [str(VENV_BIN / 'trytond-admin'), '-c', str(tmp_path / 'trytond.conf'),
            '-d', DB, '-u', 'photo_chat'],
        env=environ(tmp_path), check=True, capture_output=True, timeout=300)
    with sqlite3.connect(database) as connection:
        def rows(query, *args):
            return connection.execute(query, args).fetchall()
        assert rows(
            "SELECT m.content, m.audience, m.create_date, "
            "m.user IS NOT NULL, m.email IS NOT NULL "
            "FROM ir_chat_message m JOIN ir_chat_channel c "
            "ON m.channel = c.id WHERE c.resource = ? ORDER BY m.id",
            f'photo.booking,{booking}') == [
            ('Можно в 11:30?', 'public', '2026-01-01 10:00:00', 0, 1),
            ('Да', 'public', '2026-01-01 10:05:00', 1, 0)]
        # The photographer follows the conversation, as for a new one.
        assert rows(
            "SELECT f.user FROM ir_chat_follower f JOIN ir_chat_channel c "
            "ON f.channel = c.id WHERE c.resource = ?",
            f'photo.booking,{booking}') == rows(
            "SELECT user FROM ir_chat_message WHERE content = 'Да'")
        assert rows("SELECT name FROM sqlite_master "
            "WHERE name = 'photo_chat_message'") == []
        assert rows("SELECT COUNT(*) FROM ir_model "
            "WHERE name = 'photo.chat.message'") == [(0,)]
