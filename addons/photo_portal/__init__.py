# Importing the page families registers the portal's pages on trytond's WSGI
# application (pages answer only where photo_portal is activated).
from . import account, book, cabinet, catalogue, pwa  # noqa: F401
