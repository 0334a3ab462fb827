# One class per kind of failure a user can meet; texts live in message.xml.
from trytond.exceptions import RateLimitException, UserError, UserWarning
from trytond.model.exceptions import ValidationError


class BookingError(UserError):
    "A booking request that cannot be honoured as asked."


class SlotTakenError(BookingError):
    "The time is no longer free for the photographer, room or equipment."


class BookingValidationError(ValidationError):
    pass


class HoldExpiredError(BookingError):
    pass


class CancellationError(BookingError):
    pass


class LateCancellationWarning(UserWarning):
    pass


class UnbookableTimeWarning(UserWarning):
    "Staff confirm a time clients could not book."


class ReviewError(UserError):
    pass


class TooManyAttempts(RateLimitException):
    "Refused at once instead of slept on: try again in retry_after seconds."

    def __init__(self, retry_after):
        super().__init__()
        self.retry_after = retry_after


class EncryptionError(UserError):
    "A key is missing or wrong: personal data cannot be read or written."
