"Fake gateways, settings and a studio world that takes prepayments."
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.tools import (
    create_world, local, set_config, tomorrow)

from .fakes import FakeStripe, FakeYooKassa

SECTION = 'photo_payment'
STRIPE_SECRET = 'sk_test_fake'
STRIPE_WEBHOOK_SECRET = 'whsec_test_secret'
YOOKASSA_SHOP = '123456'
YOOKASSA_SECRET = 'test_fake_secret'
YOOKASSA_IP = '185.71.76.5'


def start_fakes(case):
    "Start both fakes for a TestCase class; stopped at class cleanup."
    case.stripe = FakeStripe(STRIPE_SECRET).start()
    case.yookassa = FakeYooKassa(YOOKASSA_SHOP, YOOKASSA_SECRET).start()
    case.addClassCleanup(case.stripe.stop)
    case.addClassCleanup(case.yookassa.stop)


def configure(case, **overrides):
    "Point the gateways at the fakes, as production does with its config."
    values = {
        'stripe_api_base': case.stripe.url,
        'yookassa_api_url': case.yookassa.url + '/v3',
        'stripe_secret_key': STRIPE_SECRET,
        'stripe_webhook_secret': STRIPE_WEBHOOK_SECRET,
        'yookassa_shop_id': YOOKASSA_SHOP,
        'yookassa_secret_key': YOOKASSA_SECRET,
        'retries': '3',
        'retry_delay': '0',
        'http_timeout': '0.5',
        'return_url': 'https://studio.example.com/paid',
        }
    values.update(overrides)
    for key, value in values.items():
        set_config(case.addCleanup, SECTION, key, value)


def create_gateways():
    Gateway = Pool().get('photo.payment.gateway')
    stripe, yookassa = Gateway.create([{
                'name': "Stripe", 'kind': 'stripe', 'code': 'stripe',
                'sequence': 1,
                }, {
                'name': "YooKassa", 'kind': 'yookassa', 'code': 'yookassa',
                'sequence': 2,
                }])
    return stripe, yookassa


def create_paid_world(percent=Decimal(30), **kwargs):
    "create_world whose service takes a prepayment of percent."
    world = create_world(**kwargs)
    Service = Pool().get('photo.service')
    Service.write([world.service], {'prepayment_percent': percent})
    return world


def hold(world, day=None, hour=11, email='anna@example.com', source='web'):
    Booking = Pool().get('photo.booking')
    start = local(world.studio, day or tomorrow(2), hour)
    return Booking.create_hold(
        world.service, start, world.client, world.studio, email=email,
        phone='+7 926 000-11-22', source=source)


def run_queued():
    """Run what this transaction queued for after its commit (gateway
    calls), as the request or the worker does. A test transaction is never
    committed, so the tasks run here, in the same transaction."""
    Queue = Pool().get('ir.queue')
    transaction = Transaction()
    while transaction.tasks:
        Queue(transaction.tasks.pop(0)).run()


__all__ = ['create_world', 'local', 'tomorrow', 'dt']


def create_accounting(world, gateways):
    """A company in the world's currency with a minimal chart, this year's
    fiscal year with invoice sequences, and the gateways' payment method.

    Call inside set_company(company) for the returned company."""
    from trytond.modules.account.tests import create_chart, get_fiscalyear
    from trytond.modules.account_invoice.tests import set_invoice_sequences
    from trytond.modules.company.tests import create_company, set_company
    pool = Pool()
    Account = pool.get('account.account')
    Journal = pool.get('account.journal')
    FiscalYear = pool.get('account.fiscalyear')
    PaymentMethod = pool.get('account.invoice.payment.method')
    Category = pool.get('product.category')
    Gateway = pool.get('photo.payment.gateway')
    Party = pool.get('party.party')

    company = create_company("Loft Studio", currency=world.currency)
    with set_company(company):
        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        revenue, = Account.search([
                ('type.revenue', '=', True),
                ('closed', '!=', True),
                ('company', '=', company.id),
                ], limit=1)
        cash, = Account.search([
                ('name', 'ilike', 'Cash%'),
                ('type', '!=', None),
                ('party_required', '=', False),
                ('closed', '!=', True),
                ('company', '=', company.id),
                ], limit=1)
        journal, = Journal.search([('type', '=', 'cash')], limit=1)
        method = PaymentMethod(
            name="Gateway", company=company, journal=journal,
            credit_account=cash, debit_account=cash)
        method.save()
        category = Category(
            name="Shoots", accounting=True, account_revenue=revenue)
        category.save()
        template = world.service.product.template
        template.account_category = category
        template.save()
        Party.write([world.client], {'addresses': [('create', [{}])]})
        Gateway.write(list(gateways), {
                'company': company.id,
                'payment_method': method.id,
                })
    return company


def configure_fakes(stripe, yookassa):
    """configure's settings for the scenarios, which have no TestCase: the
    settings are put back by the function returned."""
    cleanups = []

    class Scenario:
        def addCleanup(self, function, *args):
            cleanups.append((function, args))
    scenario = Scenario()
    scenario.stripe, scenario.yookassa = stripe, yookassa
    configure(scenario)

    def restore():
        for function, args in reversed(cleanups):
            function(*args)
    return restore


def scenario_studio(percent=Decimal(30)):
    """Through proteus, as a manager sets it up: a studio open 9:00-21:00,
    a one-hour portrait (5,000 RUB, prepayment percent, free cancellation
    until 24 h before, then half) without room, Anna working 10:00-19:00
    and the YooKassa gateway. Returns (studio, service, anna)."""
    from proteus import Model

    from trytond.modules.currency.tests.tools import get_currency
    Studio = Model.get('photo.studio')
    studio = Studio(name="Loft", city="Moscow", timezone='Europe/Moscow')
    for weekday in range(7):
        studio.opening_hours.new(weekday=str(weekday),
            start_time=dt.time(9), end_time=dt.time(21))
    studio.save()
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', "Unit")])
    Template = Model.get('product.template')
    template = Template(name="Portrait", type='service', default_uom=unit)
    template.save()
    product, = template.products
    Service = Model.get('photo.service')
    service = Service(
        name="Portrait", product=product, needs_room=False,
        duration=dt.timedelta(hours=1), price=Decimal('5000'),
        currency=get_currency('RUB'), prepayment_percent=percent)
    service.save()
    Party = Model.get('party.party')
    party = Party(name="Anna Lens")
    party.save()
    Photographer = Model.get('photo.photographer')
    anna = Photographer(party=party, timezone='Europe/Moscow')
    anna.studios.append(Studio(studio.id))
    anna.services.new(service=service)
    for weekday in range(7):
        anna.working_hours.new(studio=studio, weekday=str(weekday),
            start_time=dt.time(10), end_time=dt.time(19))
    anna.save()
    Gateway = Model.get('photo.payment.gateway')
    Gateway(name="YooKassa", kind='yookassa', code='yookassa').save()
    return studio, service, anna
