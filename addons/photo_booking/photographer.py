"Photographers: who they are, where they work, what they offer and when."
import datetime as dt
from decimal import Decimal

from sql.aggregate import Avg, Count

from trytond.model import (
    Check, DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.transaction import Transaction

from .service import check_price
from .setup_cache import ClearsSetupCache
from .studio import timezones


class Photographer(
        ClearsSetupCache, DeactivableMixin, ModelSQL, ModelView):
    "Photographer"
    __name__ = 'photo.photographer'
    _rec_name = 'name'
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='RESTRICT')
    name = fields.Char("Name", required=True, translate=True)
    user = fields.Many2One(
        'res.user', "User", ondelete='SET NULL',
        help="The Tryton user who works as this photographer.")
    bio = fields.Text("Biography", translate=True)
    photo = fields.Binary("Photo")
    studios = fields.Many2Many(
        'photo.photographer-photo.studio', 'photographer', 'studio',
        "Studios")
    services = fields.One2Many(
        'photo.photographer.service', 'photographer', "Services")
    on_location = fields.Boolean(
        "On-location Shoots", help="Also shoots at the client's address.")
    timezone = fields.Selection(
        'get_timezones', "Time Zone", required=True,
        help="Used for on-location hours.")
    confirmation = fields.Selection([
            ('auto', "Automatic"),
            ('manual', "Manual"),
            ], "Confirmation", required=True,
        help="Automatic: bookings confirm at once. "
        "Manual: the photographer approves each request.")
    min_notice = fields.TimeDelta(
        "Minimum Notice", required=True,
        help="How long before the start a booking can still be made.")
    horizon_days = fields.Integer(
        "Booking Horizon (days)", required=True,
        help="How far ahead clients can book.")
    slot_step = fields.TimeDelta(
        "Slot Step", required=True,
        help="Distance between offered start times.")
    working_hours = fields.One2Many(
        'photo.photographer.working_hours', 'photographer', "Working Hours")
    exceptions = fields.One2Many(
        'photo.photographer.exception', 'photographer', "Exceptions")
    fixed_slots = fields.One2Many(
        'photo.photographer.fixed_slot', 'photographer', "Fixed Slots")
    busy = fields.One2Many(
        'photo.photographer.busy', 'photographer', "External Busy Time")
    rating = fields.Function(
        fields.Numeric("Rating", digits=(3, 2)), 'get_rating')
    review_count = fields.Function(
        fields.Integer("Reviews"), 'get_rating')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('horizon_positive', Check(t, t.horizon_days >= 1),
                'photo_booking.msg_horizon_positive'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def get_timezones(cls):
        return timezones()

    @classmethod
    def on_modification(cls, mode, photographers, field_names=None):
        super().on_modification(mode, photographers, field_names=field_names)
        if mode != 'delete' and 'user' in (field_names or {'user'}):
            Pool().get('photo.configuration').set_staff_language(
                [p.user for p in photographers if p.user])

    @classmethod
    def default_timezone(cls):
        return 'Europe/Moscow'

    @classmethod
    def default_confirmation(cls):
        return 'auto'

    @classmethod
    def default_min_notice(cls):
        return dt.timedelta(hours=2)

    @classmethod
    def default_horizon_days(cls):
        return 90

    @classmethod
    def default_slot_step(cls):
        return dt.timedelta(minutes=30)

    @fields.depends('party', 'name')
    def on_change_party(self):
        if self.party and not self.name:
            self.name = self.party.name

    @classmethod
    def get_rating(cls, photographers, names):
        pool = Pool()
        Review = pool.get('photo.review')
        review = Review.__table__()
        cursor = Transaction().connection.cursor()
        ids = [p.id for p in photographers]
        result = {'rating': dict.fromkeys(ids), 'review_count': dict.fromkeys(
                ids, 0)}
        cursor.execute(*review.select(
                review.photographer, Avg(review.rating), Count(review.id),
                where=review.photographer.in_(ids)
                & (review.state == 'published'),
                group_by=[review.photographer]))
        for photographer, rating, count in cursor:
            result['rating'][photographer] = (
                round(Decimal(str(rating)), 2) if rating is not None
                else None)
            result['review_count'][photographer] = count
        return {n: result[n] for n in names}

    def offer(self, service):
        "The photographer's line for service, or None."
        for line in self.services:
            if line.service == service:
                return line


class PhotographerStudio(ClearsSetupCache, ModelSQL):
    "Photographer - Studio"
    __name__ = 'photo.photographer-photo.studio'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    studio = fields.Many2One(
        'photo.studio', "Studio", required=True, ondelete='CASCADE')


class PhotographerService(ClearsSetupCache, ModelSQL, ModelView):
    "Photographer Service"
    __name__ = 'photo.photographer.service'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    service = fields.Many2One(
        'photo.service', "Service", required=True, ondelete='CASCADE')
    price = fields.Numeric(
        "Price", digits=(16, 2),
        help="Leave empty to use the service's price.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('service_unique', Unique(t, t.photographer, t.service),
                'photo_booking.msg_photographer_service_unique'),
            ]

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        if 'price' in field_names:
            for line in lines:
                check_price(line.price)
