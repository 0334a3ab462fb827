"""What gift certificates and hour packages share: a product sold with an
unguessable code, invoiced once, that pays bookings without a gateway and
takes refunds back."""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, Unique, Workflow, fields
from trytond.modules.photo_booking.booking import serialise_writes
from trytond.modules.photo_booking.common import utc_now
from trytond.modules.photo_booking.exceptions import HoldExpiredError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import prepaid
from .exceptions import PrepaidError
from .invoice import paid_invoice

# Models whose codes Booking.apply_code recognises, tried in this order.
VOUCHERS = ['photo.payment.gift_certificate', 'photo.payment.package']
STATES = [
    ('draft', "Draft"),
    ('active', "Active"),
    ('cancelled', "Cancelled"),
    ]
STATUSES = [
    ('draft', "Draft"),
    ('active', "Active"),
    ('used', "Used Up"),
    ('expired', "Expired"),
    ('cancelled', "Cancelled"),
    ]
# Payment states in which a payment took its share of a voucher.
SPENT = {'succeeded', 'refunded'}


class VoucherTypeMixin:
    "What is sold: the product, its price and how long it stays valid."
    __slots__ = ()
    name = fields.Char("Name", required=True, translate=True)
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[('type', '=', 'service')],
        help="The product invoiced when one is sold.")
    price = fields.Numeric(
        "Price", digits=(16, 2), required=True,
        domain=[('price', '>', 0)])
    currency = fields.Many2One('currency.currency', "Currency", required=True)
    validity = fields.Integer(
        "Validity (Days)", required=True, domain=[('validity', '>', 0)])
    company = fields.Many2One(
        'company.company', "Company",
        help="The company that invoices the sales; leave empty to skip "
        "accounting.")
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Payment Method",
        domain=[('company', '=', Eval('company', -1))],
        states={'required': Eval('company', None) != None},  # noqa: E711
        help="Where the buyer's money goes (the studio's till).")

    @classmethod
    def default_validity(cls):
        return 365

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class VoucherMixin(Workflow):
    "A sold voucher: code, sale to a party, expiry and state."
    __slots__ = ()
    _rec_name = 'code'
    _code_prefix = None
    # The photo.payment.transaction field that links payments to it.
    _transaction_field = None
    _states_draft = {'readonly': Eval('state') != 'draft'}

    code = fields.Char(
        "Code", readonly=True, strip=False,
        help="What the client enters at checkout; generated.")
    sold_on = fields.Date("Sold On", readonly=True)
    expires = fields.Date(
        "Expires", states=_states_draft,
        help="Last day of use; set from the type's validity when sold.")
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    status = fields.Function(
        fields.Selection(STATUSES, "Status"), 'get_status',
        searcher='search_status')
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'photo_payment.msg_voucher_code_unique'),
            ]
        cls._transitions |= {
            ('draft', 'active'),
            ('draft', 'cancelled'),
            ('active', 'cancelled'),
            }
        cls._buttons.update({
                'sell': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('code'):
            values['code'] = prepaid.new_code(cls._code_prefix)
        elif values.get('code'):
            values['code'] = prepaid.normalise_code(values['code'])
        return values

    @classmethod
    def copy(cls, vouchers, default=None):
        default = default.copy() if default is not None else {}
        for name in ['code', 'invoice', 'sold_on', 'expires']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(vouchers, default=default)

    @classmethod
    def from_code(cls, code):
        vouchers = cls.search(
            [('code', '=', prepaid.normalise_code(code))], limit=1)
        return vouchers[0] if vouchers else None

    @property
    def sold_to(self):
        "The party invoiced for it."
        raise NotImplementedError

    @property
    def used_up(self):
        raise NotImplementedError

    @property
    def sale(self):
        "(price, currency) it is sold for."
        return self.type.price, self.type.currency

    def net_spent(self, field):
        """What its payments took of the transactions' field (amount or
        hours), less what its refunds gave back."""
        spent = Decimal(0)
        for transaction in self.transactions:
            if transaction.kind == 'payment' and transaction.state in SPENT:
                spent += getattr(transaction, field)
            elif (transaction.kind == 'refund'
                    and transaction.state == 'succeeded'):
                spent -= getattr(transaction, field)
        return spent

    def get_status(self, name):
        Date = Pool().get('ir.date')
        if self.state != 'active':
            return self.state
        if self.expires and self.expires < Date.today():
            return 'expired'
        return 'used' if self.used_up else 'active'

    @classmethod
    def search_status(cls, name, clause):
        "Draft and cancelled are states; the others depend on today."
        Date = Pool().get('ir.date')
        _, operator, value = clause[:3]
        values = set(value if operator in {'in', 'not in'} else [value])
        if operator not in {'=', '!=', 'in', 'not in'}:
            raise ValueError(f"unsupported status operator {operator}")
        today = Date.today()
        current = [v.id for v in cls.search([
                    ('state', '=', 'active'),
                    ['OR', ('expires', '=', None), ('expires', '>=', today)],
                    ])
            if ('used' if v.used_up else 'active') in values]
        domain = ['OR',
            ('state', 'in', list(values & {'draft', 'cancelled'})),
            ('id', 'in', current)]
        if 'expired' in values:
            domain.append([
                    ('state', '=', 'active'), ('expires', '<', today)])
        ids = [v.id for v in cls.search(domain)]
        return [('id', 'not in' if operator in {'!=', 'not in'} else 'in',
                ids)]

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def sell(cls, vouchers):
        "Start the validity; invoice the buyer when the type has a company."
        Date = Pool().get('ir.date')
        today = Date.today()
        for voucher in vouchers:
            type_ = voucher.type
            if type_.company and not voucher.sold_to:
                raise PrepaidError(gettext(
                        'photo_payment.msg_voucher_buyer_required',
                        code=voucher.code))
            voucher.sold_on = today
            if not voucher.expires:
                voucher.expires = today + dt.timedelta(
                    days=voucher.type.validity)
            voucher.state = 'active'
            if type_.company and not voucher.invoice:
                price, currency = voucher.sale
                voucher.invoice = paid_invoice(
                    type_.company, voucher.sold_to, currency,
                    type_.product, f'{type_.rec_name} {voucher.code}',
                    quantity=1, unit_price=price,
                    reference=voucher.code, description=type_.rec_name,
                    payment_method=type_.payment_method,
                    payment_description=voucher.code)
        cls.save(vouchers)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, vouchers):
        pass

    def check_usable(self, booking):
        "Raise PrepaidError unless it may pay booking today."
        Date = Pool().get('ir.date')
        if self.state != 'active':
            raise PrepaidError(gettext(
                    'photo_payment.msg_voucher_not_active', code=self.code))
        if self.expires and self.expires < Date.today():
            raise PrepaidError(gettext(
                    'photo_payment.msg_voucher_expired', code=self.code,
                    date=self.expires))
        if self.used_up:
            raise PrepaidError(gettext(
                    'photo_payment.msg_voucher_used_up', code=self.code))

    def pay(self, booking):
        """Pay what booking still owes, as far as this voucher goes.

        The booking's and the voucher's rows are locked first (on
        PostgreSQL the transaction restarts holding them; SQLite serialises
        writers), so two bookings paying with one voucher at once cannot
        spend it twice, nor two vouchers pay one booking twice."""
        Transaction_ = Pool().get('photo.payment.transaction')
        serialise_writes()
        booking.lock()  # these rows only (a dualmethod)
        self.lock()
        due = amount_due(booking)
        self.check_usable(booking)
        values = self.payment_values(booking, due)
        Transaction_.create([{
                    'booking': booking.id,
                    'kind': 'payment',
                    'currency': booking.currency.id,
                    'state': 'succeeded',
                    self._transaction_field: self.id,
                    **values,
                    }])

    def payment_values(self, booking, due):
        "The amount (and more) of the payment of due."
        raise NotImplementedError

    def refund_values(self, payment, amount):
        "What else the refund of amount of payment gives back."
        return {}


def amount_due(booking):
    "What a held booking still owes, or PrepaidError."
    if booking.state != 'hold' or any(
            t.kind == 'payment' and t.state == 'pending'
            for t in booking.transactions):
        raise PrepaidError(gettext(
                'photo_payment.msg_voucher_booking_not_held',
                booking=booking.rec_name))
    if (booking.hold_expires and booking.hold_expires <= utc_now()
            and booking.source != 'backoffice'):
        raise HoldExpiredError(gettext(
                'photo_booking.msg_booking_hold_expired'))
    due = booking.price - booking.paid
    if due <= 0:
        raise PrepaidError(gettext(
                'photo_payment.msg_voucher_nothing_due',
                booking=booking.rec_name))
    return due


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'photo.payment.transaction'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Certificates and packages pay without any gateway.
        cls.gateway.required = False

    @property
    def voucher(self):
        "The certificate or package that paid (or got the refund)."
        return None

    @property
    def paid_through(self):
        voucher = self.voucher
        return voucher.rec_name if voucher else super().paid_through

    @classmethod
    def refund(cls, payment, amount, reason=None):
        "What a voucher paid goes back to it, never to a card."
        voucher = payment.voucher
        if not voucher:
            return super().refund(payment, amount, reason=reason)
        amount = Decimal(amount)
        if amount <= 0 or amount > payment.refundable:
            return super().refund(payment, amount, reason=reason)
        refund, = cls.create([{
                    'booking': payment.booking.id,
                    'kind': 'refund',
                    'payment': payment.id,
                    'amount': amount,
                    'currency': payment.currency.id,
                    'state': 'succeeded',
                    'reason': reason,
                    voucher._transaction_field: voucher.id,
                    **voucher.refund_values(payment, amount),
                    }])
        cls._mark_refunded([payment])
        return refund


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    @classmethod
    def apply_code(cls, booking, code):
        """Pay with a gift certificate or an hour package; other codes are
        promo codes."""
        pool = Pool()
        for name in VOUCHERS:
            voucher = pool.get(name).from_code(code)
            if voucher:
                voucher.pay(booking)
                return booking
        return super().apply_code(booking, code)


class ApplyCodeStart(ModelView):
    "Apply Code"
    __name__ = 'photo.booking.apply_code.start'
    code = fields.Char(
        "Code", required=True,
        help="A gift certificate, hour package or promo code.")


class ApplyCode(Wizard):
    "Apply Code"
    __name__ = 'photo.booking.apply_code'
    start = StateView('photo.booking.apply_code.start',
        'photo_payment.apply_code_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Apply", 'apply', 'tryton-ok', default=True),
            ])
    apply = StateTransition()

    def transition_apply(self):
        self.model.apply_code(self.record, self.start.code)
        return 'end'
