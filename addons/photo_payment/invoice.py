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
            transaction.invoice = transaction._invoice()
            transaction.save()

    def _invoice(self):
        booking = self.booking
        gateway = self.gateway
        return paid_invoice(
            gateway.company, booking.client, self.currency,
            booking.service.product, booking.receipt_description,
            quantity=1 if self.kind == 'payment' else -1,
            unit_price=self.amount, reference=booking.number,
            description=f'{booking.receipt_description} ({self.kind})',
            payment_method=gateway.payment_method,
            payment_description=f'{gateway.rec_name} {self.gateway_id or ""}')


def paid_invoice(
        company, party, currency, product, line_description, quantity,
        unit_price, reference, description, payment_method,
        payment_description):
    """A posted customer invoice (a credit note when quantity is negative)
    of one product line, paid through payment_method and reconciled.

    Works in the company's context whatever the caller's: the party's and
    the product's accounts depend on it."""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    Line = pool.get('account.invoice.line')
    MoveLine = pool.get('account.move.line')
    Address = pool.get('party.address')
    Date = pool.get('ir.date')
    Party = pool.get('party.party')
    Product = pool.get('product.product')

    with Transaction().set_context(company=company.id):
        # Records read their accounts in the context they were browsed in.
        party, product = Party(party.id), Product(product.id)
        today = Date.today()
        invoice = Invoice(
            company=company, type='out', party=party, currency=currency,
            invoice_date=today, reference=reference, description=description)
        invoice.on_change_type()    # the revenue journal, then the party's
        if not invoice.invoice_address:
            invoice.invoice_address = Address(party=party)
            invoice.invoice_address.save()
        line = Line(
            invoice=invoice, type='line', company=company, currency=currency,
            product=product, description=line_description,
            quantity=quantity, unit=product.default_uom, unit_price=unit_price,
            account=product.account_revenue_used,
            # Prices include VAT, reported on the 54-FZ receipt.
            taxes=[])
        invoice.lines = [line]
        invoice.save()
        Invoice.post([invoice])
        payment_lines = invoice.pay_invoice(
            invoice.total_amount, payment_method, today,
            description=payment_description)
        MoveLine.reconcile(list(invoice.lines_to_pay) + payment_lines)
        Invoice.process([invoice])
        return invoice
