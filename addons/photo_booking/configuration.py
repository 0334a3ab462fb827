"Settings a studio manager changes in the back office."
import datetime as dt

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Id

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
