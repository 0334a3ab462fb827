"Payment gateways, the transactions sent through them and their events."
import datetime as dt
import ipaddress
import json
import logging
import uuid
from decimal import Decimal

from sql.functions import CurrentTimestamp

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.photo_booking.booking import serialise_writes
from trytond.modules.photo_booking.common import utc_now
from trytond.modules.photo_booking.display import MinuteTimesMixin
from trytond.modules.photo_booking.encryption import (
    EncryptedMixin, encrypted)
from trytond.modules.photo_booking.staff import notify_staff
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.url import http_host
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import providers, receipt
from .exceptions import GatewayConfigurationError, PaymentError, RefundError

logger = logging.getLogger(__name__)

SECTION = 'photo_payment'
# https://yookassa.ru/developers/using-api/webhooks#ip
YOOKASSA_NETWORKS = (
    '185.71.76.0/27, 185.71.77.0/27, 77.75.153.0/25, 77.75.156.11, '
    '77.75.156.35, 77.75.154.128/25, 2a02:5180::/32')
STATES = [
    ('pending', "Pending"),
    ('succeeded', "Succeeded"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ('refunded', "Refunded"),
    ]
KINDS = [
    ('payment', "Payment"),
    ('refund', "Refund"),
    ]


def setting(key, default=None):
    """A [photo_payment] setting, read at call time.

    Any key may come from the environment: TRYTOND_PHOTO_PAYMENT__<KEY>."""
    value = config.get(SECTION, key)
    return default if value in {None, ''} else value


class WebhookError(Exception):
    "A webhook call that must be refused: forged, malformed or untrusted."


class Gateway(DeactivableMixin, ModelSQL, ModelView):
    "Payment Gateway"
    __name__ = 'photo.payment.gateway'
    name = fields.Char("Name", required=True)
    code = fields.Char(
        "Code", required=True,
        help="Prefix of the gateway's secrets in the [photo_payment] "
        "configuration section, e.g. 'main' reads main_secret_key.")
    kind = fields.Selection([
            ('stripe', "Stripe"),
            ('yookassa', "YooKassa"),
            ], "Kind", required=True)
    sequence = fields.Integer("Sequence")
    webhook_identifier = fields.Char("Webhook Identifier", readonly=True)
    webhook_url = fields.Function(
        fields.Char("Webhook URL"), 'get_webhook_url')
    payment_timeout = fields.TimeDelta(
        "Payment Timeout", required=True,
        help="How long the time stays held while the client pays.")
    vat_code = fields.Integer(
        "VAT Code", required=True,
        help="YooKassa vat_code of receipt items (1: without VAT).")
    return_url = fields.Char(
        "Return URL",
        help="Where the gateway sends the client after paying; {token} "
        "and {number} stand for the booking's. Leave empty for the "
        "booking's payment page on the portal.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('webhook_identifier_unique', Unique(t, t.webhook_identifier),
                'photo_payment.msg_gateway_webhook_identifier_unique'),
            ]
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]

    @classmethod
    def default_payment_timeout(cls):
        return dt.timedelta(minutes=30)

    @classmethod
    def default_vat_code(cls):
        return 1

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('webhook_identifier'):
            values['webhook_identifier'] = uuid.uuid4().hex
        return values

    @classmethod
    def copy(cls, gateways, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('webhook_identifier', None)
        return super().copy(gateways, default=default)

    def get_webhook_url(self, name):
        database = Transaction().database.name
        return f'{http_host()}/{database}/photo_payment/{self.kind}/' \
            f'{self.webhook_identifier}'

    @classmethod
    def from_identifier(cls, identifier, kind):
        gateways = cls.search([
                ('webhook_identifier', '=', identifier),
                ('kind', '=', kind),
                ], limit=1)
        return gateways[0] if gateways else None

    @classmethod
    def get_default(cls):
        "The gateway new prepayments go through, None without any."
        gateway_id = Transaction().context.get('photo_payment_gateway')
        if gateway_id:
            return cls(gateway_id)
        gateways = cls.search([], limit=1)
        return gateways[0] if gateways else None

    def secret(self, name, required=True):
        value = setting(f'{self.code}_{name}')
        if required and not value:
            raise GatewayConfigurationError(gettext(
                    'photo_payment.msg_gateway_secret_missing',
                    gateway=self.rec_name, key=f'{self.code}_{name}'))
        return value

    def provider(self):
        timeout = float(setting('http_timeout', 20))
        if self.kind == 'stripe':
            return providers.StripeProvider(
                self.secret('secret_key'),
                setting('stripe_api_base', 'https://api.stripe.com'),
                timeout=timeout)
        return providers.YooKassaProvider(
            self.secret('shop_id'), self.secret('secret_key'),
            setting('yookassa_api_url', 'https://api.yookassa.ru/v3'),
            timeout=timeout)

    def call(self, method, *args, **kwargs):
        "Call the provider, retrying while it is unavailable."
        provider = self.provider()
        return providers.with_retries(
            lambda: getattr(provider, method)(*args, **kwargs),
            attempts=int(setting('retries', 3)),
            delay=float(setting('retry_delay', 1)))

    # --- webhooks ---------------------------------------------------------

    def verify_stripe(self, payload, signature):
        "The event if Stripe signed payload, else WebhookError."
        import stripe
        if not signature:
            raise WebhookError("missing Stripe-Signature")
        try:
            return stripe.Webhook.construct_event(
                payload, signature, self.secret('webhook_secret'))
        except (ValueError, stripe.SignatureVerificationError) as e:
            raise WebhookError(str(e)) from e

    def handle_event(self, event_id, event_type, handler):
        """Run handler once per event id.

        Returns True when already handled (a replay) or handled now, None
        when the type is not ours and False when its record is not known
        yet: then the event is not recorded, so a retry runs it again."""
        pool = Pool()
        Event = pool.get('photo.payment.event')
        if Event.search([
                    ('gateway', '=', self.id),
                    ('event_id', '=', event_id),
                    ], limit=1):
            logger.info("event %s already handled", event_id)
            return True
        result = handler()
        if result is not False:
            Event.create([{
                        'gateway': self.id,
                        'event_id': event_id,
                        'type': event_type,
                        'result': 'ignored' if result is None else 'handled',
                        }])
        return result

    def handle_stripe_event(self, event):
        event = event.to_dict()
        handler = getattr(
            self, 'stripe_' + event['type'].replace('.', '_'), None)
        if handler is None:
            logger.info("no handler for Stripe event %s", event['type'])
            return self.handle_event(
                event['id'], event['type'], lambda: None)
        obj = event['data']['object']
        return self.handle_event(
            event['id'], event['type'], lambda: handler(obj))

    def _find_transaction(self, gateway_id, kind='payment'):
        Transaction_ = Pool().get('photo.payment.transaction')
        transactions = Transaction_.search([
                ('gateway', '=', self.id),
                ('gateway_id', '=', gateway_id),
                ('kind', '=', kind),
                ], limit=1)
        return transactions[0] if transactions else None

    def _find_stripe_transaction(self, obj):
        """The payment of a Stripe object (Checkout Session or
        PaymentIntent): by its id, else by the transaction key its metadata
        carries (a session's PaymentIntent is made only when the client
        pays)."""
        Transaction_ = Pool().get('photo.payment.transaction')
        transaction = self._find_transaction(obj['id'])
        key = (obj.get('metadata') or {}).get('transaction')
        if not transaction and key:
            transactions = Transaction_.search([
                    ('gateway', '=', self.id),
                    ('idempotency_key', '=', key),
                    ('kind', '=', 'payment'),
                    ], limit=1)
            transaction = transactions[0] if transactions else None
        return transaction

    def _stripe_intent(self, obj, status):
        Transaction_ = Pool().get('photo.payment.transaction')
        transaction = self._find_stripe_transaction(obj)
        if not transaction:
            return False
        error = (obj.get('last_payment_error') or {}).get('message')
        if (status == providers.FAILED
                and providers.StripeProvider.is_session(
                    transaction.gateway_id)):
            # Checkout lets the client try another card: only the session
            # expiring ends the payment.
            if transaction.state == 'pending':
                Transaction_.write([transaction], {'error': error})
            return True
        Transaction_.apply_status([transaction], status, error=error)
        return True

    def stripe_payment_intent_succeeded(self, obj):
        return self._stripe_intent(obj, providers.SUCCEEDED)

    def stripe_payment_intent_payment_failed(self, obj):
        return self._stripe_intent(obj, providers.FAILED)

    def stripe_payment_intent_canceled(self, obj):
        return self._stripe_intent(obj, providers.CANCELLED)

    def _stripe_session(self, obj, status):
        Transaction_ = Pool().get('photo.payment.transaction')
        transaction = self._find_stripe_transaction(obj)
        if not transaction:
            return False
        if status is not None:
            Transaction_.apply_status([transaction], status)
        return True

    def stripe_checkout_session_completed(self, obj):
        "Paid at once (cards), or later (async methods): see below."
        return self._stripe_session(
            obj, providers.SUCCEEDED if obj.get('payment_status') in {
                'paid', 'no_payment_required'} else None)

    def stripe_checkout_session_async_payment_succeeded(self, obj):
        return self._stripe_session(obj, providers.SUCCEEDED)

    def stripe_checkout_session_async_payment_failed(self, obj):
        return self._stripe_session(obj, providers.FAILED)

    def stripe_checkout_session_expired(self, obj):
        return self._stripe_session(obj, providers.CANCELLED)

    def stripe_charge_refunded(self, obj):
        "Refunds done: ours succeed, others (dashboard) are recorded."
        Transaction_ = Pool().get('photo.payment.transaction')
        intent_id = obj.get('payment_intent')
        payment = self._find_transaction(intent_id)
        if not payment and intent_id:
            # Paid through Checkout: the intent names its transaction.
            try:
                intent = self.call('get_payment', intent_id, 2)
            except providers.GatewayError as e:
                logger.warning("cannot read %s: %s", intent_id, e)
                return False
            payment = self._find_stripe_transaction(
                {'id': intent_id, 'metadata': intent.metadata})
        if not payment:
            return False
        digits = payment.currency.digits
        refunded = providers.from_minor(obj['amount_refunded'], digits)
        Transaction_.refunds_settled(payment, refunded)
        return True

    def get_return_url(self, booking):
        """Where the client comes back from paying booking: the Return URL
        of the gateway (or the return_url setting), where {token} and
        {number} stand for the booking's, else the booking's payment page
        on the portal."""
        url = self.return_url or setting('return_url')
        if url:
            return url.replace('{token}', booking.token or '').replace(
                '{number}', booking.number or '')
        return f'{http_host()}/booking/{booking.token}/payment'

    def yookassa_trusts(self, address):
        networks = [n.strip() for n in setting(
                'yookassa_networks', YOOKASSA_NETWORKS).split(',')
            if n.strip()]
        try:
            address = ipaddress.ip_address(address or '')
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False)
            for n in networks)

    def handle_yookassa(self, notification):
        """Act on a notification only as the API confirms it: the payment is
        read again by its id and its status there is applied."""
        Transaction_ = Pool().get('photo.payment.transaction')
        try:
            event_type = notification['event']
            object_id = notification['object']['id']
        except (KeyError, TypeError) as e:
            raise WebhookError("malformed notification") from e
        if not event_type.startswith('payment.'):
            logger.info("no handler for YooKassa event %s", event_type)
            return None
        transaction = self._find_transaction(object_id)
        if not transaction:
            return False
        remote = self.call(
            'get_payment', object_id, transaction.currency.digits)
        if remote.status == providers.PENDING:
            # Not (yet) what the notification claims: keep it retryable.
            logger.warning(
                "YooKassa notification %s for %s not confirmed by the API",
                event_type, object_id)
            return None

        def handler():
            Transaction_.apply_status(
                [transaction], remote.status, error=remote.error)
            return True
        return self.handle_event(
            f'{event_type}:{object_id}:{remote.status}', event_type, handler)


