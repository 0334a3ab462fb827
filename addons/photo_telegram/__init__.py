"Telegram bot of clients and photographers; the chats it is linked to."
# Importing routes registers the webhook.
from . import routes  # noqa: F401
