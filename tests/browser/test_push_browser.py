"""Push notifications on a phone: after booking, the client presses "Turn on
notifications", grants the permission, and the reminder pushed by the
dispatcher is decrypted by the browser's keys; the service worker shows it
and opens the booking on click.

Chromium's own PushManager.subscribe() asks Google's push service, out of
reach here: the test stands in for it (an init script returns the
subscription the local push service made for the page's key). Everything
else is the browser's: the permission, the service worker, the form post.
"""
import datetime as dt
import json
import uuid

import pytest
from playwright.sync_api import expect

from conftest import CHAT_PASSWORD, PHONE, _create_database, _page
from test_portal_browser import log_in

PUSH_DATABASE = 'pushportal_' + uuid.uuid4().hex[:8]

# The subscription lives on across pages, as the browser's does (in the
# page's storage); unsubscribe() forgets it and says so there.
FAKE_SUBSCRIBE = """
(subscription) => {
  if (!window.PushManager) { return; }
  const made = () => ({
    endpoint: subscription.endpoint,
    toJSON: () => subscription,
    unsubscribe: () => {
      localStorage.removeItem('__subscribed');
      localStorage.setItem('__unsubscribed', subscription.endpoint);
      window.__subscribed = null;
      return Promise.resolve(true);
    },
  });
  PushManager.prototype.getSubscription = function () {
    if (window.__subscribed === undefined
        && localStorage.getItem('__subscribed') === subscription.endpoint) {
      window.__subscribed = made();
    }
    return Promise.resolve(window.__subscribed || null);
  };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__subscribeKey = btoa(String.fromCharCode(...key))
      .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
    window.__subscribed = made();
    localStorage.setItem('__subscribed', subscription.endpoint);
    return Promise.resolve(window.__subscribed);
  };
}
"""
ANDROID_CHROME = ('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 '
    '(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36')


@pytest.fixture(scope='session')
def push_world(portal):
    """A database with photo_notify next to the portal's: a confirmed
    booking, the studio's VAPID key and a local push service."""
    from trytond import config
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking.tests.tools import (
        create_world, local, tomorrow)
    from trytond.modules.photo_notify.channel_webpush import (
        application_server_key)
    from trytond.modules.photo_notify.tests.fake_push import FakePushService
    from trytond.modules.photo_notify.tests.test_module import new_vapid_key

    if not config.has_section('photo_notify'):
        config.add_section('photo_notify')
    config.set('photo_notify', 'vapid_private_key', new_vapid_key())
    config.set('photo_notify', 'webpush_hosts', '127.0.0.1')
    config.set('photo_notify', 'portal_url', portal['url'])
    _create_database(PUSH_DATABASE, ('photo_portal', 'photo_notify'))
    Pool(PUSH_DATABASE).init()
    with Transaction().start(PUSH_DATABASE, 0) as transaction:
        pool = Pool()
        Booking = pool.get('photo.booking')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(2), 11), w.client, w.studio,
            email='pavel@example.com', source='web')
        Booking.submit([booking])
        pool.get('web.user').create([{
                    'email': 'olga@example.com', 'password': CHAT_PASSWORD,
                    'email_valid': True, 'party': w.client.id}])
        ids = {'booking': booking.id, 'token': booking.token}
        transaction.commit()
    with FakePushService() as push:
        yield {**portal, **ids, 'database': PUSH_DATABASE, 'push': push,
            'key': application_server_key()}


@pytest.fixture
def push_portal(push_world):
    from trytond import config
    previous = config.get('photo_booking', 'portal_database')
    config.set('photo_booking', 'portal_database', PUSH_DATABASE)
    yield push_world
    config.set('photo_booking', 'portal_database', previous)


def deliver_reminders(world):
    "The dispatcher's batch, a day before the shoot: the reminders are due."
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking.booking import utc_now
    with Transaction().start(world['database'], 0) as transaction:
        Notification = Pool().get('photo.notification')
        now = utc_now() + dt.timedelta(days=3)
        Notification.deliver(Notification.claim(now=now), now=now)
        transaction.commit()


def test_push_opt_in_on_phone(browser, push_portal, smtp, shot):
    """The client turns notifications on after booking, the reminder is
    pushed to this browser and decrypted, the service worker shows it and a
    click on it opens the booking"""
    world = push_portal
    push = world['push']
    subscription = push.subscribe(world['key'])
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True,
        device_scale_factor=2, permissions=['notifications'])
    try:
        page.add_init_script(f'({FAKE_SUBSCRIBE})({json.dumps(subscription)})')
        page.goto(f"{world['url']}/booking/{world['token']}")
        button = page.get_by_role('button', name='Включить уведомления')
        expect(button).to_be_visible()
        # Asked on the button only: nothing was subscribed on page load
        assert page.evaluate('window.__subscribed === undefined')
        shot(page, '1-offer')

        button.click()

        expect(page.get_by_role('status')).to_have_text(
            'Уведомления в этом браузере включены: напоминания и новости '
            'о записи будут приходить сюда.')
        expect(button).to_be_hidden()
        assert page.evaluate('window.__subscribeKey') == world['key']
        shot(page, '2-on')

        deliver_reminders(world)
        assert push.refused == []
        pushed = [r for r in push.received
            if r['endpoint'] == subscription['endpoint']]
        assert len(pushed) == 2
        payload = pushed[0]['payload']
        assert payload['url'] == f"{world['url']}/booking/{world['token']}"

        # The service worker shows what it was pushed…
        worker = context.service_workers[0] if context.service_workers \
            else context.wait_for_event('serviceworker')
        shown = worker.evaluate("""async (payload) => {
            await showPush(payload);
            const shown = await self.registration.getNotifications();
            return shown.map((n) => [n.title, n.body, n.data.url]);
        }""", payload)
        assert [payload['title'], payload['body'], payload['url']] in shown
        # …and a click on it opens the booking. A click made by a script is
        # not a user's, so the browser would refuse the window: the worker's
        # openWindow is watched instead, and the page opened by the test.
        page.goto(f"{world['url']}/")  # no window shows the booking now
        opened = worker.evaluate("""async () => {
            let opened = null;
            self.clients.openWindow = (url) => {
                opened = url;
                return Promise.resolve(null);
            };
            const [notification] = await self.registration.getNotifications();
            self.dispatchEvent(new NotificationEvent(
                'notificationclick', {notification}));
            await new Promise((resolve) => setTimeout(resolve, 200));
            const left = await self.registration.getNotifications();
            return [opened, left.length];
        }""")
        assert opened == [
            f"{world['url']}/booking/{world['token']}", 0], opened
        page.goto(opened[0])
        expect(page.get_by_role('heading', name='Запись подтверждена')) \
            .to_be_visible()
        shot(page, '3-opened')
    finally:
        context.close()


