"""Local Stripe and YooKassa servers speaking their documented wire formats.

Each runs an http.server in a thread on a free port; tests point the SDKs
at it through the [photo_payment] settings and steer it: make the next
calls fail with 5xx or time out, settle payments, and sign events.

Each also serves the page where the client pays (Stripe Checkout's
session url, YooKassa's confirmation_url) with a Pay and a Cancel button,
as a browser sees it: paying settles the payment, sends the provider's
webhook (a Stripe event signed with the endpoint secret, a YooKassa
notification) to the app's webhook URL and sends the browser back to the
return URL.
"""
import base64
import hashlib
import hmac
import html
import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlsplit

import requests

logger = logging.getLogger(__name__)


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


class Page:
    """A browser's answer (HTML or a redirect) rather than JSON; its
    webhooks are sent, outside the fake's lock, before it is."""

    def __init__(self, body='', location=None, webhooks=()):
        self.body = body
        self.location = location
        self.webhooks = list(webhooks)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 2rem auto">
<h1>{title}</h1>
<p>{description}</p>
<p><strong data-amount>{amount}</strong></p>
{body}
</body></html>
"""


def page(title, description, amount, actions):
    "A hosted payment page with one form (button) per action."
    forms = ''.join(
        f'<form method="post" action="{html.escape(action)}">'
        f'<button type="submit">{html.escape(label)}</button></form>'
        for label, action in actions)
    return PAGE.format(
        title=html.escape(title), description=html.escape(description or ''),
        amount=html.escape(amount), body=forms)


class FakeServer:
    """Base: a threaded server whose handler calls self.handle.

    Webhooks go to webhook_url; with deliver off they wait in outbox until
    flush() (a late webhook). Those caused by API calls (expiring a session)
    always wait: the app is inside its own transaction then."""
    pages = ()      # path prefixes of the browser pages

    def __init__(self):
        self.requests = []
        self.fail_next = 0          # answer 500 to the next n requests
        self.slow_next = 0          # sleep past the client timeout
        self.slow_seconds = 1.5
        self.lock = threading.Lock()
        self.webhook_url = None
        self.deliver = True
        self.outbox = []            # webhooks not sent yet
        self.deliveries = []        # (webhook, HTTP status) sent
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length).decode() if length else ''
                is_page = self.path.startswith(fake.pages)
                with fake.lock:
                    fake.requests.append(
                        (self.command, self.path, dict(self.headers), body))
                    slow = fake.slow_next > 0 and not is_page
                    fake.slow_next -= slow
                    fail = not slow and fake.fail_next > 0 and not is_page
                    fake.fail_next -= fail
                if slow:
                    time.sleep(fake.slow_seconds)
                if fail:
                    status, payload = 500, fake.server_error()
                else:
                    with fake.lock:
                        if is_page:
                            status, payload = fake.page(
                                self.command, self.path, body)
                        else:
                            status, payload = fake.handle(
                                self.command, self.path, self.headers, body)
                headers = {}
                if isinstance(payload, Page):
                    for webhook in payload.webhooks:
                        fake.send_webhook(webhook)
                    data = payload.body.encode()
                    headers['Content-Type'] = 'text/html; charset=utf-8'
                    if payload.location:
                        headers['Location'] = payload.location
                else:
                    data = json.dumps(payload).encode()
                    headers['Content-Type'] = 'application/json'
                headers['Content-Length'] = str(len(data))
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
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

    def page(self, method, path, body):
        return 404, Page('Not found')

    # webhooks

    def post_webhook(self, webhook):
        "POST webhook (built by the subclass) to webhook_url: the status."
        raise NotImplementedError

    def send_webhook(self, webhook):
        if not self.deliver or not self.webhook_url:
            self.outbox.append(webhook)
            return
        try:
            status = self.post_webhook(webhook)
        except requests.RequestException as e:
            logger.warning("webhook to %s failed: %s", self.webhook_url, e)
            status = None
        self.deliveries.append((webhook, status))

    def flush(self):
        "Send the webhooks that wait (as the provider retries them)."
        outbox, self.outbox = self.outbox, []
        deliver, self.deliver = self.deliver, True
        try:
            for webhook in outbox:
                self.send_webhook(webhook)
        finally:
            self.deliver = deliver


class FakeStripe(FakeServer):
    """Checkout Sessions and their hosted page, PaymentIntents, refunds and
    idempotency keys as api.stripe.com and checkout.stripe.com.

    As Stripe does since API version 2022-08-01, a session's PaymentIntent
    is created only when the client pays (or tries to)."""
    pages = ('/c/pay/',)

    def __init__(self, secret_key='sk_test_fake', webhook_secret=None):
        super().__init__()
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.sessions = {}
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
                # https://docs.stripe.com/api/idempotent_requests
                sent, answer = self.idempotent[key]
                if sent != body:
                    return 400, {'error': {
                            'type': 'idempotency_error',
                            'message': (
                                "Keys for idempotent requests can only be "
                                "used with the same parameters they were "
                                "first used with.")}}
                return answer
        path, _, query = path.partition('?')
        params = unflatten(parse_qsl(query if method == 'GET' else body))
        answer = self.route(method, path, params)
        if method == 'POST' and key:
            self.idempotent[key] = (body, answer)
        return answer

    def route(self, method, path, params):
        if path.startswith('/v1/checkout/sessions'):
            return self.route_session(method, path, params)
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

    # https://docs.stripe.com/api/checkout/sessions

    @staticmethod
    def missing(kind):
        return 404, {'error': {
                'type': 'invalid_request_error',
                'code': 'resource_missing',
                'message': f"No such {kind}"}}

    def route_session(self, method, path, params):
        parts = path.split('/')     # '', v1, checkout, sessions, id, action
        if method == 'POST' and len(parts) == 4:
            return self.create_session(params)
        session = self.sessions.get(parts[4]) if len(parts) > 4 else None
        if not session:
            return self.missing('checkout.session')
        if method == 'GET' and len(parts) == 5:
            return 200, self.session_view(
                session, expand=params.get('expand', {}).values())
        if method == 'POST' and parts[5:] == ['expire']:
            if session['status'] != 'open':
                return 400, {'error': {
                        'type': 'invalid_request_error',
                        'message': (
                            "Only Checkout Sessions with a status in "
                            "[\"open\"] can be expired.")}}
            self.expire(session['id'], webhook=False)
            return 200, self.session_view(session)
        return 404, {'error': {
                'type': 'invalid_request_error',
                'message': f"Unrecognized request URL ({method}: {path})"}}

    def create_session(self, params):
        for name in ['mode', 'line_items', 'success_url']:
            if not params.get(name):
                return 400, {'error': {
                        'type': 'invalid_request_error',
                        'param': name,
                        'message': f"Missing required param: {name}."}}
        items = [params['line_items'][k]
            for k in sorted(params['line_items'], key=int)]
        amount = sum(int(i['price_data']['unit_amount'])
            * int(i.get('quantity', 1)) for i in items)
        session_id = f'cs_test_{uuid.uuid4().hex}'
        session = {
            'id': session_id,
            'object': 'checkout.session',
            'mode': params['mode'],
            'amount_subtotal': amount,
            'amount_total': amount,
            'currency': items[0]['price_data']['currency'],
            'line_items': items,
            'cancel_url': params.get('cancel_url'),
            'success_url': params['success_url'],
            'client_reference_id': params.get('client_reference_id'),
            'customer_email': params.get('customer_email'),
            'metadata': params.get('metadata', {}),
            'payment_intent_data': params.get('payment_intent_data', {}),
            'payment_intent': None,
            'payment_status': 'unpaid',
            'status': 'open',
            'created': int(time.time()),
            'expires_at': int(params.get('expires_at')
                or time.time() + 24 * 3600),
            'livemode': False,
            'url': f'{self.url}/c/pay/{session_id}',
            }
        self.sessions[session_id] = session
        return 200, self.session_view(session)

    def session_view(self, session, expand=()):
        view = {k: v for k, v in session.items()
            if k not in {'line_items', 'payment_intent_data'}}
        if not session['status'] == 'open':
            view['url'] = None
        if 'payment_intent' in expand and session['payment_intent']:
            view['payment_intent'] = self.intents[session['payment_intent']]
        return view

    def session_intent(self, session):
        "The session's PaymentIntent, made at the first attempt to pay."
        if not session['payment_intent']:
            data = session['payment_intent_data']
            intent_id = f'pi_{uuid.uuid4().hex[:24]}'
            self.intents[intent_id] = {
                'id': intent_id,
                'object': 'payment_intent',
                'amount': session['amount_total'],
                'amount_received': 0,
                'currency': session['currency'],
                'description': data.get('description'),
                'metadata': data.get('metadata', {}),
                'status': 'requires_payment_method',
                'client_secret': f'{intent_id}_secret_{uuid.uuid4().hex[:8]}',
                'last_payment_error': None,
                'livemode': False,
                'created': int(time.time()),
                'receipt_email': session.get('customer_email'),
                }
            session['payment_intent'] = intent_id
        return self.intents[session['payment_intent']]

    def intent_id(self, payment_id):
        "The PaymentIntent of a session id (or of an intent id: itself)."
        if payment_id in self.sessions:
            return self.session_intent(self.sessions[payment_id])['id']
        return payment_id

    # the hosted page, as the client's browser sees it

    def page(self, method, path, body):
        parts = path.split('?')[0].split('/')   # '', c, pay, id[, action]
        session = self.sessions.get(parts[3]) if len(parts) > 3 else None
        if not session:
            return 404, Page('No such checkout session')
        action = parts[4] if len(parts) > 4 else None
        if method == 'GET' and not action:
            if session['status'] != 'open':
                return 200, Page(page(
                        "Checkout", "This session is no longer available.",
                        '', []))
            item = session['line_items'][0]['price_data']
            amount = (f"{session['amount_total'] / 100:.2f} "
                f"{session['currency'].upper()}")
            return 200, Page(page(
                    "Checkout", item['product_data']['name'], amount, [
                        ("Pay", f'/c/pay/{session["id"]}/pay'),
                        ("Cancel", f'/c/pay/{session["id"]}/cancel'),
                        ]))
        if method == 'POST' and action == 'pay' \
                and session['status'] == 'open':
            events = self.complete(session['id'], webhook=False)
            return 303, Page(location=session['success_url'], webhooks=events)
        if method == 'POST' and action in {'pay', 'cancel'}:
            # Stripe's back link: the session stays open until it expires
            return 303, Page(location=session['cancel_url']
                or session['success_url'])
        return 405, Page('Method not allowed')

    # what happens at Stripe while the client pays

    def complete(self, session_id, webhook=True):
        """The client pays the session: its intent succeeds; the events
        payment_intent.succeeded and checkout.session.completed."""
        session = self.sessions[session_id]
        intent = self.session_intent(session)
        intent.update(
            status='succeeded', amount_received=intent['amount'],
            last_payment_error=None)
        session.update(status='complete', payment_status='paid')
        events = [
            self.signed('payment_intent.succeeded', intent),
            self.signed('checkout.session.completed',
                self.session_view(session)),
            ]
        if webhook:
            for event in events:
                self.send_webhook(event)
        return events

    def expire(self, session_id, webhook=True):
        "The session expires: checkout.session.expired (sent or kept)."
        session = self.sessions[session_id]
        session.update(status='expired')
        if session['payment_intent']:
            self.intents[session['payment_intent']].update(
                status='canceled', canceled_at=int(time.time()))
        event = self.signed(
            'checkout.session.expired', self.session_view(session))
        if webhook:
            self.send_webhook(event)
        else:
            self.outbox.append(event)
        return session

    def succeed(self, payment_id):
        "The client paid (the session, or the bare intent); no webhook."
        if payment_id in self.sessions:
            self.complete(payment_id, webhook=False)
            return self.session_view(self.sessions[payment_id])
        intent = self.intents[payment_id]
        intent.update(status='succeeded', amount_received=intent['amount'])
        return intent

    def fail(self, payment_id, message="Your card was declined."):
        """A card is declined; a session stays open for another card.
        Returns the intent, as payment_intent.payment_failed carries it."""
        if payment_id in self.sessions:
            intent = self.session_intent(self.sessions[payment_id])
        else:
            intent = self.intents[payment_id]
        intent.update(status='requires_payment_method', last_payment_error={
                'type': 'card_error', 'code': 'card_declined',
                'message': message})
        return intent

    def charge(self, payment_id):
        "The charge object of charge.refunded, with its refunded total."
        intent_id = self.intent_id(payment_id)
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

    def signed(self, event_type, obj):
        "An event as a webhook: its JSON payload, signed when sent."
        return json.dumps(self.event(event_type, json.loads(json.dumps(obj))))

    def post_webhook(self, payload):
        "As Stripe: the event JSON with Stripe-Signature (t=…,v1=HMAC)."
        response = requests.post(
            self.webhook_url, data=payload.encode(), timeout=30,
            headers={
                'Content-Type': 'application/json; charset=utf-8',
                'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
                'Stripe-Signature': sign_stripe(
                    payload, self.webhook_secret),
                })
        return response.status_code


class FakeYooKassa(FakeServer):
    """Payments (redirect confirmation, auto capture) and refunds, API v3,
    and the confirmation page the client is redirected to."""
    pages = ('/checkout/',)

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
                    # yoomoney.ru's page, here
                    'confirmation_url': (
                        f'{self.url}/checkout/payments/v2/contract'
                        f'?orderId={payment_id}'),
                    },
                'created_at': self.now(),
                'description': params.get('description'),
                'metadata': params.get('metadata', {}),
                'recipient': {'account_id': self.shop_id, 'gateway_id': '1'},
                'refundable': False,
                'test': True,
                'receipt': params.get('receipt'),
                '_return_url': params['confirmation'].get('return_url'),
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
        "What the API shows: no receipt, nothing of the fake's own."
        return {k: v for k, v in payment.items()
            if k != 'receipt' and not k.startswith('_')}

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

    def post_webhook(self, notification):
        "As YooKassa: the notification JSON (from this host, 127.0.0.1)."
        response = requests.post(
            self.webhook_url, json=notification, timeout=30)
        return response.status_code

    # the confirmation page, as the client's browser sees it

    def page(self, method, path, body):
        url = urlsplit(path)
        payment_id = parse_qs(url.query).get('orderId', [''])[0]
        payment = self.payments.get(payment_id)
        if not payment:
            return 404, Page('Payment not found')
        action = url.path.rsplit('/', 1)[1]
        if method == 'GET' and action == 'contract':
            if payment['status'] != 'pending':
                return 200, Page(page(
                        "YooMoney", "This payment is no longer available.",
                        '', []))
            return 200, Page(page(
                    "YooMoney", payment['description'],
                    f"{payment['amount']['value']} "
                    f"{payment['amount']['currency']}", [
                        ("Pay", f'/checkout/payments/v2/pay'
                            f'?orderId={payment_id}'),
                        ("Cancel", f'/checkout/payments/v2/cancel'
                            f'?orderId={payment_id}'),
                        ]))
        if method == 'POST' and action in {'pay', 'cancel'}:
            return_url = payment['_return_url']
            if payment['status'] != 'pending':
                return 303, Page(location=return_url)
            if action == 'pay':
                notification = self.notification(
                    'payment.succeeded', self.succeed(payment_id))
            else:
                notification = self.notification(
                    'payment.canceled', self.cancel(payment_id))
            return 303, Page(location=return_url, webhooks=[notification])
        return 405, Page('Method not allowed')
