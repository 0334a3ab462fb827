"Fake gateways, settings and a studio world that takes prepayments."
import datetime as dt
from decimal import Decimal

from trytond import config
from trytond.pool import Pool

from trytond.modules.photo_booking.tests.tools import (
    create_world, local, tomorrow)

from .fakes import FakeStripe, FakeYooKassa

SECTION = 'photo_payment'
STRIPE_SECRET = 'sk_test_fake'
STRIPE_WEBHOOK_SECRET = 'whsec_test_secret'
YOOKASSA_SHOP = '123456'
YOOKASSA_SECRET = 'test_fake_secret'
YOOKASSA_IP = '185.71.76.5'


def start_fakes(case):
    "Start both fakes for a TestCase class; stopped at class cleanup."
    case.stripe = FakeStripe(STRIPE_SECRET).start()
    case.yookassa = FakeYooKassa(YOOKASSA_SHOP, YOOKASSA_SECRET).start()
    case.addClassCleanup(case.stripe.stop)
    case.addClassCleanup(case.yookassa.stop)


def configure(case, **overrides):
    "Point the gateways at the fakes, as production does with its config."
    if not config._config.has_section(SECTION):
        config._config.add_section(SECTION)
    values = {
        'stripe_api_base': case.stripe.url,
        'yookassa_api_url': case.yookassa.url + '/v3',
        'stripe_secret_key': STRIPE_SECRET,
        'stripe_webhook_secret': STRIPE_WEBHOOK_SECRET,
        'yookassa_shop_id': YOOKASSA_SHOP,
        'yookassa_secret_key': YOOKASSA_SECRET,
        'retries': '3',
        'retry_delay': '0',
        'http_timeout': '0.5',
        'return_url': 'https://studio.example.com/paid',
        }
    values.update(overrides)
    for key, value in values.items():
        old = config.get(SECTION, key)
        config.set(SECTION, key, value)
        case.addCleanup(_restore, key, old)


def _restore(key, old):
    if old is None:
        config._config.remove_option(SECTION, key)
        config._cache_clear()
    else:
        config.set(SECTION, key, old)


def create_gateways():
    Gateway = Pool().get('photo.payment.gateway')
    stripe, yookassa = Gateway.create([{
                'name': "Stripe", 'kind': 'stripe', 'code': 'stripe',
                'sequence': 1,
                }, {
                'name': "YooKassa", 'kind': 'yookassa', 'code': 'yookassa',
                'sequence': 2,
                }])
    return stripe, yookassa


def create_paid_world(percent=Decimal(30), **kwargs):
    "create_world whose service takes a prepayment of percent."
    world = create_world(**kwargs)
    Service = Pool().get('photo.service')
    Service.write([world.service], {'prepayment_percent': percent})
    return world


def hold(world, day=None, hour=11, email='anna@example.com', source='web'):
    Booking = Pool().get('photo.booking')
    start = local(world.studio, day or tomorrow(2), hour)
    return Booking.create_hold(
        world.service, start, world.client, world.studio, email=email,
        phone='+7 926 000-11-22', source=source)


__all__ = ['create_world', 'local', 'tomorrow', 'dt']
