#!/usr/bin/env python3
"""Load the photo-studio demo into an existing database.

    python scripts/demo.py -c config/trytond.conf -d demo

Two studios (Moscow, Saint Petersburg) with rooms and equipment, five
services, four photographers with logins, a dozen clients and about two
months of bookings around today, some reviewed.

With photo_payment, what invoicing needs: the administrator's company
"Фотостудия «Свет»" (RUB), Tryton's universal chart of accounts, this
year's and next year's fiscal years with invoice and credit note
sequences, the payment method "Онлайн-оплата" (cash journal) to set on the
gateways one adds, and the category "Фотоуслуги" with the revenue account
on every demo product. The gift certificate sold has its paid invoice.

Idempotent: each section finds its records by a natural key (studio code,
product code, user login, client email, company name) and creates only
what is missing; bookings are made only while the demo clients have none.
Nothing existing is deleted; the only changes are what accounting needs on
a demo loaded before it (the administrator's company, the demo products'
category, the demo voucher types' company). Deterministic for a given day:
random.Random(42).
All of it runs in one transaction: it loads completely or not at all.
"""
import argparse
import datetime as dt
import os
import random
import secrets
import sys
from decimal import Decimal
from zoneinfo import ZoneInfo

SEED = 42
PASSWORDS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'var', 'demo-passwords')
PAST_DAYS = 60
FUTURE_DAYS = 30
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
T = dt.time

STUDIOS = [{
        'code': 'MSK',
        'name': "Фотостудия «Свет» — Москва",
        'street': "ул. Бауманская, 11, стр. 8",
        'city': "Москва",
        'phone': "+7 495 120-45-67",
        'latitude': Decimal('55.772310'),
        'longitude': Decimal('37.678940'),
        'timezone': 'Europe/Moscow',
        'description': "Три зала у метро «Бауманская», гримёрная, "
        "парковка во дворе.",
        'hours': [(d, T(9), T(22)) for d in range(6)] + [(6, T(10), T(20))],
        'rooms': [
            ("Белый зал", 80, "Белая циклорама, панорамные окна."),
            ("Лофт", 60, "Кирпич, дерево, дневной свет."),
            ("Циклорама", 100, "Большая циклорама для предметной съёмки."),
            ],
        'equipment': [
            ("Profoto B10", 'light', 4, '500'),
            ("Godox AD600 Pro", 'light', 2, '700'),
            ("Фон бумажный белый", 'backdrop', 3, '300'),
            ("Фон бумажный серый", 'backdrop', 2, '300'),
            ("Canon RF 85mm f/1.2", 'lens', 2, '1500'),
            ("Canon RF 24-70mm f/2.8", 'lens', 1, '1200'),
            ],
        }, {
        'code': 'SPB',
        'name': "Фотостудия «Свет» — Санкт-Петербург",
        'street': "Лиговский пр., 74",
        'city': "Санкт-Петербург",
        'phone': "+7 812 407-12-34",
        'latitude': Decimal('59.920610'),
        'longitude': Decimal('30.355640'),
        'timezone': 'Europe/Moscow',
        'description': "Два зала в лофт-проекте «Лиговский, 74».",
        'hours': [(d, T(10), T(21)) for d in range(7)],
        'rooms': [
            ("Скандинавский зал", 70, "Светлый интерьер, большие окна."),
            ("Тёмный зал", 50, "Чёрные стены для низкоключевого света."),
            ],
        'equipment': [
            ("Profoto B10", 'light', 3, '500'),
            ("Фон бумажный белый", 'backdrop', 2, '300'),
            ("Canon RF 85mm f/1.2", 'lens', 1, '1500'),
            ("Canon RF 24-70mm f/2.8", 'lens', 1, '1200'),
            ],
        }]

# English texts of what the portal shows (the Russian ones above stay for
# Russian pages): (model, natural key) -> {field: English}.
ENGLISH = {
    ('photo.studio', 'MSK'): {
        'name': "Svet Photo Studio — Moscow", 'city': "Moscow",
        'description': "Three halls by Baumanskaya metro station, a make-up "
        "room, parking in the courtyard."},
    ('photo.studio', 'SPB'): {
        'name': "Svet Photo Studio — Saint Petersburg",
        'city': "Saint Petersburg",
        'description': "Two halls in the Ligovsky 74 loft project."},
    ('photo.service', 'DEMO-PORTRAIT'): {
        'name': "Portrait shoot",
        'description': "An hour in the studio, 15 retouched pictures."},
    ('photo.service', 'DEMO-FAMILY'): {
        'name': "Family photo session",
        'description': "An hour and a half for the whole family, "
        "25 pictures."},
    ('photo.service', 'DEMO-LOVESTORY'): {
        'name': "Love story",
        'description': "Two hours with the couple, 40 pictures."},
    ('photo.service', 'DEMO-BUSINESS'): {
        'name': "Content for business",
        'description': "Pictures for your website, social networks and "
        "marketplaces.",
        'includes': "3 hours in the studio\n60 retouched pictures\n"
        "Make-up artist\nCyclorama and lighting included"},
    ('photo.service', 'DEMO-REPORTAGE'): {
        'name': "Reportage on location",
        'description': "A party, a conference or a walk: the photographer "
        "comes to you."},
    ('photo.photographer', 'anna'): {
        'name': "Anna Smirnova",
        'bio': "Portraits and family stories. Shooting since 2012, loves "
        "soft light and real emotions."},
    ('photo.photographer', 'ivan'): {
        'name': "Ivan Petrov",
        'bio': "Commercial and product photography, content for brands. "
        "Confirms each request personally."},
    ('photo.photographer', 'maria'): {
        'name': "Maria Kuznetsova",
        'bio': "A Saint Petersburg photographer: portraits, couples and "
        "families. Runs seasonal mini sessions."},
    ('photo.photographer', 'oleg'): {
        'name': "Oleg Volkov",
        'bio': "Reportage, events and walks around Moscow. Brings his own "
        "lights."},
    }
