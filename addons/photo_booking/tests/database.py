"Test databases of the modules built on photo_booking."
from trytond.modules import get_module_info
from trytond.tests.test_tryton import (
    DB_CACHE, activate_module, drop_db, restore_db_cache)

# The databases this run cached through cache_modules: activate_module's
# cache name -> every module activated in it.
_cached = {}


def with_depends(modules):
    "modules and every module they depend on, directly or not."
    found, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        if module not in found:
            found.add(module)
            todo.extend((get_module_info(module) or {}).get('depends', []))
    return found


def cache_modules(modules):
    """Cache the test database of modules (as activate_module names it)
    built on the largest database this run cached whose modules are all
    among theirs (DB_CACHE, as ./scripts/test sets it).

    Activating the few modules missing from such a database takes seconds
    where activating everything from an empty database takes a minute or
    two (photo_payment brings account). The database still gets nothing
    but the modules asked and their depends, as a studio's database does
    with trytond-admin -u. Without DB_CACHE nothing is done: the test case
    activates everything as usual."""
    name = '-'.join(modules)
    if not DB_CACHE or name in _cached:
        return
    wanted = with_depends(modules)
    bases = sorted(
        (base for base, activated in _cached.items() if activated <= wanted),
        key=lambda base: len(_cached[base]), reverse=True)
    drop_db()
    for base in bases:
        if restore_db_cache(base):
            break
    activate_module(modules)
    _cached[name] = wanted
    drop_db()


class CachedModulesMixin:
    "A test case whose database is cached over the largest one cached."

    @classmethod
    def setUpClass(cls):
        if cls.module and cls.language == 'en':
            cache_modules([cls.module, *(cls.extras or [])])
        super().setUpClass()
