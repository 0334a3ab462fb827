"Telegram bot of clients and photographers; the chats it is linked to."
from importlib.util import find_spec

# Importing routes registers the webhook.
from . import routes  # noqa: F401

# The cabinet's link to the bot joins the portal where photo_portal is
# installed (shown only where it is activated, see tryton.cfg).
if find_spec('trytond.modules.photo_portal'):
    from . import portal  # noqa: F401
