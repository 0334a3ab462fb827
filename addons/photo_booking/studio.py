"Studios, their opening hours, rooms and equipment."
import datetime as dt

from sql import Literal

from trytond.i18n import gettext
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from . import availability
from .exceptions import BookingValidationError
from .schedule import WeeklyHoursMixin
from .setup_cache import ClearsSetupCache


def timezones():
    return [(z, z) for z in sorted(tz.available_timezones())]


class Studio(ClearsSetupCache, DeactivableMixin, ModelSQL, ModelView):
    "Photo Studio"
    __name__ = 'photo.studio'
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", strip=True)
    street = fields.Char("Street")
    city = fields.Char("City", translate=True)
    phone = fields.Char("Phone")
    description = fields.Text("Description", translate=True)
    photo = fields.Binary("Photo", help="Shown on the portal's studio card.")
    latitude = fields.Numeric("Latitude", digits=(3, 6))
    longitude = fields.Numeric("Longitude", digits=(3, 6))
    timezone = fields.Selection(
        'get_timezones', "Time Zone", required=True,
        help="Bookings are shown and scheduled in this time zone.")
    opening_hours = fields.One2Many(
        'photo.studio.opening_hours', 'studio', "Opening Hours")
    rooms = fields.One2Many('photo.studio.room', 'studio', "Rooms")
    equipment = fields.One2Many('photo.equipment', 'studio', "Equipment")

    @classmethod
    def get_timezones(cls):
        return timezones()

    @classmethod
    def default_timezone(cls):
        return 'Europe/Moscow'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))
        cls.__rpc__['earliest_openings'] = RPC()

    @classmethod
    def earliest_openings(cls):
        """When each studio opens today at its earliest hour of the week,
        as naive UTC instants: the back-office calendar scrolls its week to
        the earliest of them in the browser's time (sao's custom.js)."""
        OpeningHours = Pool().get('photo.studio.opening_hours')
        studios = cls.search([])
        rules = OpeningHours.weekly_rules('studio', [s.id for s in studios])
        openings = []
        for studio in studios:
            if rules[studio.id]:
                start = min(rule.start for rule in rules[studio.id])
                today = dt.datetime.now(studio.tzinfo).date()
                openings.append(dt.datetime.combine(
                        today, start, studio.tzinfo).astimezone(
                        dt.timezone.utc).replace(tzinfo=None))
        return openings

    @property
    def tzinfo(self):
        return tz.get_tzinfo(self.timezone)

    @property
    def address(self):
        return ', '.join(filter(None, [self.street, self.city]))

    def schedule(self):
        OpeningHours = Pool().get('photo.studio.opening_hours')
        return availability.Schedule(
            tuple(OpeningHours.weekly_rules('studio', [self.id])[self.id]))

    def active_room_ids(self):
        "The studio's active rooms, in the order they are offered."
        room = Pool().get('photo.studio.room').__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*room.select(room.id, room.sequence,
                where=(room.studio == self.id)
                & (room.active == Literal(True))))
        # sequence_ordered puts empty sequences first.
        return [id_ for id_, sequence in sorted(cursor,
                key=lambda r: (r[1] is not None, r[1] or 0, r[0]))]


class StudioPartMixin(ClearsSetupCache):
    "Something kept at one studio: named with its studio in lists."
    __slots__ = ()
    studio = fields.Many2One(
        'photo.studio', "Studio", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)

    def get_rec_name(self, name):
        return f'{self.name} ({self.studio.rec_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('studio.name', operator, operand, *extra),
            ]


class OpeningHours(WeeklyHoursMixin, ModelSQL, ModelView):
    "Studio Opening Hours"
    __name__ = 'photo.studio.opening_hours'
    studio = fields.Many2One(
        'photo.studio', "Studio", required=True, ondelete='CASCADE')


class Room(
        StudioPartMixin, sequence_ordered(), DeactivableMixin, ModelSQL,
        ModelView):
    "Studio Room"
    __name__ = 'photo.studio.room'
    area = fields.Integer("Area (m²)")
    description = fields.Text("Description", translate=True)
    photo = fields.Binary("Photo", help="Shown on the portal's studio card.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.studio, Index.Range())))


class Equipment(StudioPartMixin, DeactivableMixin, ModelSQL, ModelView):
    "Studio Equipment"
    __name__ = 'photo.equipment'
    kind = fields.Selection([
            ('camera', "Camera"),
            ('lens', "Lens"),
            ('light', "Light"),
            ('backdrop', "Backdrop"),
            ('prop', "Prop"),
            ('other', "Other"),
            ], "Kind", required=True)
    quantity = fields.Integer(
        "Quantity", required=True,
        help="How many identical units the studio owns.")
    unit_price = fields.Numeric(
        "Rental Price", digits=(16, 2),
        help="Added to the booking price for each unit rented on top of "
        "the service.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('quantity_positive', Check(t, t.quantity >= 1),
                'photo_booking.msg_equipment_quantity_positive'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_kind(cls):
        return 'light'

    @classmethod
    def default_quantity(cls):
        return 1


    def check_in_studio(self, studio):
        if self.studio != studio:
            raise BookingValidationError(gettext(
                    'photo_booking.msg_equipment_not_in_studio',
                    equipment=self.rec_name, studio=studio.rec_name))
