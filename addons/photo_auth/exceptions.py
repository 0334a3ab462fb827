from trytond.exceptions import TrytonException, UserError


class SecondFactorError(UserError):
    pass


class EnrolmentRequired(TrytonException):
    """A login refused: staff past the deadline without a second factor.

    Not a LoginException (sao would ask for a value) nor a UserError (sao
    would show its class name): sao's login shows the first argument as the
    error's title, so the message is all the user reads."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
