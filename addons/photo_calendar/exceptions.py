from trytond.exceptions import UserError


class GoogleConnectError(UserError):
    "Google Calendar cannot be connected (not configured, consent refused)."
