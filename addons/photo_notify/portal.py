"""What photo_notify adds to the portal, where photo_portal is installed:
the booking page offers push notifications (a button, after booking: the
browser asks permission only when the client presses it), and the
subscription its service worker gets is stored per browser.

- /booking/<token>/push (POST, form `subscription`: the PushSubscription's
  JSON): subscribe this browser to the news of the booking's client.
- /account/push (POST, the same form): the signed-in client's browser.
- /account/devices/remove (POST, form `device`: a device's token): stop
  notifications on one of the signed-in client's browsers or apps (404
  for a device that is not theirs).

The profile page shows the client's channels for each kind of news (and the
push opt-in) in place of the account's own checkboxes
(web.user.portal_profile_panels), and under the form the browsers and apps
they get notifications on, each with a button to stop them there.
"""
import json
import os

from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import HTTPStatus, Response, exceptions

from trytond.modules.photo_portal.pages import (
    booking_by_token, require_user, when)
from trytond.modules.photo_portal.translation import N_
from trytond.modules.photo_portal.pwa import static_files
from trytond.modules.photo_portal.web import (
    BadInput, check_rate, redirect_to, route)

from .channel_webpush import application_server_key
from .exceptions import DeviceError
from .web_user import NEWS_CHANNELS, REMINDER_CHANNELS

# The choices' words on the profile page (the portal's catalogue)
CHANNEL_WORDS = {
    'email': N_("E-mail"),
    'telegram': N_("Telegram"),
    'sms': N_("SMS"),
    'none': N_("No reminders"),
    }
STATIC = os.path.join(os.path.dirname(__file__), 'static')
PUSH_LIMIT = '20/600'  # subscriptions per address ([photo_booking] rate_limit_push)


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    def portal_mails_client(self):
        # The client hears of the booking from the outbox, by the channels
        # they prefer: the portal's own mail would be a second one.
        return False

    def portal_panels(self, page):
        panels = super().portal_panels(page)
        if page == 'confirmation' and self.state in {
                'requested', 'confirmed'}:
            key = application_server_key()
            if key:
                panels.append({
                        'template': 'photo_notify/_push.html',
                        'key': key,
                        'url': f'/booking/{self.token}/push',
                        })
        return panels


class WebUser(metaclass=PoolMeta):
    __name__ = 'web.user'

    def portal_profile_panels(self):
        panels = super().portal_profile_panels()
        key = application_server_key()
        panels.append({
                'template': 'photo_notify/_profile.html',
                'news': [(v, CHANNEL_WORDS[v])
                    for v, _ in NEWS_CHANNELS if v],
                'reminders': [(v, CHANNEL_WORDS[v])
                    for v, _ in REMINDER_CHANNELS if v],
                'news_channel': (
                    self.notification_channels('confirmed') or ['email'])[0],
                'reminder_channel': (
                    self.notification_channels('reminder') or ['none'])[0],
                'push': {'key': key, 'url': '/account/push'} if key else None,
                'after_form': 'photo_notify/_devices.html',
                'devices': self.portal_devices(),
                })
        return panels

    def portal_devices(self):
        """[{token, name, channel, subscribed, used}] of the browsers and
        apps the client gets notifications on, latest first; times in the
        zone of their latest booking's studio."""
        pool = Pool()
        Device = pool.get('photo.notification.device')
        Booking = pool.get('photo.booking')
        if not self.party:
            return []
        devices = Device.search([('party', '=', self.party.id)])
        if not devices:
            return []
        bookings = Booking.search([('client', '=', self.party.id)],
            order=[('start', 'DESC')], limit=1)
        tz_name = bookings[0].timezone if bookings else 'UTC'
        return [{
                'token': d.token,
                'name': d.name,
                'channel': d.channel,
                'subscribed': (when(d.subscribed_at, tz_name)
                    if d.subscribed_at else None),
                'used': when(d.last_used, tz_name) if d.last_used else None,
                } for d in devices]

    def portal_profile_save(self, form):
        super().portal_profile_save(form)
        Device = Pool().get('photo.notification.device')
        news = form.get('news_channel')
        reminders = form.get('reminder_channel')
        values = {}
        if news in {v for v, _ in NEWS_CHANNELS if v}:
            values['news_channel'] = news
        if reminders in {v for v, _ in REMINDER_CHANNELS if v}:
            values['reminder_channel'] = reminders
        if values:
            self.write([self], values)
            if self.party:
                # The coming reminders go by the new choice
                Device.replan([self.party])


def _device_model(pool):
    "photo.notification.device, or NotFound where photo_notify is inactive."
    try:
        return pool.get('photo.notification.device')
    except KeyError:
        raise exceptions.NotFound()


def _json(data, status=HTTPStatus.OK):
    response = Response(json.dumps(data), status=int(status),
        mimetype='application/json')
    response.headers['Cache-Control'] = 'no-store'
    return response


def _subscribe(visit, pool, party, web_user):
    "Store the posted subscription of this browser for party: 201 or 400."
    Device = _device_model(pool)
    _ = visit.gettext
    check_rate(visit, 'push', PUSH_LIMIT)
    try:
        if not party:
            raise ValueError("no party")
        info = json.loads(visit.request.form.get('subscription') or '')
        Device.subscribe(party, info, web_user=web_user,
            user_agent=visit.request.headers.get('User-Agent'))
    except (ValueError, DeviceError):
        raise BadInput(_("This browser could not be subscribed "
                "to notifications."))
    return _json({'subscribed': True}, HTTPStatus.CREATED)


@route('/booking/<token>/push', methods=['POST'])
def push_subscribe(visit, pool, token):
    _device_model(pool)
    booking = booking_by_token(pool, token)
    return _subscribe(visit, pool, booking.client,
        visit.user or booking.web_user)


@route('/account/push', methods=['POST'])
def account_push_subscribe(visit, pool):
    _device_model(pool)
    require_user(visit)
    return _subscribe(visit, pool, visit.user.party, visit.user)


@route('/account/devices/remove', methods=['POST'])
def account_device_remove(visit, pool):
    """Stop notifications on one of the client's devices (the page has
    unsubscribed the browser itself when it is this one)."""
    Device = _device_model(pool)
    require_user(visit)
    party = visit.user.party
    if not party or not Device.remove(
            party, visit.request.form.get('device')):
        raise exceptions.NotFound()
    response = redirect_to('/account/profile', {'notice': 'device_removed'})
    response.headers['Location'] += '#push-devices'  # where the notice is
    return response


static_files('/static/photo_notify', STATIC)
