from . import routes  # noqa: F401
