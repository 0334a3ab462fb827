import datetime as dt

import icalendar

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.tests.cases import (
    ModuleTestCase, RouteTestCase)
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_world, local, staff_users, tomorrow)
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)


def events(data):
    "{uid: VEVENT} of the feed's bytes."
    return {str(e['uid']): e
        for e in icalendar.Calendar.from_ical(data).walk('VEVENT')}


def book(w, photographer, day, hour, email='anna@example.com'):
    Booking = Pool().get('photo.booking')
    booking = Booking.create_hold(w.service, local(w.studio, day, hour),
        w.client, w.studio, photographer=photographer, email=email,
        phone='+79990001122')
    Booking.submit([booking])
    return booking


class PhotoCalendarTestCase(
        CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_calendar module"
    module = 'photo_calendar'

    @with_transaction()
    def test_photographer_feed_follows_bookings(self):
        """A confirmed shoot is in its photographer's feed; moved, it keeps
        its UID with a higher SEQUENCE; cancelled, it stays CANCELLED;
        holds and other photographers' shoots are not there"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        w = create_world(photographers=2, equipment_quantity=2)
        anna, boris = w.photographers
        shoot = book(w, anna, tomorrow(), 11)
        other = book(w, anna, tomorrow(), 14)
        book(w, boris, tomorrow(), 16)
        Booking.create_hold(w.service, local(w.studio, tomorrow(), 17),
            w.client, w.studio, photographer=anna)

        first = events(anna.feed('example.com'))
        Booking.reschedule(shoot, local(w.studio, tomorrow(2), 12))
        Booking.cancel([other])
        second = icalendar.Calendar.from_ical(anna.feed('example.com'))

        self.assertEqual(len(first), 2)
        before, = [e for e in first.values()
            if e.decoded('dtstart').hour == 11]
        self.assertEqual(str(before['summary']),
            f"Portrait — {w.client.rec_name}")
        after = events(second.to_ical())
        self.assertEqual(set(after), set(first))
        moved = after[str(before['uid'])]
        self.assertEqual(moved.decoded('dtstart').astimezone(dt.timezone.utc)
            .replace(tzinfo=None), local(w.studio, tomorrow(2), 12))
        self.assertGreater(moved.decoded('sequence'),
            before.decoded('sequence'))
        self.assertEqual(moved['status'], 'CONFIRMED')
        self.assertIn('+79990001122', str(moved['description']))
        cancelled, = [e for u, e in after.items() if e is not moved]
        self.assertEqual(cancelled['status'], 'CANCELLED')
        self.assertEqual(
            str(second.walk('VTIMEZONE')[0]['tzid']), 'Europe/Moscow')

    @with_transaction()
    def test_room_feed_hides_the_client(self):
        "A room's feed shows the service and photographer, not the client"
        w = create_world()
        anna, = w.photographers
        booking = book(w, anna, tomorrow(), 11)

        event, = events(booking.room.feed('example.com')).values()

        self.assertEqual(str(event['summary']), f"Portrait — {anna.name}")
        text = event.to_ical().decode()
        for secret in [w.client.rec_name, '+79990001122', 'anna@example.com']:
            self.assertNotIn(secret, text)

    @with_transaction()
    def test_feed_url_only_for_its_owner(self):
        """A photographer sees and renews their own feed URL, not a
        colleague's; nobody reads the token itself; renewing revokes"""
        pool = Pool()
        Photographer = pool.get('photo.photographer')
        w = create_world(photographers=2)
        staff = staff_users(w)
        anna, boris = w.photographers
        Photographer.new_feed_url([anna, boris])
        old = anna.feed_url

        with as_user(staff.photographers[0]):
            mine, theirs = Photographer.read(
                [anna.id, boris.id], ['feed_url'])
            with self.assertRaises(AccessError):
                Photographer.read([anna.id], ['feed_token'])
            with self.assertRaises(AccessError):
                Photographer.new_feed_url([Photographer(boris.id)])
            Photographer.new_feed_url([Photographer(anna.id)])
        with as_user(staff.manager):
            managed, = Photographer.read([boris.id], ['feed_url'])

        self.assertEqual(mine['feed_url'], old)
        self.assertIsNone(theirs['feed_url'])
        self.assertTrue(managed['feed_url'])
        token = old.rsplit('/', 1)[1][:-len('.ics')]
        self.assertIsNone(Photographer.from_feed_token(token))
        self.assertEqual(Photographer(anna.id).feed_url.split('/')[-3:-1],
            ['photo_calendar', 'feed'])
        self.assertNotEqual(Photographer(anna.id).feed_url, old)


class PhotoCalendarRouteTestCase(RouteTestCase):
    "ICS feed route"
    module = 'photo_calendar'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Photographer = pool.get('photo.photographer')
        Room = pool.get('photo.studio.room')
        w = create_world()
        anna, = w.photographers
        booking = book(w, anna, tomorrow(), 11)
        Photographer.new_feed_url([anna])
        Room.new_feed_url([booking.room])
        cls.path = anna.feed_url.split('/', 3)[3]
        cls.room_path = Room(booking.room.id).feed_url.split('/', 3)[3]
        cls.number = booking.number

    def test_feed_served_by_token(self):
        "The feed URL answers an iCalendar that parses; a wrong token 404s"
        client = self.client()

        response = client.get(self.path)
        wrong = client.get(self.path.replace('/feed/', '/feed/x'))

        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers['Content-Type'].startswith(
                'text/calendar'))
        self.assertEqual(len(events(response.data)), 1)
        self.assertEqual(wrong.status_code, 404)

    def test_room_feed_served_by_token(self):
        "A room's feed URL answers its bookings, the photographer's token not"
        client = self.client()

        response = client.get(self.room_path)

        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers['Content-Type'].startswith(
                'text/calendar'))
        event, = events(response.data).values()
        self.assertEqual(str(event['description']), self.number)
        self.assertEqual(str(event['summary']), "Portrait — Photographer 1")
        self.assertNotEqual(self.room_path, self.path)


del ModuleTestCase, RouteTestCase
