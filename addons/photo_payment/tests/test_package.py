"Prepaid hour packages: sold with an invoice, used and given back."
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_payment.exceptions import PrepaidError

from .prepaid_tools import (
    VoucherTestCase, accounting_world, sold_package, yesterday)
from .tools import create_gateways, create_paid_world, hold


class PackageTestCase(VoucherTestCase):
    "Hour packages"

    @with_transaction()
    def test_sell_posts_invoice(self):
        "Selling a package posts a paid invoice of its price"
        from trytond.modules.company.tests import set_company
        pool = Pool()
        Type = pool.get('photo.payment.package.type')
        Package = pool.get('photo.payment.package')
        world, company, method, product = accounting_world(
            "10 Studio Hours")
        with set_company(company):
            type_, = Type.create([{
                        'name': "10 hours", 'product': product.id,
                        'hours': Decimal(10), 'price': Decimal(40000),
                        'currency': world.currency.id, 'validity': 180,
                        'company': company.id,
                        'payment_method': method.id}])
            package = Package(type=type_, party=world.client)
            package.on_change_type()
            package.save()

            Package.sell([package])

            self.assertEqual(
                (package.invoice.state, package.invoice.total_amount,
                    package.invoice.party, package.invoice.lines[0].product),
                ('paid', Decimal('40000.00'), world.client, product))
            self.assertEqual(
                (package.hours, package.hours_remaining, package.status),
                (Decimal(10), Decimal(10), 'active'))
            self.assertEqual(
                package.expires, dt.date.today() + dt.timedelta(days=180))
            self.assertTrue(package.code.startswith('HOURS-'))

    @with_transaction()
    def test_booking_uses_hours(self):
        "A booking of the owner uses its hours and confirms without paying"
        Booking = Pool().get('photo.booking')
        create_gateways()
        world = create_paid_world(
            percent=Decimal(100), duration=dt.timedelta(hours=2))
        package = sold_package(world)
        booking = hold(world)
        calls = self.gateway_calls()

        Booking.apply_code(booking, package.code)
        Booking.submit([booking])

        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(self.gateway_calls(), calls)
        usage, = package.transactions
        self.assertEqual(
            (usage.booking, usage.amount, usage.package_hours),
            (booking, Decimal(5000), Decimal(2)))
        self.assertEqual(
            (package.hours_used, package.hours_remaining),
            (Decimal(2), Decimal(8)))

    @with_transaction()
    def test_last_hours_pay_in_proportion(self):
        "Too few hours left pay their share; the gateway takes the rest"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        _, yookassa_gateway = create_gateways()
        world = create_paid_world(
            percent=Decimal(100), duration=dt.timedelta(hours=2))
        package = sold_package(world, hours=Decimal('0.5'))
        booking = hold(world)

        Booking.apply_code(booking, package.code)
        with Transaction().set_context(
                photo_payment_gateway=yookassa_gateway.id):
            Booking.submit([booking])
        Payment.reconcile()

        self.assertEqual(package.hours_remaining, Decimal(0))
        self.assertEqual(package.status, 'used')
        payment, = [t for t in booking.transactions if t.gateway]
        self.assertEqual(payment.amount, Decimal('3750.00'))

    @with_transaction()
    def test_cancellation_gives_hours_back(self):
        "A free cancellation returns every hour, a late one keeps the fee's"
        Booking = Pool().get('photo.booking')
        world = create_paid_world(
            percent=Decimal(100), duration=dt.timedelta(hours=2))
        package = sold_package(world)
        early, late = hold(world, hour=10), hold(world, hour=14)
        for booking in [early, late]:
            Booking.apply_code(booking, package.code)
            Booking.submit([booking])
        self.assertEqual(package.hours_remaining, Decimal(6))

        Booking.cancel_by_client(
            early, now=early.start - dt.timedelta(days=2))
        self.assertEqual(package.hours_remaining, Decimal(8))
        with Transaction().set_context(_skip_warnings=True):
            Booking.cancel_by_client(
                late, now=late.start - dt.timedelta(hours=2))

        # The policy keeps 50 % of the price: half of the 2 hours
        self.assertEqual(package.hours_remaining, Decimal(9))
        self.assertEqual(package.hours_used, Decimal(1))

    @with_transaction()
    def test_refused(self):
        "Another client, another service, expired or used up: refused"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Party = pool.get('party.party')
        world = create_paid_world()
        other_world = create_paid_world()
        booking = hold(world)
        stranger, = Party.create([{'name': "Stranger"}])
        used = sold_package(world, hours=Decimal(1))
        Booking.apply_code(hold(world, hour=14), used.code)

        for package, text in [
                (sold_package(world, party=stranger.id), 'another client'),
                (sold_package(world, services=[other_world.service]),
                    'cannot be used for "Portrait"'),
                (sold_package(world, expires=yesterday()), 'expired'),
                (used, 'used up'),
                ]:
            with self.subTest(text=text):
                with self.assertRaisesRegex(PrepaidError, text):
                    Booking.apply_code(booking, package.code)
        self.assertEqual(booking.transactions, ())
