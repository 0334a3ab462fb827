"What back-office users may read: secrets never, clients only their own."
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, local, staff_users, tomorrow)

SECRETS = ['password_hash', 'email_token', 'reset_password_token']


def portal_account(email, party=None):
    "A portal account with every secret set and a session open."
    User = Pool().get('web.user')
    user = User(email=email, party=party)
    user.password = 'Correct-Horse-7-Battery'
    user.set_email_token()
    user.set_reset_password_token()
    user.save()
    return user, user.new_session()


def two_clients(w):
    """A client booked with each of the two photographers of w, with an
    email and a phone; returns (anna's client, boris's client) and their
    bookings."""
    pool = Pool()
    Party = pool.get('party.party')
    Booking = pool.get('photo.booking')
    clients = Party.create([{
                'name': name,
                'contact_mechanisms': [('create', [
                            {'type': 'email', 'value': f'{login}@example.com'},
                            {'type': 'phone', 'value': phone}])],
                'addresses': [('create', [{'street': street}])],
                } for name, login, phone, street in [
                ("Vera", 'vera', '+79000000001', "Arbat 1"),
                ("Yuri", 'yuri', '+79000000002', "Arbat 2")]])
    start = local(w.studio, tomorrow(), 11)
    bookings = [
        Booking.create_hold(
            w.service, start, client, w.studio, photographer=photographer)
        for client, photographer in zip(clients, w.photographers)]
    return clients, bookings


