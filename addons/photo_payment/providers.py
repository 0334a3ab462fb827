"""Stripe and YooKassa behind one small interface (no Tryton).

Both are reached through their official SDKs; the base URL, keys and
timeout are given by the caller, who reads them from the configuration at
call time. Errors become GatewayUnavailable (timeouts, connection errors,
429 and 5xx: try again later with the same idempotency key) or GatewayError
(the gateway refused: do not retry).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

import requests

__all__ = [
    'GatewayError', 'GatewayUnavailable', 'RemotePayment', 'RemoteRefund',
    'with_retries', 'StripeProvider', 'YooKassaProvider',
    'to_minor', 'from_minor',
    ]

logger = logging.getLogger(__name__)

PENDING, SUCCEEDED, FAILED, CANCELLED = (
    'pending', 'succeeded', 'failed', 'cancelled')


class GatewayError(Exception):
    "The gateway refused the request: retrying would not help."

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class GatewayUnavailable(GatewayError):
    "A timeout, connection error, 429 or 5xx: retry with the same key."


@dataclass(frozen=True)
class RemotePayment:
    id: str
    status: str     # pending, succeeded, failed or cancelled
    amount: Decimal
    currency: str
    # Where the client pays: YooKassa's confirmation_url or the url of
    # Stripe's Checkout Session (a bare PaymentIntent's client_secret).
    action: str | None = None
    error: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRefund:
    id: str
    status: str     # pending, succeeded, failed or cancelled
    amount: Decimal
    payment_id: str | None = None


def to_minor(amount: Decimal, digits: int) -> int:
    return int((Decimal(amount) * 10 ** digits).to_integral_value())


def from_minor(amount: int, digits: int) -> Decimal:
    return (Decimal(amount) / 10 ** digits).quantize(
        Decimal(1).scaleb(-digits))


def add_query(url, query):
    "url with query ('name=value') appended."
    if not url:
        return url
    return url + ('&' if '?' in url else '?') + query


def with_retries(
        call: Callable, attempts: int = 3, delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep):
    """Call call() up to attempts times while the gateway is unavailable,
    waiting delay, 2 × delay, 4 × delay … in between.

    The call must carry its idempotency key so that a request the gateway
    did receive before timing out is not executed twice."""
    attempts = max(attempts, 1)
    for attempt in range(attempts):
        try:
            return call()
        except GatewayUnavailable as exception:
            if attempt == attempts - 1:
                raise
            wait = delay * 2 ** attempt
            logger.info(
                "gateway unavailable (%s), retry %d/%d in %ss",
                exception, attempt + 1, attempts - 1, wait)
            sleep(wait)


# --- Stripe -----------------------------------------------------------------

STRIPE_STATUS = {
    'succeeded': SUCCEEDED,
    'canceled': CANCELLED,
    }


class StripeProvider:
    """Checkout Sessions (Stripe's hosted payment page), their
    PaymentIntents and refunds through stripe.StripeClient.

    A payment's id is its Checkout Session id (cs_…); ids of PaymentIntents
    (pi_…) made directly, as before Checkout, are still read, cancelled and
    refunded."""

    def __init__(self, secret_key, api_base, timeout=20):
        import stripe
        self._stripe = stripe
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={'api': api_base},
            max_network_retries=0,      # with_retries does it, with backoff
            http_client=stripe.RequestsClient(timeout=timeout))

    def _call(self, function, *args, **kwargs):
        stripe = self._stripe
        try:
            return function(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as e:
            raise GatewayUnavailable(str(e)) from e
        except stripe.StripeError as e:
            if (e.http_status or 0) >= 500:
                raise GatewayUnavailable(str(e), e.code) from e
            raise GatewayError(e.user_message or str(e), e.code) from e

    @staticmethod
    def is_session(payment_id):
        return (payment_id or '').startswith('cs_')

    def _payment(self, intent, digits):
        intent = intent.to_dict() if hasattr(intent, 'to_dict') else intent
        status = STRIPE_STATUS.get(intent['status'], PENDING)
        error = intent.get('last_payment_error')
        if status == PENDING and error:
            status = FAILED
        return RemotePayment(
            id=intent['id'], status=status,
            amount=from_minor(intent['amount'], digits),
            currency=intent['currency'].upper(),
            action=intent.get('client_secret'),
            error=error.get('message') if error else None,
            metadata=dict(intent.get('metadata') or {}))

    def _session(self, session, digits):
        """A Checkout Session as a payment: paid when complete and paid,
        cancelled when expired (failed if its last attempt was declined),
        pending while open: a declined card may still be replaced there."""
        session = session.to_dict()
        intent = session.get('payment_intent')
        error = None
        if isinstance(intent, dict):
            error = (intent.get('last_payment_error') or {}).get('message')
        if session['status'] == 'complete' \
                and session['payment_status'] in {
                    'paid', 'no_payment_required'}:
            status = SUCCEEDED
        elif session['status'] == 'expired':
            status = FAILED if error else CANCELLED
        else:
            status = PENDING
        return RemotePayment(
            id=session['id'], status=status,
            amount=from_minor(session['amount_total'], digits),
            currency=session['currency'].upper(),
            action=session.get('url') if session['status'] == 'open'
            else None,
            error=error,
            metadata=dict(session.get('metadata') or {}))

    def create_payment(
            self, amount, currency, digits, description, idempotency_key,
            metadata=None, receipt=None, return_url=None):
        """A Checkout Session of one line, amount, whose url is where the
        client pays; back at return_url (with cancelled=1 if they went
        back from Stripe without paying)."""
        metadata = {k: str(v) for k, v in (metadata or {}).items()}
        params = {
            'mode': 'payment',
            'line_items': [{
                    'quantity': 1,
                    'price_data': {
                        'currency': currency.lower(),
                        'unit_amount': to_minor(amount, digits),
                        'product_data': {'name': description[:250]},
                        },
                    }],
            'payment_intent_data': {
                'description': description,
                'metadata': metadata,
                },
            'metadata': metadata,
            'success_url': return_url,
            'cancel_url': add_query(return_url, 'cancelled=1'),
            }
        if metadata.get('transaction'):
            params['client_reference_id'] = metadata['transaction']
        if receipt and receipt.get('customer', {}).get('email'):
            params['customer_email'] = receipt['customer']['email']
        session = self._call(
            self.client.v1.checkout.sessions.create, params=params,
            options={
                'idempotency_key': f'checkout_session-{idempotency_key}'})
        return self._session(session, digits)

    def get_payment(self, payment_id, digits):
        if self.is_session(payment_id):
            session = self._call(
                self.client.v1.checkout.sessions.retrieve, payment_id,
                params={'expand': ['payment_intent']})
            return self._session(session, digits)
        intent = self._call(
            self.client.v1.payment_intents.retrieve, payment_id)
        return self._payment(intent, digits)

    def cancel_payment(self, payment_id, digits):
        """Expire the Checkout Session (or cancel the PaymentIntent) so that
        it cannot be paid any more.

        One that already completed (or expired) cannot be: it is returned
        as it stands, for the caller to act on its status."""
        if self.is_session(payment_id):
            try:
                session = self._call(
                    self.client.v1.checkout.sessions.expire, payment_id)
            except GatewayUnavailable:
                raise
            except GatewayError:
                # Only open sessions expire: tell how this one ended.
                remote = self.get_payment(payment_id, digits)
                if remote.status == PENDING:
                    raise
                return remote
            return self._session(session, digits)
        try:
            intent = self._call(
                self.client.v1.payment_intents.cancel, payment_id)
        except GatewayUnavailable:
            raise
        except GatewayError as e:
            if e.code != 'payment_intent_unexpected_state':
                raise
            return self.get_payment(payment_id, digits)
        return self._payment(intent, digits)

    def intent_of(self, payment_id):
        "The PaymentIntent id that the payment (a session) settled with."
        if not self.is_session(payment_id):
            return payment_id
        session = self._call(
            self.client.v1.checkout.sessions.retrieve, payment_id).to_dict()
        intent = session.get('payment_intent')
        if isinstance(intent, dict):
            intent = intent['id']
        if not intent:
            raise GatewayError(
                f"Checkout Session {payment_id} has no payment",
                'payment_intent_missing')
        return intent

    def refund(
            self, payment_id, amount, currency, digits, idempotency_key,
            receipt=None):
        refund = self._call(
            self.client.v1.refunds.create, params={
                'payment_intent': self.intent_of(payment_id),
                'amount': to_minor(amount, digits),
                },
            options={'idempotency_key': f'refund-{idempotency_key}'})
        return self._refund(refund, digits)

    def get_refund(self, refund_id, digits):
        refund = self._call(self.client.v1.refunds.retrieve, refund_id)
        return self._refund(refund, digits)

    def _refund(self, refund, digits):
        refund = refund.to_dict()
        status = {
            'succeeded': SUCCEEDED, 'failed': FAILED,
            'canceled': CANCELLED}.get(refund['status'], PENDING)
        return RemoteRefund(
            id=refund['id'], status=status,
            amount=from_minor(refund['amount'], digits),
            payment_id=refund.get('payment_intent'))


# --- YooKassa ---------------------------------------------------------------

YOOKASSA_STATUS = {
    'succeeded': SUCCEEDED,
    'canceled': CANCELLED,
    }
# The SDK keeps its credentials in class attributes: configure and call
# under one lock so that two gateways never mix their keys.
_yookassa_lock = threading.Lock()


def _yookassa_amount(amount, currency, digits):
    "An amount as YooKassa's API writes it."
    from .receipt import format_amount
    return {'value': format_amount(amount, digits), 'currency': currency}


def _yookassa_classes(timeout):
    "SDK Payment and Refund whose client times out and maps errors."
    from yookassa import Payment, Refund
    from yookassa.client import ApiClient
    from yookassa.domain.common import RequestObject

    class Client(ApiClient):
        def request(self, method='', path='', query_params=None,
                headers=None, body=None):
            # As ApiClient.request, but with a timeout: the SDK has none
            # and turns network errors into AttributeError.
            if isinstance(body, RequestObject):
                body.validate()
                body = dict(body)
            headers = self.prepare_request_headers(headers)
            try:
                response = requests.request(
                    method, self.endpoint + path, params=query_params,
                    headers=headers, json=body,
                    verify=self.configuration.verify, timeout=timeout)
            except requests.RequestException as e:
                raise GatewayUnavailable(str(e)) from e
            if response.status_code == 429 or response.status_code >= 500:
                raise GatewayUnavailable(
                    f"YooKassa answered {response.status_code}")
            if response.status_code != 200:
                try:
                    error = response.json()
                except ValueError:
                    error = {}
                raise GatewayError(
                    error.get('description')
                    or f"YooKassa answered {response.status_code}",
                    error.get('code'))
            return response.json()

    class TimedPayment(Payment):
        def __init__(self):
            self.client = Client()

    class TimedRefund(Refund):
        def __init__(self):
            self.client = Client()

    return TimedPayment, TimedRefund


class YooKassaProvider:
    "Payments with redirect confirmation, captured at once, and refunds."

    def __init__(self, shop_id, secret_key, api_url, timeout=20):
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.api_url = api_url
        self.timeout = timeout

    def _call(self, operation):
        from yookassa import Configuration
        with _yookassa_lock:
            Configuration.configure(
                self.shop_id, self.secret_key, api_url=self.api_url)
            Payment, Refund = _yookassa_classes(self.timeout)
            try:
                return operation(Payment, Refund)
            except (ValueError, TypeError) as e:
                # The SDK validates requests and responses
                raise GatewayError(str(e)) from e

    @staticmethod
    def _payment(payment):
        status = YOOKASSA_STATUS.get(payment.status, PENDING)
        confirmation = payment.confirmation
        error = None
        if status == CANCELLED and payment.cancellation_details:
            error = payment.cancellation_details.reason
        return RemotePayment(
            id=payment.id, status=status,
            amount=Decimal(str(payment.amount.value)),
            currency=payment.amount.currency,
            action=getattr(confirmation, 'confirmation_url', None)
            if confirmation else None,
            error=error,
            metadata=dict(payment.metadata or {}))

    def create_payment(
            self, amount, currency, digits, description, idempotency_key,
            metadata=None, receipt=None, return_url=None):
        params = {
            'amount': _yookassa_amount(amount, currency, digits),
            'capture': True,
            'confirmation': {
                'type': 'redirect',
                'return_url': return_url,
                },
            'description': description[:128],
            'metadata': {k: str(v) for k, v in (metadata or {}).items()},
            }
        if receipt:
            params['receipt'] = receipt
        payment = self._call(lambda Payment, Refund: Payment.create(
                params, idempotency_key=f'payment-{idempotency_key}'))
        return self._payment(payment)

    def get_payment(self, payment_id, digits=2):
        payment = self._call(
            lambda Payment, Refund: Payment.find_one(payment_id))
        return self._payment(payment)

    def cancel_payment(self, payment_id, digits=2):
        """The payment as it stands: YooKassa cancels by API only payments
        waiting_for_capture, and ours are captured at once, so a pending
        redirect payment cannot be cancelled. It expires at YooKassa (a
        late success is refunded by the caller)."""
        return self.get_payment(payment_id, digits)

    def refund(
            self, payment_id, amount, currency, digits, idempotency_key,
            receipt=None):
        params = {
            'payment_id': payment_id,
            'amount': _yookassa_amount(amount, currency, digits),
            }
        if receipt:
            params['receipt'] = receipt
        refund = self._call(lambda Payment, Refund: Refund.create(
                params, idempotency_key=f'refund-{idempotency_key}'))
        return self._refund(refund)

    def get_refund(self, refund_id, digits=2):
        refund = self._call(
            lambda Payment, Refund: Refund.find_one(refund_id))
        return self._refund(refund)

    @staticmethod
    def _refund(refund):
        status = {
            'succeeded': SUCCEEDED,
            'canceled': CANCELLED}.get(refund.status, PENDING)
        return RemoteRefund(
            id=refund.id, status=status,
            amount=Decimal(str(refund.amount.value)),
            payment_id=refund.payment_id)
