"""The devices a client gets push notifications on: the installed portal's
web push subscriptions (per browser) and the native app's FCM tokens."""
import base64
import binascii
from urllib.parse import urlsplit

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from trytond.modules.photo_booking.booking import utc_now

from . import outbox
from .exceptions import DeviceError
from .useragent import browser_and_system

SECTION = 'photo_notify'
DEVICE_CHANNELS = [
    ('webpush', "Web push"),
    ('fcm', "Mobile app (FCM)"),
    ]
# The push services of the browsers (RFC 8030 endpoints are theirs): a
# subscription elsewhere would have the server post to any address given.
PUSH_HOSTS = ('fcm.googleapis.com', 'updates.push.services.mozilla.com',
    'notify.windows.com', 'push.apple.com')


def b64url_bytes(value):
    "The bytes of a base64url text (padded or not), or None."
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.urlsafe_b64decode(value + '=' * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def push_hosts():
    "[photo_notify] webpush_hosts: host names (or suffixes) of push services."
    value = config.get(SECTION, 'webpush_hosts', default='')
    return tuple(h.strip().lower() for h in value.split(',') if h.strip()) \
        or PUSH_HOSTS


def check_subscription(info):
    """The (endpoint, p256dh, auth) of a PushSubscription's JSON (as
    PushSubscription.toJSON() gives it), or ValueError saying what is
    wrong: an https endpoint of a known push service, a P-256 public key
    (65 bytes, uncompressed) and a 16-byte auth secret."""
    if not isinstance(info, dict):
        raise ValueError("not a subscription")
    endpoint = info.get('endpoint')
    keys = info.get('keys') or {}
    if not isinstance(endpoint, str) or len(endpoint) > 1000:
        raise ValueError("no endpoint")
    url = urlsplit(endpoint)
    host = (url.hostname or '').lower()
    if not any(host == h or host.endswith('.' + h) for h in push_hosts()):
        raise ValueError("not a known push service")
    local = host in {'127.0.0.1', 'localhost'}
    if url.scheme != 'https' and not (local and url.scheme == 'http'):
        raise ValueError("the endpoint must be https")
    p256dh = b64url_bytes(keys.get('p256dh'))
    if not p256dh or len(p256dh) != 65 or p256dh[0] != 4:
        raise ValueError("bad p256dh key")
    auth = b64url_bytes(keys.get('auth'))
    if not auth or len(auth) != 16:
        raise ValueError("bad auth secret")
    return endpoint, keys['p256dh'], keys['auth']


class Device(ModelSQL, ModelView):
    "Push Device"
    __name__ = 'photo.notification.device'
    channel = fields.Selection(DEVICE_CHANNELS, "Channel", required=True,
        readonly=True)
    address = fields.Char("Address", required=True, readonly=True,
        strip=False,
        help="The web push subscription's endpoint or the FCM token.")
    p256dh = fields.Char("Public Key", readonly=True, strip=False)
    auth = fields.Char("Auth Secret", readonly=True, strip=False)
    party = fields.Many2One('party.party', "Party", required=True,
        ondelete='CASCADE', readonly=True)
    web_user = fields.Many2One('web.user', "Web User", ondelete='CASCADE',
        readonly=True)
    user_agent = fields.Char("User Agent", readonly=True)
    subscribed_at = fields.DateTime("Subscribed", readonly=True)
    last_used = fields.DateTime("Last Used", readonly=True,
        help="When a notification last reached it.")
    name = fields.Function(fields.Char("Device"), 'get_name')
    token = fields.Function(fields.Char("Token"), 'get_token')
    staff_user = fields.Function(
        fields.Many2One('res.user', "Staff User"),
        'get_staff_user', searcher='search_staff_user')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('address_unique', Unique(t, t.channel, t.address),
                'photo_notify.msg_device_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order = [('subscribed_at', 'DESC'), ('id', 'DESC')]
        cls._rec_name = 'user_agent'

    def get_rec_name(self, name):
        return self.name

    def get_name(self, name):
        """What the person calls the device: "Chrome on Android" from the
        browser's User-Agent, in the language of the context."""
        if self.channel == 'fcm':
            return gettext('photo_notify.msg_device_app')
        browser, system = browser_and_system(self.user_agent)
        if browser and system:
            return gettext('photo_notify.msg_device_browser_on',
                browser=browser, system=system)
        if system:
            return gettext('photo_notify.msg_device_some_browser_on',
                system=system)
        return browser or gettext('photo_notify.msg_device_some_browser')

    def get_token(self, name):
        """The device's name in a form or a page: a digest of its address
        (the address itself says where to push, it stays on the server);
        the browser computes the same from its subscription's endpoint."""
        return outbox.digest(self.address)

    @classmethod
    def get_staff_user(cls, devices, name):
        Photographer = Pool().get('photo.photographer')
        users = {}
        for photographer in Photographer.search([
                    ('party', 'in', list({d.party.id for d in devices})),
                    ('user', '!=', None)]):
            users.setdefault(photographer.party.id, photographer.user.id)
        return {d.id: users.get(d.party.id) for d in devices}

    @classmethod
    def search_staff_user(cls, name, clause):
        """The devices of the staff user's party (their photographer's):
        a photographer who turned push on in the portal with it."""
        Photographer = Pool().get('photo.photographer')
        photographer = Photographer.__table__()
        device = cls.__table__()
        _, operator, value = clause[:3]
        Operator = fields.SQL_OPERATORS[operator]
        parties = photographer.select(photographer.party,
            where=Operator(photographer.user, value))
        return [('id', 'in', device.select(device.id,
                    where=device.party.in_(parties)))]

    @classmethod
    def staff_parties(cls, user):
        "The parties whose devices are the staff user's."
        Photographer = Pool().get('photo.photographer')
        return [p.party for p in Photographer.search([('user', '=', user.id)])]

    @classmethod
    def delete(cls, devices):
        # A device removed (portal, back office, app): the coming reminders
        # go by the person's other channels.
        parties = list({d.party for d in devices})
        super().delete(devices)
        if parties:
            # as the system: the reminders are the outbox's, not the
            # remover's to write
            with Transaction().set_user(0), without_check_access():
                cls.replan(parties)

    @classmethod
    def remove(cls, party, token):
        """The client stops notifications on one of their devices, named by
        its token: the devices removed (none: not theirs)."""
        devices = [d for d in cls.search([('party', '=', party.id)])
            if isinstance(token, str) and d.token == token]
        if devices:
            cls.delete(devices)
        return devices

    @classmethod
    def used(cls, channel, address, when):
        """A notification reached the device at when: its last use. Never
        fails the send's mark: on PostgreSQL a concurrent dispatcher
        writing the same device gives way (the savepoint)."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        update = table.update([table.last_used], [when],
            where=(table.channel == channel) & (table.address == address))
        if backend.name != 'postgresql':
            cursor.execute(*update)
            return
        cursor.execute('SAVEPOINT photo_notify_device_used')
        try:
            cursor.execute(*update)
        except backend.DatabaseOperationalError:
            cursor.execute('ROLLBACK TO SAVEPOINT photo_notify_device_used')
        else:
            cursor.execute('RELEASE SAVEPOINT photo_notify_device_used')

    @classmethod
    def subscribe(cls, party, info, web_user=None, user_agent=None):
        """Store the web push subscription info (a PushSubscription's JSON)
        of party's browser; the same endpoint again updates it. Raises
        DeviceError for a subscription that is not one."""
        try:
            endpoint, p256dh, auth = check_subscription(info)
        except ValueError as exception:
            raise DeviceError(gettext('photo_notify.msg_device_invalid',
                    reason=str(exception))) from exception
        values = {
            'party': party.id,
            'web_user': web_user.id if web_user else None,
            'p256dh': p256dh, 'auth': auth,
            'user_agent': (user_agent or '')[:200] or None,
            'subscribed_at': utc_now(),
            }
        devices = cls.search([('channel', '=', 'webpush'),
                ('address', '=', endpoint)])
        if devices:
            cls.write(devices, values)
        else:
            devices = cls.create([{
                        'channel': 'webpush', 'address': endpoint, **values}])
        cls.replan([party])
        return devices[0]

    @classmethod
    def register_token(cls, party, token, web_user=None):
        "Store the FCM registration token of party's app."
        if not isinstance(token, str) or not 1 <= len(token) <= 4096 \
                or not token.isprintable() or ' ' in token:
            raise DeviceError(gettext('photo_notify.msg_device_invalid',
                    reason="bad token"))
        devices = cls.search([('channel', '=', 'fcm'),
                ('address', '=', token)])
        values = {'party': party.id,
            'web_user': web_user.id if web_user else None,
            'subscribed_at': utc_now()}
        if devices:
            cls.write(devices, values)
        else:
            devices = cls.create([{
                        'channel': 'fcm', 'address': token, **values}])
        cls.replan([party])
        return devices[0]

    @classmethod
    def addresses(cls, party):
        """{channel: (address, ...)} of the devices of party, latest
        first."""
        result = {}
        for device in cls.search([('party', '=', party.id)],
                order=[('subscribed_at', 'DESC'), ('id', 'DESC')]):
            result[device.channel] = result.get(device.channel, ()) + (
                device.address,)
        return result

    @classmethod
    def keys(cls, address):
        "The subscription keys {'p256dh', 'auth'} of a web push endpoint."
        devices = cls.search([('channel', '=', 'webpush'),
                ('address', '=', address)], limit=1)
        if not devices:
            return None
        return {'p256dh': devices[0].p256dh, 'auth': devices[0].auth}

    @classmethod
    def forget(cls, channel, addresses):
        """The push service says these subscriptions or tokens are gone
        (404/410, UNREGISTERED): delete them."""
        devices = cls.search([('channel', '=', channel),
                ('address', 'in', list(addresses))])
        if devices:
            cls.delete(devices)
        return devices

    @classmethod
    def unsubscribe(cls, party, endpoint):
        "The client turned push off in this browser."
        devices = cls.search([('party', '=', party.id),
                ('address', '=', endpoint)])
        if devices:
            cls.delete(devices)
        return devices

    @classmethod
    def replan(cls, parties):
        """Plan the reminders of the parties' coming bookings again: a
        device subscribed or gone changes the channel they go by (the
        rows planned for the old one are withdrawn)."""
        Booking = Pool().get('photo.booking')
        now = utc_now()
        for booking in Booking.search([
                    ('client', 'in', [p.id for p in parties]),
                    ('state', '=', 'confirmed'),
                    ('start', '>', now),
                    ]):
            booking.plan_timers(now)


class Erase(metaclass=PoolMeta):
    "An erased client's devices are forgotten: nothing is pushed to them."
    __name__ = 'party.erase'

    def transition_erase(self):
        Device = Pool().get('photo.notification.device')
        devices = Device.search([('party', '=', self.ask.party.id)])
        if devices:
            Device.delete(devices)
        return super().transition_erase()
