"""Gateway calls only for committed rows; released bookings cancel theirs.

Unlike test_module, these tests commit as requests and crons do and run
what they queued after the commit, so they see what the gateway sees when a
transaction rolls back, a process dies between the commit and the call, or
a booking is released while its payment is pending.
"""
import datetime as dt
from decimal import Decimal
from http import HTTPStatus

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction
from trytond.worker import run_task

from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    relax_abuse_limits, set_config)

from .tools import (
    YOOKASSA_IP, configure, create_gateways, create_paid_world, hold,
    start_fakes)


class Crash(Exception):
    "Something failing after the submit, before the commit."


class PaymentSafetyTestCase(RouteTestCase):
    "Gateway calls after the commit; released bookings cancel their payment"
    module = 'photo_payment'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_fakes(cls)

    @classmethod
    def setUpDatabase(cls):
        cls.gateways = {g.kind: g.id for g in create_gateways()}

    def setUp(self):
        super().setUp()
        configure(self)
        # The API as a client uses it, more often than its per-IP limit.
        set_config(self.addCleanup, 'photo_booking', 'rate_limit_api_write',
            '1000/60')
        relax_abuse_limits(self.addCleanup)

    def run_committed(self, function, kind='stripe', crash=False):
        """function() in a transaction committed as a request's, then what
        it queued for after the commit, unless the process crashes first."""
        with Transaction().start(DB_NAME, 0, context={
                    'photo_payment_gateway': self.gateways[kind],
                    }) as transaction:
            result = function()
        if crash:
            transaction.tasks.clear()
        while transaction.tasks:
            run_task(DB_NAME, transaction.tasks.pop())
        return result

    def cron(self, function):
        "A cron run: committed, then its queued tasks (as ir.cron does)."
        return self.run_committed(function)

    def held(self, kind='stripe'):
        "A committed hold of a prepaid service: (booking id, token)."
        def create():
            booking = hold(create_paid_world())
            return booking.id, booking.token
        return self.run_committed(create, kind)

    def submit(self, booking_id, kind='stripe', crash=False):
        "Submit the booking as a request: its payment's id and key."
        def submit():
            Booking = Pool().get('photo.booking')
            booking = Booking(booking_id)
            Booking.submit([booking])
            payment, = booking.transactions
            return payment.id, payment.idempotency_key
        return self.run_committed(submit, kind, crash=crash)

    def reconcile(self):
        self.cron(
            lambda: Pool().get('photo.payment.transaction').reconcile())

    def payment(self, payment_id):
        with Transaction().start(DB_NAME, 0, readonly=True):
            payment = Pool().get('photo.payment.transaction')(payment_id)
            return {
                'state': payment.state,
                'gateway_id': payment.gateway_id,
                'gateway_cancel': payment.gateway_cancel,
                'action_url': payment.action_url,
                'booking': payment.booking.state,
                'payment_url': payment.booking.payment_url,
                'refunds': [(r.state, r.amount, r.gateway_id)
                    for r in payment.refunds],
                }

    def remote(self, payment_id):
        "The payment as its gateway tells it, read as the app reads it."
        with Transaction().start(DB_NAME, 0, readonly=True):
            payment = Pool().get('photo.payment.transaction')(payment_id)
            return payment.gateway.provider().get_payment(
                payment.gateway_id, payment.currency.digits)

    def sent(self, key):
        """The idempotency keys of the calls made to fake Stripe for the
        transaction key, one per call: one key, one payment at most."""
        return [h['Idempotency-Key'] for _, _, h, _ in self.stripe.requests
            if h.get('Idempotency-Key', '').endswith(f'-{key}')]

    def paid_hold(self, kind='stripe'):
        "A committed booking whose payment is pending at the gateway."
        booking_id, token = self.held(kind)
        payment_id, key = self.submit(booking_id, kind)
        gateway_id = self.payment(payment_id)['gateway_id']
        self.assertTrue(gateway_id)
        return booking_id, token, payment_id, gateway_id

    def api(self, path, body=None):
        return self.client().post(
            f'/{DB_NAME}/photo_booking/api/v1/{path}', json=body or {})

    def test_rollback_leaves_no_payment(self):
        "A submit whose transaction rolls back creates nothing at the gateway"
        booking_id, _ = self.held()

        def submit_then_fail():
            Booking = Pool().get('photo.booking')
            booking = Booking(booking_id)
            Booking.submit([booking])
            payment, = booking.transactions
            self.key = payment.idempotency_key
            raise Crash
        with self.assertRaises(Crash):
            self.run_committed(submit_then_fail)
        # What the rolled back transaction queued may still be picked up
        while Transaction().tasks:
            run_task(DB_NAME, Transaction().tasks.pop())
        self.reconcile()

        self.assertEqual(self.sent(self.key), [])
        with Transaction().start(DB_NAME, 0, readonly=True):
            booking = Pool().get('photo.booking')(booking_id)
            self.assertEqual((booking.state, booking.transactions),
                ('hold', ()))

    def test_confirm_pays_after_commit(self):
        "Confirming over the API creates one payment, once committed"
        _, token = self.held()

        response = self.api(f'bookings/{token}/confirm')

        self.assertEqual(response.status_code, HTTPStatus.OK, response.data)
        self.assertEqual(response.json['state'], 'hold')
        # Answered before the commit: the URL comes with the next read
        self.assertEqual(response.json['payment'], {
                'state': 'pending', 'amount': '1500.00', 'currency': 'RUB',
                'url': None})
        read_again = self.client().get(
            f'/{DB_NAME}/photo_booking/api/v1/bookings/{token}').json
        with Transaction().start(DB_NAME, 0, readonly=True):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', token)])
            payment, = booking.transactions
            payment_id, key = payment.id, payment.idempotency_key
        self.assertEqual(len(self.sent(key)), 1)
        remote = self.remote(payment_id)
        self.assertEqual(
            (remote.status, remote.metadata['transaction']), ('pending', key))
        self.assertEqual(
            self.payment(payment_id)['payment_url'], remote.action)
        self.assertEqual(read_again['payment']['url'], remote.action)

        # Replayed confirmation, cron: nothing sent again
        self.api(f'bookings/{token}/confirm')
        self.reconcile()
        self.assertEqual(len(self.sent(key)), 1)

    def test_crash_after_commit_recovered_by_cron(self):
        "A process dying after the commit leaves the cron one payment to send"
        booking_id, _ = self.held()

        payment_id, key = self.submit(booking_id, crash=True)

        self.assertEqual(self.sent(key), [])
        self.assertEqual(self.payment(payment_id)['state'], 'pending')
        self.reconcile()
        self.assertEqual(len(self.sent(key)), 1)
        remote = self.remote(payment_id)
        self.assertEqual(remote.metadata['transaction'], key)
        self.assertEqual(self.payment(payment_id)['payment_url'], remote.action)
        self.reconcile()
        self.assertEqual(len(self.sent(key)), 1)

    def test_lost_answer_resent_with_same_key(self):
        "A send whose own commit fails is sent again: still one payment"
        booking_id, _ = self.held()
        payment_id, key = self.submit(booking_id, crash=True)

        def send_then_fail():
            Payment = Pool().get('photo.payment.transaction')
            Payment.send([Payment(payment_id)])
            raise Crash
        with self.assertRaises(Crash):
            self.run_committed(send_then_fail)
        self.assertEqual(len(self.sent(key)), 1)
        self.assertIsNone(self.payment(payment_id)['gateway_id'])

        self.reconcile()

        # Sent again under the same key: the gateway answers the same payment
        self.assertEqual(len(set(self.sent(key))), 1)
        self.assertEqual(len(self.sent(key)), 2)
        self.assertEqual(self.remote(payment_id).metadata['transaction'], key)

    def test_expired_hold_cancels_payment(self):
        "The hold expiring expires its Checkout Session at Stripe"
        booking_id, _, payment_id, remote_id = self.paid_hold()

        def release():
            Booking = Pool().get('photo.booking')
            Booking.release_expired_holds(
                now=dt.datetime.utcnow() + dt.timedelta(hours=1))
        self.cron(release)

        self.assertEqual(self.remote(payment_id).status, 'cancelled')
        payment = self.payment(payment_id)
        self.assertEqual(
            (payment['booking'], payment['state'], payment['gateway_cancel']),
            ('cancelled', 'cancelled', False))

    def test_client_cancel_cancels_payment(self):
        "A client cancelling a held booking over the API ends its payment"
        _, token, payment_id, remote_id = self.paid_hold()

        response = self.api(f'bookings/{token}/cancel')

        self.assertEqual(response.status_code, HTTPStatus.OK, response.data)
        self.assertEqual(response.json['state'], 'cancelled')
        self.assertEqual(self.remote(payment_id).status, 'cancelled')
        self.assertEqual(self.payment(payment_id)['state'], 'cancelled')

    def test_cancel_while_gateway_down(self):
        "Stripe down at the release: booking released, the cron cancels later"
        booking_id, _, payment_id, remote_id = self.paid_hold()
        self.stripe.fail_next = 3

        def cancel():
            Booking = Pool().get('photo.booking')
            Booking.cancel([Booking(booking_id)], by='studio')
        self.run_committed(cancel)

        payment = self.payment(payment_id)
        self.assertEqual(
            (payment['booking'], payment['state'], payment['gateway_cancel']),
            ('cancelled', 'cancelled', True))
        self.assertEqual(self.remote(payment_id).status, 'pending')

        self.reconcile()

        self.assertEqual(self.remote(payment_id).status, 'cancelled')
        self.assertFalse(self.payment(payment_id)['gateway_cancel'])

    def test_paid_just_before_cancel_refunded(self):
        "A payment made as the booking is released is refunded, not kept"
        booking_id, _, payment_id, remote_id = self.paid_hold()
        self.stripe.succeed(remote_id)     # its webhook is still on its way

        def cancel():
            Booking = Pool().get('photo.booking')
            Booking.cancel([Booking(booking_id)], by='studio')
        self.run_committed(cancel)

        payment = self.payment(payment_id)
        self.assertEqual((payment['booking'], payment['state']),
            ('cancelled', 'refunded'))
        (state, amount, refund_id), = payment['refunds']
        self.assertEqual((state, amount), ('succeeded', Decimal('1500.00')))
        self.assertEqual(self.stripe.refunds[refund_id]['amount'], 150000)

    def test_yookassa_late_success_refunded(self):
        "A YooKassa payment completed after the release is refunded"
        booking_id, token, payment_id, remote_id = self.paid_hold('yookassa')

        response = self.api(f'bookings/{token}/cancel')

        self.assertEqual(response.status_code, HTTPStatus.OK, response.data)
        # A pending redirect payment cannot be cancelled by the API
        self.assertEqual(self.yookassa.payments[remote_id]['status'], 'pending')
        self.assertEqual(self.payment(payment_id)['state'], 'cancelled')

        paid = self.yookassa.succeed(remote_id)
        with Transaction().start(DB_NAME, 0, readonly=True):
            identifier = Pool().get('photo.payment.gateway')(
                self.gateways['yookassa']).webhook_identifier
        response = self.client().post(
            f'/{DB_NAME}/photo_payment/yookassa/{identifier}',
            json=self.yookassa.notification('payment.succeeded', paid),
            environ_base={'REMOTE_ADDR': YOOKASSA_IP})

        self.assertLess(response.status_code, 300, response.data)
        payment = self.payment(payment_id)
        self.assertEqual((payment['booking'], payment['state']),
            ('cancelled', 'refunded'))
        (state, amount, refund_id), = payment['refunds']
        self.assertEqual((state, amount), ('succeeded', Decimal('1500.00')))
        refund = self.yookassa.refunds[refund_id]
        self.assertEqual((refund['payment_id'], refund['amount']),
            (remote_id, {'value': '1500.00', 'currency': 'RUB'}))


del RouteTestCase
