"Bookings that wait for their prepayment and refund it by the policy."
import logging
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.photo_booking.api import money
from trytond.modules.photo_booking.common import ACTIVE_STATES, utc_now
from trytond.modules.photo_booking.openapi import CURRENCY, MONEY, TEXT, obj
from trytond.modules.photo_booking.pricing import prepayment_amount
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

logger = logging.getLogger(__name__)


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    transactions = fields.One2Many(
        'photo.payment.transaction', 'booking', "Transactions",
        readonly=True)
    prepayment = fields.Function(
        fields.Numeric("Prepayment", digits=(16, 2)), 'get_payment_amounts')
    amount_paid = fields.Function(
        fields.Numeric(
            "Paid", digits=(16, 2),
            help="Succeeded payments minus succeeded refunds."),
        'get_payment_amounts')
    payment_url = fields.Function(
        fields.Char(
            "Payment URL",
            states={'invisible': Eval('state') != 'hold'}),
        'get_payment_url')

    @classmethod
    def get_payment_amounts(cls, bookings, names):
        result = {n: {} for n in names}
        for booking in bookings:
            if 'prepayment' in names:
                result['prepayment'][booking.id] = booking.prepayment_due
            if 'amount_paid' in names:
                result['amount_paid'][booking.id] = booking.paid
        return result

    def get_payment_url(self, name):
        for transaction in self.transactions:
            if (transaction.kind == 'payment'
                    and transaction.state == 'pending'):
                return transaction.action_url

    @classmethod
    def api_extras(cls, bookings):
        """The latest gateway payment of each booking: the API client sends
        the client to its url, which is null until the gateway has made the
        payment (after the commit of the confirmation)."""
        pool = Pool()
        Transaction_ = pool.get('photo.payment.transaction')
        extras = super().api_extras(bookings)
        payments = Transaction_.search([
                ('booking', 'in', [b.id for b in bookings]),
                ('kind', '=', 'payment'),
                ('gateway', '!=', None),
                ], order=[('created', 'ASC'), ('id', 'ASC')])
        latest = {p.booking.id: p for p in payments}
        for booking_id, payment in latest.items():
            extras.setdefault(booking_id, {})['payment'] = {
                'state': payment.state,
                'amount': money(payment.amount),
                'currency': payment.currency.code,
                'url': (payment.action_url
                    if payment.state == 'pending' else None),
                }
        return extras

    @classmethod
    def api_extras_schema(cls):
        schema = super().api_extras_schema()
        schema['payment'] = {
            **obj({
                    'state': {
                        'type': 'string',
                        'enum': ['pending', 'succeeded', 'failed',
                            'cancelled', 'refunded']},
                    'amount': MONEY, 'currency': CURRENCY,
                    'url': {
                        **TEXT, 'nullable': True,
                        'description': "Where the client pays while "
                        "pending; null until the gateway has made the "
                        "payment, moments after the confirmation: read the "
                        "booking again."},
                    }, required=['state', 'amount', 'currency', 'url']),
            'description': "Its latest payment through a gateway, when the "
            "studio takes prepayments."}
        return schema

    @property
    def prepayment_due(self):
        "What the client pays when booking, from the service's percent."
        return prepayment_amount(
            self.price, self.service.prepayment_percent,
            self.currency.digits)

    @property
    def paid(self):
        total = Decimal(0)
        for transaction in self.transactions:
            if transaction.kind == 'payment' and transaction.state in {
                    'succeeded', 'refunded'}:
                total += transaction.amount
            elif (transaction.kind == 'refund'
                    and transaction.state == 'succeeded'):
                total -= transaction.amount
        return total

    @property
    def needs_prepayment(self):
        return self.state == 'hold' and self.prepayment_due > self.paid

    @property
    def receipt_description(self):
        return f'{self.service.name} {self.number}'

    @classmethod
    @ModelView.button
    def submit(cls, bookings):
        """Ask held bookings' prepayment; the others confirm as before.

        The time stays held for the gateway's payment timeout; the webhook
        (or the reconciliation cron) confirms once the payment succeeds."""
        pool = Pool()
        Gateway = pool.get('photo.payment.gateway')
        Transaction_ = pool.get('photo.payment.transaction')
        to_pay = [b for b in bookings if b.needs_prepayment]
        super().submit([b for b in bookings if b not in to_pay])
        if not to_pay:
            return
        now = utc_now()
        cls.check_not_lapsed(to_pay, now)
        gateway = Gateway.get_default()
        if not gateway:
            # Nothing can take the money: behave as without this module.
            logger.warning(
                "no active payment gateway: %s confirmed without prepayment",
                ', '.join(b.rec_name for b in to_pay))
            super().submit(to_pay)
            return
        cls.warn_unbookable(to_pay, now)
        for booking in to_pay:
            if any(t.kind == 'payment' and t.state == 'pending'
                    for t in booking.transactions):
                continue    # already sent: submitting again changes nothing
            cls.write([booking], {
                    'hold_expires': now + gateway.payment_timeout,
                    })
            Transaction_.create_payment(
                booking, booking.prepayment_due - booking.paid, gateway)

    @classmethod
    def payment_received(cls, bookings):
        """Paid bookings on hold are confirmed (or requested from manual
        photographers); a payment arriving after the booking was cancelled
        is given back."""
        Transaction_ = Pool().get('photo.payment.transaction')
        cls.lock_rows(bookings)
        cls.request_or_confirm([b for b in bookings
                if b.state == 'hold' and not b.needs_prepayment])
        for booking in bookings:
            if booking.state != 'cancelled':
                continue
            for payment in booking.transactions:
                if payment.kind == 'payment' and payment.refundable:
                    Transaction_.refund(
                        payment, payment.refundable, reason=gettext(
                            'photo_payment.msg_refund_paid_after_cancel'))

    @classmethod
    def payment_lost(cls, bookings):
        "Release held bookings whose payment failed, was cancelled or expired."
        cls.lock_rows(bookings)
        to_release = [b for b in bookings
            if b.state == 'hold' and b.needs_prepayment
            and not any(t.kind == 'payment' and t.state == 'pending'
                for t in b.transactions)]
        if to_release:
            cls.cancel(to_release, by='system', reason=gettext(
                    'photo_payment.msg_booking_payment_failed'))

    @classmethod
    def cancel(cls, bookings, by='studio', reason=None, now=None):
        """Cancel and refund: everything when the studio or photographer
        cancels, what the cancellation policy leaves when the client does."""
        pool = Pool()
        Transaction_ = pool.get('photo.payment.transaction')
        now = now or utc_now()
        # Decide on the current state: a cancel repeated by a concurrent
        # request finds the booking cancelled and refunds nothing again.
        cls.lock_rows(bookings)
        refunds = {}
        for booking in bookings:
            if booking.state in ACTIVE_STATES:
                paid = booking.paid
                if paid > 0:
                    refunds[booking] = booking.quote_cancellation(
                        by=by, now=now, paid=paid).refund
        super().cancel(bookings, by=by, reason=reason, now=now)
        pending = [t for b in bookings for t in b.transactions
            if t.kind == 'payment' and t.state == 'pending']
        if pending:
            # Also at the gateway: the client cannot pay a released booking
            Transaction_.withdraw(pending)
        for booking, amount in refunds.items():
            for payment in booking.transactions:
                if amount <= 0:
                    break
                refundable = payment.refundable
                if payment.kind != 'payment' or not refundable:
                    continue
                part = min(amount, refundable)
                Transaction_.refund(payment, part, reason=reason or gettext(
                        'photo_payment.msg_refund_cancelled',
                        by=booking.cancelled_by_string))
                amount -= part