ROOMS_ENGLISH = {
    "Белый зал": "White hall", "Лофт": "Loft", "Циклорама": "Cyclorama",
    "Скандинавский зал": "Scandinavian hall", "Тёмный зал": "Dark hall",
    "Фон бумажный белый": "White paper backdrop",
    "Фон бумажный серый": "Grey paper backdrop",
    }

# Default equipment is per studio: (equipment name, quantity) wherever the
# studio has it.
SERVICES = [{
        'code': 'DEMO-PORTRAIT',
        'name': "Портретная съёмка",
        'description': "Час в студии, 15 обработанных кадров.",
        'duration': H, 'price': '5000', 'prepayment_percent': '0',
        'buffer_before': 0 * MIN, 'buffer_after': 15 * MIN,
        'free_cancellation': 24 * H, 'cancellation_fee_percent': '50',
        'equipment': [("Profoto B10", 1), ("Canon RF 85mm f/1.2", 1)],
        }, {
        'code': 'DEMO-FAMILY',
        'name': "Семейная фотосессия",
        'description': "Полтора часа для всей семьи, 25 кадров.",
        'duration': 90 * MIN, 'price': '8000', 'prepayment_percent': '30',
        'buffer_before': 15 * MIN, 'buffer_after': 15 * MIN,
        'free_cancellation': 48 * H, 'cancellation_fee_percent': '30',
        'equipment': [("Profoto B10", 2), ("Фон бумажный белый", 1)],
        }, {
        'code': 'DEMO-LOVESTORY',
        'name': "Love story",
        'description': "Два часа съёмки пары, 40 кадров.",
        'duration': 2 * H, 'price': '12000', 'prepayment_percent': '50',
        'buffer_before': 0 * MIN, 'buffer_after': 30 * MIN,
        'free_cancellation': 72 * H, 'cancellation_fee_percent': '50',
        'equipment': [("Profoto B10", 2)],
        }, {
        'code': 'DEMO-BUSINESS',
        'name': "Контент для бизнеса",
        'kind': 'package',
        'description': "Съёмка для сайта, соцсетей и маркетплейсов.",
        'includes': "3 часа съёмки в студии\n60 обработанных кадров\n"
        "Визажист\nЦиклорама и свет включены",
        'duration': 3 * H, 'price': '25000', 'prepayment_percent': '100',
        'buffer_before': 30 * MIN, 'buffer_after': 30 * MIN,
        'free_cancellation': 7 * 24 * H, 'cancellation_fee_percent': '50',
        'equipment': [
            ("Godox AD600 Pro", 2), ("Profoto B10", 2),
            ("Canon RF 24-70mm f/2.8", 1)],
        }, {
        'code': 'DEMO-REPORTAGE',
        'name': "Выездная репортажная съёмка",
        'description': "Праздник, конференция или прогулка: "
        "фотограф приезжает к вам.",
        'duration': 2 * H, 'price': '15000', 'prepayment_percent': '30',
        'buffer_before': H, 'buffer_after': H, 'needs_room': False,
        'free_cancellation': 48 * H, 'cancellation_fee_percent': '50',
        'equipment': [],
        }]

# Working hours: (weekday, from, to, studio code or None for on location).
PHOTOGRAPHERS = [{
        'login': 'anna',
        'name': "Анна Смирнова",
        'email': 'anna@svet-studio.example',
        'bio': "Портреты и семейные истории. Снимает с 2012 года, "
        "любит мягкий свет и живые эмоции.",
        'studios': ['MSK'],
        'services': [('DEMO-PORTRAIT', None), ('DEMO-FAMILY', None),
            ('DEMO-LOVESTORY', '14000')],
        'hours': [(d, T(10), T(19), 'MSK') for d in range(1, 6)],
        }, {
        'login': 'ivan',
        'name': "Иван Петров",
        'email': 'ivan@svet-studio.example',
        'bio': "Коммерческая и предметная съёмка, контент для брендов. "
        "Подтверждает каждую заявку лично.",
        'studios': ['MSK', 'SPB'],
        'services': [('DEMO-BUSINESS', None), ('DEMO-PORTRAIT', '6000')],
        'confirmation': 'manual',
        'min_notice': 24 * H,
        'hours': [(d, T(10), T(20), 'MSK') for d in range(3)]
        + [(d, T(11), T(20), 'SPB') for d in (3, 4)],
        }, {
        'login': 'maria',
        'name': "Мария Кузнецова",
        'email': 'maria@svet-studio.example',
        'bio': "Петербургский фотограф: портреты, пары и семьи. "
        "Устраивает сезонные мини-сессии.",
        'studios': ['SPB'],
        'services': [('DEMO-PORTRAIT', None), ('DEMO-FAMILY', None),
            ('DEMO-LOVESTORY', None)],
        'hours': [(d, T(10), T(19), 'SPB') for d in range(2, 7)],
        }, {
        'login': 'oleg',
        'name': "Олег Волков",
        'email': 'oleg@svet-studio.example',
        'bio': "Репортажи, события и прогулки по Москве. "
        "Приезжает со своим светом.",
        'studios': ['MSK'],
        'services': [('DEMO-REPORTAGE', None), ('DEMO-LOVESTORY', None)],
        'on_location': True,
        'min_notice': 24 * H,
        'hours': [(0, T(10), T(18), 'MSK'), (4, T(10), T(18), 'MSK'),
            (2, T(12), T(20), None), (5, T(9), T(21), None),
            (6, T(9), T(21), None)],
        }]

