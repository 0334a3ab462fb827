"Settings a studio manager changes in the back office."
import datetime as dt

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.ir.sequence import sql_sequence
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Id

from . import setup_cache
from .setup_cache import ClearsSetupCache


class Configuration(ClearsSetupCache, ModelSingleton, ModelSQL, ModelView):
    "Photo Booking Configuration"
    __name__ = 'photo.configuration'
    booking_sequence = fields.Many2One(
        'ir.sequence', "Booking Sequence", required=True,
        domain=[('sequence_type', '=',
                Id('photo_booking', 'sequence_type_booking'))])
    hold_duration = fields.TimeDelta(
        "Hold Duration", required=True,
        help="How long a chosen time stays reserved while the client "
        "finishes booking.")

    @classmethod
    def default_booking_sequence(cls):
        ModelData = Pool().get('ir.model.data')
        return ModelData.get_id('photo_booking', 'sequence_booking')

    @classmethod
    def default_hold_duration(cls):
        return dt.timedelta(minutes=15)


class Sequence(metaclass=PoolMeta):
    __name__ = 'ir.sequence'

    @classmethod
    def on_modification(cls, mode, sequences, field_names=None):
        super().on_modification(mode, sequences, field_names=field_names)
        # setup_cache keeps the booking sequence's format only when its
        # numbers come from a database sequence; without one (SQLite) every
        # number writes the record and nothing is cached to clear.
        if sql_sequence:
            setup_cache.cache.clear()