class PaymentTransaction(
        MinuteTimesMixin, EncryptedMixin, Workflow, ModelSQL, ModelView):
    "Payment Transaction"
    __name__ = 'photo.payment.transaction'
    _rec_name = 'idempotency_key'
    _minute_times = frozenset({'created'})

    booking = fields.Many2One(
        'photo.booking', "Booking", required=True, readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True, readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    gateway = fields.Many2One(
        'photo.payment.gateway', "Gateway", required=True, readonly=True,
        ondelete='RESTRICT')
    gateway_id = fields.Char(
        "Gateway ID", readonly=True, strip=False,
        help="The payment or refund id at the gateway.")
    idempotency_key = fields.Char(
        "Idempotency Key", required=True, readonly=True, strip=False)
    # The gateway's payload of the client's e-mail, phone and items.
    receipt = encrypted(
        fields.Text("Receipt", readonly=True, help="54-FZ, as JSON."))
    created = fields.DateTime("Created", required=True, readonly=True)
    payment = fields.Many2One(
        'photo.payment.transaction', "Payment", readonly=True,
        ondelete='RESTRICT',
        domain=[('kind', '=', 'payment')],
        states={'invisible': Eval('kind') != 'refund'})
    refunds = fields.One2Many(
        'photo.payment.transaction', 'payment', "Refunds", readonly=True,
        states={'invisible': Eval('kind') != 'payment'})
    refunded_amount = fields.Function(
        fields.Numeric("Refunded", digits=(16, 2)), 'get_refunded_amount')
    reason = fields.Text("Reason", readonly=True)
    action_url = fields.Char(
        "Pay At", readonly=True, strip=False,
        help="Where the client completes the payment.")
    error = fields.Text("Error", readonly=True)
    attempts = fields.Integer("Failed Attempts", readonly=True)
    gateway_cancel = fields.Boolean(
        "Cancel at Gateway", readonly=True,
        help="Cancelled here and still to be cancelled at the gateway.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('idempotency_key_unique', Unique(t, t.idempotency_key),
                'photo_payment.msg_transaction_idempotency_key_unique'),
            ('gateway_id_unique', Unique(t, t.gateway, t.kind, t.gateway_id),
                'photo_payment.msg_transaction_gateway_id_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.booking, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'pending'),
                Index(t, (t.created, Index.Range())),
                })
        cls._order = [('created', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('pending', 'succeeded'),
            ('pending', 'failed'),
            ('pending', 'cancelled'),
            # The gateway has the last word: a payment released here may
            # still succeed there (it is then refunded, see Booking).
            ('failed', 'succeeded'),
            ('cancelled', 'succeeded'),
            ('succeeded', 'refunded'),
            }
        cls._buttons.update({
                'refund_wizard': {
                    'invisible': (
                        (Eval('kind') != 'payment')
                        | (Eval('state') != 'succeeded')),
                    'depends': ['kind', 'state'],
                    },
                'check': {
                    'invisible': Eval('state') != 'pending',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_kind(cls):
        return 'payment'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def default_gateway_cancel(cls):
        return False

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # One key per record: default methods run once per create call
            values.setdefault('idempotency_key', uuid.uuid4().hex)
            values.setdefault('created', utc_now())
        return values

    @classmethod
    def copy(cls, transactions, default=None):
        default = default.copy() if default is not None else {}
        for name in ['idempotency_key', 'gateway_id', 'created', 'refunds',
                'action_url', 'error']:
            default.setdefault(name, None)
        default.setdefault('gateway_cancel', False)
        default.setdefault('state', 'pending')
        return super().copy(transactions, default=default)

    @classmethod
    def get_refunded_amount(cls, transactions, name):
        amounts = {}
        for transaction in transactions:
            amounts[transaction.id] = sum(
                (r.amount for r in transaction.refunds
                    if r.state == 'succeeded'), Decimal(0))
        return amounts

    @property
    def refundable(self):
        "What may still be refunded: succeeded minus pending/done refunds."
        if self.kind != 'payment' or self.state != 'succeeded':
            return Decimal(0)
        return self.amount - sum(
            (r.amount for r in self.refunds
                if r.state in {'pending', 'succeeded'}), Decimal(0))

    @property
    def receipt_data(self):
        return json.loads(self.receipt) if self.receipt else None

    @property
    def paid_through(self):
        "What moved the money, as exports name it."
        return self.gateway.rec_name if self.gateway else ''

    # --- payments ---------------------------------------------------------

    @classmethod
    def create_payment(cls, booking, amount, gateway, delivered=False):
        """A pending payment of amount for booking, sent to gateway once
        committed.

        The gateway is called only after the commit (by the queue): a
        transaction that rolls back leaves no payment the client could pay
        at the gateway. If the call never happens (a crash after the
        commit), the reconciliation cron sends the row with its idempotency
        key, so the gateway holds at most one payment per row."""
        customer = receipt.Customer(
            email=booking.email or booking.client.email,
            phone=booking.phone or booking.client.phone)
        try:
            data = receipt.payment_receipt(
                customer, booking.receipt_description, amount, booking.price,
                booking.currency.code, vat_code=gateway.vat_code,
                delivered=delivered, digits=booking.currency.digits)
        except receipt.ReceiptError as e:
            raise PaymentError(gettext(
                    'photo_payment.msg_receipt_invalid',
                    booking=booking.rec_name, error=str(e))) from e
        gateway.provider()  # missing secrets fail now, not after the commit
        transaction, = cls.create([{
                    'booking': booking.id,
                    'kind': 'payment',
                    'amount': amount,
                    'currency': booking.currency.id,
                    'gateway': gateway.id,
                    'receipt': json.dumps(data, ensure_ascii=False),
                    }])
        cls.__queue__.send([transaction])
        return transaction

    @classmethod
    def send(cls, transactions):
        """Create the payments at their gateways.

        A gateway that stays unavailable after the retries leaves the
        payment pending for the reconciliation cron, which sends it again
        with the same idempotency key; the manager is told."""
        for transaction in transactions:
            if (transaction.kind != 'payment'
                    or transaction.state != 'pending'
                    or transaction.gateway_id):
                continue
            booking = transaction.booking
            try:
                remote = transaction.gateway.call(
                    'create_payment', transaction.amount,
                    transaction.currency.code, transaction.currency.digits,
                    booking.receipt_description,
                    transaction.idempotency_key,
                    metadata={
                        'booking': booking.number,
                        'transaction': transaction.idempotency_key,
                        },
                    receipt=transaction.receipt_data,
                    return_url=transaction.gateway.get_return_url(booking))
            except providers.GatewayUnavailable as e:
                transaction.unavailable(e)
                continue
            except providers.GatewayError as e:
                cls.write([transaction], {'error': str(e)})
                cls.fail([transaction])
                continue
            cls.write([transaction], {
                    'gateway_id': remote.id,
                    'action_url': remote.action,
                    'error': None,
                    })
            cls.apply_status([transaction], remote.status, error=remote.error)

    def unavailable(self, exception):
        "Count a failed attempt and tell the managers."
        logger.warning(
            "gateway %s unavailable for %s: %s", self.gateway.rec_name,
            self.rec_name, exception)
        self.attempts = (self.attempts or 0) + 1
        self.error = str(exception)
        self.save()
        self.notify_managers(gettext(
                'photo_payment.msg_gateway_unavailable',
                gateway=self.gateway.rec_name,
                booking=self.booking.rec_name,
                attempts=int(setting('retries', 3)), error=str(exception)))

    def notify_managers(self, description):
        "Tell the studio's managers of payment trouble with this transaction."
        notify_staff([self], gettext('photo_payment.msg_payment_trouble'),
            description)

    @classmethod
    def apply_status(cls, transactions, status, error=None):
        "Move transactions to the gateway's status; a replay changes nothing."
        if error:
            cls.write([t for t in transactions if t.state == 'pending'], {
                    'error': error})
        if status == providers.SUCCEEDED:
            cls.succeed(transactions)
        elif status in {providers.FAILED, providers.CANCELLED}:
            refunds = [t for t in transactions
                if t.kind == 'refund' and t.state == 'pending']
            if status == providers.FAILED:
                cls.fail(transactions)
            else:
                cls.cancel(transactions)
            for refund in refunds:
                refund.notify_managers(gettext(
                        'photo_payment.msg_refund_failed',
                        booking=refund.booking.rec_name,
                        error=error or status))

    @classmethod
    @Workflow.transition('succeeded')
    def succeed(cls, transactions):
        Booking = Pool().get('photo.booking')
        payments = [t for t in transactions if t.kind == 'payment']
        refunds = [t for t in transactions if t.kind == 'refund']
        # The transition writes the state after this method: write it now so
        # the booking sees what is paid.
        cls.write(transactions, {'state': 'succeeded'})
        if payments:
            Booking.payment_received(list({t.booking for t in payments}))
        if refunds:
            cls._mark_refunded({r.payment for r in refunds})

    @classmethod
    @Workflow.transition('failed')
    def fail(cls, transactions):
        cls.write(transactions, {'state': 'failed'})
        cls._release(transactions)

    @classmethod
    @Workflow.transition('cancelled')
    def cancel(cls, transactions):
        cls.write(transactions, {'state': 'cancelled'})
        cls._release(transactions)

    @classmethod
    def _release(cls, transactions):
        Booking = Pool().get('photo.booking')
        bookings = {t.booking for t in transactions if t.kind == 'payment'}
        if bookings:
            Booking.payment_lost(list(bookings))

    @classmethod
    def withdraw(cls, transactions):
        """Cancel pending payments here and, once committed, at their
        gateway, so that the client cannot pay a released booking."""
        payments = [t for t in transactions
            if t.kind == 'payment' and t.state == 'pending']
        cls.write([p for p in payments if p.gateway_id], {
                'gateway_cancel': True,
                })
        cls.cancel(payments)
        cls.__queue__.cancel_at_gateway(payments)

    @classmethod
    def cancel_at_gateway(cls, transactions):
        """Cancel at the gateway the payments withdrawn here.

        Stripe expires the Checkout Session (cancels a bare PaymentIntent).
        YooKassa cancels by API only
        payments waiting_for_capture, never a pending redirect payment
        (ours are captured at once): it expires there by itself, and a
        payment the client still completes is refunded like any other that
        the gateway reports after the release (Booking.payment_received).
        A gateway that stays unavailable leaves the row to the
        reconciliation cron; the booking is released anyway."""
        for transaction in transactions:
            if not transaction.gateway_cancel:
                continue
            try:
                remote = transaction.gateway.call(
                    'cancel_payment', transaction.gateway_id,
                    transaction.currency.digits)
            except providers.GatewayUnavailable as e:
                transaction.unavailable(e)
                continue
            except providers.GatewayError as e:
                # Refused: asking again would not help
                cls.write([transaction], {
                        'gateway_cancel': False,
                        'error': str(e),
                        })
                transaction.notify_managers(gettext(
                        'photo_payment.msg_gateway_cancel_refused',
                        gateway=transaction.gateway.rec_name,
                        booking=transaction.booking.rec_name, error=str(e)))
                continue
            cls.write([transaction], {'gateway_cancel': False})
            cls.apply_status([transaction], remote.status, error=remote.error)

    @classmethod
    @Workflow.transition('refunded')
    def refunded(cls, transactions):
        pass

    @classmethod
    def _mark_refunded(cls, payments):
        cls.refunded([p for p in payments
                if p.state == 'succeeded'
                and p.refunded_amount >= p.amount])

    # --- refunds ----------------------------------------------------------

    @classmethod
    def refund(cls, payment, amount, reason=None):
        "Give amount of the succeeded payment back to the client."
        cls._claim_for_refund(payment)
        amount = Decimal(amount)
        if amount <= 0 or amount > payment.refundable:
            raise RefundError(gettext(
                    'photo_payment.msg_refund_amount',
                    amount=amount, refundable=payment.refundable))
        booking = payment.booking
        mode = receipt.PARTIAL_PREPAYMENT
        if payment.receipt_data:
            mode = payment.receipt_data['items'][0]['payment_mode']
        try:
            data = receipt.refund_receipt(
                receipt.Customer(**payment.receipt_data['customer'])
                if payment.receipt_data else receipt.Customer(
                    booking.email, booking.phone),
                booking.receipt_description, amount, payment.currency.code,
                mode, vat_code=payment.gateway.vat_code,
                digits=payment.currency.digits)
        except receipt.ReceiptError as e:
            raise RefundError(gettext(
                    'photo_payment.msg_receipt_invalid',
                    booking=booking.rec_name, error=str(e))) from e
        refund, = cls.create([{
                    'booking': booking.id,
                    'kind': 'refund',
                    'payment': payment.id,
                    'amount': amount,
                    'currency': payment.currency.id,
                    'gateway': payment.gateway.id,
                    'reason': reason,
                    'receipt': json.dumps(data, ensure_ascii=False),
                    }])
        cls.send_refunds([refund])
        return refund

    @classmethod
    def _claim_for_refund(cls, payment):
        """Make what is left to refund of payment this transaction's to
        decide, whichever path refunds (a cancellation, the wizard).
        SQLite: its write lock. PostgreSQL: an UPDATE of the payment's row,
        which waits for a refund in progress and fails as a serialization
        error (the request runs again and sees it) if one committed since
        this transaction's snapshot: a lock alone would not."""
        serialise_writes()
        if backend.name == 'postgresql':
            table = cls.__table__()
            Transaction().connection.cursor().execute(*table.update(
                    [table.write_date], [CurrentTimestamp()],
                    where=table.id == payment.id))

    @classmethod
    def send_refunds(cls, refunds):
        for refund in refunds:
            if (refund.kind != 'refund' or refund.state != 'pending'
                    or refund.gateway_id):
                continue
            try:
                remote = refund.gateway.call(
                    'refund', refund.payment.gateway_id, refund.amount,
                    refund.currency.code, refund.currency.digits,
                    refund.idempotency_key, receipt=refund.receipt_data)
            except providers.GatewayUnavailable as e:
                refund.unavailable(e)
                continue
            except providers.GatewayError as e:
                cls.write([refund], {'error': str(e)})
                cls.fail([refund])
                refund.notify_managers(gettext(
                        'photo_payment.msg_refund_failed',
                        booking=refund.booking.rec_name, error=str(e)))
                continue
            cls.write([refund], {'gateway_id': remote.id, 'error': None})
            cls.apply_status([refund], remote.status)

    @classmethod
    def refunds_settled(cls, payment, refunded):
        """The gateway reports refunded in total for payment: our pending
        refunds within it succeed, any excess (made elsewhere) is recorded."""
        done = sum((r.amount for r in payment.refunds
                if r.state == 'succeeded'), Decimal(0))
        settled = []
        for refund in sorted(payment.refunds, key=lambda r: r.id):
            if refund.state == 'pending' and done + refund.amount <= refunded:
                done += refund.amount
                settled.append(refund)
        if settled:
            cls.succeed(settled)
        if refunded > done:
            extra, = cls.create([{
                        'booking': payment.booking.id,
                        'kind': 'refund',
                        'payment': payment.id,
                        'amount': refunded - done,
                        'currency': payment.currency.id,
                        'gateway': payment.gateway.id,
                        'reason': gettext(
                            'photo_payment.msg_refund_external'),
                        }])
            cls.succeed([extra])

    # --- reconciliation ---------------------------------------------------

    @classmethod
    def reconcile(cls, transactions=None):
        """Cron: send what could not be sent, cancel at the gateway what
        could not be cancelled there, and read again pending payments and
        refunds whose webhook did not arrive."""
        if transactions is None:
            transactions = cls.search(['OR',
                    ('state', '=', 'pending'),
                    ('gateway_cancel', '=', True),
                    ])
        cls.cancel_at_gateway(transactions)
        unsent_payments = [t for t in transactions
            if not t.gateway_id and t.kind == 'payment']
        unsent_refunds = [t for t in transactions
            if not t.gateway_id and t.kind == 'refund']
        cls.send(unsent_payments)
        cls.send_refunds(unsent_refunds)
        for transaction in transactions:
            if not transaction.gateway_id or transaction.state != 'pending':
                continue
            try:
                remote = transaction.gateway.call(
                    'get_payment' if transaction.kind == 'payment'
                    else 'get_refund', transaction.gateway_id,
                    transaction.currency.digits)
            except providers.GatewayUnavailable as e:
                transaction.unavailable(e)
                continue
            except providers.GatewayError as e:
                logger.warning(
                    "cannot read %s: %s", transaction.rec_name, e)
                continue
            cls.apply_status([transaction], remote.status,
                error=getattr(remote, 'error', None))

    @classmethod
    @ModelView.button
    def check(cls, transactions):
        cls.reconcile(transactions)

    @classmethod
    @ModelView.button_action('photo_payment.wizard_refund')
    def refund_wizard(cls, transactions):
        pass


class Event(MinuteTimesMixin, ModelSQL, ModelView):
    "Payment Gateway Event"
    __name__ = 'photo.payment.event'
    _minute_times = frozenset({'create_date'})
    gateway = fields.Many2One(
        'photo.payment.gateway', "Gateway", required=True, readonly=True,
        ondelete='CASCADE')
    event_id = fields.Char("Event ID", required=True, readonly=True)
    type = fields.Char("Type", readonly=True)
    result = fields.Selection([
            ('handled', "Handled"),
            ('ignored', "Ignored"),
            ], "Result", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_unique', Unique(t, t.gateway, t.event_id),
                'photo_payment.msg_event_unique'),
            ]
        cls._order = [('id', 'DESC')]


class RefundStart(ModelView):
    "Refund Payment"
    __name__ = 'photo.payment.refund.start'
    payment = fields.Many2One(
        'photo.payment.transaction', "Payment", readonly=True)
    refundable = fields.Numeric("Refundable", digits=(16, 2), readonly=True)
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True,
        domain=[
            ('amount', '>', 0),
            ('amount', '<=', Eval('refundable', 0)),
            ])
    reason = fields.Text("Reason", required=True)


class Refund(Wizard):
    "Refund Payment"
    __name__ = 'photo.payment.refund'
    start = StateView('photo.payment.refund.start',
        'photo_payment.refund_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Refund", 'refund', 'tryton-ok', default=True),
            ])
    refund = StateTransition()

    def default_start(self, fields):
        return {
            'payment': self.record.id,
            'refundable': self.record.refundable,
            'amount': self.record.refundable,
            }

    def transition_refund(self):
        # Payment.refund decides on what is left under its lock, so two
        # managers refunding at once give back no more than was paid.
        self.model.refund(
            self.record, self.start.amount, reason=self.start.reason)
        return 'end'
