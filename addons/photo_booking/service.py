"Services and packages that clients book."
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval

from . import policy
from .exceptions import BookingValidationError
from .setup_cache import ClearsSetupCache


class Service(
        ClearsSetupCache, sequence_ordered(), DeactivableMixin, ModelSQL,
        ModelView):
    "Photo Service"
    __name__ = 'photo.service'
    name = fields.Char("Name", required=True, translate=True)
    kind = fields.Selection([
            ('service', "Service"),
            ('package', "Package"),
            ], "Kind", required=True)
    description = fields.Text("Description", translate=True)
    includes = fields.Text(
        "Includes", translate=True,
        states={'invisible': Eval('kind') != 'package'},
        help="What the package contains, one item per line.")
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[('type', '=', 'service')],
        help="The product used to invoice this service.")
    duration = fields.TimeDelta("Duration", required=True)
    price = fields.Numeric("Price", digits=(16, 2), required=True)
    currency = fields.Many2One('currency.currency', "Currency", required=True)
    prepayment_percent = fields.Numeric(
        "Prepayment %", digits=(5, 2), required=True,
        help="Share of the price paid when booking (0 = pay on the day).")
    buffer_before = fields.TimeDelta(
        "Buffer Before", required=True,
        help="Preparation time kept free before the shoot.")
    buffer_after = fields.TimeDelta(
        "Buffer After", required=True,
        help="Time kept free after the shoot (tidying, travel).")
    needs_room = fields.Boolean(
        "Needs a Room", help="Uncheck for shoots that happen on location.")
    equipment = fields.One2Many(
        'photo.service.equipment', 'service', "Default Equipment")
    free_cancellation = fields.TimeDelta(
        "Free Cancellation Until", required=True,
        help="How long before the start a client may still cancel for free.")
    cancellation_fee_percent = fields.Numeric(
        "Late Cancellation Fee %", digits=(5, 2), required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()

    @classmethod
    def default_kind(cls):
        return 'service'

    @classmethod
    def default_duration(cls):
        return dt.timedelta(hours=1)

    @classmethod
    def default_currency(cls):
        Currency = Pool().get('currency.currency')
        currencies = Currency.search([('code', '=', 'RUB')], limit=1)
        return currencies[0].id if currencies else None

    @classmethod
    def default_prepayment_percent(cls):
        return Decimal(0)

    @classmethod
    def default_buffer_before(cls):
        return dt.timedelta(0)

    @classmethod
    def default_buffer_after(cls):
        return dt.timedelta(minutes=15)

    @classmethod
    def default_needs_room(cls):
        return True

    @classmethod
    def default_free_cancellation(cls):
        return dt.timedelta(hours=24)

    @classmethod
    def default_cancellation_fee_percent(cls):
        return Decimal(50)

    @classmethod
    def validate_fields(cls, services, field_names):
        super().validate_fields(services, field_names)
        if 'duration' in field_names:
            for service in services:
                if service.duration <= dt.timedelta(0):
                    raise BookingValidationError(gettext(
                            'photo_booking.msg_service_duration_positive'))
        # Numeric checks in Python: SQLite stores Decimal as text and
        # cannot compare it in a CHECK.
        for service in services:
            check_price(service.price)
            for percent in [
                    service.prepayment_percent,
                    service.cancellation_fee_percent]:
                if not 0 <= percent <= 100:
                    raise BookingValidationError(
                        gettext('photo_booking.msg_percent_range'))

    @property
    def cancel_rule(self):
        return policy.CancelRule(
            self.free_cancellation, self.cancellation_fee_percent)


def check_price(price):
    if price is not None and price < 0:
        raise BookingValidationError(
            gettext('photo_booking.msg_price_positive'))


class ServiceEquipment(ClearsSetupCache, ModelSQL, ModelView):
    "Service Default Equipment"
    __name__ = 'photo.service.equipment'
    service = fields.Many2One(
        'photo.service', "Service", required=True, ondelete='CASCADE')
    equipment = fields.Many2One(
        'photo.equipment', "Equipment", required=True, ondelete='CASCADE')
    quantity = fields.Integer("Quantity", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('quantity_positive', Check(t, t.quantity >= 1),
                'photo_booking.msg_equipment_quantity_positive'),
            ]

    @classmethod
    def default_quantity(cls):
        return 1
