from trytond.model.exceptions import ValidationError


class ReminderOffsetsError(ValidationError):
    pass
