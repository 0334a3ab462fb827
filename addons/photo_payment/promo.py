"Promo codes: a percentage or a fixed amount off a held booking's price."
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.modules.photo_booking.policy import round_money
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If

from .exceptions import PromoError


def discounted(price, percent, digits=2):
    "price less percent %, rounded half up."
    if not 0 < percent <= 100:
        raise ValueError(f"discount must be within ]0, 100], got {percent}")
    return round_money(price * (100 - percent) / 100, digits)


def reduced(price, amount, digits=2):
    "price less a fixed amount, never below zero."
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    return max(round_money(price - amount, digits), Decimal(0))


class Promo(DeactivableMixin, ModelSQL, ModelView):
    "Promo Code"
    __name__ = 'photo.payment.promo'
    _rec_name = 'code'
    code = fields.Char("Code", required=True)
    kind = fields.Selection([
            ('percent', "Percentage"),
            ('fixed', "Fixed Amount"),
            ], "Kind", required=True)
    discount = fields.Numeric(
        "Discount %", digits=(5, 2),
        domain=[If(Eval('kind') == 'percent',
                [('discount', '>', 0), ('discount', '<=', 100)],
                [])],
        states={
            'required': Eval('kind') == 'percent',
            'invisible': Eval('kind') != 'percent',
            })
    amount = fields.Numeric(
        "Amount", digits=(16, Eval('currency_digits', 2)),
        domain=[If(Eval('kind') == 'fixed', [('amount', '>', 0)], [])],
        states={
            'required': Eval('kind') == 'fixed',
            'invisible': Eval('kind') != 'fixed',
            })
    currency = fields.Many2One(
        'currency.currency', "Currency",
        states={
            'required': Eval('kind') == 'fixed',
            'invisible': Eval('kind') != 'fixed',
            },
        help="Bookings in another currency cannot use the code.")
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    valid_from = fields.Date("Valid From")
    valid_until = fields.Date(
        "Valid Until",
        domain=[If(Eval('valid_from') & Eval('valid_until'),
                ('valid_until', '>=', Eval('valid_from')),
                ())])
    max_uses = fields.Integer(
        "Maximum Uses", help="Leave empty for no limit.")
    uses = fields.Function(fields.Integer("Uses"), 'get_uses')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'photo_payment.msg_promo_code_unique'),
            ]

    @classmethod
    def default_kind(cls):
        return 'percent'

    @fields.depends('currency')
    def on_change_with_currency_digits(self, name=None):
        return self.currency.digits if self.currency else 2

    def discount_price(self, price, currency):
        "What price in currency costs with this code, or PromoError."
        if self.kind == 'fixed':
            if currency != self.currency:
                raise PromoError(gettext(
                        'photo_payment.msg_promo_currency', code=self.code,
                        currency=self.currency.code))
            return reduced(price, Decimal(self.amount), currency.digits)
        return discounted(price, Decimal(self.discount), currency.digits)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        return values

    @classmethod
    def get_uses(cls, promos, name):
        Booking = Pool().get('photo.booking')
        uses = {p.id: 0 for p in promos}
        for booking in Booking.search([
                    ('promo', 'in', [p.id for p in promos]),
                    ('state', '!=', 'cancelled'),
                    ]):
            uses[booking.promo.id] += 1
        return uses

    @classmethod
    def find(cls, code, date):
        "The usable promo of code on date or PromoError."
        promos = cls.search([('code', '=', (code or '').strip().upper())],
            limit=1)
        promo = promos[0] if promos else None
        if (not promo
                or (promo.valid_from and date < promo.valid_from)
                or (promo.valid_until and date > promo.valid_until)):
            raise PromoError(gettext(
                    'photo_payment.msg_promo_invalid', code=code))
        if promo.max_uses is not None and promo.uses >= promo.max_uses:
            raise PromoError(gettext(
                    'photo_payment.msg_promo_used_up', code=promo.code))
        return promo


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'
    promo = fields.Many2One(
        'photo.payment.promo', "Promo Code", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def apply_promo(cls, booking, code):
        "Take the promo's discount off the price of a booking on hold."
        Date = Pool().get('ir.date')
        if booking.state != 'hold' or booking.promo or booking.paid:
            raise PromoError(gettext(
                    'photo_payment.msg_promo_not_applicable',
                    booking=booking.rec_name))
        promo = Pool().get('photo.payment.promo').find(code, Date.today())
        cls.write([booking], {
                'promo': promo.id,
                'price': promo.discount_price(booking.price, booking.currency),
                })
        return booking

    @classmethod
    def apply_code(cls, booking, code):
        """Apply a code the client typed at checkout to booking; returns it.

        Here a promo code, else PromoError. Other kinds of codes (gift
        certificates, packages) are added by overriding this and calling
        super() for the codes they do not know."""
        if any(t.kind == 'payment' and t.state == 'pending'
                for t in booking.transactions):
            # The amount asked at the gateway is not to change under it.
            raise PromoError(gettext(
                    'photo_payment.msg_promo_not_applicable',
                    booking=booking.rec_name))
        return cls.apply_promo(booking, code)
