from trytond.exceptions import UserError


class SecondFactorError(UserError):
    pass
