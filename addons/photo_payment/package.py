"Prepaid hour packages: a client's hours that bookings of its services use."
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from . import prepaid
from .exceptions import PrepaidError
from .voucher import VoucherMixin, VoucherTypeMixin


class PackageType(VoucherTypeMixin, ModelSQL, ModelView):
    "Hour Package Type"
    __name__ = 'photo.payment.package.type'
    hours = fields.Numeric(
        "Hours", digits=(16, 2), required=True, domain=[('hours', '>', 0)])
    services = fields.Many2Many(
        'photo.payment.package.type-photo.service', 'type', 'service',
        "Services", help="What the hours may be used for; empty for all.")


class PackageTypeService(ModelSQL):
    "Hour Package Type - Service"
    __name__ = 'photo.payment.package.type-photo.service'
    type = fields.Many2One(
        'photo.payment.package.type', "Type", required=True,
        ondelete='CASCADE')
    service = fields.Many2One(
        'photo.service', "Service", required=True, ondelete='CASCADE')


class Package(VoucherMixin, ModelSQL, ModelView):
    "Hour Package"
    __name__ = 'photo.payment.package'
    _code_prefix = 'HOURS'
    _transaction_field = 'hour_package'

    type = fields.Many2One(
        'photo.payment.package.type', "Type", required=True,
        ondelete='RESTRICT', states=VoucherMixin._states_draft)
    party = fields.Many2One(
        'party.party', "Client", required=True, ondelete='RESTRICT',
        states=VoucherMixin._states_draft,
        help="Only this client's bookings may use the hours.")
    hours = fields.Numeric(
        "Hours", digits=(16, 2), required=True,
        domain=[('hours', '>', 0)], states=VoucherMixin._states_draft)
    transactions = fields.One2Many(
        'photo.payment.transaction', 'hour_package', "Usage", readonly=True)
    hours_used = fields.Function(
        fields.Numeric("Hours Used", digits=(16, 2)), 'get_hours')
    hours_remaining = fields.Function(
        fields.Numeric("Hours Left", digits=(16, 2)), 'get_hours')

    @fields.depends('type', '_parent_type.hours')
    def on_change_type(self):
        if self.type:
            self.hours = self.type.hours

    @classmethod
    def get_hours(cls, packages, names):
        result = {n: {} for n in names}
        for package in packages:
            used = package.net_spent('package_hours')
            if 'hours_used' in names:
                result['hours_used'][package.id] = used
            if 'hours_remaining' in names:
                result['hours_remaining'][package.id] = package.hours - used
        return result

    @property
    def sold_to(self):
        return self.party

    @property
    def used_up(self):
        return self.hours_remaining <= 0

    def payment_values(self, booking, due):
        services = self.type.services
        if booking.client != self.party:
            raise PrepaidError(gettext(
                    'photo_payment.msg_package_other_client',
                    code=self.code, booking=booking.rec_name))
        if services and booking.service not in services:
            raise PrepaidError(gettext(
                    'photo_payment.msg_package_service', code=self.code,
                    service=booking.service.rec_name))
        duration = Decimal(
            (booking.end - booking.start).total_seconds()) / 3600
        cover = prepaid.package_cover(
            booking.price, due, duration, self.hours_remaining,
            booking.currency.digits)
        return {'amount': cover.amount, 'package_hours': cover.hours}

    def refund_values(self, payment, amount):
        return {'package_hours': prepaid.hours_back(
                payment.package_hours, payment.amount, amount)}


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'photo.payment.transaction'
    hour_package = fields.Many2One(
        'photo.payment.package', "Hour Package", readonly=True,
        ondelete='RESTRICT', states={'invisible': ~Eval('hour_package')})
    package_hours = fields.Numeric(
        "Package Hours", digits=(16, 2), readonly=True,
        states={'invisible': ~Eval('hour_package')},
        help="The package's hours this payment used or this refund gave "
        "back.")

    @property
    def voucher(self):
        return self.hour_package or super().voucher
