"Gift certificates: sold with an invoice, paying bookings, taking refunds."
import datetime as dt
import threading
import unittest
from decimal import Decimal

from trytond import backend, config
from trytond.pool import Pool
from trytond.protocols.wrappers import with_transaction as route_transaction
from trytond.tests.test_tryton import DB_NAME, with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.tools import get_currency
from trytond.modules.photo_payment.exceptions import (
    PrepaidError, PromoError)

from .prepaid_tools import (
    VoucherTestCase, accounting_world, sold_certificate, voucher_type,
    yesterday)
from .tools import create_gateways, create_paid_world, hold


def invoiced_type():
    """(world, company, type, product) of a 3000 certificate type invoiced
    by the company, valid 90 days."""
    from trytond.modules.company.tests import set_company
    world, company, method, product = accounting_world("Gift Certificate")
    with set_company(company):
        type_ = voucher_type(
            'gift_certificate', world.currency, Decimal(3000),
            product=product, company=company.id, payment_method=method.id,
            validity=90)
    return world, company, type_, product


class GiftCertificateTestCase(VoucherTestCase):
    "Gift certificates"

    @with_transaction()
    def test_sell_posts_invoice(self):
        "Selling a certificate posts a paid invoice of its product"
        from trytond.modules.company.tests import set_company
        pool = Pool()
        Certificate = pool.get('photo.payment.gift_certificate')
        world, company, type_, product = invoiced_type()
        with set_company(company):
            certificate = Certificate(type=type_)
            certificate.on_change_type()
            certificate.save()
            self.assertEqual(
                (certificate.state, certificate.amount, certificate.invoice),
                ('draft', Decimal(3000), None))
            self.assertRegex(certificate.code, r'^GIFT(-[2-9A-Z]{4}){3}$')
            with self.assertRaisesRegex(PrepaidError, 'invoiced'):
                Certificate.sell([certificate])     # to whom?
            certificate.buyer = world.client
            certificate.save()

            Certificate.sell([certificate])

            invoice = certificate.invoice
            self.assertEqual(
                (invoice.type, invoice.state, invoice.party,
                    invoice.total_amount, invoice.reference),
                ('out', 'paid', world.client, Decimal('3000.00'),
                    certificate.code))
            self.assertEqual(invoice.lines[0].product, product)
            self.assertEqual(certificate.status, 'active')
            self.assertEqual(certificate.balance, Decimal(3000))
            self.assertEqual(certificate.sold_on, dt.date.today())
            self.assertEqual(
                certificate.expires, dt.date.today() + dt.timedelta(days=90))

    @with_transaction()
    def test_sell_outside_company_context(self):
        "A sale made where no company is set (a portal purchase) is invoiced"
        Certificate = Pool().get('photo.payment.gift_certificate')
        world, company, type_, _ = invoiced_type()
        certificate = Certificate(type=type_, buyer=world.client)
        certificate.on_change_type()
        certificate.save()

        Certificate.sell([certificate])

        invoice = certificate.invoice
        self.assertEqual(
            (invoice.state, invoice.company, invoice.total_amount),
            ('paid', company, Decimal('3000.00')))

    @with_transaction()
    def test_sell_without_accounting(self):
        "Without a company on its type, a certificate sells to anyone"
        Certificate = Pool().get('photo.payment.gift_certificate')
        world = create_paid_world()
        type_ = voucher_type('gift_certificate', world.currency, Decimal(10))
        certificate, = Certificate.create([{
                    'type': type_.id, 'amount': Decimal(10),
                    'currency': world.currency.id}])

        Certificate.sell([certificate])

        self.assertEqual(
            (certificate.status, certificate.invoice, certificate.balance),
            ('active', None, Decimal(10)))

    def pay_part_by_certificate(self):
        """A held booking (5000, 30 % prepaid) of which a 1000 certificate
        pays part and YooKassa is asked the rest: (booking, certificate,
        gateway payment)."""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        _, yookassa_gateway = create_gateways()
        world = create_paid_world(percent=Decimal(30))
        certificate = sold_certificate(world, Decimal(1000))
        booking = hold(world)

        Booking.apply_code(booking, certificate.code.lower())

        self.assertEqual(certificate.balance, Decimal(0))
        self.assertEqual(certificate.status, 'used')
        self.assertEqual(booking.amount_paid, Decimal(1000))
        with Transaction().set_context(
                photo_payment_gateway=yookassa_gateway.id):
            Booking.submit([booking])
        Payment.reconcile()
        payment, = [t for t in booking.transactions if t.gateway]
        self.assertEqual(booking.state, 'hold')
        return booking, certificate, payment

    @with_transaction()
    def test_part_by_certificate_rest_at_yookassa(self):
        "A small certificate pays its balance, the gateway only the rest"
        Payment = Pool().get('photo.payment.transaction')
        booking, certificate, payment = self.pay_part_by_certificate()

        self.assertEqual(payment.amount, Decimal('500.00'))
        self.assertEqual(
            self.yookassa.payments[payment.gateway_id]['amount']['value'],
            '500.00')
        self.yookassa.succeed(payment.gateway_id)
        Payment.reconcile()
        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(booking.amount_paid, Decimal(1500))

    @with_transaction()
    def test_failed_rest_gives_certificate_back(self):
        "A failed gateway part releases the booking and refunds the voucher"
        Payment = Pool().get('photo.payment.transaction')
        booking, certificate, payment = self.pay_part_by_certificate()

        self.yookassa.cancel(payment.gateway_id)
        Payment.reconcile()

        self.assertEqual(booking.state, 'cancelled')
        self.assertEqual(certificate.balance, Decimal(1000))
        self.assertEqual(certificate.status, 'active')

    @with_transaction()
    def test_whole_by_certificate_without_gateway(self):
        "A certificate covering the booking confirms it, no gateway called"
        pool = Pool()
        Booking = pool.get('photo.booking')
        create_gateways()
        world = create_paid_world(percent=Decimal(100))
        certificate = sold_certificate(world, Decimal(8000))
        booking = hold(world)
        calls = self.gateway_calls()

        Booking.apply_code(booking, certificate.code)
        Booking.submit([booking])

        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(self.gateway_calls(), calls)
        payment, = booking.transactions
        self.assertEqual(
            (payment.kind, payment.state, payment.amount, payment.gateway,
                payment.gift_certificate),
            ('payment', 'succeeded', Decimal(5000), None, certificate))
        self.assertEqual(certificate.balance, Decimal(3000))
        with self.assertRaises(PrepaidError):      # not held any more
            Booking.apply_code(booking, certificate.code)

    @with_transaction()
    def test_back_office_applies_code(self):
        "At the desk, the Apply Code action on a booking takes a certificate"
        pool = Pool()
        Booking = pool.get('photo.booking')
        ApplyCode = pool.get('photo.booking.apply_code', type='wizard')
        world = create_paid_world()
        certificate = sold_certificate(world, Decimal(1200))
        booking = hold(world)

        session_id, _, _ = ApplyCode.create()
        wizard = ApplyCode(session_id)
        wizard.start.code = f' {certificate.code.lower()} '
        with Transaction().set_context(
                active_model=Booking.__name__, active_id=booking.id,
                active_ids=[booking.id]):
            wizard.transition_apply()

        self.assertEqual(booking.amount_paid, Decimal(1200))
        self.assertEqual(certificate.status, 'used')
        # Other codes are promo codes
        with self.assertRaisesRegex(PromoError, 'NOPE'):
            Booking.apply_code(hold(world, hour=14), 'NOPE')

    @with_transaction()
    def test_late_cancel_refunds_to_certificate(self):
        "A late cancellation gives the certificate back all but the fee"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        create_gateways()
        world = create_paid_world(percent=Decimal(100))
        certificate = sold_certificate(world, Decimal(8000))
        booking = hold(world)
        Booking.apply_code(booking, certificate.code)
        Booking.submit([booking])
        calls = self.gateway_calls()

        with Transaction().set_context(_skip_warnings=True):
            quote = Booking.cancel_by_client(
                booking, now=booking.start - dt.timedelta(hours=2))

        self.assertEqual(quote.fee, Decimal('2500.00'))
        self.assertEqual(certificate.balance, Decimal('5500.00'))
        self.assertEqual(self.gateway_calls(), calls)
        payment, = [t for t in booking.transactions if t.kind == 'payment']
        refund, = payment.refunds
        self.assertEqual(
            (refund.state, refund.amount, refund.gift_certificate),
            ('succeeded', Decimal('2500.00'), certificate))
        self.assertEqual(booking.amount_paid, Decimal('2500.00'))

        # Exports name the certificate where a gateway would be
        today = dt.datetime.combine(dt.date.today(), dt.time())
        _, money = Payment.export_data(today, today + dt.timedelta(days=1))
        self.assertEqual(
            {m.gateway for m in money}, {certificate.code})

    @with_transaction()
    def test_refused_codes(self):
        "Expired, cancelled, used up, unsold or foreign-currency: refused"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Certificate = pool.get('photo.payment.gift_certificate')
        world = create_paid_world()
        expired = sold_certificate(world, expires=yesterday())
        cancelled = sold_certificate(world)
        Certificate.cancel([cancelled])
        used = sold_certificate(world, Decimal(100))
        Booking.apply_code(hold(world, hour=14), used.code)
        unsold, = Certificate.copy([used])
        self.assertEqual((unsold.transactions, unsold.balance),
            ((), Decimal(100)))
        euro = sold_certificate(world, currency=get_currency('EUR'))
        booking = hold(world)

        for certificate, text in [
                (expired, 'expired'), (cancelled, 'not been sold'),
                (used, 'used up'), (unsold, 'not been sold'),
                (euro, 'EUR')]:
            with self.subTest(status=certificate.status):
                with self.assertRaisesRegex(PrepaidError, text) as cm:
                    Booking.apply_code(booking, certificate.code)
                self.assertIn(certificate.code, str(cm.exception))
        self.assertEqual(booking.transactions, ())
        self.assertEqual(
            [expired.status, cancelled.status, used.status, unsold.status],
            ['expired', 'cancelled', 'used', 'draft'])
        for status, certificates in [
                ('expired', [expired]), ('used', [used]),
                ('draft', [unsold]), ('cancelled', [cancelled])]:
            self.assertEqual(
                Certificate.search([('status', '=', status)]), certificates)
        self.assertNotIn(
            euro, Certificate.search([('status', '!=', 'active')]))
        self.assertEqual(
            set(Certificate.search([('status', 'in', ['active', 'used'])])),
            {used, euro})


