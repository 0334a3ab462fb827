# One class per kind of failure a user can meet; texts live in message.xml.
from trytond.exceptions import UserError


class PaymentError(UserError):
    "A payment that cannot be made as asked."


class GatewayConfigurationError(PaymentError):
    "No gateway, or one whose secrets are missing from the configuration."


class RefundError(PaymentError):
    pass


class PromoError(PaymentError):
    pass


class PrepaidError(PaymentError):
    "A gift certificate or hour package that cannot pay a booking."