CLIENTS = [
    ("Екатерина Иванова", 'ekaterina.ivanova', '+7 916 201-11-01'),
    ("Дмитрий Соколов", 'd.sokolov', '+7 916 201-11-02'),
    ("Ольга Морозова", 'olga.morozova', '+7 921 301-22-03'),
    ("Алексей Новиков", 'alexey.novikov', '+7 903 401-33-04'),
    ("Наталья Фёдорова", 'n.fedorova', '+7 921 301-22-05'),
    ("Сергей Попов", 'sergey.popov', '+7 925 501-44-06'),
    ("Татьяна Лебедева", 'tatiana.lebedeva', '+7 911 601-55-07'),
    ("Михаил Козлов", 'mikhail.kozlov', '+7 926 701-66-08'),
    ("Юлия Егорова", 'julia.egorova', '+7 905 801-77-09'),
    ("Андрей Павлов", 'andrey.pavlov', '+7 911 901-88-10'),
    ("Елена Орлова", 'elena.orlova', '+7 915 111-99-11'),
    ("Павел Захаров", 'pavel.zakharov', '+7 981 222-00-12'),
    ("ООО «Кофейня на углу»", 'hello.coffee', '+7 495 333-10-13'),
    ]
CLIENT_DOMAIN = 'example.ru'

# Accounting: the company that invoices what the studios sell, on Tryton's
# universal chart (account module), found by the accounts' codes.
COMPANY = {
    'name': "Фотостудия «Свет»",
    'street': "ул. Бауманская, 11, стр. 8",
    'city': "Москва",
    'timezone': 'Europe/Moscow',
    }
CHART = ('account', 'account_template_root_en')
RECEIVABLE, PAYABLE, REVENUE, CASH = '1.2.1', '2.1.1', '4.1.2', '1.1.1'
CATEGORY = "Фотоуслуги"
PAYMENT_METHOD = "Онлайн-оплата"
DEMO_PRODUCTS = 'DEMO-%'
LOCK_TABLES = ['account_configuration', 'account_journal_period']

LOCATIONS = [
    "Парк Горького, главный вход, Крымский Вал, 9",
    "ВДНХ, арка главного входа",
    "Москва-Сити, Пресненская наб., 12",
    "Ресторан «Панорама», Тверская ул., 3",
    "Коломенское, Андреевский пр., 39",
    ]
NOTES = [
    None, None, "Будут дети 5 и 8 лет.", "Нужен визажист.",
    "Хотим несколько кадров с собакой.", "Оплата по счёту для юрлица.",
    None, "Приедем на 10 минут раньше.",
    ]
