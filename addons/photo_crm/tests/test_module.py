import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, staff_users)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


class PhotoCrmTestCase(
        CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_crm module"
    module = 'photo_crm'

    @with_transaction()
    def test_client_card_figures(self):
        "The client card counts done shoots, the last one and the revenue"
        pool = Pool()
        Party = pool.get('party.party')
        Booking = pool.get('photo.booking')
        w = create_world()
        client = Party(name="Vera")
        client.save()
        Booking.create([{
                    'service': w.service.id,
                    'photographer': w.photographers[0].id,
                    'studio': w.studio.id, 'room': w.rooms[0].id,
                    'client': client.id,
                    'start': dt.datetime(2024, 1, day, 10),
                    'end': dt.datetime(2024, 1, day, 11),
                    'price': Decimal(5000), 'currency': w.currency.id,
                    'state': state,
                    } for day, state in [(5, 'done'), (9, 'done'),
                    (12, 'cancelled')]])

        # As the back office's form reads them.
        card, = Party.read([client.id], [
                'photo_booking_count', 'photo_last_shoot', 'photo_revenue'])

        self.assertEqual(card['photo_booking_count'], 2)
        self.assertEqual(card['photo_last_shoot'], dt.datetime(2024, 1, 9, 10))
        self.assertEqual(card['photo_revenue'], Decimal('10000.00'))

    @with_transaction()
    def test_photographers_see_own_revenue_only(self):
        """Two photographers sharing a client each see their own shoots and
        revenue on the client's card; the manager sees both"""
        pool = Pool()
        Party = pool.get('party.party')
        Booking = pool.get('photo.booking')
        w = create_world(photographers=2)
        staff = staff_users(w)
        client, = Party.create([{'name': "Vera"}])
        Booking.create([{
                    'service': w.service.id,
                    'photographer': photographer.id,
                    'studio': w.studio.id, 'room': w.rooms[0].id,
                    'client': client.id,
                    'start': dt.datetime(2024, 1, day, 10),
                    'end': dt.datetime(2024, 1, day, 11),
                    'price': price, 'currency': w.currency.id,
                    'state': 'done',
                    } for day, photographer, price in [
                    (5, w.photographers[0], Decimal(5000)),
                    (9, w.photographers[1], Decimal(7000))]])
        anna, boris = staff.photographers
        for user, count, revenue in [
                (anna, 1, Decimal('5000.00')),
                (boris, 1, Decimal('7000.00')),
                (staff.manager, 2, Decimal('12000.00'))]:
            with self.subTest(user=user.login), as_user(user):
                card, = Party.read([client.id], [
                        'photo_booking_count', 'photo_revenue'])
                self.assertEqual(
                    (card['photo_booking_count'], card['photo_revenue']),
                    (count, revenue))


del ModuleTestCase
