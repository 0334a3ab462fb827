from importlib.util import find_spec

from . import bus, inbound  # noqa: F401 (inbound: the route of replies to chat mails)

# The client's chat pages join the portal where photo_portal is installed
# (they answer only where photo_chat is activated, see tryton.cfg).
if find_spec('trytond.modules.photo_portal'):
    from . import portal  # noqa: F401

bus.warn_unguarded()
