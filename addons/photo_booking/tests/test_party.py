"""Clients' personal data: the back office's Erase Party and Replace Party
(party's wizards) and the guest party of an unverified email."""
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    create_on_location, create_world, local, run_wizard, tomorrow)


class PartyTestCase(ModuleTestCase):
    "Clients' personal data"
    module = 'photo_booking'

    def booked(self, w, client, hour, **extra):
        "A done on-location shoot of client, reviewed, with contacts."
        pool = Pool()
        Booking = pool.get('photo.booking')
        Review = pool.get('photo.review')
        outdoor, olga = create_on_location(w)
        booking = Booking.create_hold(
            outdoor, local(w.studio, tomorrow(), hour), client,
            photographer=olga, location="Lenina 7, flat 12",
            email='vera@example.com', phone='+7 900 765-43-21',
            notes="Ring twice", **extra)
        Booking.submit([booking])
        Booking.do([booking])
        Review.leave(booking, client, 5, "Vera loved it")
        return booking

    @with_transaction()
    def test_erase_clears_bookings_reviews_and_account(self):
        "Erasing a client leaves bookings with prices, without contacts"
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('web.user')
        Session = pool.get('web.user.session')
        w = create_world()
        vera, = Party.create([{'name': "Vera"}])
        user, = User.create([{
                    'email': 'vera@example.com', 'party': vera.id,
                    'password': 'Correct-Horse-7'}])
        key = user.new_session()
        booking = self.booked(w, vera, 11, web_user=user)

        with self.assertRaises(UserError):  # still active
            run_wizard('party.erase', party=vera)
        Party.write([vera], {'active': False})
        run_wizard('party.erase', party=vera)

        booking = pool.get('photo.booking')(booking.id)
        self.assertEqual(
            (booking.email, booking.phone, booking.notes, booking.location),
            (None, None, None, None))
        self.assertEqual(booking.price, w.service.price)
        self.assertEqual(booking.state, 'done')
        review, = booking.client.photo_reviews
        self.assertIsNone(review.comment)
        self.assertEqual(review.rating, 5)
        user = User(user.id)
        self.assertFalse(user.active)
        self.assertIsNone(user.email)
        self.assertIsNone(user.password_hash)
        # Its API bearer and portal cookie no longer open anything.
        self.assertIsNone(Session.get_user(key))

    @with_transaction()
    def test_erase_refused_with_upcoming_bookings(self):
        "A client with a shoot to come is not erased"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Party = pool.get('party.party')
        w = create_world()
        Booking.submit([Booking.create_hold(
                    w.service, local(w.studio, tomorrow(), 11), w.client,
                    w.studio, email='client@example.com')])
        Party.write([w.client], {'active': False})
        with self.assertRaisesRegex(UserError, 'upcoming bookings'):
            run_wizard('party.erase', party=w.client)

    @with_transaction()
    def test_replace_moves_bookings_and_reviews(self):
        "Merging a duplicate client moves their bookings and reviews"
        pool = Pool()
        Party = pool.get('party.party')
        w = create_world()
        duplicate, = Party.create([{'name': w.client.name}])
        booking = self.booked(w, duplicate, 12)

        run_wizard('party.replace', source=duplicate, destination=w.client)

        client = Party(w.client.id)
        self.assertEqual(client.photo_bookings, (booking,))
        self.assertEqual(len(client.photo_reviews), 1)
        self.assertFalse(Party(duplicate.id).active)

    @with_transaction()
    def test_guest_party_reused(self):
        """A guest booking again with the same email gets the same guest
        party, never a known client's own one"""
        pool = Pool()
        Party = pool.get('party.party')
        client, = Party.create([{'name': "Zoya", 'contact_mechanisms': [
                        ('create', [{'type': 'email',
                                    'value': 'zoya@example.com'}])]}])
        first = Party.photo_guest_of("Zoya", 'Zoya@Example.com', None)
        again = Party.photo_guest_of("Z.", 'zoya@example.com', '+79001112233')
        self.assertNotEqual(first, client)
        self.assertTrue(first.photo_guest)
        self.assertEqual(again, first)
        self.assertEqual(sorted(c.value for c in again.contact_mechanisms),
            ['+79001112233', 'Zoya@Example.com'])
        other = Party.photo_guest_of("Ivan", 'ivan@example.com', None)
        self.assertNotEqual(other, first)


del ModuleTestCase
