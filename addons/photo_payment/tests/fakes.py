"""Local Stripe and YooKassa servers speaking their documented wire formats.

Each runs an http.server in a thread on a free port; tests point the SDKs
at it through the [photo_payment] settings and steer it: make the next
calls fail with 5xx or time out, settle payments, and sign events.
"""
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def sign_stripe(payload, secret, timestamp=None):
    "The Stripe-Signature header Stripe sends with payload."
    timestamp = int(timestamp or time.time())
    signed = f'{timestamp}.{payload}'.encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f't={timestamp},v1={signature}'


def unflatten(pairs):
    "Stripe's form encoding a[b][c]=v back to nested dicts."
    result = {}
    for key, value in pairs:
        parts = key.replace(']', '').split('[')
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


class FakeServer:
    "Base: a threaded server whose handler calls self.handle."

    def __init__(self):
        self.requests = []
        self.fail_next = 0          # answer 500 to the next n requests
        self.slow_next = 0          # sleep past the client timeout
        self.slow_seconds = 1.5
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length).decode() if length else ''
                with fake.lock:
                    fake.requests.append(
                        (self.command, self.path, dict(self.headers), body))
                    slow = fake.slow_next > 0
                    fake.slow_next -= slow
                    fail = not slow and fake.fail_next > 0
                    fake.fail_next -= fail
                if slow:
                    time.sleep(fake.slow_seconds)
                if fail:
                    status, payload = 500, fake.server_error()
                else:
                    with fake.lock:
                        status, payload = fake.handle(
                            self.command, self.path, self.headers, body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header('Content-Type', 'application/json')
                    self.send_header('Content-Length', str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _serve

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address
        return f'http://{host}:{port}'

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method, prefix):
        return [r for r in self.requests
            if r[0] == method and r[1].startswith(prefix)]


class FakeStripe(FakeServer):
    "PaymentIntents, refunds and idempotency keys as api.stripe.com."

    def __init__(self, secret_key='sk_test_fake'):
        super().__init__()
        self.secret_key = secret_key
        self.intents = {}
        self.refunds = {}
        self.idempotent = {}
        self.refund_status = 'succeeded'

    def server_error(self):
        return {'error': {'type': 'api_error', 'message': "Fake outage"}}

    def handle(self, method, path, headers, body):
        if headers.get('Authorization') != f'Bearer {self.secret_key}':
            return 401, {'error': {
                    'type': 'invalid_request_error',
                    'message': "Invalid API Key provided"}}
        key = headers.get('Idempotency-Key')
        if method == 'POST' and key:
            if key in self.idempotent:
                return self.idempotent[key]
        params = unflatten(parse_qsl(body))
        answer = self.route(method, path.split('?')[0], params)
        if method == 'POST' and key:
            self.idempotent[key] = answer
        return answer

    def route(self, method, path, params):
        if method == 'POST' and path == '/v1/payment_intents':
            intent_id = f'pi_{uuid.uuid4().hex[:24]}'
            intent = {
                'id': intent_id,
                'object': 'payment_intent',
                'amount': int(params['amount']),
                'amount_received': 0,
                'currency': params['currency'],
                'description': params.get('description'),
                'metadata': params.get('metadata', {}),
                'status': 'requires_payment_method',
                'client_secret': f'{intent_id}_secret_{uuid.uuid4().hex[:8]}',
                'last_payment_error': None,
                'livemode': False,
                'created': int(time.time()),
                'receipt_email': params.get('receipt_email'),
                }
            self.intents[intent_id] = intent
            return 200, intent
        if method == 'GET' and path.startswith('/v1/payment_intents/'):
            intent = self.intents.get(path.rsplit('/', 1)[1])
            if not intent:
                return 404, {'error': {
                        'type': 'invalid_request_error',
                        'code': 'resource_missing',
                        'message': "No such payment_intent"}}
            return 200, intent
        if (method == 'POST' and path.startswith('/v1/payment_intents/')
                and path.endswith('/cancel')):
            # https://docs.stripe.com/api/payment_intents/cancel
            intent = self.intents.get(path.split('/')[3])
            if not intent:
                return 404, {'error': {
                        'type': 'invalid_request_error',
                        'code': 'resource_missing',
                        'message': "No such payment_intent"}}
            if intent['status'] in {'succeeded', 'canceled'}:
                return 400, {'error': {
                        'type': 'invalid_request_error',
                        'code': 'payment_intent_unexpected_state',
                        'message': (
                            "You cannot cancel this PaymentIntent because "
                            f"it has a status of {intent['status']}."),
                        'payment_intent': intent}}
            intent.update(
                status='canceled', canceled_at=int(time.time()),
                cancellation_reason=params.get('cancellation_reason'))
            return 200, intent
        if method == 'POST' and path == '/v1/refunds':
            intent = self.intents.get(params.get('payment_intent'))
            amount = int(params.get('amount') or intent['amount'])
            refunded = sum(r['amount'] for r in self.refunds.values()
                if r['payment_intent'] == intent['id'])
            if intent['status'] != 'succeeded' \
                    or refunded + amount > intent['amount']:
                return 400, {'error': {
                        'type': 'invalid_request_error',
                        'code': 'charge_already_refunded',
                        'message': "Refund exceeds the charge"}}
            refund = {
                'id': f're_{uuid.uuid4().hex[:24]}',
                'object': 'refund',
                'amount': amount,
                'currency': intent['currency'],
                'payment_intent': intent['id'],
                'status': self.refund_status,
                'created': int(time.time()),
                }
            self.refunds[refund['id']] = refund
            return 200, refund
        if method == 'GET' and path.startswith('/v1/refunds/'):
            refund = self.refunds.get(path.rsplit('/', 1)[1])
            if not refund:
                return 404, {'error': {
                        'type': 'invalid_request_error',
                        'code': 'resource_missing',
                        'message': "No such refund"}}
            return 200, refund
        return 404, {'error': {
                'type': 'invalid_request_error',
                'message': f"Unrecognized request URL ({method}: {path})"}}

    # what happens at Stripe while the client pays

    def succeed(self, intent_id):
        intent = self.intents[intent_id]
        intent.update(status='succeeded', amount_received=intent['amount'])
        return intent

    def fail(self, intent_id, message="Your card was declined."):
        intent = self.intents[intent_id]
        intent.update(status='requires_payment_method', last_payment_error={
                'type': 'card_error', 'code': 'card_declined',
                'message': message})
        return intent

    def charge(self, intent_id):
        "The charge object of charge.refunded, with its refunded total."
        intent = self.intents[intent_id]
        refunded = sum(r['amount'] for r in self.refunds.values()
            if r['payment_intent'] == intent_id)
        return {
            'id': f'ch_{intent_id[3:]}',
            'object': 'charge',
            'amount': intent['amount'],
            'amount_refunded': refunded,
            'currency': intent['currency'],
            'payment_intent': intent_id,
            'refunded': refunded == intent['amount'],
            }

    @staticmethod
    def event(event_type, obj, event_id=None):
        return {
            'id': event_id or f'evt_{uuid.uuid4().hex[:24]}',
            'object': 'event',
            'api_version': '2025-01-27.acacia',
            'created': int(time.time()),
            'type': event_type,
            'livemode': False,
            'pending_webhooks': 1,
            'data': {'object': obj},
            }


class FakeYooKassa(FakeServer):
    "Payments (redirect confirmation, auto capture) and refunds, API v3."

    def __init__(self, shop_id='123456', secret_key='test_fake'):
        super().__init__()
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.payments = {}
        self.refunds = {}
        self.idempotent = {}
        self.refund_status = 'succeeded'

    def server_error(self):
        return {
            'type': 'error', 'id': str(uuid.uuid4()),
            'code': 'internal_server_error',
            'description': "Internal server error"}

    @staticmethod
    def now():
        return time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime())

    def handle(self, method, path, headers, body):
        token = base64.b64encode(
            f'{self.shop_id}:{self.secret_key}'.encode()).decode()
        if headers.get('Authorization') != f'Basic {token}':
            return 401, {
                'type': 'error', 'id': str(uuid.uuid4()),
                'code': 'invalid_credentials',
                'description': "Login or password is incorrect"}
        key = headers.get('Idempotence-Key')
        if method == 'POST':
            if not key:
                return 400, {
                    'type': 'error', 'code': 'invalid_request',
                    'description': "Idempotence-Key header is missing"}
            if key in self.idempotent:
                return self.idempotent[key]
        params = json.loads(body) if body else {}
        answer = self.route(method, path.split('?')[0], params)
        if method == 'POST':
            self.idempotent[key] = answer
        return answer

    def route(self, method, path, params):
        if method == 'POST' and path == '/v3/payments':
            payment_id = str(uuid.uuid4())
            payment = {
                'id': payment_id,
                'status': 'pending',
                'paid': False,
                'amount': params['amount'],
                'confirmation': {
                    'type': 'redirect',
                    'return_url': params['confirmation'].get('return_url'),
                    'confirmation_url': (
                        'https://yoomoney.ru/checkout/payments/v2/contract'
                        f'?orderId={payment_id}'),
                    },
                'created_at': self.now(),
                'description': params.get('description'),
                'metadata': params.get('metadata', {}),
                'recipient': {'account_id': self.shop_id, 'gateway_id': '1'},
                'refundable': False,
                'test': True,
                'receipt': params.get('receipt'),
                }
            self.payments[payment_id] = payment
            return 200, self.public(payment)
        if method == 'GET' and path.startswith('/v3/payments/'):
            payment = self.payments.get(path.rsplit('/', 1)[1])
            if not payment:
                return 404, {
                    'type': 'error', 'code': 'not_found',
                    'description': "Payment not found"}
            return 200, self.public(payment)
        if method == 'POST' and path == '/v3/refunds':
            payment = self.payments[params['payment_id']]
            refund = {
                'id': str(uuid.uuid4()),
                'payment_id': payment['id'],
                'status': self.refund_status,
                'created_at': self.now(),
                'amount': params['amount'],
                'receipt': params.get('receipt'),
                }
            self.refunds[refund['id']] = refund
            return 200, self.public(refund)
        if method == 'GET' and path.startswith('/v3/refunds/'):
            refund = self.refunds.get(path.rsplit('/', 1)[1])
            if not refund:
                return 404, {
                    'type': 'error', 'code': 'not_found',
                    'description': "Refund not found"}
            return 200, self.public(refund)
        return 404, {
            'type': 'error', 'code': 'not_found',
            'description': f"{method} {path}"}

    @staticmethod
    def public(payment):
        return {k: v for k, v in payment.items() if k != 'receipt'}

    def succeed(self, payment_id):
        payment = self.payments[payment_id]
        payment.update(
            status='succeeded', paid=True, refundable=True,
            captured_at=self.now(),
            payment_method={
                'type': 'bank_card', 'id': str(uuid.uuid4()),
                'saved': False, 'title': 'Bank card *4444'})
        payment.pop('confirmation', None)
        return self.public(payment)

    def cancel(self, payment_id):
        payment = self.payments[payment_id]
        payment.update(status='canceled', cancellation_details={
                'party': 'yoo_money', 'reason': 'expired_on_confirmation'})
        payment.pop('confirmation', None)
        return self.public(payment)

    @staticmethod
    def notification(event, obj):
        return {'type': 'notification', 'event': event, 'object': obj}
