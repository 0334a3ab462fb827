"Test databases of the modules built on photo_booking."
from trytond.tests.test_tryton import (
    DB_CACHE, activate_module, drop_db, restore_db_cache)

_cached = set()


def cache_over_booking(module):
    """Cache module's test database built on photo_booking's, once this run
    has cached that one (DB_CACHE, as ./scripts/test sets it).

    Activating the module alone on it takes seconds where activating
    everything from an empty database takes a minute or two; it still
    gets nothing but its own depends, as a studio's database does with
    trytond-admin -u. Without photo_booking's cache, the test case
    activates everything as usual."""
    if not DB_CACHE or module in _cached:
        return
    _cached.add(module)
    drop_db()
    if restore_db_cache('photo_booking'):
        activate_module([module])
    drop_db()


class OverBookingMixin:
    "A ModuleTestCase whose database is cached over photo_booking's."

    @classmethod
    def setUpClass(cls):
        cache_over_booking(cls.module)
        super().setUpClass()
