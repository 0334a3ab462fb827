from decimal import Decimal
from http import HTTPStatus

from werkzeug.test import EnvironBuilder

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.protocols.wrappers import Request
from trytond.tests.test_tryton import DB_NAME, with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking import api

from trytond.modules.photo_booking.tests.cases import (
    ModuleTestCase, RouteTestCase)
from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, as_user, create_world, erase_party, local,
    recording_queries, staff_users, tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin, MessageTranslationTestMixin)

ADDRESS = '203.0.113.7'


def entries(**domain):
    Entry = Pool().get('photo.audit.entry')
    return Entry.search([(k, '=', v) for k, v in domain.items()],
        order=[('id', 'ASC')])


class PhotoAuditTestCase(
        CatalogueTranslationTestMixin,
        MessageTranslationTestMixin, ModuleTestCase):
    "Test photo_audit module"
    module = 'photo_audit'

    def hold(self, w):
        Booking = Pool().get('photo.booking')
        return Booking.create_hold(
            w.service, local(w.studio, tomorrow(2), 11), w.client, w.studio)

    @with_transaction()
    def test_hold_costs_one_insert(self):
        "A hold is logged as created by one INSERT, by the visitor's address"
        w = create_world()
        # As the API's and the portal's routes run: as root
        with Transaction().set_user(0), \
                Transaction().set_context(_request={'remote_addr': ADDRESS}), \
                recording_queries() as queries:
            booking = self.hold(w)
        audit = [sql for sql, _ in queries if 'photo_audit_entry' in sql]
        self.assertEqual(len(audit), 1, audit)
        self.assertTrue(audit[0].lstrip().upper().startswith('INSERT'))
        entry, = entries(model='photo.booking', record=booking.id)
        self.assertEqual(
            (entry.action, entry.actor_kind, entry.address, entry.user),
            ('create', 'visitor', ADDRESS, None))
        self.assertEqual(entry.resource, booking)

    @with_transaction()
    def test_price_change_by_manager(self):
        "A price change names the manager, the old and the new price"
        Service = Pool().get('photo.service')
        w = create_world()
        staff = staff_users(w)
        with as_user(staff.manager), Transaction().set_context(
                _request={'remote_addr': ADDRESS}):
            Service.write([Service(w.service.id)], {'price': Decimal('6500')})
        entry, = entries(model='photo.service', action='write')
        self.assertEqual(
            (entry.field, entry.old_value, entry.new_value, entry.user,
                entry.actor_kind, entry.address),
            ('price', '5000', '6500', staff.manager, 'staff', ADDRESS))

    @with_transaction()
    def test_unchanged_value_not_logged(self):
        "Writing a field's current value logs nothing"
        Service = Pool().get('photo.service')
        w = create_world()
        Service.write([w.service], {'price': Decimal('5000'), 'name': "Portrait"})
        self.assertEqual(entries(model='photo.service', action='write'), [])

    @with_transaction()
    def test_booking_transitions_and_personal_data(self):
        "State changes are logged; personal data changes without values"
        Booking = Pool().get('photo.booking')
        w = create_world()
        booking = self.hold(w)
        Booking.write([booking], {'email': 'vera@example.com'})
        Booking.cancel([booking], by='studio', reason="Ill")
        changes = {e.field: (e.old_value, e.new_value) for e in entries(
                model='photo.booking', record=booking.id, action='write')}
        self.assertEqual(changes['state'], ('hold', 'cancelled'))
        self.assertEqual(changes['email'][1], '***')
        self.assertEqual(changes['cancel_reason'], (None, '***'))
        for _, new in changes.values():
            self.assertNotIn('vera@example.com', new or '')

    @with_transaction()
    def test_schedule_change(self):
        "A photographer's working hours changed are logged"
        WorkingHours = Pool().get('photo.photographer.working_hours')
        w = create_world()
        hours = w.photographer.working_hours[0]
        WorkingHours.delete([hours])
        entry, = entries(
            model='photo.photographer.working_hours', action='delete')
        self.assertEqual(entry.record, hours.id)
        self.assertEqual(entry.user.login, 'admin')
        self.assertIsNone(entry.resource)

    @with_transaction()
    def test_permissions(self):
        "A group given to or taken from a user is logged, from either side"
        pool = Pool()
        User = pool.get('res.user')
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        manager_group = Group(
            ModelData.get_id('photo_booking', 'group_photo_manager'))
        user, = User.create([{'login': 'vlad', 'name': "Vlad"}])
        User.write([user], {'groups': [('add', [manager_group.id])]})
        Group.write([manager_group], {'users': [('remove', [user.id])]})
        logged = [(e.old_value, e.new_value) for e in entries(
                model='res.user', record=user.id, field='groups')]
        self.assertEqual(logged, [
                (None, manager_group.name), (manager_group.name, None)])

    @with_transaction()
    def test_personal_data_export_and_erase(self):
        "A client's export of their data and an erasure are logged"
        pool = Pool()
        WebUser = pool.get('web.user')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Vera"}])
        user, = WebUser.create([{'email': 'vera@example.com', 'party': party.id}])
        # As the portal runs its pages: as root, the client in the context
        with Transaction().set_user(0), \
                Transaction().set_context(web_user=user.id):
            WebUser.personal_data_accessed([user], 'export')
        entry, = entries(action='export')
        self.assertEqual(
            (entry.model, entry.record, entry.actor_kind, entry.actor),
            ('web.user', user.id, 'web_user', str(user.id)))
        erase_party(party)
        entry, = entries(action='erase')
        self.assertEqual((entry.model, entry.record),
            ('party.party', party.id))

    @with_transaction()
    def test_append_only(self):
        "Nobody changes or deletes an entry, the administrator neither"
        Entry = Pool().get('photo.audit.entry')
        w = create_world()
        self.hold(w)
        entry, = entries(model='photo.booking')
        for user_id, check in [(0, False), (1, True)]:
            with Transaction().set_user(user_id), \
                    Transaction().set_context(_check_access=check):
                with self.assertRaises(AccessError):
                    Entry.write([entry], {'new_value': 'forged'})
                with self.assertRaises(AccessError):
                    Entry.delete([entry])
                with self.assertRaises(AccessError):
                    Entry.create([{'action': 'create', 'model': 'x'}])
                with self.assertRaises(AccessError):
                    Entry.copy([entry])
        self.assertEqual(entries(model='photo.booking'), [entry])

    @with_transaction()
    def test_managers_read_photographers_do_not(self):
        "Managers read the log; photographers cannot"
        Entry = Pool().get('photo.audit.entry')
        w = create_world()
        staff = staff_users(w)
        self.hold(w)
        with as_user(staff.manager):
            self.assertTrue(Entry.search([]))
        with as_user(staff.photographers[0]):
            with self.assertRaises(AccessError):
                Entry.search([])

    def rpc(self, user):
        "What the dispatcher runs an RPC of user in (an address, access)."
        stack = as_user(user)
        stack.enter_context(Transaction().set_context(
                _request={'remote_addr': ADDRESS}))
        return stack

    @with_transaction()
    def test_staff_read_of_personal_data_logged(self):
        """A photographer reading a booking's phone leaves an entry: who,
        which record and field, not the value; managers see it"""
        Booking = Pool().get('photo.booking')
        w = create_world()
        staff = staff_users(w)
        booking = self.hold(w)
        Booking.write([booking], {'phone': '+79990001122'})
        photographer = staff.photographers[0]
        with self.rpc(photographer):
            phone, = Booking.read([booking.id], ['phone', 'start'])
        self.assertEqual(phone['phone'], '+79990001122')
        with as_user(staff.manager):
            entry, = entries(action='view')
            self.assertEqual(
                (entry.model, entry.record, entry.field, entry.user,
                    entry.actor_kind, entry.address),
                ('photo.booking', booking.id, 'phone', photographer,
                    'staff', ADDRESS))
            self.assertNotIn('+7999', ' '.join(filter(None, [
                            entry.old_value, entry.new_value,
                            entry.records])))

    @with_transaction()
    def test_list_read_is_one_entry(self):
        "A list of bookings read at once is one entry with their ids"
        pool = Pool()
        Booking = pool.get('photo.booking')
        w = create_world()
        staff = staff_users(w)
        bookings = [Booking.create_hold(w.service,
                local(w.studio, tomorrow(2), hour), w.client, w.studio)
            for hour in [11, 13, 15]]
        ids = sorted(b.id for b in bookings)
        with self.rpc(staff.manager), recording_queries() as queries:
            Booking.search_read([('id', 'in', ids)],
                fields_names=['start', 'email', 'phone', 'client.rec_name'])
        audit = [sql for sql, _ in queries if 'photo_audit_entry' in sql]
        self.assertEqual(len(audit), 1, audit)
        entry, = entries(action='view')
        self.assertEqual(
            (entry.record, entry.records, entry.field),
            (None, ','.join(map(str, ids)), 'email, phone'))

    @with_transaction()
    def test_contact_mechanisms_read_logged(self):
        "Reading a client's phone numbers and addresses is logged"
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        w = create_world()
        staff = staff_users(w)
        party, = Party.create([{'name': "Vera",
                    'contact_mechanisms': [('create', [
                                {'type': 'phone', 'value': '+79990002233'}])],
                    'addresses': [('create', [{'street': "Tverskaya 1"}])],
                    }])
        with self.rpc(staff.manager):
            Mechanism.read([m.id for m in party.contact_mechanisms],
                ['type', 'value'])
            Address.read([a.id for a in party.addresses], ['street'])
            Party.read([party.id], ['name'])
        self.assertEqual(
            [(e.model, e.field) for e in entries(action='view')],
            [('party.contact_mechanism', 'value'),
                ('party.address', 'street')])

    @with_transaction()
    def test_reads_not_logged(self):
        """No entry for the system's reads, the portal's (as root), the
        cron's (no request) nor reads without personal fields"""
        Booking = Pool().get('photo.booking')
        w = create_world()
        staff = staff_users(w)
        booking = self.hold(w)
        with Transaction().set_user(0), Transaction().set_context(
                _request={'remote_addr': ADDRESS}, web_user=1):
            Booking.read([booking.id], ['phone', 'email'])
        with as_user(staff.manager):
            Booking.read([booking.id], ['phone'])  # no request: the cron
        with self.rpc(staff.manager):
            Booking.read([booking.id], ['start', 'state'])
            booking = Booking(booking.id)
            booking.phone  # business code reading a field
        self.assertEqual(entries(action='view'), [])

    @with_transaction()
    def test_api_key_write_attributed(self):
        "A change through an application key names the key and its user"
        pool = Pool()
        Application = pool.get('res.user.application')
        Service = pool.get('photo.service')
        w = create_world()
        staff = staff_users(w)
        key, = Application.create([{
                    'user': staff.manager.id, 'application': 'photo_booking',
                    'state': 'validated'}])
        request = Request(EnvironBuilder(
                headers={'Authorization': f'Bearer {key.key}'}).get_environ())
        with self.rpc(staff.manager):
            with Transaction().set_context(api.acting(request)):
                Service.write([Service(w.service.id)],
                    {'price': Decimal('6000')})
        entry, = entries(model='photo.service', action='write')
        self.assertEqual(
            (entry.actor_kind, entry.actor, entry.user),
            ('api_key', f'photo_booking key #{key.id}', staff.manager))


