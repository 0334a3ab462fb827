"What staff read in the back office: the studio's times, their language."
import datetime as dt
import unittest
from zoneinfo import ZoneInfo

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from trytond.modules.photo_booking.booking import studio_times
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import create_world, local


class StudioTimesTestCase(unittest.TestCase):
    "A shoot's day and hours in its studio's time zone"

    def test_moscow_morning_is_the_previous_day_in_utc(self):
        "01:30 in Moscow is 22:30 UTC the day before"
        day, times = studio_times(
            dt.datetime(2026, 3, 9, 22, 30), dt.datetime(2026, 3, 9, 23, 30),
            ZoneInfo('Europe/Moscow'))
        self.assertEqual(day, dt.date(2026, 3, 10))
        self.assertEqual(times, '01:30–02:30')

    def test_across_a_dst_change(self):
        "Berlin's night of the switch to summer time: 01:30 to 03:30 local"
        day, times = studio_times(
            dt.datetime(2026, 3, 29, 0, 30), dt.datetime(2026, 3, 29, 1, 30),
            ZoneInfo('Europe/Berlin'))
        self.assertEqual((day, times), (dt.date(2026, 3, 29), '01:30–03:30'))

    def test_no_seconds(self):
        "Times show hours and minutes only"
        _, times = studio_times(
            dt.datetime(2026, 7, 1, 14, 0, 59), dt.datetime(2026, 7, 1, 15),
            ZoneInfo('America/New_York'))
        self.assertEqual(times, '10:00–11:00')


class BackOfficeTestCase(ModuleTestCase):
    "The back office of a studio"
    module = 'photo_booking'

    @with_transaction()
    def test_booking_shows_studio_times(self):
        "The list and the calendar show the studio's hours, not UTC's"
        Booking = Pool().get('photo.booking')
        w = create_world()
        w.studio.timezone = 'Europe/Moscow'
        w.studio.save()
        day = dt.date.today() + dt.timedelta(days=2)
        booking = Booking.create_hold(
            w.service, local(w.studio, day, 10), w.client, w.studio)

        self.assertEqual(booking.studio_date, day)
        self.assertEqual(booking.studio_time, '10:00–11:00')
        self.assertTrue(booking.calendar_title.startswith('10:00–11:00 · '))

    @with_transaction()
    def test_calendar_opens_at_the_earliest_opening(self):
        "Each studio's earliest hour of the week, today in UTC"
        Studio = Pool().get('photo.studio')
        moscow = create_world(opening=(dt.time(9), dt.time(21))).studio
        berlin = create_world(
            timezone='Europe/Berlin', opening=(dt.time(10), dt.time(18))
            ).studio
        Studio.write([berlin], {'opening_hours': [('create', [{
                            'weekday': '5', 'start_time': dt.time(8),
                            'end_time': dt.time(12)}])]})
        closed = create_world(opening=(dt.time(7), dt.time(20))).studio
        Studio.write([closed], {'active': False})

        openings = Studio.earliest_openings()

        def today(studio):
            return dt.datetime.now(ZoneInfo(studio.timezone)).date()
        self.assertEqual(sorted(openings), sorted([
                    local(moscow, today(moscow), 9),
                    local(berlin, today(berlin), 8)]))

    @with_transaction()
    def test_staff_times_show_minutes(self):
        "Hold expiries, cancellations and photographers' periods: no seconds"
        pool = Pool()
        for model, names in [
                ('photo.booking', ['hold_expires', 'cancelled_at']),
                ('photo.photographer.busy', ['start', 'end']),
                ('photo.photographer.fixed_slot', ['start', 'end'])]:
            definition = pool.get(model).fields_get(names)
            self.assertEqual(
                {n: definition[n]['format'] for n in names},
                dict.fromkeys(names, '"%H:%M"'), model)
        # What is stored keeps its seconds
        Booking = pool.get('photo.booking')
        w = create_world()
        booking = Booking.create_hold(
            w.service, local(w.studio, dt.date.today() + dt.timedelta(days=2),
                10), w.client, w.studio)
        booking.hold_expires = booking.hold_expires.replace(second=37)
        booking.save()
        self.assertEqual(booking.hold_expires.second, 37)

    @with_transaction()
    def test_staff_get_the_staff_language(self):
        "Managers and photographers' users get the configured language"
        pool = Pool()
        Configuration = pool.get('photo.configuration')
        Lang = pool.get('ir.lang')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        w = create_world(photographers=2)
        ru, = Lang.search([('code', '=', 'ru')])
        Lang.write([ru], {'translatable': True})
        manager, outsider, anna = User.create([
                {'login': 'manager', 'name': "Manager", 'groups': [
                        ('add', [ModelData.get_id(
                                    'photo_booking', 'group_photo_manager')])]},
                {'login': 'outsider', 'name': "Outsider"},
                {'login': 'anna', 'name': "Anna"}])

        Configuration.write([Configuration(1)], {'staff_language': ru.id})
        self.assertEqual(manager.language, ru)
        self.assertIsNone(outsider.language)
        self.assertIsNone(anna.language)

        # A photographer given a user later gets it too
        w.photographers[0].user = anna
        w.photographers[0].save()
        self.assertEqual(anna.language, ru)


del ModuleTestCase
