"Gift certificates: sold with a code, they pay bookings, also in part."
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from . import prepaid
from .exceptions import PrepaidError
from .voucher import VoucherMixin, VoucherTypeMixin


class GiftCertificateType(VoucherTypeMixin, ModelSQL, ModelView):
    "Gift Certificate Type"
    __name__ = 'photo.payment.gift_certificate.type'


class GiftCertificate(VoucherMixin, ModelSQL, ModelView):
    "Gift Certificate"
    __name__ = 'photo.payment.gift_certificate'
    _code_prefix = 'GIFT'
    _transaction_field = 'gift_certificate'

    type = fields.Many2One(
        'photo.payment.gift_certificate.type', "Type", required=True,
        ondelete='RESTRICT', states=VoucherMixin._states_draft)
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True,
        states=VoucherMixin._states_draft,
        domain=[('amount', '>', 0)])
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True,
        states=VoucherMixin._states_draft)
    buyer = fields.Many2One(
        'party.party', "Buyer", ondelete='RESTRICT',
        states=VoucherMixin._states_draft,
        help="Who pays; needed when the sale is invoiced.")
    recipient = fields.Many2One(
        'party.party', "Recipient", ondelete='RESTRICT')
    transactions = fields.One2Many(
        'photo.payment.transaction', 'gift_certificate', "Redemptions",
        readonly=True)
    balance = fields.Function(
        fields.Numeric("Balance", digits=(16, 2),
            help="The amount less what paid bookings, plus refunds."),
        'get_balance')

    @fields.depends('type', '_parent_type.price', '_parent_type.currency')
    def on_change_type(self):
        if self.type:
            self.amount = self.type.price
            self.currency = self.type.currency

    def get_balance(self, name):
        return self.amount - self.net_spent('amount')

    @property
    def sold_to(self):
        return self.buyer

    @property
    def sale(self):
        return self.amount, self.currency

    @property
    def used_up(self):
        return self.balance <= 0

    def payment_values(self, booking, due):
        if booking.currency != self.currency:
            raise PrepaidError(gettext(
                    'photo_payment.msg_gift_currency', code=self.code,
                    currency=self.currency.code,
                    booking_currency=booking.currency.code))
        return {'amount': prepaid.certificate_cover(self.balance, due)}


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'photo.payment.transaction'
    gift_certificate = fields.Many2One(
        'photo.payment.gift_certificate', "Gift Certificate", readonly=True,
        ondelete='RESTRICT',
        states={'invisible': ~Eval('gift_certificate')})

    @property
    def voucher(self):
        return self.gift_certificate or super().voucher

