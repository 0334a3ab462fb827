"What a client and the studio see happen to a booking."
import datetime as dt
from decimal import Decimal
from unittest.mock import patch
from zoneinfo import ZoneInfo

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking import availability
from trytond.modules.photo_booking import booking as booking_module
from trytond.modules.photo_booking import setup_cache
from trytond.modules.photo_booking.exceptions import (
    HoldExpiredError, SlotTakenError, UnbookableTimeWarning)
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import create_world, local, tomorrow


def expire(holds):
    "Let the holds expire, as when their clients walked away a minute ago."
    Pool().get('photo.booking').write(holds, {
            'hold_expires': dt.datetime.utcnow() - dt.timedelta(minutes=1)})


class BookingTestCase(ModuleTestCase):
    "Bookings from hold to done"
    module = 'photo_booking'

    @with_transaction()
    def test_hold_then_confirm(self):
        "A held free slot confirms at once for an automatic photographer"
        Booking = Pool().get('photo.booking')
        w = create_world()
        start = local(w.studio, tomorrow(), 11)

        booking = Booking.create_hold(w.service, start, w.client, w.studio)

        self.assertEqual(booking.state, 'hold')
        self.assertEqual(booking.end - booking.start, dt.timedelta(hours=1))
        self.assertEqual(booking.price, Decimal('5000'))
        self.assertIn(booking.room, w.rooms)
        self.assertEqual(len(booking.equipment_lines), 1)
        self.assertTrue(booking.number.startswith('B'))
        Booking.submit([booking])
        self.assertEqual(booking.state, 'confirmed')
        self.assertEqual(
            [(h.from_state, h.to_state) for h in booking.history],
            [(None, 'hold'), ('hold', 'confirmed')])

    @with_transaction()
    def test_manual_photographer_requests(self):
        "A manual photographer must approve the request"
        Booking = Pool().get('photo.booking')
        w = create_world(confirmation='manual')
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)

        Booking.submit([booking])
        self.assertEqual(booking.state, 'requested')
        Booking.approve([booking])
        self.assertEqual(booking.state, 'confirmed')

    @with_transaction()
    def test_slot_taken(self):
        "The same photographer cannot be booked twice at one time"
        Booking = Pool().get('photo.booking')
        w = create_world()
        start = local(w.studio, tomorrow(), 11)
        Booking.create_hold(w.service, start, w.client, w.studio)

        with self.assertRaises(SlotTakenError):
            Booking.create_hold(w.service, start, w.client, w.studio)

    @with_transaction()
    def test_direct_overlap_rejected_by_constraint(self):
        "Even bypassing the engine, the database refuses an overlap"
        Booking = Pool().get('photo.booking')
        w = create_world()
        start = local(w.studio, tomorrow(), 11)
        values = {
            'client': w.client.id, 'photographer': w.photographer.id,
            'service': w.service.id, 'studio': w.studio.id,
            'price': Decimal(1), 'currency': w.currency.id,
            }
        Booking.create([{**values, 'start': start, 'room': w.rooms[0].id}])

        with self.assertRaises(ValidationError):
            Booking.create([{
                        **values, 'room': w.rooms[1].id,
                        'start': start + dt.timedelta(minutes=30)}])

    @with_transaction()
    def test_new_booking_is_what_was_stored(self):
        """A new booking, validated and answered from the values in hand,
        shows what the database keeps: times to the second, text as
        stripped, contacts decrypted, defaults"""
        Booking = Pool().get('photo.booking')
        w = create_world()
        now = dt.datetime.utcnow().replace(microsecond=123456)
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio,
            email='  anna@example.com ', phone='+7 900 000-00-01',
            notes='Bring the cat. ', now=now, consent=True)
        names = [n for n, f in Booking._fields.items()
            if f.sql_type() and not hasattr(f, 'set')]
        stored, = Booking.read([booking.id], names)
        for name in names:
            value = getattr(booking, name)
            with self.subTest(field=name):
                self.assertEqual(
                    getattr(value, 'id', value), stored[name])
        self.assertEqual(booking.consent_at, now.replace(microsecond=0))
        self.assertEqual(booking.email, 'anna@example.com')
        self.assertEqual(booking.state, 'hold')

    def test_lock_keys_per_hour(self):
        """Overlapping ranges of one room share a lock; the same room at
        other hours, or another room, does not wait"""
        keys = booking_module.lock_keys
        day = dt.datetime(2026, 12, 7)

        def at(hour, minute=0):
            return day + dt.timedelta(hours=hour, minutes=minute)
        ten = set(keys('room', 3, at(10), at(11)))
        self.assertEqual(len(ten), 1)
        self.assertTrue(ten & set(keys('room', 3, at(10, 30), at(12))))
        self.assertFalse(ten & set(keys('room', 3, at(11), at(12))))
        self.assertFalse(ten & set(keys('room', 4, at(10), at(11))))
        self.assertFalse(ten & set(keys('photographer', 3, at(10), at(11))))
        # Across midnight: every hour, both days'.
        night = keys('room', 3, at(22, 30), at(25, 30))
        self.assertEqual(len(set(night)), 4)
        self.assertTrue(set(night) & set(keys('room', 3, at(24), at(24, 5))))

    @with_transaction()
    def test_new_booking_checked_as_given(self):
        """A booking saved with a time past the minute or an unknown source
        is refused, as validated from the values just stored"""
        Booking = Pool().get('photo.booking')
        w = create_world()
        day = tomorrow()
        values = {
            'client': w.client.id, 'photographer': w.photographer.id,
            'service': w.service.id, 'studio': w.studio.id,
            'room': w.rooms[0].id, 'price': Decimal(1),
            'currency': w.currency.id,
            }
        for wrong, message in [
                ({'start': local(w.studio, day, 11, 0) + dt.timedelta(
                                seconds=30)},
                    'The time value'),
                ({'start': local(w.studio, day, 13), 'source': 'pigeon'},
                    "is not one of the allowed options"),
                ]:
            with self.subTest(values=wrong):
                with self.assertRaises(ValidationError) as raised:
                    Booking.create([{**values, **wrong}])
                self.assertIn(message, str(raised.exception))
        booking, = Booking.create([{
                    **values, 'start': local(w.studio, day, 15)}])
        self.assertEqual(booking.photographer, w.photographer)
        self.assertFalse(booking._values)

    @with_transaction()
    def test_end_before_start_refused(self):
        "The back office cannot save a booking ending before it starts"
        Booking = Pool().get('photo.booking')
        w = create_world()
        start = local(w.studio, tomorrow(), 11)

        with self.assertRaises(ValidationError) as raised:
            Booking.create([{
                        'client': w.client.id,
                        'photographer': w.photographer.id,
                        'service': w.service.id, 'studio': w.studio.id,
                        'room': w.rooms[0].id, 'price': Decimal(1),
                        'currency': w.currency.id, 'start': start,
                        'end': start - dt.timedelta(hours=1)}])
        self.assertIn("must end after it starts", str(raised.exception))

    @with_transaction()
    def test_outside_working_hours(self):
        "A time outside the photographer's hours is refused"
        Booking = Pool().get('photo.booking')
        w = create_world()
        with self.assertRaises(SlotTakenError):
            Booking.create_hold(
                w.service, local(w.studio, tomorrow(), 7), w.client, w.studio)

    @with_transaction()
    def test_expired_hold_frees_the_time(self):
        "An expired hold no longer blocks and cannot be confirmed"
        Booking = Pool().get('photo.booking')
        w = create_world()
        start = local(w.studio, tomorrow(), 11)
        booking = Booking.create_hold(w.service, start, w.client, w.studio)
        Booking.write([booking], {
                'hold_expires': dt.datetime.utcnow() - dt.timedelta(minutes=1),
                'source': 'web'})

        with self.assertRaises(HoldExpiredError):
            Booking.submit([booking])
        other = Booking.create_hold(w.service, start, w.client, w.studio)
        self.assertEqual(other.state, 'hold')
        self.assertEqual(booking.state, 'cancelled')
        self.assertEqual(booking.cancelled_by, 'system')

    @with_transaction()
    def test_expired_holds_in_the_way_are_released(self):
        "A new hold releases the expired holds in its way, and only those"
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=2)
        anna, boris = w.photographers
        day = tomorrow()
        start, later = local(w.studio, day, 11), local(w.studio, day, 15)
        light_holder = Booking.create_hold(
            w.service, start, w.client, w.studio, photographer=anna)
        elsewhere = Booking.create_hold(
            w.service, later, w.client, w.studio, photographer=anna)
        expire([light_holder, elsewhere])

        # Boris, in the other room, needs the studio's only light.
        free = Booking.available_slots(
            w.service, day, day, studio=w.studio, photographers=[boris])
        self.assertIn(start, [booking_module.naive(s.start) for s in free])
        other = Booking.create_hold(
            w.service, start, w.client, w.studio, photographer=boris)

        self.assertEqual(other.equipment_lines[0].unit, 1)
        self.assertEqual(
            (light_holder.state, light_holder.cancelled_by),
            ('cancelled', 'system'))
        self.assertFalse(light_holder.equipment_lines[0].blocking)
        self.assertEqual(elsewhere.state, 'hold')
        Booking.release_expired_holds()
        self.assertEqual(elsewhere.state, 'cancelled')

    @with_transaction()
    def test_team_busy_time_read_merged(self):
        "A team's busy time is read merged, as each photographer's alone"
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=3, equipment_quantity=3)
        anna, boris, clara = w.photographers
        day = tomorrow()

        def hold(photographer, hour):
            return Booking.create_hold(w.service, local(w.studio, day, hour),
                w.client, w.studio, photographer=photographer)
        back_to_back = [hold(anna, 11), hold(anna, 12)]
        boris_hold, later = hold(boris, 11), hold(boris, 16)
        walked_away = hold(clara, 14)
        expire([walked_away])
        Booking.cancel([later])
        ids = [p.id for p in w.photographers]
        rooms = [r.id for r in w.rooms]
        window = (booking_module.naive(local(w.studio, day, 0)),
            booking_module.naive(local(w.studio, day, 23)))
        now = booking_module.utc_now()

        def spans(bookings):
            return [tuple((getattr(b, name) - booking_module.NAIVE_EPOCH)
                    // booking_module.MICROSECOND for name in ('start', 'end'))
                for b in bookings]

        def merged(by_key):
            return {key: availability.merge_intervals(
                    availability.Interval(*map(availability.from_micros, s))
                    for s in value) for key, value in by_key.items() if value}
        # On PostgreSQL a team's is range_agg's, one photographer's rows.
        team = Booking._booked(ids, rooms, window, [], now)
        alone = [Booking._booked([i], rooms, window, [], now) for i in ids]
        self.assertEqual(merged(team[0]),
            merged({i: a[0][i] for i, a in zip(ids, alone)}))
        self.assertEqual(merged(team[1]), merged(alone[0][1]))
        self.assertEqual(team[2], alone[0][2])
        self.assertEqual(merged(team[0])[anna.id], merged(
                {0: [(spans(back_to_back)[0][0], spans(back_to_back)[1][1])]}
                )[0])
        self.assertEqual(set(team[0]), {anna.id, boris.id})
        self.assertEqual(team[2], {walked_away.id:
                (walked_away.start, walked_away.end)})
        # Anna's two hours and Boris's hour, in whichever rooms.
        self.assertEqual(sum((i.duration for spans in merged(team[1]).values()
                    for i in spans), dt.timedelta(0)), dt.timedelta(hours=3))
        without = Booking._booked(ids, rooms, window, [boris_hold.id], now)
        self.assertNotIn(boris.id, without[0])

    @with_transaction()
    def test_reschedule_onto_expired_hold(self):
        "A booking moves onto the time of a hold that has expired"
        Booking = Pool().get('photo.booking')
        w = create_world(rooms=1)
        old = local(w.studio, tomorrow(), 11)
        new = local(w.studio, tomorrow(), 15)
        booking = Booking.create_hold(w.service, old, w.client, w.studio)
        Booking.submit([booking])
        expired = Booking.create_hold(w.service, new, w.client, w.studio)
        expire([expired])

        Booking.reschedule(booking, new)

        self.assertEqual(booking.start, new)
        self.assertEqual(expired.state, 'cancelled')

    @with_transaction()
    def test_late_cancellation_fee(self):
        "Cancelling less than a day before costs half the price"
        Booking = Pool().get('photo.booking')
        w = create_world()
        start = local(w.studio, tomorrow(), 11)
        booking = Booking.create_hold(w.service, start, w.client, w.studio)
        Booking.submit([booking])

        quote = booking.quote_cancellation(now=start - dt.timedelta(hours=3))
        self.assertEqual(quote.fee, Decimal('2500.00'))
        with Transaction().set_context(_skip_warnings=True):
            Booking.cancel_by_client(
                booking, reason="ill", now=start - dt.timedelta(hours=3))
        self.assertEqual(booking.state, 'cancelled')
        self.assertEqual(booking.cancellation_fee, Decimal('2500.00'))
        self.assertFalse(booking.equipment_lines[0].blocking)
        # The time is free again
        Booking.create_hold(w.service, start, w.client, w.studio)

    @with_transaction()
    def test_backoffice_warned_of_unbookable_time(self):
        "Staff confirm a time clients could not book only once warned"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Warning = pool.get('res.user.warning')
        w = create_world()  # Anna works 10:00-19:00

        def backoffice(hour):
            booking, = Booking.create([{
                        'client': w.client.id,
                        'photographer': w.photographer.id,
                        'service': w.service.id, 'studio': w.studio.id,
                        'room': w.rooms[0].id,
                        'start': local(w.studio, tomorrow(), hour),
                        'price': Decimal(5000), 'currency': w.currency.id,
                        }])
            return booking
        in_hours, evening = backoffice(11), backoffice(20)

        Booking.submit([in_hours])
        self.assertEqual(in_hours.state, 'confirmed')
        with self.assertRaises(UnbookableTimeWarning) as raised:
            Booking.submit([evening])
        self.assertIn("20:00 MSK", raised.exception.message)
        self.assertEqual(evening.state, 'hold')

        Warning.skip(raised.exception.name)
        Booking.submit([evening])
        self.assertEqual(evening.state, 'confirmed')

    @with_transaction()
    def test_reschedule_keeps_number_and_history(self):
        "Rescheduling moves the booking and frees the old time"
        Booking = Pool().get('photo.booking')
        w = create_world()
        old = local(w.studio, tomorrow(), 11)
        new = local(w.studio, tomorrow(2), 15)
        booking = Booking.create_hold(w.service, old, w.client, w.studio)
        Booking.submit([booking])
        number = booking.number

        Booking.reschedule(booking, new)

        self.assertEqual((booking.start, booking.number), (new, number))
        self.assertEqual(booking.history[-1].old_start, old)
        self.assertEqual(booking.history[-1].new_start, new)
        self.assertEqual(booking.equipment_lines[0].busy_start, new)
        Booking.create_hold(w.service, old, w.client, w.studio)

    @with_transaction()
    def test_equipment_of_one_unit(self):
        "Two photographers cannot share the only light at one time"
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=2)
        start = local(w.studio, tomorrow(), 11)
        first = Booking.create_hold(
            w.service, start, w.client, w.studio,
            photographer=w.photographers[0])

        with self.assertRaises(SlotTakenError):
            Booking.create_hold(
                w.service, start, w.client, w.studio,
                photographer=w.photographers[1])
        self.assertEqual(first.equipment_lines[0].unit, 1)

    @with_transaction()
    def test_any_photographer(self):
        "Any photographer: the free one is chosen"
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=2, equipment_quantity=2)
        start = local(w.studio, tomorrow(), 11)
        first = Booking.create_hold(w.service, start, w.client, w.studio)
        second = Booking.create_hold(w.service, start, w.client, w.studio)

        self.assertNotEqual(first.photographer, second.photographer)
        self.assertNotEqual(first.room, second.room)
        self.assertEqual(
            {first.equipment_lines[0].unit, second.equipment_lines[0].unit},
            {1, 2})

    @with_transaction()
    def test_review_only_after_done(self):
        "Only the client of a done shoot reviews it, once"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Review = pool.get('photo.review')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        Booking.submit([booking])
        with self.assertRaises(UserError):
            Review.leave(booking, w.client, 5)

        Booking.do([booking])
        review = Review.leave(booking, w.client, 4, "Lovely")
        # Counts once a manager has published it.
        self.assertEqual(review.state, 'pending')
        self.assertIsNone(w.photographer.rating)
        Review.publish([review])
        photographer = pool.get('photo.photographer')(w.photographer.id)
        self.assertEqual(photographer.rating, Decimal('4.00'))
        self.assertEqual(photographer.review_count, 1)
        with self.assertRaises(UserError):
            Review.leave(booking, w.client, 5)

    @with_transaction()
    def test_number_follows_sequence_changes(self):
        "New bookings are numbered as the booking sequence now says"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Configuration = pool.get('photo.configuration')
        ModelData = pool.get('ir.model.data')
        Sequence = pool.get('ir.sequence')
        w = create_world()
        sequence, = Sequence.create([{
                    'name': "Moscow bookings", 'prefix': 'M',
                    'sequence_type': ModelData.get_id(
                        'photo_booking', 'sequence_type_booking'),
                    }])
        configuration = Configuration(1)
        configuration.booking_sequence = sequence
        configuration.save()

        first = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        sequence.prefix = 'MSK-${year}-'
        sequence.padding = 3
        sequence.save()
        second = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 14), w.client, w.studio)

        self.assertEqual(first.number, 'M1')
        self.assertEqual(second.number, f'MSK-{dt.date.today().year}-002')

    @with_transaction()
    def test_setup_changes_show_at_once(self):
        "Availability follows schedule, room and price changes at once"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Exception_ = pool.get('photo.photographer.exception')
        WorkingHours = pool.get('photo.photographer.working_hours')
        Room = pool.get('photo.studio.room')
        PhotographerService = pool.get('photo.photographer.service')
        w = create_world(rooms=1)
        day = tomorrow()

        def starts():
            return [s.start.astimezone(ZoneInfo(w.studio.timezone)).hour
                for s in Booking.available_slots(
                    w.service, day, day, studio=w.studio)]
        self.assertEqual(starts()[0], 10)

        day_off, = Exception_.create([{
                    'photographer': w.photographer.id, 'kind': 'closed',
                    'date_from': day, 'date_to': day}])
        self.assertEqual(starts(), [])
        Exception_.delete([day_off])
        WorkingHours.write(list(w.photographer.working_hours), {
                'start_time': dt.time(12)})
        self.assertEqual(starts()[0], 12)
        Room.write(w.rooms, {'active': False})
        self.assertEqual(starts(), [])
        Room.write(Room.browse([r.id for r in w.rooms]), {'active': True})

        line, = w.photographer.services
        PhotographerService.write([line], {'price': Decimal('7000')})
        booking = Booking.create_hold(
            w.service, local(w.studio, day, 12), w.client, w.studio)
        self.assertEqual(booking.price, Decimal('7000'))

    @with_transaction()
    def test_busy_resources_found_either_way(self):
        """The bookings and units in the way are found whether there are few
        resources (an index scan each) or many (by time range)"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        w = create_world(photographers=3, rooms=3, equipment_quantity=3)
        day = tomorrow(2)
        held = Booking.create_hold(
            w.service, local(w.studio, day, 12), w.client, w.studio,
            photographer=w.photographers[0])

        def slots():
            return [(booking_module.naive(s.start), s.photographer, s.room)
                for s in Booking.available_slots(
                    w.service, day, day, studio=w.studio)]
        few = slots()
        with patch.object(booking_module, 'INDEX_SCANS', 0):
            many = slots()

        self.assertEqual(many, few)
        (_, photographer, room), = [s for s in few if s[0] == held.start]
        self.assertNotEqual(photographer, held.photographer.id)
        self.assertNotEqual(room, held.room.id)

    @with_transaction()
    def test_busy_time_across_cache_blocks(self):
        "Busy time across a block of the setup cache blocks both days once"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Busy = pool.get('photo.photographer.busy')
        w = create_world(rooms=1)
        block = setup_cache.BLOCK_DAYS
        first = dt.date.fromordinal(
            (tomorrow(2).toordinal() // block + 1) * block)
        eve = first - dt.timedelta(days=1)
        Busy.create([{
                    'photographer': w.photographer.id,
                    'start': local(w.studio, eve, 12),
                    'end': local(w.studio, first, 12)}])

        def starts(day_from, day_to):
            tz = ZoneInfo(w.studio.timezone)
            return [(s.start.astimezone(tz).day, s.start.astimezone(tz).hour)
                for s in Booking.available_slots(
                    w.service, day_from, day_to, studio=w.studio)]
        expected = ([(eve.day, h) for h in (10, 11)]
            + [(first.day, h) for h in range(12, 19)])
        self.assertEqual(starts(eve, eve), expected[:2])
        self.assertEqual(starts(first, first), expected[2:])
        self.assertEqual(starts(eve, first), expected)

    @with_transaction()
    def test_photographer_sees_own_bookings_only(self):
        "A photographer's user sees and confirms only their own bookings"
        pool = Pool()
        Booking = pool.get('photo.booking')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        w = create_world(photographers=2, equipment_quantity=2)
        group = ModelData.get_id('photo_booking', 'group_photographer')
        anna, boris = User.create([
                {'login': 'anna', 'name': "Anna", 'groups': [('add', [group])]},
                {'login': 'boris', 'name': "Boris",
                    'groups': [('add', [group])]},
                ])
        w.photographers[0].user = anna
        w.photographers[1].user = boris
        pool.get('photo.photographer').save(w.photographers)
        start = local(w.studio, tomorrow(), 11)
        mine = Booking.create_hold(
            w.service, start, w.client, w.studio,
            photographer=w.photographers[0])
        theirs = Booking.create_hold(
            w.service, start, w.client, w.studio,
            photographer=w.photographers[1])

        with Transaction().set_user(anna.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Booking.search([]), [mine])
            Booking.submit([Booking(mine.id)])
            with self.assertRaises(UserError):
                Booking.submit([Booking(theirs.id)])
        self.assertEqual(Booking(mine.id).state, 'confirmed')
        self.assertEqual(Booking(theirs.id).state, 'hold')

    @with_transaction()
    def test_reschedule_reprices_and_keeps_hold_expiry(self):
        """Moving to a pricier photographer takes their price; moving a
        hold never extends it"""
        pool = Pool()
        Booking = pool.get('photo.booking')
        w = create_world(photographers=2, equipment_quantity=2)
        anna, boris = w.photographers
        offer, = boris.services
        offer.price = Decimal('7000')
        offer.save()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio,
            photographer=anna)
        # Three minutes left of the hold: a reschedule must not renew it.
        expires = dt.datetime.utcnow().replace(microsecond=0) + dt.timedelta(
            minutes=3)
        Booking.write([booking], {'hold_expires': expires})

        Booking.reschedule(booking, local(w.studio, tomorrow(), 15),
            photographer=boris)

        self.assertEqual(
            (booking.photographer, booking.price, booking.hold_expires),
            (boris, Decimal('7000'), expires))
        Booking.reschedule(booking, local(w.studio, tomorrow(), 16))
        self.assertEqual(
            (booking.price, booking.hold_expires), (Decimal('7000'), expires))

    @with_transaction()
    def test_reschedule_into_room_busy_at_old_time(self):
        """A booking moves to a time whose free room is busy at its old
        time: the new room is checked over the new range only"""
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=3, equipment_quantity=3)
        p0, p1, p2 = w.photographers
        old = local(w.studio, tomorrow(), 11)
        new = local(w.studio, tomorrow(), 15)
        booking = Booking.create_hold(
            w.service, old, w.client, w.studio, photographer=p0)
        neighbour = Booking.create_hold(
            w.service, old, w.client, w.studio, photographer=p1)
        Booking.create_hold(
            w.service, new, w.client, w.studio, photographer=p2)
        self.assertEqual(
            {booking.room, neighbour.room}, set(w.rooms))

        Booking.reschedule(booking, new)

        self.assertEqual(booking.room, neighbour.room)
        self.assertEqual(
            (booking.busy_start, booking.busy_end),
            (new, new + dt.timedelta(hours=1)))
        self.assertEqual(
            [(l.busy_start, l.blocking) for l in booking.equipment_lines],
            [(new, True)])

    @with_transaction()
    def test_transition_decides_on_stored_state(self):
        """A booking another connection cancelled cannot be confirmed from
        a stale read: the state is read again under the lock"""
        Booking = Pool().get('photo.booking')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        self.assertEqual(booking.state, 'hold')  # read, and cached
        table = Booking.__table__()
        cursor = Transaction().connection.cursor()
        # What a concurrent cancellation leaves, behind the ORM's back.
        cursor.execute(*table.update(
                [table.state], ['cancelled'], where=table.id == booking.id))

        Booking.submit([booking])
        self.assertEqual(booking.state, 'cancelled')
        with self.assertRaises(UserError):
            Booking.write([booking], {'state': 'confirmed'})
        self.assertEqual(
            [(h.from_state, h.to_state) for h in booking.history],
            [(None, 'hold')])

    @with_transaction()
    def test_history_follows_stored_state(self):
        "Each history entry starts where the previous one ended"
        Booking = Pool().get('photo.booking')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        Booking.submit([booking])
        Booking.reschedule(booking, local(w.studio, tomorrow(), 15))
        Booking.cancel([booking])
        Booking.cancel([booking])

        steps = [(h.from_state, h.to_state) for h in booking.history]
        self.assertEqual(steps, [(None, 'hold'), ('hold', 'confirmed'),
                ('confirmed', 'confirmed'), ('confirmed', 'cancelled')])

    @with_transaction()
    def test_release_many_expired_holds(self):
        "The cron releases 300 lapsed holds at once (in chunks)"
        Booking = Pool().get('photo.booking')
        w = create_world(photographers=4, rooms=4, equipment_quantity=4)
        past = dt.datetime.utcnow() - dt.timedelta(minutes=1)
        holds = Booking.create([{
                    'client': w.client.id, 'service': w.service.id,
                    'studio': w.studio.id, 'photographer': p.id,
                    'room': room.id,
                    'start': local(w.studio, tomorrow(1 + i // 9), 10 + i % 9),
                    'price': Decimal(1), 'currency': w.currency.id,
                    'hold_expires': past,
                    } for i in range(75)
                for p, room in zip(w.photographers, w.rooms)])
        self.assertEqual(len(holds), 300)

        released = Booking.release_expired_holds()

        self.assertEqual(len(released), 300)
        self.assertEqual(
            Booking.search([('state', '=', 'hold')], count=True), 0)

    @with_transaction()
    def test_idempotency_keys_kept_a_day(self):
        "An API answer is replayed for 24 hours, then its key is forgotten"
        Key = Pool().get('photo.api.idempotency_key')
        old = Key.claim('old-key', 'request')
        old.store(201, {'token': 'a'})
        Key.claim('new-key', 'request').store(200, {'token': 'b'})
        table = Key.__table__()
        Transaction().connection.cursor().execute(*table.update(
                [table.create_date],
                [dt.datetime.utcnow() - dt.timedelta(hours=25)],
                where=table.id == old.id))

        self.assertIsNone(Key.answer('old-key'))
        self.assertEqual(
            (Key.answer('new-key').status, Key.answer('new-key').json),
            (200, {'token': 'b'}))
        Key.clean()
        self.assertEqual([k.key for k in Key.search([])], ['new-key'])
        # A forgotten key may name a new request.
        Key.claim('old-key', 'another request')


del ModuleTestCase
