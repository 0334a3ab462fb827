"When each service's clients are reminded of their shoot."
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta

from . import reminder
from .exceptions import ReminderOffsetsError


class Service(metaclass=PoolMeta):
    __name__ = 'photo.service'
    reminder_offsets = fields.Char(
        "Reminders", help="Hours before the shoot when the client is "
        "reminded, separated by commas (e.g. \"24, 1\"); empty: none.")

    @classmethod
    def default_reminder_offsets(cls):
        return reminder.DEFAULT_OFFSETS

    @classmethod
    def validate_fields(cls, services, field_names):
        super().validate_fields(services, field_names)
        if 'reminder_offsets' in field_names:
            for service in services:
                try:
                    service.reminders
                except reminder.OffsetsError as exception:
                    raise ReminderOffsetsError(gettext(
                            'photo_notify.msg_reminder_offsets',
                            service=service.rec_name,
                            value=str(exception))) from exception

    @property
    def reminders(self):
        "The reminders' offsets, largest first."
        return reminder.parse_offsets(self.reminder_offsets)
