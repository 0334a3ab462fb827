from . import routes  # noqa: F401
from . import portal  # noqa: F401
