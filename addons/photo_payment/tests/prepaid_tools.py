"A database for gift certificate and hour package tests, and their records."
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import TestCase, activate_module, drop_db

from trytond.modules.photo_booking.tests.database import cache_modules
from trytond.modules.photo_booking.tests.tools import create_product

from .tools import (
    configure, create_accounting, create_gateways, create_paid_world,
    start_fakes)


class VoucherTestCase(TestCase):
    """photo_payment's database (dropped at the end, so tests may commit)
    and the fake gateways; the module checks run in test_module."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cache_modules(['photo_payment'])
        drop_db()
        activate_module(['photo_payment'])
        start_fakes(cls)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        configure(self)

    def gateway_calls(self):
        "How many calls the fake gateways received."
        return len(self.stripe.requests) + len(self.yookassa.requests)


def voucher_type(model, currency, price, product=None, **values):
    "A type of model ('gift_certificate' or 'package') sold for price."
    Type = Pool().get(f'photo.payment.{model}.type')
    type_, = Type.create([{
                'name': model.title(),
                'product': (product or create_product(model.title())).id,
                'price': price, 'currency': currency.id, **values}])
    return type_


def sold_certificate(world, amount=Decimal(10000), currency=None, **values):
    "A gift certificate of amount bought by the world's client."
    Certificate = Pool().get('photo.payment.gift_certificate')
    currency = currency or world.currency
    type_ = voucher_type('gift_certificate', currency, amount)
    certificate, = Certificate.create([{
                'type': type_.id, 'amount': amount, 'currency': currency.id,
                'buyer': world.client.id, **values}])
    Certificate.sell([certificate])
    return certificate


def sold_package(world, hours=Decimal(10), services=None, **values):
    "An hour package of the world's client for the world's service."
    Package = Pool().get('photo.payment.package')
    type_ = voucher_type(
        'package', world.currency, Decimal(40000), hours=hours,
        services=[('add', [s.id for s in (services or [world.service])])])
    package, = Package.create([{
                'type': type_.id, 'party': world.client.id, 'hours': hours,
                **values}])
    Package.sell([package])
    return package


def accounting_world(product_name):
    """A world with accounting and a product of product_name invoiced into
    its revenue account: (world, company, payment method, product).

    Work inside set_company(company)."""
    from trytond.modules.company.tests import set_company
    gateways = create_gateways()
    world = create_paid_world()
    company = create_accounting(world, gateways)
    with set_company(company):
        product = create_product(product_name)
        product.template.account_category = (
            world.service.product.template.account_category)
        product.template.save()
    return world, company, gateways[0].payment_method, product


def yesterday():
    return dt.date.today() - dt.timedelta(days=1)
