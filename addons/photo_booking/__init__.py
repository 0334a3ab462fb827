# Importing routes registers the HTTP API on trytond's WSGI application.
from . import routes  # noqa: F401
