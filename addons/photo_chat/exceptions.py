"The chat's errors, each with its message in message.xml."
from trytond.exceptions import UserError


class ChatFileError(UserError):
    "A file the chat does not take (type, size, not a booking's)."


class ChatMessageError(UserError):
    "A message the chat does not take (too long, too many too fast)."
