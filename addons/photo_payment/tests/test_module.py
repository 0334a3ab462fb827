"Prepayments, refunds and gateway trouble against the local fakes."
import datetime as dt
import json
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.modules.party.tests.test_module import (
    PartyCheckEraseMixin, PartyCheckReplaceMixin)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import erase_party, run_wizard
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)
from trytond.modules.photo_payment.exceptions import RefundError

from .tools import (
    configure, create_accounting, create_gateways, create_paid_world, hold,
    run_queued, start_fakes)


class PhotoPaymentTestCase(
        PartyCheckEraseMixin, PartyCheckReplaceMixin, CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_payment module"
    module = 'photo_payment'
    extras = ['photo_portal']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_fakes(cls)

    def setUp(self):
        super().setUp()
        configure(self)

    def intents(self, payment):
        "How many Checkout Sessions Stripe holds for payment."
        return len([s for s in self.stripe.sessions.values()
                if s['metadata'].get('transaction')
                == payment.idempotency_key])

    def pay_with(self, gateway):
        return Transaction().set_context(photo_payment_gateway=gateway.id)

    def submit_paying(self, booking, gateway):
        """Submit booking paying through gateway, its queued calls run: the
        booking's transactions."""
        Booking = Pool().get('photo.booking')
        with self.pay_with(gateway):
            Booking.submit([booking])
            run_queued()
        return booking.transactions

    def pending_payment(self, kind='stripe', world=None, **world_args):
        """The gateways, a hold in world (by default a new paid world of
        world_args) and its submission paying through the gateway of kind:
        (booking, payment)."""
        stripe_gateway, yookassa_gateway = create_gateways()
        booking = hold(world or create_paid_world(**world_args))
        payment, = self.submit_paying(booking,
            stripe_gateway if kind == 'stripe' else yookassa_gateway)
        return booking, payment

    @with_transaction()
    def test_no_prepayment_confirms_as_before(self):
        "A service without prepayment confirms at once, nothing to pay"
        Booking = Pool().get('photo.booking')
        create_gateways()
        world = create_paid_world(percent=Decimal(0))
        booking = hold(world)

        Booking.submit([booking])

        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(booking.transactions, ())
        self.assertEqual(booking.prepayment, Decimal('0.00'))

    @with_transaction()
    def test_no_gateway_confirms_as_before(self):
        "Without any active gateway the prepayment cannot be taken"
        Booking = Pool().get('photo.booking')
        world = create_paid_world()
        booking = hold(world)

        with self.assertLogs(
                'trytond.modules.photo_payment.booking', 'WARNING'):
            Booking.submit([booking])

        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(booking.transactions, ())

    @with_transaction()
    def test_stripe_prepayment_confirms(self):
        "Paying the Stripe prepayment confirms the booking by itself"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')

        booking, payment = self.pending_payment()

        self.assertEqual(booking.state, 'hold')
        self.assertAlmostEqual(
            booking.hold_expires,
            dt.datetime.utcnow() + dt.timedelta(minutes=30),
            delta=dt.timedelta(minutes=1))
        self.assertEqual(
            (payment.kind, payment.state, payment.amount,
                payment.currency.code),
            ('payment', 'pending', Decimal('1500.00'), 'RUB'))
        session = self.stripe.sessions[payment.gateway_id]
        self.assertEqual(
            (session['mode'], session['amount_total'], session['currency']),
            ('payment', 150000, 'rub'))
        self.assertEqual(session['metadata']['booking'], booking.number)
        self.assertEqual(
            session['payment_intent_data']['metadata']['transaction'],
            payment.idempotency_key)
        self.assertEqual(payment.action_url, session['url'])
        _, _, headers, _ = self.stripe.calls(
            'POST', '/v1/checkout/sessions')[-1]
        self.assertEqual(
            headers['Idempotency-Key'],
            f'checkout_session-{payment.idempotency_key}')

        self.stripe.succeed(payment.gateway_id)
        Payment.reconcile()

        self.assertEqual(payment.state, 'succeeded')
        self.assertEqual(booking.state, 'confirmed')
        self.assertIsNone(booking.hold_expires)
        self.assertEqual(booking.amount_paid, Decimal('1500.00'))

        # Submitting or reconciling again changes nothing
        Booking.submit([booking])
        run_queued()
        Payment.reconcile()
        self.assertEqual(len(booking.transactions), 1)
        self.assertEqual(self.intents(payment), 1)

    @with_transaction()
    def test_manual_photographer_requested_once_paid(self):
        "A paid booking of a manual photographer waits for approval"
        pool = Pool()
        Payment = pool.get('photo.payment.transaction')
        booking, payment = self.pending_payment(confirmation='manual')

        self.stripe.succeed(payment.gateway_id)
        Payment.reconcile()

        self.assertEqual(booking.state, 'requested')

    @with_transaction()
    def test_payment_failure_frees_slot(self):
        "A failed payment releases the booking and its time"
        pool = Pool()
        Payment = pool.get('photo.payment.transaction')
        world = create_paid_world()
        booking, payment = self.pending_payment(world=world)

        # Checkout lets the client try another card: still held
        self.stripe.fail(payment.gateway_id)
        Payment.reconcile()
        self.assertEqual(
            (payment.state, booking.state), ('pending', 'hold'))

        # The session expires (or is expired) after the declined card
        self.stripe.expire(payment.gateway_id, webhook=False)
        Payment.reconcile()

        self.assertEqual(payment.state, 'failed')
        self.assertEqual(payment.error, "Your card was declined.")
        self.assertEqual(booking.state, 'cancelled')
        self.assertEqual(booking.cancelled_by, 'system')
        again = hold(world)
        self.assertEqual(again.start, booking.start)

    @with_transaction()
    def test_expired_hold_released(self):
        "A hold whose payment timeout passed is released by the cron"
        pool = Pool()
        Booking = pool.get('photo.booking')
        booking, payment = self.pending_payment()

        Booking.release_expired_holds(
            now=booking.hold_expires + dt.timedelta(seconds=1))

        self.assertEqual(booking.state, 'cancelled')
        self.assertEqual(payment.state, 'cancelled')

    @with_transaction()
    def test_paid_after_release_is_refunded(self):
        "A payment arriving after the hold was released is given back"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        booking, payment = self.pending_payment()
        Booking.release_expired_holds(
            now=booking.hold_expires + dt.timedelta(seconds=1))

        # The client paid just before the release: the webhook arrives late
        self.stripe.succeed(payment.gateway_id)
        Payment.apply_status([payment], 'succeeded')

        refund, = payment.refunds
        self.assertEqual((refund.state, refund.amount),
            ('succeeded', Decimal('1500.00')))
        self.assertEqual(payment.state, 'refunded')
        self.assertEqual(booking.state, 'cancelled')

    @with_transaction()
    def test_yookassa_prepayment_confirms(self):
        "A YooKassa payment redirects, captures and sends a 54-FZ receipt"
        pool = Pool()
        Payment = pool.get('photo.payment.transaction')

        booking, payment = self.pending_payment('yookassa')

        remote = self.yookassa.payments[payment.gateway_id]
        self.assertEqual(remote['amount'],
            {'value': '1500.00', 'currency': 'RUB'})
        self.assertIs(remote['capture'] if 'capture' in remote else True,
            True)
        # yoomoney.ru's confirmation page, served by the fake
        self.assertEqual(booking.payment_url,
            f'{self.yookassa.url}/checkout/payments/v2/contract'
            f'?orderId={payment.gateway_id}')
        _, _, headers, body = self.yookassa.calls('POST', '/v3/payments')[-1]
        sent = json.loads(body)
        self.assertIs(sent['capture'], True)
        self.assertEqual(sent['confirmation'], {
                'type': 'redirect',
                'return_url': 'https://studio.example.com/paid'})
        self.assertEqual(
            headers['Idempotence-Key'],
            f'payment-{payment.idempotency_key}')
        item, = sent['receipt']['items']
        self.assertEqual(sent['receipt']['customer'], {
                'email': 'anna@example.com', 'phone': '79260001122'})
        self.assertEqual(item['payment_mode'], 'partial_prepayment')
        self.assertEqual(item['payment_subject'], 'service')
        self.assertEqual(item['amount'],
            {'value': '1500.00', 'currency': 'RUB'})
        self.assertEqual(item['vat_code'], 1)

        self.yookassa.succeed(payment.gateway_id)
        Payment.reconcile()

        self.assertEqual(booking.state, 'confirmed')

    @with_transaction()
    def test_gateway_timeout_retried(self):
        "A timeout is retried with the same key: one payment, booking kept"
        pool = Pool()
        Notification = pool.get('res.notification')
        self.stripe.slow_next = 1
        self.stripe.fail_next = 1

        booking, payment = self.pending_payment()

        self.assertEqual(payment.state, 'pending')
        self.assertTrue(payment.gateway_id)
        self.assertEqual(booking.state, 'hold')
        keys = {h['Idempotency-Key'] for _, _, h, _ in
            self.stripe.calls('POST', '/v1/checkout/sessions')[-3:]}
        self.assertEqual(
            keys, {f'checkout_session-{payment.idempotency_key}'})
        self.assertEqual(self.intents(payment), 1)
        self.assertEqual(Notification.search([], count=True), 0)

    @with_transaction()
    def test_gateway_down_alerts_and_reconciles(self):
        "A gateway down after every retry keeps the hold and alerts managers"
        pool = Pool()
        Payment = pool.get('photo.payment.transaction')
        Notification = pool.get('res.notification')
        self.stripe.fail_next = 3

        booking, payment = self.pending_payment()

        self.assertEqual(
            (payment.state, payment.gateway_id, payment.attempts),
            ('pending', None, 1))
        self.assertEqual(booking.state, 'hold')
        notification, = Notification.search([])
        self.assertIn(booking.number, notification.description)

        Payment.reconcile()
        self.assertTrue(payment.gateway_id)
        self.stripe.succeed(payment.gateway_id)
        Payment.reconcile()
        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(self.intents(payment), 1)

    def _paid_booking(self, gateway, percent=Decimal(100)):
        Payment = Pool().get('photo.payment.transaction')
        booking = hold(create_paid_world(percent=percent))
        payment, = self.submit_paying(booking, gateway)
        if gateway.kind == 'stripe':
            self.stripe.succeed(payment.gateway_id)
        else:
            self.yookassa.succeed(payment.gateway_id)
        Payment.reconcile([payment])
        self.assertEqual(booking.state, 'confirmed')
        return booking, payment

    @with_transaction()
    def test_late_client_cancel_partial_refund(self):
        "A late client cancellation keeps the fee and refunds the rest"
        Booking = Pool().get('photo.booking')
        stripe_gateway, _ = create_gateways()
        booking, payment = self._paid_booking(stripe_gateway)

        with Transaction().set_context(_skip_warnings=True):
            quote = Booking.cancel_by_client(
                booking, now=booking.start - dt.timedelta(hours=2))

        self.assertEqual(quote.fee, Decimal('2500.00'))
        refund, = payment.refunds
        self.assertEqual((refund.kind, refund.state, refund.amount),
            ('refund', 'succeeded', Decimal('2500.00')))
        self.assertEqual(
            self.stripe.refunds[refund.gateway_id]['amount'], 250000)
        self.assertEqual(payment.state, 'succeeded')
        self.assertEqual(booking.amount_paid, Decimal('2500.00'))
        self.assertEqual(booking.cancellation_fee, Decimal('2500.00'))

    @with_transaction()
    def test_repeated_cancel_refunds_once(self):
        """A second cancellation that read the booking before the first one
        was done refunds nothing again: it decides on the stored state"""
        Booking = Pool().get('photo.booking')
        stripe_gateway, _ = create_gateways()
        booking, payment = self._paid_booking(stripe_gateway)
        stale = Booking(booking.id)
        self.assertEqual(stale.state, 'confirmed')  # read before...

        with Transaction().set_context(_skip_warnings=True):
            # ...the client cancels late: half of it is kept as the fee...
            Booking.cancel_by_client(
                booking, now=booking.start - dt.timedelta(hours=2))
        # ...and the studio cancels on what it read before.
        stale._local_cache.refresh()
        stale._local_cache[stale.id]['state'] = 'confirmed'
        Booking.cancel([stale], by='studio')

        refund, = payment.refunds
        self.assertEqual(refund.amount, Decimal('2500.00'))
        self.assertEqual(booking.cancelled_by, 'client')
        self.assertEqual(
            [(h.from_state, h.to_state) for h in booking.history][-1],
            ('confirmed', 'cancelled'))

    @with_transaction()
    def test_early_client_cancel_full_refund(self):
        "A client cancelling in time gets everything back"
        Booking = Pool().get('photo.booking')
        stripe_gateway, _ = create_gateways()
        booking, payment = self._paid_booking(stripe_gateway)

        Booking.cancel_by_client(
            booking, now=booking.start - dt.timedelta(days=3))

        self.assertEqual(payment.state, 'refunded')
        self.assertEqual(payment.refunded_amount, Decimal('5000.00'))
        refund, = payment.refunds
        self.assertEqual(refund.reason, "Booking cancelled (Client).")

    @with_transaction()
    def test_refund_reason_names_who_cancelled(self):
        "Without a reason, the refund names who cancelled as the UI does"
        Booking = Pool().get('photo.booking')
        stripe_gateway, _ = create_gateways()
        booking, payment = self._paid_booking(stripe_gateway)

        Booking.cancel([booking], by='studio')

        refund, = payment.refunds
        self.assertEqual(refund.reason, "Booking cancelled (Studio).")

    @with_transaction()
    def test_studio_cancel_full_refund_yookassa(self):
        "The studio cancelling refunds the whole prepayment, with a receipt"
        Booking = Pool().get('photo.booking')
        _, yookassa_gateway = create_gateways()
        booking, payment = self._paid_booking(
            yookassa_gateway, percent=Decimal(30))

        Booking.cancel([booking], by='photographer', reason="Ill")

        refund, = payment.refunds
        self.assertEqual(refund.amount, Decimal('1500.00'))
        self.assertEqual(payment.state, 'refunded')
        remote = self.yookassa.refunds[refund.gateway_id]
        self.assertEqual(remote['amount'],
            {'value': '1500.00', 'currency': 'RUB'})
        item, = remote['receipt']['items']
        self.assertEqual(item['payment_mode'], 'partial_prepayment')
        self.assertEqual(refund.reason, "Ill")

    @with_transaction()
    def test_pending_refunds_tracked_to_the_end(self):
        "Refunds the gateway answers 'pending' are read again until final"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        stripe_gateway, yookassa_gateway = create_gateways()
        for gateway, fake, final in [
                (stripe_gateway, self.stripe, 'succeeded'),
                (yookassa_gateway, self.yookassa, 'canceled')]:
            booking, payment = self._paid_booking(gateway)
            fake.refund_status = 'pending'
            self.addCleanup(setattr, fake, 'refund_status', 'succeeded')

            Booking.cancel([booking], by='studio')

            refund, = payment.refunds
            self.assertEqual(refund.state, 'pending')
            Payment.reconcile()
            self.assertEqual(refund.state, 'pending')
            fake.refunds[refund.gateway_id]['status'] = final
            Payment.reconcile()
            if final == 'succeeded':
                self.assertEqual(refund.state, 'succeeded')
                self.assertEqual(payment.state, 'refunded')
            else:
                self.assertEqual(refund.state, 'cancelled')
                self.assertEqual(payment.state, 'succeeded')
                self.assertEqual(payment.refundable, Decimal('5000.00'))
                notification, = pool.get('res.notification').search([])
                self.assertIn(booking.number, notification.description)

    @with_transaction()
    def test_refund_kept_while_gateway_unreachable(self):
        """Stripe unreachable as the studio cancels: the cancellation holds,
        the refund waits as pending and the managers are told why, the
        connection error's lines on one"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Notification = pool.get('res.notification')
        stripe_gateway, _ = create_gateways()
        booking, payment = self._paid_booking(stripe_gateway)
        configure(self, stripe_api_base='http://127.0.0.1:9')  # refused

        Booking.cancel([booking], by='studio')

        refund, = payment.refunds
        self.assertEqual((booking.state, refund.state, refund.amount),
            ('cancelled', 'pending', Decimal('5000.00')))
        self.assertIn("Connection refused", refund.error)
        notified = Notification.search([('model', '=', refund.__name__)])
        self.assertTrue(notified)
        for notification in notified:
            self.assertIn(booking.number, notification.description)
            self.assertIn("Network error", notification.description)
            self.assertNotIn('\n', notification.description)

    @with_transaction()
    def test_manual_partial_refund(self):
        "A manager refunds part of a payment, never more than is left"
        pool = Pool()
        Payment = pool.get('photo.payment.transaction')
        Refund = pool.get('photo.payment.refund', type='wizard')
        stripe_gateway, _ = create_gateways()
        booking, payment = self._paid_booking(stripe_gateway)

        session_id, _, _ = Refund.create()
        wizard = Refund(session_id)
        with Transaction().set_context(
                active_model=Payment.__name__, active_id=payment.id,
                active_ids=[payment.id]):
            defaults = wizard.default_start(None)
            self.assertEqual(defaults['refundable'], Decimal('5000.00'))
            wizard.start.amount = Decimal('1000')
            wizard.start.reason = "Retouching was late"
            wizard.transition_refund()

        refund, = payment.refunds
        self.assertEqual((refund.amount, refund.reason, refund.state),
            (Decimal('1000'), "Retouching was late", 'succeeded'))
        self.assertEqual(payment.refundable, Decimal('4000.00'))
        with self.assertRaises(RefundError):
            Payment.refund(payment, Decimal('4000.01'), "Too much")
        Payment.refund(payment, Decimal('4000'), "The rest")
        self.assertEqual(payment.state, 'refunded')

    @with_transaction()
    def test_accounting(self):
        "A paid booking is a posted, paid invoice; a refund a credit note"
        from trytond.modules.company.tests import set_company
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        gateways = create_gateways()
        world = create_paid_world(percent=Decimal(100))
        company = create_accounting(world, gateways)
        with set_company(company):
            booking = hold(world)
            payment, = self.submit_paying(booking, gateways[0])
            self.stripe.succeed(payment.gateway_id)
            Payment.reconcile()

            self.assertEqual(booking.state, 'confirmed')
            invoice = payment.invoice
            self.assertEqual(
                (invoice.type, invoice.state, invoice.total_amount,
                    invoice.party, invoice.reference),
                ('out', 'paid', Decimal('5000.00'), world.client,
                    booking.number))
            self.assertEqual(invoice.lines[0].product, world.service.product)
            Payment.create_invoices([payment])
            self.assertEqual(payment.invoice, invoice)

            with Transaction().set_context(_skip_warnings=True):
                Booking.cancel_by_client(
                    booking, now=booking.start - dt.timedelta(hours=2))

            refund, = payment.refunds
            credit_note = refund.invoice
            self.assertEqual(
                (credit_note.state, credit_note.total_amount),
                ('paid', Decimal('-2500.00')))

    @with_transaction()
    def test_exports_match_transactions(self):
        "1C has every sale; Excel and IIF totals equal the transactions"
        import io
        import xml.etree.ElementTree as ET
        from openpyxl import load_workbook
        pool = Pool()
        Booking = pool.get('photo.booking')
        Payment = pool.get('photo.payment.transaction')
        Export = pool.get('photo.payment.export', type='wizard')
        stripe_gateway, yookassa_gateway = create_gateways()
        first, payment1 = self._paid_booking(stripe_gateway)
        second, payment2 = self._paid_booking(
            yookassa_gateway, percent=Decimal(30))
        Booking.cancel([second], by='studio')
        Payment.refund(payment1, Decimal('700'), "Discount")
        unpaid = hold(create_paid_world())
        self.submit_paying(unpaid, stripe_gateway)    # pending: not exported

        today = dt.date.today()
        start, end = (dt.datetime.combine(today, dt.time()),
            dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))
        moved = Payment.search([
                ('state', 'in', ['succeeded', 'refunded'])])
        paid = sum(t.amount for t in moved if t.kind == 'payment')
        refunded = sum(t.amount for t in moved if t.kind == 'refund')
        self.assertEqual((paid, refunded),
            (Decimal('6500.00'), Decimal('2200.00')))

        name, data = Payment.export('xlsx', start, end)
        self.assertTrue(name.endswith('.xlsx'))
        book = load_workbook(io.BytesIO(data))
        payments = list(book['Payments'].values)
        refunds = list(book['Refunds'].values)
        self.assertEqual(Decimal(str(payments[-1][7])), paid)
        self.assertEqual(Decimal(str(refunds[-1][7])), refunded)
        self.assertEqual(len(payments), 1 + 1 + 2 + 1)
        for sheet in ['By Photographer', 'By Service']:
            total = list(book[sheet].values)[-1]
            self.assertEqual(Decimal(str(total[4])), paid - refunded)

        _, data = Payment.export('1c', start, end)
        root = ET.fromstring(data)
        numbers = [d.findtext('{urn:1C.ru:commerceml_2}Номер')
            for d in root if d.findtext(
                '{urn:1C.ru:commerceml_2}ХозОперация') == 'Заказ товара']
        self.assertEqual(sorted(numbers), sorted([first.number, second.number]))
        self.assertEqual(len(root), 2 + 4)

        _, data = Payment.export('iif', start, end)
        amounts = [Decimal(line.split('\t')[6])
            for line in data.decode().splitlines()
            if line.startswith('TRNS\t')]
        self.assertEqual(sum(amounts), paid - refunded)

        session_id, _, _ = Export.create()
        wizard = Export(session_id)
        wizard.start.start_date = wizard.start.end_date = today
        wizard.start.format = '1c'
        self.assertEqual(wizard.transition_export(), 'result')
        self.assertTrue(wizard.result.filename.endswith('.xml'))
        self.assertEqual(wizard.default_result(None)['file'][:5], b'<?xml')

    @with_transaction()
    def test_promo_code(self):
        "A promo code takes its discount off the price and the prepayment"
        from trytond.modules.photo_payment.exceptions import PromoError
        pool = Pool()
        Booking = pool.get('photo.booking')
        Promo = pool.get('photo.payment.promo')
        stripe_gateway, _ = create_gateways()
        promo, = Promo.create([{
                    'code': ' spring10 ', 'discount': Decimal(10),
                    'max_uses': 1}])
        Promo.create([{
                    'code': 'OLD', 'discount': Decimal(50),
                    'valid_until': dt.date.today() - dt.timedelta(days=1)}])
        self.assertEqual(promo.code, 'SPRING10')
        world = create_paid_world()
        booking = hold(world)

        Booking.apply_promo(booking, 'Spring10')

        self.assertEqual(booking.price, Decimal('4500.00'))
        self.assertEqual(booking.promo, promo)
        self.assertEqual(promo.uses, 1)
        payment, = self.submit_paying(booking, stripe_gateway)
        self.assertEqual(payment.amount, Decimal('1350.00'))
        with self.assertRaises(PromoError):
            Booking.apply_promo(booking, 'SPRING10')     # not held any more
        other = hold(world, hour=14)
        for code in ['SPRING10', 'OLD', 'NOPE']:     # used up, expired, none
            with self.subTest(code=code), self.assertRaises(PromoError):
                Booking.apply_promo(other, code)
        self.assertEqual(other.price, Decimal('5000.00'))

    @with_transaction()
    def test_fixed_promo_code(self):
        "A fixed promo code takes its amount off, in its own currency only"
        from trytond.modules.photo_booking.tests.tools import get_currency
        from trytond.modules.photo_payment.exceptions import PromoError
        pool = Pool()
        Booking = pool.get('photo.booking')
        Promo = pool.get('photo.payment.promo')
        world = create_paid_world()
        Promo.create([{
                    'code': 'MINUS1000', 'kind': 'fixed',
                    'amount': Decimal(1000), 'currency': world.currency.id,
                    }, {
                    'code': 'EURO10', 'kind': 'fixed',
                    'amount': Decimal(10),
                    'currency': get_currency('EUR').id,
                    }])
        booking = hold(world)

        with self.assertRaises(PromoError):
            Booking.apply_code(booking, 'euro10')
        self.assertEqual(booking.price, Decimal('5000.00'))
        Booking.apply_code(booking, 'minus1000')

        self.assertEqual(booking.price, Decimal('4000.00'))
        self.assertEqual(booking.prepayment, Decimal('1200.00'))
        with self.assertRaises(UserError):
            Promo.create([{'code': 'NOAMOUNT', 'kind': 'fixed'}])

    @with_transaction()
    def test_erase_and_replace_client(self):
        """Merging clients moves their bookings with their payments; erasing
        one clears the receipts' contacts, amounts stay"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Party = pool.get('party.party')
        _, yookassa_gateway = create_gateways()
        booking, payment = self._paid_booking(yookassa_gateway)
        self.assertIn('anna@example.com', payment.receipt)
        # The gateway's payload is stored encrypted.
        table = type(payment).__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.receipt,
                where=table.id == payment.id))
        stored, = cursor.fetchone()
        self.assertTrue(stored.startswith('v1:'))
        self.assertNotIn('anna@', stored)
        Booking.do([booking])
        client, = Party.create([{'name': booking.client.name}])

        run_wizard('party.replace', source=booking.client,
            destination=client)
        booking = Booking(booking.id)
        self.assertEqual(booking.client, client)
        self.assertEqual(booking.transactions, (payment,))
        erase_party(client)

        payment = type(payment)(payment.id)
        self.assertIsNone(payment.receipt)
        self.assertEqual(payment.amount, Decimal('5000.00'))
        self.assertEqual(payment.state, 'succeeded')

    @with_transaction()
    def test_webhook_ledger_unique(self):
        "An event is recorded once per gateway"
        pool = Pool()
        Event = pool.get('photo.payment.event')
        stripe_gateway, yookassa_gateway = create_gateways()
        calls = []

        def handler():
            calls.append(1)
            return True
        for _ in range(2):
            stripe_gateway.handle_event('evt_1', 'x', handler)
        yookassa_gateway.handle_event('evt_1', 'x', handler)

        self.assertEqual(len(calls), 2)
        self.assertEqual(Event.search([], count=True), 2)

    @with_transaction()
    def test_missing_secret(self):
        "A gateway without its secret in the configuration says which key"
        from trytond.modules.photo_payment.exceptions import (
            GatewayConfigurationError)
        Booking = Pool().get('photo.booking')
        configure(self, stripe_secret_key='')
        stripe_gateway, _ = create_gateways()
        world = create_paid_world()
        booking = hold(world)
        with self.pay_with(stripe_gateway), \
                self.assertRaisesRegex(
                    GatewayConfigurationError, 'stripe_secret_key'):
            Booking.submit([booking])


del ModuleTestCase
