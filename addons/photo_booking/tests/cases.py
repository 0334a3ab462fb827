"Test case classes the modules built on photo_booking share."
from trytond.tests import test_tryton

from .database import CachedModulesMixin
from .tools import relax_abuse_limits, set_config


class ModuleTestCase(CachedModulesMixin, test_tryton.ModuleTestCase):
    "trytond's ModuleTestCase, its database cached over a smaller one."


class RouteTestCase(CachedModulesMixin, test_tryton.RouteTestCase):
    """trytond's RouteTestCase, its database cached over a smaller one; with
    relaxed_limits set on the class, the
    API's rate limits are counted in this process only and high enough for
    the class's requests, and RELAXED_ABUSE holds, until the class is done."""
    relaxed_limits = False

    @classmethod
    def setUpClass(cls):
        if cls.relaxed_limits:
            for key, value in [('redis_url', ''),
                    ('rate_limit_api_write', '1000/60'),
                    ('rate_limit_login', '1000/60')]:
                set_config(cls.addClassCleanup, 'photo_booking', key, value)
            relax_abuse_limits(cls.addClassCleanup)
        super().setUpClass()