def test_push_offer_hidden_without_support(browser, push_portal, shot):
    "A browser without push support sees no button (the page still works)"
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        page.add_init_script('delete window.PushManager')
        page.goto(f"{push_portal['url']}/booking/{push_portal['token']}")
        expect(page.get_by_role('heading', name='Запись подтверждена')) \
            .to_be_visible()
        expect(page.get_by_role('button', name='Включить уведомления')) \
            .to_have_count(0)
    finally:
        context.close()


def test_channels_on_profile(browser, push_portal, shot):
    """The profile page chooses how booking news and reminders come, and
    offers push for this browser"""
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True,
        device_scale_factor=2)
    try:
        page.goto(f"{push_portal['url']}/account/login")
        log_in(page, 'olga@example.com', CHAT_PASSWORD)
        page.get_by_role('link', name='Профиль').click()
        news = page.get_by_label('Новости о моих записях')
        reminders = page.get_by_label('Напоминания перед съёмкой')
        expect(news).to_have_value('email')
        expect(reminders).to_have_value('email')
        expect(page.get_by_role('button', name='Включить уведомления')) \
            .to_be_visible()
        shot(page, '1-profile')
        reminders.select_option('none')
        page.get_by_label('Телефон').fill('+7 900 111-22-33')
        page.get_by_role('button', name='Сохранить').click()
        expect(page.get_by_text('Профиль сохранён.')).to_be_visible()
        page.get_by_role('link', name='Профиль').click()
        expect(page.get_by_label('Напоминания перед съёмкой')) \
            .to_have_value('none')
        shot(page, '2-no-reminders')
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
    finally:
        context.close()


def pending_to(world, endpoint):
    "The notifications waiting to be pushed to the browser of endpoint."
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_notify.outbox import digest
    with Transaction().start(world['database'], 0, readonly=True):
        Notification = Pool().get('photo.notification')
        return [n.event for n in Notification.search([
                    ('key', 'like', f'%:webpush/{digest(endpoint)}'),
                    ('state', '=', 'pending')])]


def test_profile_lists_and_removes_this_browser(browser, push_portal, shot):
    """Turned on in the profile, this browser is listed by name and marked
    as this one; stopping it there unsubscribes the browser and the
    reminder is not pushed to it"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    world = push_portal
    push = world['push']
    # Reminders wanted (another test may have turned them off)
    with Transaction().start(world['database'], 0) as transaction:
        WebUser = Pool().get('web.user')
        WebUser.write(WebUser.search([('email', '=', 'olga@example.com')]),
            {'reminder_channel': 'email'})
        transaction.commit()
    subscription = push.subscribe(world['key'])
    endpoint = subscription['endpoint']
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True,
        device_scale_factor=2, permissions=['notifications'],
        user_agent=ANDROID_CHROME)
    try:
        page.add_init_script(f'({FAKE_SUBSCRIBE})({json.dumps(subscription)})')
        page.goto(f"{world['url']}/account/login")
        log_in(page, 'olga@example.com', CHAT_PASSWORD)
        page.get_by_role('link', name='Профиль').click()
        page.get_by_role('button', name='Включить уведомления').click()

        # The page shows the list again, with this browser marked
        devices = page.get_by_role('region', name='Устройства с уведомлениями')
        marked = '.this-device:not([hidden])'
        mine = devices.get_by_role('listitem').filter(
            has=page.locator(marked))
        expect(mine).to_have_count(1)
        expect(mine).to_contain_text('Chrome на Android')
        expect(mine.locator(marked)).to_have_text('Это устройство')
        expect(mine).to_contain_text('Включены')
        expect(page.get_by_role('status').filter(
                has_text='Уведомления в этом браузере включены')).to_be_visible()
        assert 'reminder' in pending_to(world, endpoint)
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
        shot(page, '1-listed')

        mine.get_by_role('button',
            name='Отключить уведомления на этом устройстве').click()

        expect(page.get_by_text('Уведомления на выбранном устройстве '
                'отключены.')).to_be_visible()
        assert page.evaluate('location.hash') == '#push-devices'
        expect(devices.locator(marked)).to_have_count(0)
        assert page.evaluate("localStorage.getItem('__unsubscribed')") \
            == endpoint
        # The opt-in is offered again, the browser being unsubscribed
        expect(page.get_by_role('button', name='Включить уведомления')) \
            .to_be_visible()
        shot(page, '2-removed')
        assert pending_to(world, endpoint) == []
        deliver_reminders(world)
        assert [r for r in push.received if r['endpoint'] == endpoint] == []
    finally:
        context.close()
