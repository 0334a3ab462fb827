from trytond.exceptions import UserError


class LinkError(UserError):
    "A deep link that cannot link: malformed, forged, used or expired."


class BotInputError(UserError):
    "What the person typed cannot be understood (said back to them)."
