# Importing the pages registers them on trytond's WSGI application (they
# answer only where photo_oauth is activated).
from . import portal  # noqa: F401
