"Settings a studio manager changes in the back office."
import datetime as dt

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.ir.sequence import sql_sequence
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Id
from trytond.transaction import without_check_access

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
    staff_language = fields.Many2One(
        'ir.lang', "Staff Language",
        domain=[('translatable', '=', True)],
        help="The back office language of photographers and managers: "
        "set on their users when changed here and when a photographer "
        "gets a user.")

    @classmethod
    def default_booking_sequence(cls):
        ModelData = Pool().get('ir.model.data')
        return ModelData.get_id('photo_booking', 'sequence_booking')

    @classmethod
    def default_hold_duration(cls):
        return dt.timedelta(minutes=15)

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode != 'delete' and 'staff_language' in (field_names or {
                    'staff_language'}):
            pool = Pool()
            ModelData = pool.get('ir.model.data')
            User = pool.get('res.user')
            with without_check_access():
                users = User.search([('groups', 'in', [
                                ModelData.get_id(
                                    'photo_booking', 'group_photo_manager'),
                                ModelData.get_id(
                                    'photo_booking', 'group_photographer'),
                                ])])
            for config in records:
                cls.set_staff_language(users, config.staff_language)

    @classmethod
    def set_staff_language(cls, users, language=None):
        "Give users the staff language (by default the configured one)."
        User = Pool().get('res.user')
        language = language or cls(1).staff_language
        users = [u for u in users if language and u.language != language]
        if users:
            # Managers may not edit users: the studio's setting does
            with without_check_access():
                User.write(users, {'language': language.id})


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
