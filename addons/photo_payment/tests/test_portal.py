"The portal's pay step, codes at checkout and the cabinet's payments."
import datetime as dt
import json
import re
from decimal import Decimal
from http import HTTPStatus
from unittest.mock import patch
from zoneinfo import ZoneInfo

import trytond.config as config
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    relax_abuse_limits, set_config)
from trytond.modules.photo_payment import portal

from .prepaid_tools import sold_certificate
from .tools import (
    configure, create_gateways, create_paid_world, run_queued, start_fakes)

MOSCOW = ZoneInfo('Europe/Moscow')
CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
SLOT_RE = re.compile(r'name="start" value="([0-9T:-]+)"')
PAY_URL_RE = re.compile(r'data-pay-url="([^"]*)"')
PASSWORD = 'Correct-Horse-7-Battery'


def moscow_day(days):
    return dt.datetime.now(MOSCOW).date() + dt.timedelta(days=days)


class PaymentPortalTestCase(RouteTestCase):
    "The portal's pay step"
    module = 'photo_payment'
    extras = ['photo_portal']

    @classmethod
    def setUpClass(cls):
        for key, value in [
                ('portal_database', DB_NAME),
                ('redis_url', ''),
                ('rate_limit_booking', '1000/60'),
                ('rate_limit_code', '1000/60'),
                ('rate_limit_signup', '1000/60'),
                ]:
            set_config(cls.addClassCleanup, 'photo_booking', key, value)
        relax_abuse_limits(cls.addClassCleanup)
        super().setUpClass()
        start_fakes(cls)

    @classmethod
    def setUpDatabase(cls):
        Promo = Pool().get('photo.payment.promo')
        stripe, yookassa = create_gateways()
        world = create_paid_world(percent=Decimal(60))
        Promo.create([{'code': 'SPRING', 'discount': Decimal(10)}])
        cls.certificate = sold_certificate(world, Decimal(1000)).code
        cls.service, cls.studio = world.service.id, world.studio.id
        cls.photographer = world.photographer.id
        cls.gateways = {'stripe': stripe.id, 'yookassa': yookassa.id}

    def setUp(self):
        super().setUp()
        # No return_url: the gateway sends the client back to the portal.
        configure(self, return_url='', yookassa_networks='127.0.0.1/32')
        self.use('stripe')
        for patcher in [
                patch.object(portal, 'POLL_CHECK_INTERVAL', 0),
                # No mail server here
                patch('trytond.modules.photo_portal.book.send_mail'),
                ]:
            patcher.start()
            self.addCleanup(patcher.stop)

    # --- helpers ----------------------------------------------------------

    def use(self, kind):
        "Make kind the gateway new prepayments go through."
        with Transaction().start(DB_NAME, 0) as transaction:
            Gateway = Pool().get('photo.payment.gateway')
            for gateway in Gateway.search([]):
                gateway.sequence = 1 if gateway.kind == kind else 10
                gateway.save()
            transaction.commit()

    def client(self):
        client = super().client()
        client.environ_base = {'REMOTE_ADDR': '10.9.8.7'}
        client.get('/?lang=en')
        return client

    def csrf(self, client, path):
        response = client.get(path)
        return CSRF_RE.search(response.get_data(as_text=True)).group(1)

    def hold(self, client, days):
        "Hold the first free time days ahead: the details page's path."
        base = (f'/book?service={self.service}&photographer='
            f'{self.photographer}&studio={self.studio}')
        page = client.get(f'{base}&day={moscow_day(days).isoformat()}')
        start = SLOT_RE.search(page.get_data(as_text=True)).group(1)
        response = client.post('/book/hold', data={
                'csrf': self.csrf(client, base), 'service': self.service,
                'photographer': self.photographer, 'studio': self.studio,
                'start': start})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        return response.headers['Location'], start

    def submit(self, client, details, email='guest@example.com'):
        return client.post(details, data={
                'csrf': self.csrf(client, details), 'name': "Guest Client",
                'phone': '+7 900 123-45-67', 'email': email,
                'consent': 'yes'})

    def token(self, path):
        return re.search(r'[0-9a-f]{32}', path).group(0)

    def booking(self, token):
        "(state, price, [(kind, state, amount, gateway id)])"
        with Transaction().start(DB_NAME, 0, readonly=True):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', token)])
            return (booking.state, booking.price, [
                    (t.kind, t.state, t.amount, t.gateway_id)
                    for t in sorted(booking.transactions,
                        key=lambda t: t.id)])

    def pay_page(self, client, token, **args):
        query = '&'.join(f'{k}={v}' for k, v in args.items())
        return client.get(f'/booking/{token}/payment'
            + (f'?{query}' if query else ''))

    # --- tests ------------------------------------------------------------

    def test_details_show_prepayment_and_code_field(self):
        "A prepaid service's details page: due now, full price, code field"
        client = self.client()
        details, _ = self.hold(client, 3)

        page = client.get(details).get_data(as_text=True)

        self.assertIn('To pay now: RUB3,000', page)
        self.assertIn('a prepayment of 60 %', page)
        self.assertIn(
            'Full price RUB5,000; the rest, RUB2,000', page)
        self.assertIn(f'action="{details}/code"', page)
        self.assertIn('Promo or gift code', page)

    def test_promo_code(self):
        "A promo code lowers price and prepayment; a bad one is a 400"
        client = self.client()
        details, _ = self.hold(client, 4)
        token = self.token(details)

        bad = client.post(details + '/code', data={
                'csrf': self.csrf(client, details), 'code': 'NOPE'})

        self.assertEqual(bad.status_code, HTTPStatus.BAD_REQUEST)
        page = bad.get_data(as_text=True)
        self.assertIn('id="code-error"', page)
        self.assertIn('NOPE', page)
        self.assertIn('To pay now: RUB3,000', page)
        self.assertEqual(self.booking(token)[:2], ('hold', Decimal(5000)))

        good = client.post(details + '/code', data={
                'csrf': self.csrf(client, details), 'code': ' spring '})

        self.assertEqual(good.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(good.headers['Location'], details)
        page = client.get(details).get_data(as_text=True)
        self.assertIn('RUB4,500', page)
        self.assertIn('To pay now: RUB2,700', page)
        self.assertIn('Code SPRING applied: −10 %', page)

        response = self.submit(client, details)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        _, _, payments = self.booking(token)
        self.assertEqual([(k, s, a) for k, s, a, _ in payments],
            [('payment', 'pending', Decimal('2700.00'))])
        self.assertEqual(
            self.stripe.sessions[payments[0][3]]['amount_total'], 270000)

    def test_code_attempt_counted_once(self):
        "A code whose redemption restarts the transaction counts once"
        client = self.client()
        client.environ_base = {'REMOTE_ADDR': '10.9.8.6'}
        details, _ = self.hold(client, 6)
        config.set('photo_booking', 'rate_limit_code', '2/600')
        try:
            # Redeeming locks the certificate: trytond runs the route again.
            good = client.post(details + '/code', data={
                    'csrf': self.csrf(client, details),
                    'code': self.certificate})
            bad = client.post(details + '/code', data={
                    'csrf': self.csrf(client, details), 'code': 'NOPE'})
            third = client.post(details + '/code', data={
                    'csrf': self.csrf(client, details), 'code': 'NOPE'})
        finally:
            config.set('photo_booking', 'rate_limit_code', '1000/60')

        self.assertEqual(good.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(bad.status_code, HTTPStatus.BAD_REQUEST)
        self.assertEqual(third.status_code, HTTPStatus.TOO_MANY_REQUESTS)

    def test_yookassa_pay_and_return(self):
        "Details → the gateway; back at the return page, it reads the payment"
        self.use('yookassa')
        client = self.client()
        details, _ = self.hold(client, 5)
        token = self.token(details)

        response = self.submit(client, details)

        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(
            response.headers['Location'], f'/booking/{token}/payment?go=1')
        _, _, [(_, _, amount, yk_id)] = self.booking(token)
        self.assertEqual(amount, Decimal('3000.00'))
        remote = self.yookassa.payments[yk_id]
        self.assertEqual(remote['_return_url'],
            f'http://localhost/booking/{token}/payment')
        page = self.pay_page(client, token, go=1).get_data(as_text=True)
        self.assertIn('data-go="1"', page)
        self.assertEqual(PAY_URL_RE.search(page).group(1),
            remote['confirmation']['confirmation_url'])
        self.assertIn('RUB3,000', page)
        self.assertIn('Pay by', page)
        # Back from the gateway unpaid: the details page leads here again
        again = client.get(details)
        self.assertEqual(
            again.headers['Location'], f'/booking/{token}/payment')
        status = json.loads(client.get(
                f'/booking/{token}/payment/status').get_data(as_text=True))
        self.assertEqual(status, {'state': 'pending', 'booking': 'hold',
                'pay_url': remote['confirmation']['confirmation_url']})

        # Paid; no notification has come yet
        self.yookassa.succeed(yk_id)
        response = self.pay_page(client, token)

        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(response.headers['Location'], f'/booking/{token}')
        self.assertEqual(self.booking(token)[0], 'confirmed')
        page = client.get(f'/booking/{token}').get_data(as_text=True)
        self.assertIn('Booking confirmed', page)

    def test_stripe_checkout_cancel_frees_slot(self):
        "Back from Stripe Checkout without paying: the time is free again"
        client = self.client()
        details, start = self.hold(client, 6)
        token = self.token(details)
        self.submit(client, details)
        _, _, [(_, _, _, session_id)] = self.booking(token)
        session = self.stripe.sessions[session_id]
        self.assertEqual(
            (session['success_url'], session['cancel_url'],
                session['amount_total'], session['mode']),
            (f'http://localhost/booking/{token}/payment',
                f'http://localhost/booking/{token}/payment?cancelled=1',
                300000, 'payment'))
        page = self.pay_page(client, token).get_data(as_text=True)
        self.assertEqual(PAY_URL_RE.search(page).group(1), session['url'])

        response = self.pay_page(client, token, cancelled=1)

        page = response.get_data(as_text=True)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn('The payment was cancelled', page)
        self.assertIn('Choose another time', page)
        self.assertEqual(session['status'], 'expired')
        state, _, [(_, payment_state, _, _)] = self.booking(token)
        self.assertEqual((state, payment_state), ('cancelled', 'cancelled'))
        # The same time can be held again
        other = self.client()
        base = (f'/book?service={self.service}&photographer='
            f'{self.photographer}&studio={self.studio}')
        response = other.post('/book/hold', data={
                'csrf': self.csrf(other, base), 'service': self.service,
                'photographer': self.photographer, 'studio': self.studio,
                'start': start})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn('/book/details/', response.headers['Location'])

    def test_status_follows_the_gateway(self):
        "The poll reads the gateway: a declined card stays payable"
        client = self.client()
        details, _ = self.hold(client, 7)
        token = self.token(details)
        self.submit(client, details)
        _, _, [(_, _, _, session_id)] = self.booking(token)

        self.stripe.fail(session_id)
        status = json.loads(client.get(
                f'/booking/{token}/payment/status').get_data(as_text=True))
        self.assertEqual((status['state'], status['booking']),
            ('pending', 'hold'))
        page = self.pay_page(client, token).get_data(as_text=True)
        self.assertIn('Your card was declined.', page)

        self.stripe.succeed(session_id)
        status = json.loads(client.get(
                f'/booking/{token}/payment/status').get_data(as_text=True))
        self.assertEqual(status, {
                'state': 'succeeded', 'booking': 'confirmed',
                'pay_url': None})

    def test_cabinet_lists_payments_refunds_and_receipts(self):
        "The cabinet: a pay link while held, then payment, receipt, refund"
        self.use('yookassa')
        client = self.client()
        client.post('/account/signup', data={
                'csrf': self.csrf(client, '/account/signup'),
                'name': "Maria", 'email': 'maria@example.com',
                'phone': '+79001234567', 'password': PASSWORD,
                'consent': 'yes'})
        client.post('/account/login', data={
                'csrf': self.csrf(client, '/account/login'),
                'email': 'maria@example.com', 'password': PASSWORD})
        details, _ = self.hold(client, 1)
        token = self.token(details)
        self.submit(client, details, email='maria@example.com')

        cabinet = client.get('/account').get_data(as_text=True)
        self.assertIn(f'href="/booking/{token}/payment"', cabinet)
        self.assertIn('Awaiting payment', cabinet)

        _, _, [(_, _, _, yk_id)] = self.booking(token)
        self.yookassa.succeed(yk_id)
        self.pay_page(client, token)
        cabinet = client.get('/account').get_data(as_text=True)
        self.assertNotIn(f'href="/booking/{token}/payment"', cabinet)
        self.assertIn('Payment <strong>RUB3,000</strong>', cabinet)
        self.assertIn('Received', cabinet)
        self.assertIn('YooKassa', cabinet)
        self.assertIn('(Moscow time)', cabinet)
        self.assertIn('Receipt (54-FZ)', cabinet)
        self.assertIn('3000.00 RUB — Partial prepayment', cabinet)

        # A late cancellation keeps the fee (2 500) and refunds the rest
        with Transaction().start(DB_NAME, 0) as transaction:
            Booking = Pool().get('photo.booking')
            booking, = Booking.search([('token', '=', token)])
            with Transaction().set_context(_skip_warnings=True):
                Booking.cancel_by_client(
                    booking, now=booking.start - dt.timedelta(hours=1))
            run_queued()
            transaction.commit()
        cabinet = client.get('/account').get_data(as_text=True)
        self.assertIn('Refund <strong>RUB500</strong>', cabinet)
        self.assertIn('Completed', cabinet)

    def test_no_prepayment_keeps_the_flow(self):
        "A service without prepayment: no panel, confirmed at once"
        with Transaction().start(DB_NAME, 0) as transaction:
            Service = Pool().get('photo.service')
            Service.write([Service(self.service)],
                {'prepayment_percent': Decimal(0)})
            transaction.commit()
        try:
            client = self.client()
            details, _ = self.hold(client, 8)
            token = self.token(details)
            self.assertNotIn(
                'Promo or gift code', client.get(details).get_data(True))

            response = self.submit(client, details)

            self.assertEqual(response.headers['Location'], f'/booking/{token}')
            self.assertEqual(self.booking(token)[::2], ('confirmed', []))
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                Service = Pool().get('photo.service')
                Service.write([Service(self.service)],
                    {'prepayment_percent': Decimal(60)})
                transaction.commit()


del RouteTestCase