class AccessTestCase(ModuleTestCase):
    "Access of photographers and managers"
    module = 'photo_booking'

    @with_transaction()
    def test_staff_cannot_read_portal_secrets(self):
        "Neither a photographer nor a manager reads portal secrets over RPC"
        pool = Pool()
        User = pool.get('web.user')
        Session = pool.get('web.user.session')
        w = create_world(photographers=2, equipment_quantity=2)
        staff = staff_users(w)
        (client, _), (booking, _) = two_clients(w)
        user, key = portal_account('vera@example.com', client)
        booking.web_user = user
        booking.save()

        for member in [staff.photographers[0], staff.manager]:
            with as_user(member):
                # The account itself stays visible, as the booking shows it.
                record, = User.read([user.id], ['email'])
                self.assertEqual(record['email'], 'vera@example.com')
                for secret in SECRETS:
                    with self.subTest(user=member.login, field=secret):
                        with self.assertRaises(AccessError):
                            User.read([user.id], [secret])
                        with self.assertRaises(AccessError):
                            User.search([(secret, '!=', None)])
                        with self.assertRaises(AccessError):
                            User.write([User(user.id)], {secret: 'planted'})
                with self.assertRaises(AccessError):
                    Session.search([('key', '=', key)])
                with self.assertRaises(AccessError):
                    Session.read([s.id for s in Session.search([])], ['key'])

        # The portal runs as root: its own flows still work.
        self.assertEqual(Session.get_user(key), user)
        self.assertTrue(User.set_password_token(
                'vera@example.com', user.reset_password_token,
                'New-Horse-8-Battery'))
        self.assertEqual(
            User.authenticate('vera@example.com', 'New-Horse-8-Battery'),
            user)

        # The administrator still sets a password from the back office.
        admin = pool.get('res.user')(1)
        with as_user(admin):
            User.write([User(user.id)], {'password': 'Admin-Set-9-Battery'})
        self.assertEqual(
            User.authenticate('vera@example.com', 'Admin-Set-9-Battery'),
            user)

    @with_transaction()
    def test_photographer_reads_own_clients_only(self):
        "A photographer reads the clients and contacts of their bookings only"
        pool = Pool()
        Party = pool.get('party.party')
        Contact = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        User = pool.get('web.user')
        w = create_world(photographers=2, equipment_quantity=2)
        staff = staff_users(w)
        (vera, yuri), (vera_booking, yuri_booking) = two_clients(w)
        vera_account, _ = portal_account('vera@example.com', vera)
        yuri_account, _ = portal_account('yuri@example.com', yuri)
        vera_booking.web_user = vera_account
        yuri_booking.web_user = yuri_account
        vera_booking.save()
        yuri_booking.save()
        anna, boris = staff.photographers
        everybody = {vera, yuri, w.client}

        for user, mine, theirs in [(anna, vera, yuri), (boris, yuri, vera)]:
            with self.subTest(photographer=user.login), as_user(user):
                parties = set(Party.search([]))
                self.assertIn(mine, parties)
                self.assertFalse(parties & (everybody - {mine}))
                # The photographers themselves stay visible to each other.
                self.assertLessEqual(
                    {p.party for p in w.photographers}, parties)
                self.assertEqual(
                    {c.value for c in Contact.search([
                                ('type', 'in', ['email', 'phone'])])},
                    {c.value for c in mine.contact_mechanisms})
                self.assertEqual(
                    [a.street for a in Address.search([])],
                    [a.street for a in mine.addresses])
                self.assertEqual(
                    [u.email for u in User.search([])],
                    [f'{mine.name.lower()}@example.com'])
                with self.assertRaises(AccessError):
                    Party.read([theirs.id], ['name'])
                with self.assertRaises(AccessError):
                    Contact.read(
                        [c.id for c in theirs.contact_mechanisms], ['value'])

        # A client a photographer enters stays theirs, contacts included.
        with as_user(anna):
            walk_in, = Party.create([{'name': "Walk-in",
                        'contact_mechanisms': [('create', [
                                    {'type': 'phone',
                                        'value': '+79000000009'}])]}])
            self.assertIn(walk_in, Party.search([]))
            self.assertEqual(
                Contact.read([walk_in.contact_mechanisms[0].id], ['value']),
                [{'id': walk_in.contact_mechanisms[0].id,
                        'value': '+79000000009'}])
        with as_user(boris):
            self.assertNotIn(walk_in, Party.search([]))

        with as_user(staff.manager):
            self.assertLessEqual(everybody, set(Party.search([])))
            self.assertEqual(len(Contact.search([
                            ('party', 'in', [vera.id, yuri.id])])), 4)
            self.assertEqual(len(User.search([])), 2)

    @with_transaction()
    def test_photographer_reads_own_history_and_published_reviews(self):
        """A photographer reads the history of their own bookings, published
        reviews and their own unpublished ones"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        Log = pool.get('photo.booking.log')
        Review = pool.get('photo.review')
        w = create_world(photographers=2, equipment_quantity=2)
        staff = staff_users(w)
        (vera, yuri), (vera_booking, yuri_booking) = two_clients(w)
        Booking.submit([vera_booking, yuri_booking])
        done = []
        for day, client, photographer in [
                (10, vera, w.photographers[0]),
                (11, yuri, w.photographers[0]),
                (12, vera, w.photographers[1]),
                (13, yuri, w.photographers[1])]:
            booking = Booking(
                service=w.service, photographer=photographer,
                studio=w.studio, room=w.rooms[0], client=client,
                source='backoffice', start=dt.datetime(2024, 1, day, 9),
                end=dt.datetime(2024, 1, day, 10), price=Decimal(5000),
                currency=w.currency, state='done')
            booking.save()
            done.append(booking)
        anna_public, anna_hidden, boris_public, boris_hidden = Review.create([
                {'booking': b.id, 'rating': 4,
                    'state': 'published' if published else 'pending'}
                for b, published in zip(done, [True, False, True, False])])
        anna, boris = staff.photographers

        with as_user(anna):
            self.assertEqual({log.booking for log in Log.search([])},
                {vera_booking, *done[:2]})
            with self.assertRaises(AccessError):
                Log.read([yuri_booking.history[0].id], ['to_state'])
            self.assertEqual(set(Review.search([])),
                {anna_public, anna_hidden, boris_public})
            with self.assertRaises(AccessError):
                Review.read([boris_hidden.id], ['comment'])
            # A published review shows who wrote it.
            review, = Review.read([boris_public.id], ['client.rec_name'])
            self.assertEqual(review['client.']['rec_name'], "Vera")
        with as_user(boris):
            self.assertEqual({log.booking for log in Log.search([])},
                {yuri_booking, *done[2:]})
        with as_user(staff.manager):
            self.assertEqual({log.booking for log in Log.search([])},
                {vera_booking, yuri_booking, *done})
            self.assertEqual(len(Review.search([])), 4)


    @with_transaction()
    def test_new_password_ends_sessions(self):
        """A password reset or change logs the account out everywhere (the
        portal cookie and the API bearer are both sessions)"""
        pool = Pool()
        User = pool.get('web.user')
        Session = pool.get('web.user.session')
        user, cookie = portal_account('vera@example.com')
        bearer = user.new_session()
        other, other_key = portal_account('yuri@example.com')

        self.assertTrue(User.set_password_token(
                'vera@example.com', user.reset_password_token,
                'New-Horse-8-Battery'))
        self.assertIsNone(Session.get_user(cookie))
        self.assertIsNone(Session.get_user(bearer))
        self.assertEqual(Session.get_user(other_key), other)

        key = user.new_session()
        User.write([user], {'password': 'x' * 10})  # the form, unchanged
        self.assertEqual(Session.get_user(key), user)
        User.write([user], {'password': 'Admin-Set-9-Battery'})
        self.assertIsNone(Session.get_user(key))


del ModuleTestCase