@unittest.skipIf(backend.name == 'sqlite',
    "an in-memory SQLite database has a single connection; "
    "its writers are serialised by BEGIN IMMEDIATE (serialise_writes)")
class GiftCertificateConcurrencyTestCase(VoucherTestCase):
    "Gift certificates redeemed at once"

    def setUp(self):
        super().setUp()
        retry = config.get('database', 'retry')
        config.set('database', 'retry', '50')
        self.addCleanup(config.set, 'database', 'retry', retry)

    def test_concurrent_redemptions_cannot_overdraw(self):
        "Two bookings paying with one certificate at once share its balance"
        with Transaction().start(DB_NAME, 0) as transaction:
            world = create_paid_world(percent=Decimal(100))
            code = sold_certificate(world, Decimal(6000)).code
            booking_ids = [hold(world, hour=h).id for h in [11, 14]]
            transaction.commit()
        started = threading.Barrier(2)
        errors = []

        class Request:
            method = 'POST'
            context = {}

        @route_transaction()
        def redeem(request, pool, booking_id, first):
            "As a checkout route: the first run of both overlaps."
            Booking = pool.get('photo.booking')
            booking = Booking(booking_id)
            booking.price       # both read before either writes
            if first:
                first.pop()
                started.wait(timeout=10)
            Booking.apply_code(booking, code)

        def run(booking_id):
            try:
                redeem(Request(), Pool(DB_NAME), booking_id, [True])
            except Exception as e:
                errors.append(e)
                started.abort()
        threads = [threading.Thread(target=run, args=(b,))
            for b in booking_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(errors, [])
        with Transaction().start(DB_NAME, 0, readonly=True):
            Certificate = Pool().get('photo.payment.gift_certificate')
            certificate, = Certificate.search([('code', '=', code)])
            self.assertEqual(certificate.balance, Decimal(0))
            self.assertEqual(
                sorted(t.amount for t in certificate.transactions),
                [Decimal(1000), Decimal(5000)])
