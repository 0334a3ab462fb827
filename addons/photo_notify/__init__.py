from importlib.util import find_spec

# Importing routes registers the app's device API.
from . import routes  # noqa: F401

# The push opt-in joins the client portal where photo_portal is installed
# (it answers only where photo_notify is activated, see tryton.cfg).
if find_spec('trytond.modules.photo_portal'):
    from . import portal  # noqa: F401
