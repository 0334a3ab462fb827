from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.database import OverBookingMixin
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, erase_party, local, recording_queries,
    staff_users, tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin, MessageTranslationTestMixin)

ADDRESS = '203.0.113.7'


def entries(**domain):
    Entry = Pool().get('photo.audit.entry')
    return Entry.search([(k, '=', v) for k, v in domain.items()],
        order=[('id', 'ASC')])


class PhotoAuditTestCase(
        OverBookingMixin, CatalogueTranslationTestMixin,
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


del ModuleTestCase
