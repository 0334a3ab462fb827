from importlib.util import find_spec

# Importing routes registers the payment webhooks and API routes.
from . import routes  # noqa: F401

# The pay pages join the client portal where photo_portal is installed
# (they answer only where it is activated, see tryton.cfg).
if find_spec('trytond.modules.photo_portal'):
    from . import portal  # noqa: F401