class PhotoAuditRouteTestCase(RouteTestCase):
    "Who the JSON API's writes are logged as"
    module = 'photo_audit'
    relaxed_limits = True

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        WebUser = pool.get('web.user')
        w = create_world()
        user, = WebUser.create([{'email': 'vera@example.com',
                    'password': 'Correct-Horse-7-Battery',
                    'party': w.client.id}])
        cls.web_user = user.id
        cls.session = user.new_session()
        cls.service, cls.studio = w.service.id, w.studio.id
        cls.photographer = w.photographer.id
        cls.starts = {hour: local(w.studio, tomorrow(3), hour).isoformat()
            + '+00:00' for hour in [12, 14]}

    def hold(self, headers, hour):
        return AddressedClient(ADDRESS).post(
            f'{self.db_name}/photo_booking/api/v1/holds', headers=headers,
            json={'service': self.service, 'studio': self.studio,
                'photographer': self.photographer,
                'start': self.starts[hour],
                'client': {'name': "Guest", 'email': 'guest@example.com'},
                'consent': True})

    def created(self, response):
        self.assertEqual(response.status_code, HTTPStatus.CREATED,
            response.data)
        token = response.json['token']
        with Transaction().start(DB_NAME, 0):
            booking, = Pool().get('photo.booking').search(
                [('token', '=', token)])
            entry, = entries(
                model='photo.booking', record=booking.id, action='create')
            return entry.actor_kind, entry.actor, entry.address

    def test_signed_in_client(self):
        "A hold of a signed-in client names the web user"
        response = self.hold(
            {'Authorization': f'Bearer {self.session}'}, 12)
        self.assertEqual(self.created(response),
            ('web_user', str(self.web_user), ADDRESS))

    def test_visitor(self):
        "An anonymous hold is the visitor's, by address"
        self.assertEqual(self.created(self.hold({}, 14)),
            ('visitor', None, ADDRESS))


del ModuleTestCase
