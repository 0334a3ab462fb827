"Webhooks over HTTP: signed, replayed, forged and untrusted calls."
import json
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction
from trytond.modules.photo_booking.tests.cases import RouteTestCase

from .fakes import sign_stripe
from .tools import (
    STRIPE_WEBHOOK_SECRET, YOOKASSA_IP, configure, create_gateways,
    create_paid_world, hold, run_queued, start_fakes)


class PaymentRouteTestCase(RouteTestCase):
    "Gateway webhooks"
    module = 'photo_payment'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_fakes(cls)

    def setUp(self):
        super().setUp()
        configure(self, yookassa_networks='185.71.76.0/27, 2a02:5180::/32')

    def prepare(self, kind='stripe', percent=Decimal(30)):
        "A committed booking on hold with its pending payment at kind."
        with Transaction().start(DB_NAME, 1, context={}) as transaction:
            pool = Pool()
            Gateway = pool.get('photo.payment.gateway')
            Booking = pool.get('photo.booking')
            gateways = {g.kind: g for g in Gateway.search([])}
            if not gateways:
                gateways = {g.kind: g for g in create_gateways()}
            gateway = gateways[kind]
            world = create_paid_world(percent=percent)
            booking = hold(world)
            with Transaction().set_context(photo_payment_gateway=gateway.id):
                Booking.submit([booking])
            run_queued()
            payment, = booking.transactions
            ids = (booking.id, payment.id, payment.gateway_id,
                gateway.webhook_identifier)
            transaction.commit()
        return ids

    def read(self, booking_id, payment_id):
        with Transaction().start(DB_NAME, 1, readonly=True):
            pool = Pool()
            Booking = pool.get('photo.booking')
            Payment = pool.get('photo.payment.transaction')
            booking = Booking(booking_id)
            payment = Payment(payment_id)
            return (booking.state, payment.state,
                len(booking.history), len(payment.refunds))

    def events(self):
        with Transaction().start(DB_NAME, 1, readonly=True):
            Event = Pool().get('photo.payment.event')
            return [(e.event_id, e.result) for e in Event.search([])]

    def post_stripe(self, identifier, event, secret=STRIPE_WEBHOOK_SECRET,
            signature=None):
        payload = json.dumps(event)
        headers = {'Content-Type': 'application/json'}
        if signature is not False:
            headers['Stripe-Signature'] = signature or sign_stripe(
                payload, secret)
        return self.client().post(
            f'/{DB_NAME}/photo_payment/stripe/{identifier}',
            data=payload, headers=headers)

    def post_yookassa(self, identifier, notification, ip=YOOKASSA_IP):
        return self.client().post(
            f'/{DB_NAME}/photo_payment/yookassa/{identifier}',
            data=json.dumps(notification),
            headers={'Content-Type': 'application/json'},
            environ_base={'REMOTE_ADDR': ip})

    def test_stripe_succeeded_confirms_once(self):
        "checkout.session.completed confirms; its replay has no second effect"
        booking_id, payment_id, session_id, identifier = self.prepare()
        self.assertTrue(session_id.startswith('cs_'))
        event = self.stripe.event(
            'checkout.session.completed', self.stripe.succeed(session_id))

        response = self.post_stripe(identifier, event)

        self.assertEqual(response.status_code, 204)
        state = self.read(booking_id, payment_id)
        self.assertEqual(state[:2], ('confirmed', 'succeeded'))
        self.assertIn((event['id'], 'handled'), self.events())

        replay = self.post_stripe(identifier, event)

        self.assertEqual(replay.status_code, 204)
        self.assertEqual(self.read(booking_id, payment_id), state)
        self.assertEqual(
            [e for e in self.events() if e[0] == event['id']],
            [(event['id'], 'handled')])

        # The session's intent succeeding too: found by its metadata
        intent = self.stripe.intents[self.stripe.intent_id(session_id)]
        other = self.stripe.event('payment_intent.succeeded', intent)
        self.assertEqual(self.post_stripe(identifier, other).status_code, 204)
        self.assertEqual(self.read(booking_id, payment_id), state)
        self.assertIn((other['id'], 'handled'), self.events())

    def test_stripe_intent_succeeded_confirms(self):
        "payment_intent.succeeded of a session's intent confirms as well"
        booking_id, payment_id, session_id, identifier = self.prepare()
        self.stripe.succeed(session_id)
        intent = self.stripe.intents[self.stripe.intent_id(session_id)]

        response = self.post_stripe(identifier, self.stripe.event(
                'payment_intent.succeeded', intent))

        self.assertEqual(response.status_code, 204)
        self.assertEqual(
            self.read(booking_id, payment_id)[:2], ('confirmed', 'succeeded'))

    def test_stripe_forged_signature(self):
        "A forged, missing or stale signature is refused and changes nothing"
        booking_id, payment_id, session_id, identifier = self.prepare()
        event = self.stripe.event(
            'checkout.session.completed', self.stripe.succeed(session_id))
        before = self.read(booking_id, payment_id)

        for response in [
                self.post_stripe(identifier, event, secret='whsec_forged'),
                self.post_stripe(identifier, event, signature=False),
                self.post_stripe(identifier, event, signature=sign_stripe(
                        json.dumps(event), STRIPE_WEBHOOK_SECRET,
                        timestamp=1_000_000_000)),
                ]:
            self.assertEqual(response.status_code, 400)
        self.assertEqual(self.read(booking_id, payment_id), before)
        self.assertEqual(before[:2], ('hold', 'pending'))
        self.assertNotIn(event['id'], [e for e, _ in self.events()])

    def test_stripe_unknown_gateway_or_payment(self):
        "Unknown webhook URLs are 404; unknown intents 404 so Stripe retries"
        _, _, intent_id, identifier = self.prepare()
        event = self.stripe.event(
            'payment_intent.succeeded', {'id': 'pi_unknown', 'object':
                'payment_intent'})

        self.assertEqual(
            self.post_stripe('0' * 32, event).status_code, 404)
        self.assertEqual(self.post_stripe(identifier, event).status_code, 404)
        self.assertNotIn(event['id'], [e for e, _ in self.events()])

        other = self.stripe.event('customer.created', {'id': 'cus_1'})
        self.assertEqual(self.post_stripe(identifier, other).status_code, 204)
        self.assertIn((other['id'], 'ignored'), self.events())

    def test_stripe_payment_failed_frees_slot(self):
        """A declined card keeps the time (Checkout lets the client try
        another); checkout.session.expired releases the booking"""
        booking_id, payment_id, session_id, identifier = self.prepare()
        intent = self.stripe.fail(session_id)

        response = self.post_stripe(
            identifier,
            self.stripe.event('payment_intent.payment_failed', intent))

        self.assertEqual(response.status_code, 204)
        self.assertEqual(
            self.read(booking_id, payment_id)[:2], ('hold', 'pending'))

        session = self.stripe.expire(session_id, webhook=False)
        response = self.post_stripe(
            identifier, self.stripe.event('checkout.session.expired',
                self.stripe.session_view(session)))

        self.assertEqual(response.status_code, 204)
        self.assertEqual(
            self.read(booking_id, payment_id)[:2], ('cancelled', 'cancelled'))

    def test_stripe_charge_refunded(self):
        "charge.refunded settles our refund and records one made elsewhere"
        booking_id, payment_id, session_id, identifier = self.prepare(
            percent=Decimal(100))
        self.post_stripe(identifier, self.stripe.event(
                'checkout.session.completed',
                self.stripe.succeed(session_id)))
        intent_id = self.stripe.intent_id(session_id)
        # A refund made in the Stripe dashboard
        self.stripe.refunds['re_dashboard'] = {
            'id': 're_dashboard', 'object': 'refund', 'amount': 100000,
            'payment_intent': intent_id, 'status': 'succeeded'}
        event = self.stripe.event(
            'charge.refunded', self.stripe.charge(intent_id))

        for _ in range(2):
            response = self.post_stripe(identifier, event)
            self.assertEqual(response.status_code, 204)

        with Transaction().start(DB_NAME, 1, readonly=True):
            Payment = Pool().get('photo.payment.transaction')
            payment = Payment(payment_id)
            refund, = payment.refunds
            self.assertEqual((refund.amount, refund.state),
                (Decimal('1000.00'), 'succeeded'))
            self.assertEqual(payment.booking.amount_paid, Decimal('4000.00'))

    def test_yookassa_foreign_ip_ignored(self):
        "A notification from outside YooKassa's networks is refused"
        booking_id, payment_id, yk_id, identifier = self.prepare('yookassa')
        remote = self.yookassa.succeed(yk_id)

        response = self.post_yookassa(
            identifier,
            self.yookassa.notification('payment.succeeded', remote),
            ip='203.0.113.9')

        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.read(booking_id, payment_id)[:2], ('hold', 'pending'))

    def test_yookassa_unconfirmed_ignored(self):
        "A notification the API does not confirm is ignored"
        booking_id, payment_id, yk_id, identifier = self.prepare('yookassa')
        forged = dict(self.yookassa.public(self.yookassa.payments[yk_id]))
        forged.update(status='succeeded', paid=True)

        response = self.post_yookassa(
            identifier,
            self.yookassa.notification('payment.succeeded', forged))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            self.read(booking_id, payment_id)[:2], ('hold', 'pending'))
        self.assertEqual(
            len(self.yookassa.calls('GET', f'/v3/payments/{yk_id}')), 1)

    def test_yookassa_succeeded_confirms_once(self):
        "A confirmed notification confirms; its replay changes nothing"
        booking_id, payment_id, yk_id, identifier = self.prepare('yookassa')
        notification = self.yookassa.notification(
            'payment.succeeded', self.yookassa.succeed(yk_id))

        response = self.post_yookassa(identifier, notification)

        self.assertEqual(response.status_code, 204)
        state = self.read(booking_id, payment_id)
        self.assertEqual(state[:2], ('confirmed', 'succeeded'))

        self.assertEqual(
            self.post_yookassa(identifier, notification).status_code, 204)
        self.assertEqual(self.read(booking_id, payment_id), state)

    def test_yookassa_cancelled_frees_slot(self):
        "payment.canceled, confirmed by the API, releases the booking"
        booking_id, payment_id, yk_id, identifier = self.prepare('yookassa')
        notification = self.yookassa.notification(
            'payment.canceled', self.yookassa.cancel(yk_id))

        response = self.post_yookassa(identifier, notification)

        self.assertEqual(response.status_code, 204)
        self.assertEqual(
            self.read(booking_id, payment_id)[:2], ('cancelled', 'cancelled'))

    def test_yookassa_malformed(self):
        _, _, _, identifier = self.prepare('yookassa')
        response = self.client().post(
            f'/{DB_NAME}/photo_payment/yookassa/{identifier}',
            data='not json', environ_base={'REMOTE_ADDR': YOOKASSA_IP})
        self.assertEqual(response.status_code, 400)


    def test_openapi_describes_payment(self):
        "The API document served where payments are on describes them"
        from openapi_spec_validator import validate
        response = self.client().get(
            f'/{DB_NAME}/photo_booking/api/v1/openapi.json')
        self.assertEqual(response.status_code, 200)
        doc = response.get_json(force=True)
        payment = doc['components']['schemas']['Booking']['properties'][
            'payment']
        self.assertEqual(payment['required'],
            ['state', 'amount', 'currency', 'url'])
        validate(doc)


del RouteTestCase
