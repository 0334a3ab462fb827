"Currencies as bookings show them."
from trytond.pool import PoolMeta

from .setup_cache import ClearsSetupCache


class Currency(ClearsSetupCache, metaclass=PoolMeta):
    "Its code is shown with every booking's price, read from setup_cache."
    __name__ = 'currency.currency'