REVIEWS = [
    (5, "Всё прошло отлично, фотографии получили через три дня!"),
    (5, "Очень комфортно, фотограф помог с позированием."),
    (4, "Красивые кадры, но немного задержались с началом."),
    (5, "Спасибо! Уже записались ещё раз."),
    (3, "Нормально, ожидали больше кадров в итоге."),
    (5, None),
    (4, "Хорошая студия, удобно добираться."),
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', dest='config',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="trytond configuration file")
    parser.add_argument('-d', '--database', dest='database', required=True)
    parser.add_argument('--passwords', default=PASSWORDS,
        help="file of the photographers' passwords, made on the first run "
        "(default: var/demo-passwords)")
    return parser.parse_args(argv)


def photographer_passwords(path):
    """{login: password} of the demo photographers, read from path, and the
    logins whose password is new: the missing ones are made at random and
    added to it (readable by its owner only), so each install has its own,
    as the admin's."""
    passwords = {}
    if os.path.exists(path):
        with open(path) as file:
            passwords = dict(
                line.split(None, 1) for line in file.read().splitlines()
                if line.strip())
    missing = [
        d['login'] for d in PHOTOGRAPHERS if d['login'] not in passwords]
    if missing:
        passwords.update(
            {login: secrets.token_urlsafe(12) for login in missing})
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        descriptor = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w') as file:
            file.writelines(f'{login} {password}\n'
                for login, password in passwords.items())
    return passwords, set(missing)


def step(label):
    print(f"demo: {label}… ", end='', flush=True)


def report(created):
    print(f"ok ({created} new)" if created else "ok (already there)",
        flush=True)


class Demo:
    "The sections of the demo, in dependency order, over one transaction."

    def __init__(self, pool, now, passwords, new_passwords):
        self.pool = pool
        self.now = now  # naive UTC, as Tryton stores it
        self.passwords = passwords
        self.new_passwords = new_passwords
        self.rng = random.Random(SEED)
        self.tz = ZoneInfo('Europe/Moscow')
        self.today = dt.datetime.now(self.tz).date()

    def get(self, name):
        return self.pool.get(name)

    # --- reference data ---------------------------------------------------

    def currencies(self):
        Currency = self.get('currency.currency')
        created = 0
        for code, name, symbol in [
                ('RUB', "Russian Ruble", '₽'), ('EUR', "Euro", '€')]:
            if not Currency.search([('code', '=', code)], limit=1):
                Currency.create([{
                            'code': code, 'name': name, 'symbol': symbol,
                            'digits': 2, 'rounding': Decimal('0.01'),
                            }])
                created += 1
        self.rub, = Currency.search([('code', '=', 'RUB')], limit=1)
        return created

    def language(self):
        import trytond.ir
        Lang = self.get('ir.lang')
        self.ru = next(iter(Lang.search([('code', '=', 'ru')], limit=1)), None)
        po = os.path.join(os.path.dirname(trytond.ir.__file__), 'locale',
            'ru.po')
        if self.ru and not self.ru.translatable and os.path.exists(po):
            Lang.load_translations([self.ru])
            return 1
        return 0

    def back_office(self):
        """Skip the first-login module configuration wizard and speak
        Russian to the staff: the studio's staff language is set on the
        administrator (a manager) and on each photographer's user."""
        Item = self.get('ir.module.config_wizard.item')
        Configuration = self.get('photo.configuration')
        items = Item.search([('state', '!=', 'done')])
        Item.write(items, {'state': 'done'})
        changed = len(items)
        config = Configuration(1)
        if (self.ru and self.ru.translatable
                and config.staff_language != self.ru):
            config.staff_language = self.ru
            config.save()
            changed += 1
        return changed

    # --- accounting -------------------------------------------------------

    def accounting(self):
        """The studio company in RUB for the administrator, a chart of
        accounts, this year's and next year's fiscal years with invoice
        sequences, a payment method for the gateways and a product category
        with the revenue account: what invoicing a payment needs."""
        from trytond.transaction import Transaction
        self.company = self.category = self.method = None
        try:
            self.get('account.invoice.payment.method')
        except KeyError:    # without photo_payment, nothing is invoiced
            return 0
        Company = self.get('company.company')
        created = 0
        companies = Company.search(
            [('party.name', '=', COMPANY['name'])], limit=1)
        if companies:
            self.company, = companies
        else:
            self.company = self.create_company()
            created += 1
        created += self.company_user()
        with Transaction().set_context(company=self.company.id):
            created += self.chart()
            for year in (self.today.year, self.today.year + 1):
                created += self.fiscal_year(year)
            created += self.payment_method()
            created += self.product_category()
            created += self.product_accounts()
        return created

    def create_company(self):
        Party = self.get('party.party')
        Company = self.get('company.company')
        party, = Party.create([{
                    'name': COMPANY['name'],
                    'lang': self.ru.id if self.ru else None,
                    'addresses': [('create', [{
                                    'street': COMPANY['street'],
                                    'city': COMPANY['city'],
                                    }])],
                    }])
        company, = Company.create([{
                    'party': party.id, 'currency': self.rub.id,
                    'timezone': COMPANY['timezone'],
                    }])
        return company

    def company_user(self):
        "The administrator works in the company."
        User = self.get('res.user')
        admin = User(1)
        if admin.company == self.company:
            return 0
        User.write([admin], {
                'companies': [('add', [self.company.id])],
                'company': self.company.id,
                })
        return 1

    def account(self, code):
        Account = self.get('account.account')
        account, = Account.search([
                ('code', '=', code), ('company', '=', self.company.id),
                ], limit=1)
        return account

    def chart(self):
        """The chart created by the account.create_chart wizard, as the
        back office's "Create Chart of Accounts" does."""
        pool = self.pool
        Account = self.get('account.account')
        ModelData = self.get('ir.model.data')
        Template = self.get('account.account.template')
        if Account.search([('company', '=', self.company.id)], limit=1):
            return 0
        CreateChart = pool.get('account.create_chart', type='wizard')
        session_id, _, _ = CreateChart.create()
        wizard = CreateChart(session_id)
        wizard.account.account_template = Template(ModelData.get_id(*CHART))
        wizard.account.company = self.company
        wizard.transition_create_account()
        wizard.properties.company = self.company
        wizard.properties.account_receivable = self.account(RECEIVABLE)
        wizard.properties.account_payable = self.account(PAYABLE)
        wizard.transition_create_properties()
        CreateChart.delete(session_id)
        return 1

    def fiscal_year(self, year):
        """The calendar year with monthly periods, its account move
        sequence and the invoice and credit note sequences."""
        FiscalYear = self.get('account.fiscalyear')
        Sequence = self.get('ir.sequence.strict')
        ModelData = self.get('ir.model.data')
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if FiscalYear.search([
                    ('company', '=', self.company.id),
                    ('start_date', '<=', end), ('end_date', '>=', start),
                    ], limit=1):
            return 0
        move_type = ModelData.get_id('account', 'sequence_type_account_move')
        invoice_type = ModelData.get_id(
            'account_invoice', 'sequence_type_account_invoice')
        move, invoices, credit_notes = Sequence.create([{
                    'name': f"Проводки {year}", 'prefix': f'{year}/',
                    'sequence_type': move_type,
                    'company': self.company.id,
                    }, {
                    'name': f"Счета {year}", 'prefix': f'INV-{year}-',
                    'sequence_type': invoice_type,
                    'company': self.company.id,
                    }, {
                    'name': f"Кредит-ноты {year}", 'prefix': f'CN-{year}-',
                    'sequence_type': invoice_type,
                    'company': self.company.id,
                    }])
        fiscal_year, = FiscalYear.create([{
                    'name': str(year), 'company': self.company.id,
                    'start_date': start, 'end_date': end,
                    'move_sequence': move.id,
                    'invoice_sequences': [('create', [{
                                    'company': self.company.id,
                                    'out_invoice_sequence': invoices.id,
                                    'in_invoice_sequence': invoices.id,
                                    'out_credit_note_sequence':
                                    credit_notes.id,
                                    'in_credit_note_sequence':
                                    credit_notes.id,
                                    }])],
                    }])
        FiscalYear.create_period([fiscal_year])
        return 1

    def payment_method(self):
        "The cash journal and the clearing account of the gateways' money."
        Method = self.get('account.invoice.payment.method')
        ModelData = self.get('ir.model.data')
        methods = Method.search([
                ('company', '=', self.company.id),
                ('name', '=', PAYMENT_METHOD),
                ], limit=1)
        if methods:
            self.method, = methods
            return 0
        cash = self.account(CASH)
        self.method, = Method.create([{
                    'name': PAYMENT_METHOD, 'company': self.company.id,
                    'journal': ModelData.get_id('account', 'journal_cash'),
                    'credit_account': cash.id, 'debit_account': cash.id,
                    }])
        return 1

    def product_category(self):
        "The accounting category whose revenue account the products use."
        Category = self.get('product.category')
        categories = Category.search([
                ('name', '=', CATEGORY), ('accounting', '=', True),
                ], limit=1)
        if categories:
            self.category, = categories
            return 0
        # account_revenue is per company: created in the company's context.
        self.category, = Category.create([{
                    'name': CATEGORY, 'accounting': True,
                    'account_revenue': self.account(REVENUE).id,
                    }])
        return 1

    def product_accounts(self):
        """The category on demo products made before there was one, and the
        company on demo gift certificate and package types without one."""
        Template = self.get('product.template')
        templates = Template.search([
                ('code', 'like', DEMO_PRODUCTS),
                ('account_category', '=', None),
                ])
        Template.write(templates, {'account_category': self.category.id})
        changed = len(templates)
        for name in ['photo.payment.gift_certificate.type',
                'photo.payment.package.type']:
            try:
                Type = self.get(name)
            except KeyError:
                continue
            types = Type.search([
                    ('product.code', 'like', DEMO_PRODUCTS),
                    ('company', '=', None),
                    ])
            Type.write(types, self.voucher_accounting())
            changed += len(types)
        return changed

    def voucher_accounting(self):
        "A gift certificate or package type's company and payment method."
        if not self.company:
            return {}
        return {'company': self.company.id, 'payment_method': self.method.id}

    # --- studios and services ---------------------------------------------

    def studios(self):
        Studio = self.get('photo.studio')
        created = 0
        for data in STUDIOS:
            if Studio.search([('code', '=', data['code'])], limit=1):
                continue
            values = {k: v for k, v in data.items()
                if k not in {'hours', 'rooms', 'equipment'}}
            values['opening_hours'] = [('create', [{
                            'weekday': str(d), 'start_time': start,
                            'end_time': end}
                        for d, start, end in data['hours']])]
            values['rooms'] = [('create', [{
                            'name': name, 'area': area, 'description': desc,
                            'sequence': i}
                        for i, (name, area, desc) in enumerate(data['rooms'])])]
            values['equipment'] = [('create', [{
                            'name': name, 'kind': kind, 'quantity': qty,
                            'unit_price': Decimal(price)}
                        for name, kind, qty, price in data['equipment']])]
            Studio.create([values])
            created += 1
        self.studio = {s.code: s for s in Studio.search(
                [('code', 'in', [d['code'] for d in STUDIOS])])}
        return created

    def product(self, code, name):
        "A new service product of code."
        Template = self.get('product.template')
        Uom = self.get('product.uom')
        ModelData = self.get('ir.model.data')
        unit = Uom(ModelData.get_id('product', 'uom_unit'))
        template, = Template.create([{
                    'name': name, 'type': 'service',
                    'default_uom': unit.id,
                    'code': code,
                    'account_category': (
                        self.category.id if self.category else None),
                    'products': [('create', [{}])],
                    }])
        return template.products[0]

    def services(self):
        Service = self.get('photo.service')
        created = 0
        for data in SERVICES:
            if Service.search(
                    [('product.code', '=', data['code'])], limit=1):
                continue
            price = Decimal(data['price'])
            product = self.product(data['code'], data['name'])
            equipment = [{'equipment': e.id, 'quantity': qty}
                for name, qty in data['equipment']
                for studio in self.studio.values()
                for e in studio.equipment if e.name == name]
            Service.create([{
                        'name': data['name'],
                        'kind': data.get('kind', 'service'),
                        'description': data['description'],
                        'includes': data.get('includes'),
                        'product': product.id,
                        'duration': data['duration'],
                        'price': price, 'currency': self.rub.id,
                        'prepayment_percent': Decimal(
                            data['prepayment_percent']),
                        'buffer_before': data['buffer_before'],
                        'buffer_after': data['buffer_after'],
                        'needs_room': data.get('needs_room', True),
                        'free_cancellation': data['free_cancellation'],
                        'cancellation_fee_percent': Decimal(
                            data['cancellation_fee_percent']),
                        'equipment': [('create', equipment)],
                        'sequence': SERVICES.index(data),
                        }])
            created += 1
        self.service = {s.product.code: s for s in Service.search(
                [('product.code', 'in', [d['code'] for d in SERVICES])])}
        return created

    # --- English texts and pictures --------------------------------------

    def translate(self, record, english):
        """Give record its English texts, keeping the Russian ones for
        Russian: English is the database's base language, so the Russian
        values are written back as translations. 1 if anything changed."""
        from trytond.transaction import Transaction
        Model = record.__class__
        with Transaction().set_context(language='en'):
            current = Model(record.id)
            if all(getattr(current, f) == v for f, v in english.items()):
                return 0
        russian = None
        if self.ru and self.ru.translatable:
            with Transaction().set_context(language='ru'):
                record = Model(record.id)
                russian = {f: getattr(record, f) for f in english}
        with Transaction().set_context(language='en'):
            Model.write([Model(record.id)], english)
        if russian:
            # After the base value, whose change marks the translations
            # fuzzy, and a fuzzy translation is not read.
            with Transaction().set_context(language='ru'):
                Model.write([Model(record.id)], russian)
        return 1

    def english(self):
        changed = 0
        records = {
            **{('photo.studio', k): v for k, v in self.studio.items()},
            **{('photo.service', k): v for k, v in self.service.items()},
            **{('photo.photographer', k): v
                for k, v in self.photographer.items()},
            }
        for key, english in ENGLISH.items():
            changed += self.translate(records[key], english)
        for studio in self.studio.values():
            for part in list(studio.rooms) + list(studio.equipment):
                if part.name in ROOMS_ENGLISH:
                    changed += self.translate(
                        part, {'name': ROOMS_ENGLISH[part.name]})
        return changed

    def pictures(self):
        """Studio, room and photographer pictures drawn locally (see
        scripts/demo_images.py) for those without one."""
        import demo_images
        Studio = self.get('photo.studio')
        Room = self.get('photo.studio.room')
        Photographer = self.get('photo.photographer')
        changed = 0
        for code, studio in self.studio.items():
            if not studio.photo:
                Studio.write([studio], {
                        'photo': demo_images.interior(code)})
                changed += 1
            for i, room in enumerate(studio.rooms):
                if not room.photo:
                    Room.write([room], {
                            'photo': demo_images.interior(f'{code}-{i}')})
                    changed += 1
        for login, photographer in self.photographer.items():
            if not photographer.photo:
                Photographer.write([photographer], {
                        'photo': demo_images.portrait(login)})
                changed += 1
        return changed

    # --- photographers ----------------------------------------------------

    def next_weekday(self, offset, weekdays):
        "The first local day at least offset days ahead on one of weekdays."
        day = self.today + dt.timedelta(days=offset)
        while day.weekday() not in weekdays:
            day += dt.timedelta(days=1)
        return day

    def utc(self, day, time):
        moment = dt.datetime.combine(day, time, self.tz)
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def photographers(self):
        pool = self.pool
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Photographer = pool.get('photo.photographer')
        ModelData = pool.get('ir.model.data')
        group = ModelData.get_id('photo_booking', 'group_photographer')
        created = 0
        # A demo loaded before the passwords file (with the passwords once
        # published in this script) takes the new ones.
        for user in User.search([('login', 'in', list(self.new_passwords))]):
            user.password = self.passwords[user.login]
            user.save()
        for data in PHOTOGRAPHERS:
            login = data['login']
            if Photographer.search([('user.login', '=', login)], limit=1):
                continue
            users = User.search([('login', '=', login)], limit=1)
            if users:
                user, = users
            else:
                user, = User.create([{
                            'name': data['name'], 'login': login,
                            'email': data['email'],
                            'password': self.passwords[login],
                            'groups': [('add', [group])],
                            }])
            party, = Party.create([{
                        'name': data['name'],
                        'lang': self.ru.id if self.ru else None,
                        'contact_mechanisms': [('create', [{
                                        'type': 'email',
                                        'value': data['email']}])],
                        }])
            Photographer.create([{
                        'party': party.id, 'name': data['name'],
                        'user': user.id, 'bio': data['bio'],
                        'studios': [('add', [
                                    self.studio[c].id
                                    for c in data['studios']])],
                        'services': [('create', [{
                                        'service': self.service[c].id,
                                        'price': Decimal(p) if p else None}
                                    for c, p in data['services']])],
                        'on_location': data.get('on_location', False),
                        'confirmation': data.get('confirmation', 'auto'),
                        'min_notice': data.get('min_notice', 2 * H),
                        'working_hours': [('create', [{
                                        'weekday': str(d), 'start_time': a,
                                        'end_time': b,
                                        'studio': (self.studio[c].id
                                            if c else None)}
                                    for d, a, b, c in data['hours']])],
                        } | self.schedule_extras(login)])
            created += 1
        self.photographer = {p.user.login: p for p in Photographer.search(
                [('user.login', 'in', [d['login'] for d in PHOTOGRAPHERS])])}
        return created

    def schedule_extras(self, login):
        "A vacation, a day of mini-sessions and a busy evening, from today."
        if login == 'anna':
            start = self.today + dt.timedelta(days=12)
            return {'exceptions': [('create', [{
                                'kind': 'closed', 'date_from': start,
                                'date_to': start + dt.timedelta(days=4),
                                'note': "Отпуск",
                                }, {
                                'kind': 'extra',
                                'date_from': self.next_weekday(5, {0}),
                                'date_to': self.next_weekday(5, {0}),
                                'start_time': T(12), 'end_time': T(18),
                                'note': "Дополнительный день",
                                }])]}
        if login == 'maria':
            # Seasonal mini-sessions: on that day only these slots are
            # offered, one portrait hour each with the buffer between.
            day = self.next_weekday(7, {5})
            starts = [T(11), T(12, 15), T(13, 30), T(15), T(16, 15)]
            return {'fixed_slots': [('create', [{
                                'studio': self.studio['SPB'].id,
                                'start': self.utc(day, s),
                                'end': self.utc(day, s) + H,
                                'title': "Новогодние мини-сессии",
                                } for s in starts])]}
        if login == 'ivan':
            day = self.next_weekday(2, {0, 1, 2})
            return {'busy': [('create', [{
                                'source': 'manual',
                                'start': self.utc(day, T(14)),
                                'end': self.utc(day, T(17)),
                                'summary': "Съёмка для журнала (вне студии)",
                                }])]}
        return {}

    # --- clients ----------------------------------------------------------

    def clients(self):
        Party = self.get('party.party')
        Mechanism = self.get('party.contact_mechanism')
        created = 0
        self.client = []
        for name, mailbox, phone in CLIENTS:
            email = f'{mailbox}@{CLIENT_DOMAIN}'
            found = Mechanism.search([
                    ('type', '=', 'email'), ('value', '=', email)], limit=1)
            if found:
                self.client.append(found[0].party)
                continue
            party, = Party.create([{
                        'name': name,
                        'lang': self.ru.id if self.ru else None,
                        'contact_mechanisms': [('create', [
                                    {'type': 'email', 'value': email},
                                    {'type': 'phone', 'value': phone},
                                    ])],
                        }])
            self.client.append(party)
            created += 1
        return created

    # --- bookings ---------------------------------------------------------

    def offers(self):
        "Every (photographer, service, studio or None) that can be booked."
        result = []
        for data in PHOTOGRAPHERS:
            photographer = self.photographer[data['login']]
            for line in photographer.services:
                service = line.service
                if service.needs_room:
                    for studio in photographer.studios:
                        result.append((photographer, service, studio))
                elif photographer.on_location:
                    result.append((photographer, service, None))
        return result

    def pick(self, day, offers, now):
        "A random free slot on day for one of offers, or None."
        Booking = self.get('photo.booking')
        offers = list(offers)
        self.rng.shuffle(offers)
        for photographer, service, studio in offers:
            slots = Booking.available_slots(
                service, day, day, studio=studio,
                photographers=[photographer], now=now)
            if slots:
                return photographer, service, studio, self.rng.choice(slots)

    def hold(self, photographer, service, studio, slot, now, source):
        Booking = self.get('photo.booking')
        client = self.rng.choice(self.client)
        email = phone = None
        for mechanism in client.contact_mechanisms:
            if mechanism.type == 'email':
                email = mechanism.value
            elif mechanism.type == 'phone':
                phone = mechanism.value
        start = slot.start.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return Booking.create_hold(
            service, start, client, studio=studio, photographer=photographer,
            location=None if studio else self.rng.choice(LOCATIONS),
            email=email, phone=phone, notes=self.rng.choice(NOTES),
            source=source, now=now)

    def submit(self, booking):
        """Move a held booking on as Booking.submit does once it is paid:
        confirmed, or requested from a photographer who approves each one.

        The demo records no payments, so it takes the transitions itself
        instead of sending prepayments to a payment gateway."""
        Booking = self.get('photo.booking')
        if (booking.photographer.confirmation == 'manual'
                and booking.source != 'backoffice'):
            Booking.request([booking])
        else:
            Booking.confirm([booking])

    def bookings(self):
        Booking = self.get('photo.booking')
        if Booking.search(
                [('client', 'in', [c.id for c in self.client])], limit=1):
            return 0
        offers = self.offers()
        sources = ['web', 'web', 'telegram', 'backoffice']
        created = []

        # Past shoots: booked a few days ahead of time, in the order they
        # were made; all stay active until the end so none overlap, then
        # they are done, missed or cancelled late by the client.
        past = []
        for offset in range(PAST_DAYS, 0, -1):
            if self.rng.random() > 0.55:
                continue
            day = self.today - dt.timedelta(days=offset)
            booked_at = self.utc(day - dt.timedelta(days=3), T(9))
            found = self.pick(day, offers, booked_at)
            if not found:
                continue
            booking = self.hold(*found, booked_at, self.rng.choice(sources))
            self.submit(booking)
            Booking.approve([booking])
            past.append(booking)
        done, no_show, cancelled = [], [], []
        for i, booking in enumerate(past):
            (no_show if i % 7 == 3 else cancelled if i % 7 == 5
                else done).append(booking)
        for booking in done:
            Booking.do([booking])
        for booking in no_show:
            Booking.no_show([booking])
        for booking in cancelled:
            hours = self.rng.randint(2, 12)
            Booking.cancel([booking], by='client',
                reason="Клиент отменил съёмку в последний момент.",
                now=booking.start - dt.timedelta(hours=hours))
        created += past

        # Reviews on most of the finished shoots.
        Review = self.get('photo.review')
        reviews = []
        for booking in done:
            if self.rng.random() < 0.65:
                rating, comment = self.rng.choice(REVIEWS)
                reviews.append(
                    Review.leave(booking, booking.client, rating, comment))
        # The manager has published all but the latest few.
        Review.publish(reviews[:-3])

        # Coming shoots: confirmed, waiting for the photographer's approval
        # or still held by a client who is choosing.
        future = []
        mini_day = self.next_weekday(7, {5})
        maria = self.photographer['maria']
        portrait = self.service['DEMO-PORTRAIT']
        mini = [(maria, portrait, self.studio['SPB'])]
        for offset in range(1, FUTURE_DAYS + 1):
            day = self.today + dt.timedelta(days=offset)
            if day == mini_day:
                for _ in range(2):
                    found = self.pick(day, mini, self.now)
                    if found:
                        future.append(self.hold(*found, self.now, 'web'))
            if self.rng.random() > 0.6:
                continue
            found = self.pick(day, offers, self.now)
            if found:
                future.append(self.hold(
                        *found, self.now, self.rng.choice(sources)))
        holds = future[4::6]
        for booking in future:
            if booking not in holds:
                self.submit(booking)
        requested = [b for b in future if b.state == 'requested']
        for booking in requested[1::2]:
            Booking.approve([booking])
        created += future
        return len(created)

    # --- gift certificates and hour packages ------------------------------

    def prepaid(self):
        """A 5 000 ₽ gift certificate type with one certificate sold to the
        first client (code GIFT-DEMO-5000) and a 10-hour package type for
        portraits, when photo_payment is activated. The types belong to
        the company: the certificate sold has its paid invoice."""
        from trytond.transaction import Transaction
        try:
            self.get('photo.payment.gift_certificate.type')
        except KeyError:
            return 0
        # In the company's context, as the back office sells: the products
        # read their company's accounts.
        with Transaction().set_context(
                company=self.company.id if self.company else None):
            return self.vouchers()

    def vouchers(self):
        CertificateType = self.get('photo.payment.gift_certificate.type')
        Certificate = self.get('photo.payment.gift_certificate')
        PackageType = self.get('photo.payment.package.type')
        created = 0
        certificate_type = next(iter(CertificateType.search(
                    [('product.code', '=', 'DEMO-GIFT')], limit=1)), None)
        if not certificate_type:
            certificate_type, = CertificateType.create([{
                        'name': "Подарочный сертификат 5 000 ₽",
                        'product': self.product(
                            'DEMO-GIFT', "Подарочный сертификат").id,
                        'price': Decimal(5000), 'currency': self.rub.id,
                        'validity': 365} | self.voucher_accounting()])
            created += 1
        if not Certificate.search([('code', '=', 'GIFT-DEMO-5000')]):
            certificate, = Certificate.create([{
                        'code': 'GIFT-DEMO-5000',
                        'type': certificate_type.id,
                        'amount': certificate_type.price,
                        'currency': self.rub.id,
                        'buyer': self.client[0].id,
                        'recipient': self.client[1].id}])
            Certificate.sell([certificate])
            created += 1
        if not PackageType.search([('product.code', '=', 'DEMO-HOURS')]):
            PackageType.create([{
                        'name': "10 часов портретной съёмки",
                        'product': self.product(
                            'DEMO-HOURS', "Пакет 10 часов").id,
                        'hours': Decimal(10), 'price': Decimal(40000),
                        'currency': self.rub.id, 'validity': 180,
                        'services': [('add', [
                                    self.service['DEMO-PORTRAIT'].id])],
                        } | self.voucher_accounting()])
            created += 1
        return created

    def sections(self):
        return [
            ("currencies RUB, EUR", self.currencies),
            ("Russian translations", self.language),
            ("back office first-run wizard", self.back_office),
            ("accounting: company, chart of accounts, fiscal years",
                self.accounting),
            ("studios", self.studios),
            ("services", self.services),
            ("photographers", self.photographers),
            ("clients", self.clients),
            ("English texts", self.english),
            ("pictures", self.pictures),
            ("bookings and reviews", self.bookings),
            ("gift certificates and hour packages", self.prepaid),
            ("calendar feeds of photographers and rooms", self.feeds),
            ("time to enrol a second factor", self.second_factor_grace),
            ]

    def second_factor_grace(self):
        """The staff without a second factor whose time to enrol one ends
        within a day (or has ended) get the whole time again (photo_auth):
        past it their password alone would not sign them in, and the
        README's demo logins would fail."""
        User = self.get('res.user')
        if not hasattr(User, 'enrolment'):
            return 0
        soon = self.now + dt.timedelta(days=1)
        users = [u for u in User.search([])
            if u.must_enrol() and u.enrolment(self.now).deadline <= soon]
        User.write(users, {'staff_since': self.now})
        return len(users)

    def feeds(self):
        "A feed URL for every photographer and room without one."
        created = 0
        for name in ['photo.photographer', 'photo.studio.room']:
            Model = self.get(name)
            records = Model.search([('feed_token', '=', None)])
            Model.new_feed_url(records)
            created += len(records)
        return created


def main(argv=None):
    args = parse_args(argv)
    from trytond import config
    config.update_etc(args.config)

    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    database = args.database
    passwords, new_passwords = photographer_passwords(args.passwords)
    pool = Pool(database)
    pool.init()
    # Tables locked from the start, as the server's dispatcher would retry
    # with them: the account configuration the chart writes and the
    # journal periods posting the certificate's invoice opens.
    extras = {'_lock_tables': list(LOCK_TABLES)}
    while True:
        with Transaction().start(database, 0, context={
                    '_skip_warnings': True}, **extras) as transaction:
            from trytond.modules.photo_booking.booking import utc_now
            demo = Demo(pool, utc_now(), passwords, new_passwords)
            try:
                for label, section in demo.sections():
                    step(label)
                    report(section())
            except TransactionError as error:
                # A table or records to lock first: start again with them.
                transaction.rollback()
                error.fix(extras)
                print("locks needed, starting again", flush=True)
                continue
        break
    # Leaving the block committed the transaction.

    print("demo: loaded. Back office: login 'admin' with the password given "
        "to trytond-admin"
        + (f" (TRYTONPASSFILE={os.environ['TRYTONPASSFILE']})"
            if os.environ.get('TRYTONPASSFILE') else ""))
    print("demo: photographers (group Photographer), passwords kept in "
        f"{args.passwords}:")
    for data in PHOTOGRAPHERS:
        print(f"demo:   {data['login']:<6} / {passwords[data['login']]:<16}"
            f" {data['name']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
