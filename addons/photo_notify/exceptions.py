from trytond.model.exceptions import ValidationError
from trytond.exceptions import UserError


class ReminderOffsetsError(ValidationError):
    pass


class DeviceError(UserError):
    pass
