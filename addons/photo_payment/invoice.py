"""Accounting: each succeeded payment is a posted, paid customer invoice and
each succeeded refund a posted, paid credit note."""
import logging

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class Gateway(metaclass=PoolMeta):
    __name__ = 'photo.payment.gateway'
    company = fields.Many2One(
        'company.company', "Company",
        help="The company that invoices what the gateway collects.")
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Payment Method",
        domain=[('company', '=', Eval('company', -1))],
        states={'required': Eval('company', None) != None},  # noqa: E711
        help="Journal and clearing account of the money held by the "
        "gateway; leave the company empty to skip accounting.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'photo.payment.transaction'
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT',
        help="The invoice (payment) or credit note (refund) recording it.")

    @classmethod
    def copy(cls, transactions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('invoice', None)
        return super().copy(transactions, default=default)

    @classmethod
    def succeed(cls, transactions):
        super().succeed(transactions)
        cls.create_invoices(transactions)

    @classmethod
    def create_invoices(cls, transactions):
        "Invoice (or credit) and pay each succeeded transaction once."
        for transaction in transactions:
            gateway = transaction.gateway
            if (transaction.invoice or transaction.state not in {
                        'succeeded', 'refunded'}
                    or not gateway.company or not gateway.payment_method):
                continue
            with Transaction().set_context(company=gateway.company.id):
                invoice = transaction._invoice()
                transaction.invoice = invoice
                transaction.save()

    def _invoice(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        MoveLine = pool.get('account.move.line')
        Address = pool.get('party.address')
        Date = pool.get('ir.date')

        booking = self.booking
        gateway = self.gateway
        product = booking.service.product
        today = Date.today()
        sign = 1 if self.kind == 'payment' else -1
        invoice = Invoice(
            company=gateway.company, type='out', party=booking.client,
            currency=self.currency, invoice_date=today,
            reference=booking.number,
            description=f'{booking.receipt_description} ({self.kind})')
        invoice.on_change_type()    # the revenue journal, then the party's
        if not invoice.invoice_address:
            invoice.invoice_address = Address(party=booking.client)
            invoice.invoice_address.save()
        line = Line(
            invoice=invoice, type='line', company=gateway.company,
            currency=self.currency, product=product,
            description=booking.receipt_description,
            quantity=sign, unit=product.default_uom,
            unit_price=self.amount,
            account=product.account_revenue_used,
            # Prices include VAT, reported on the 54-FZ receipt.
            taxes=[])
        invoice.lines = [line]
        invoice.save()
        Invoice.post([invoice])
        payment_lines = invoice.pay_invoice(
            invoice.total_amount, gateway.payment_method, today,
            description=f'{gateway.rec_name} {self.gateway_id or ""}')
        MoveLine.reconcile(list(invoice.lines_to_pay) + payment_lines)
        Invoice.process([invoice])
        return invoice
