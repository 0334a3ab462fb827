"""Tests of the plain-Python availability rules (no Tryton database needed)."""
import unittest
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ..availability import (
    Busy, DateOverride, EquipmentNeed, Interval, InvalidQuery, Photographer,
    Room, Schedule, Slot, SlotQuery, WeeklyHours, any_photographer_slots,
    available_slots, closed_days, intersect_intervals, merge_intervals,
    next_available_day, open_intervals, subtract_intervals, to_micros)

UTC = timezone.utc
BERLIN = ZoneInfo('Europe/Berlin')
NEW_YORK = ZoneInfo('America/New_York')
MOSCOW = ZoneInfo('Europe/Moscow')

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def every_day(start: time, end: time) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(weekday, start, end) for weekday in range(7))


NINE_TO_SIX = Schedule(every_day(time(9), time(18)))


def photographer(schedule=NINE_TO_SIX, busy=(), fixed_slots=(), key='ann'):
    return Photographer(key, schedule, tuple(busy), tuple(fixed_slots))


def query(
        day_from=date(2026, 6, 1), day_to=None, tz=BERLIN, duration=HOUR,
        step=HOUR, now=LONG_AGO, **options) -> SlotQuery:
    return SlotQuery(
        tz, day_from, day_to or day_from, duration, step, now, **options)


def local_busy(tz: ZoneInfo, day: date, start: time, end: time) -> Interval:
    return Interval(
        datetime.combine(day, start, tzinfo=tz),
        datetime.combine(day, end, tzinfo=tz))


class IntervalTest(unittest.TestCase):

    def test_naive_datetimes_are_refused(self):
        with self.assertRaises(ValueError):
            Interval(datetime(2026, 1, 1), utc(2026, 1, 2))
        with self.assertRaises(ValueError):
            Busy(utc(2026, 1, 1), datetime(2026, 1, 2))

    def test_end_before_start_is_refused(self):
        with self.assertRaises(ValueError):
            Interval(utc(2026, 1, 2), utc(2026, 1, 1))

    def test_aware_datetimes_are_normalised_to_utc(self):
        interval = Interval(
            datetime(2026, 6, 1, 10, tzinfo=BERLIN),
            datetime(2026, 6, 1, 11, tzinfo=BERLIN))
        self.assertIs(interval.start.tzinfo, UTC)
        self.assertEqual(interval.start, utc(2026, 6, 1, 8))
        self.assertEqual(interval.duration, HOUR)

    def test_busy_quantity_must_be_positive(self):
        with self.assertRaises(ValueError):
            Busy(utc(2026, 1, 1), utc(2026, 1, 2), 0)

    def test_intervals_sort_by_start_then_end(self):
        early = Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 12))
        short = Interval(utc(2026, 1, 1, 10), utc(2026, 1, 1, 11))
        long = Interval(utc(2026, 1, 1, 10), utc(2026, 1, 1, 13))
        self.assertEqual(sorted([long, short, early]), [early, short, long])

    def test_merge_joins_overlapping_and_touching(self):
        merged = merge_intervals([
            Interval(utc(2026, 1, 1, 12), utc(2026, 1, 1, 13)),
            Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10)),
            Interval(utc(2026, 1, 1, 10), utc(2026, 1, 1, 11)),
            Interval(utc(2026, 1, 1, 12, 30), utc(2026, 1, 1, 12, 45)),
            ])
        self.assertEqual(merged, [
            Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 11)),
            Interval(utc(2026, 1, 1, 12), utc(2026, 1, 1, 13)),
            ])

    def test_subtract_and_intersect(self):
        day = [Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 18))]
        lunch = [Interval(utc(2026, 1, 1, 12), utc(2026, 1, 1, 13))]
        self.assertEqual(subtract_intervals(day, lunch), [
            Interval(utc(2026, 1, 1, 9), utc(2026, 1, 1, 12)),
            Interval(utc(2026, 1, 1, 13), utc(2026, 1, 1, 18)),
            ])
        self.assertEqual(intersect_intervals(day, lunch), lunch)


def minute_intervals():
    """Lists of intervals on a 5-minute grid, so that many ends touch."""
    bounds = st.tuples(st.integers(0, 60), st.integers(0, 20))
    return st.lists(bounds, max_size=8).map(lambda pairs: [
        Interval(
            LONG_AGO + 5 * start * MINUTE,
            LONG_AGO + 5 * (start + length) * MINUTE)
        for start, length in pairs])


def covered_minutes(intervals) -> set[datetime]:
    minutes = set()
    for interval in intervals:
        moment = interval.start
        while moment < interval.end:
            minutes.add(moment)
            moment += 5 * MINUTE
    return minutes


class IntervalPropertyTest(unittest.TestCase):

    def assert_merged(self, intervals):
        for interval in intervals:
            self.assertLess(interval.start, interval.end)
        for earlier, later in zip(intervals, intervals[1:]):
            self.assertLess(earlier.end, later.start)

    @PROPERTY_SETTINGS
    @given(minute_intervals(), minute_intervals())
    def test_set_operations_match_minute_sets(self, first, second):
        first_minutes = covered_minutes(first)
        second_minutes = covered_minutes(second)
        for result, expected in [
                (merge_intervals(first + second),
                    first_minutes | second_minutes),
                (intersect_intervals(first, second),
                    first_minutes & second_minutes),
                (subtract_intervals(first, second),
                    first_minutes - second_minutes),
                ]:
            self.assert_merged(result)
            self.assertEqual(covered_minutes(result), expected)


class OpenIntervalsTest(unittest.TestCase):

    def test_berlin_spring_forward_night_is_one_hour_shorter(self):
        schedule = Schedule((WeeklyHours(6, time(0), time(6)),))
        self.assertEqual(
            open_intervals(schedule, BERLIN, date(2026, 3, 29),
                date(2026, 3, 29)),
            [Interval(utc(2026, 3, 28, 23), utc(2026, 3, 29, 4))])

    def test_berlin_fall_back_night_is_one_hour_longer(self):
        schedule = Schedule((WeeklyHours(6, time(0), time(6)),))
        self.assertEqual(
            open_intervals(schedule, BERLIN, date(2026, 10, 25),
                date(2026, 10, 25)),
            [Interval(utc(2026, 10, 24, 22), utc(2026, 10, 25, 5))])

    def test_nonexistent_start_maps_forward(self):
        # 02:30 does not exist on 2026-03-29 in Berlin: it becomes 03:30 CEST.
        schedule = Schedule((), (
            DateOverride(date(2026, 3, 29), 'replace', time(2, 30), time(5)),))
        self.assertEqual(
            open_intervals(schedule, BERLIN, date(2026, 3, 29),
                date(2026, 3, 29)),
            [Interval(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 3))])

    def test_hours_swallowed_by_the_gap_are_empty(self):
        schedule = Schedule((), (
            DateOverride(date(2026, 3, 29), 'replace', time(2, 30), time(3)),))
        self.assertEqual(
            open_intervals(schedule, BERLIN, date(2026, 3, 29),
                date(2026, 3, 29)),
            [])

    def test_ambiguous_start_uses_first_occurrence(self):
        # 02:30 happens twice on 2026-10-25 in Berlin: the CEST one is used.
        schedule = Schedule((), (
            DateOverride(
                date(2026, 10, 25), 'replace', time(2, 30), time(4)),))
        self.assertEqual(
            open_intervals(schedule, BERLIN, date(2026, 10, 25),
                date(2026, 10, 25)),
            [Interval(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3))])

    def test_new_york_dst_days(self):
        schedule = Schedule(every_day(time(9), time(18)))
        self.assertEqual(
            open_intervals(schedule, NEW_YORK, date(2026, 3, 7),
                date(2026, 3, 8)),
            [Interval(utc(2026, 3, 7, 14), utc(2026, 3, 7, 23)),
                Interval(utc(2026, 3, 8, 13), utc(2026, 3, 8, 22))])
        self.assertEqual(
            open_intervals(schedule, NEW_YORK, date(2026, 10, 31),
                date(2026, 11, 1)),
            [Interval(utc(2026, 10, 31, 13), utc(2026, 10, 31, 22)),
                Interval(utc(2026, 11, 1, 14), utc(2026, 11, 1, 23))])

    def test_midnight_end_closes_at_the_end_of_the_day(self):
        schedule = Schedule((WeeklyHours(0, time(20), time(0)),))
        self.assertEqual(
            open_intervals(schedule, MOSCOW, date(2026, 6, 1),
                date(2026, 6, 1)),
            [Interval(utc(2026, 6, 1, 17), utc(2026, 6, 1, 21))])

    def test_days_without_weekly_hours_are_closed(self):
        monday_only = Schedule((WeeklyHours(0, time(9), time(10)),))
        self.assertEqual(
            open_intervals(monday_only, BERLIN, date(2026, 6, 1),
                date(2026, 6, 7)),
            [local_busy(BERLIN, date(2026, 6, 1), time(9), time(10))])


class OverrideTest(unittest.TestCase):
    day = date(2026, 6, 2)

    def hours_of_day(self, *overrides: DateOverride) -> list[Interval]:
        schedule = Schedule(every_day(time(9), time(18)), overrides)
        return open_intervals(schedule, BERLIN, self.day, self.day)

    def test_closed_day(self):
        self.assertEqual(
            self.hours_of_day(DateOverride(self.day, 'closed')), [])

    def test_closed_ignores_left_over_hours(self):
        self.assertEqual(
            self.hours_of_day(
                DateOverride(self.day, 'closed', time(9), time(10))), [])

    def test_closed_wins_over_extra(self):
        self.assertEqual(self.hours_of_day(
            DateOverride(self.day, 'closed'),
            DateOverride(self.day, 'extra', time(19), time(20))), [])

    def test_replace(self):
        self.assertEqual(
            self.hours_of_day(
                DateOverride(self.day, 'replace', time(12), time(14))),
            [local_busy(BERLIN, self.day, time(12), time(14))])

    def test_several_replace_combine(self):
        self.assertEqual(
            self.hours_of_day(
                DateOverride(self.day, 'replace', time(15), time(16)),
                DateOverride(self.day, 'replace', time(8), time(10))),
            [local_busy(BERLIN, self.day, time(8), time(10)),
                local_busy(BERLIN, self.day, time(15), time(16))])

    def test_extra_adds_to_weekly_hours(self):
        self.assertEqual(
            self.hours_of_day(
                DateOverride(self.day, 'extra', time(19), time(21))),
            [local_busy(BERLIN, self.day, time(9), time(18)),
                local_busy(BERLIN, self.day, time(19), time(21))])

    def test_override_of_another_day_changes_nothing(self):
        self.assertEqual(
            self.hours_of_day(DateOverride(date(2026, 6, 3), 'closed')),
            [local_busy(BERLIN, self.day, time(9), time(18))])

    def test_vacation_range(self):
        schedule = Schedule(
            every_day(time(9), time(18)),
            closed_days(date(2026, 6, 2), date(2026, 6, 4)))
        open_days = {
            interval.start.astimezone(BERLIN).date()
            for interval in open_intervals(
                schedule, BERLIN, date(2026, 6, 1), date(2026, 6, 6))}
        self.assertEqual(open_days, {
            date(2026, 6, 1), date(2026, 6, 5), date(2026, 6, 6)})

    def test_invalid_hours_are_refused(self):
        with self.assertRaises(ValueError):
            DateOverride(self.day, 'replace')
        with self.assertRaises(ValueError):
            DateOverride(self.day, 'holiday')
        with self.assertRaises(ValueError):
            WeeklyHours(0, time(18), time(9))
        with self.assertRaises(ValueError):
            WeeklyHours(7, time(9), time(18))


class DstSlotTest(unittest.TestCase):
    nine_to_five = [f'{hour:02d}:00' for hour in range(9, 18)]

    def assert_working_day(self, tz, day, first_start_utc):
        slots = available_slots(
            query(day, tz=tz), photographer(), None, None)
        self.assertEqual(
            [slot.start.astimezone(tz).strftime('%H:%M') for slot in slots],
            self.nine_to_five)
        self.assertEqual(slots[0].start, first_start_utc)
        for slot in slots:
            self.assertEqual(slot.end - slot.start, HOUR)

    def test_berlin_spring_forward(self):
        self.assert_working_day(
            BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 7))

    def test_berlin_fall_back(self):
        self.assert_working_day(
            BERLIN, date(2026, 10, 25), utc(2026, 10, 25, 8))

    def test_new_york_spring_forward(self):
        self.assert_working_day(
            NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 13))

    def test_new_york_fall_back(self):
        self.assert_working_day(
            NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 14))

    def test_moscow_has_no_dst(self):
        slots = available_slots(
            query(date(2026, 3, 29), tz=MOSCOW), photographer(), None, None)
        self.assertIn(
            Slot(utc(2026, 3, 29, 7), utc(2026, 3, 29, 8), 'ann'), slots)
        self.assertEqual(slots[1].start.astimezone(MOSCOW).hour, 10)

    def test_days_around_the_change_keep_their_local_hours(self):
        slots = available_slots(
            query(date(2026, 3, 28), date(2026, 3, 30)), photographer(),
            None, None)
        self.assertEqual(
            [slot.start.astimezone(BERLIN).strftime('%H:%M')
                for slot in slots],
            self.nine_to_five * 3)
        self.assertEqual(slots[0].start, utc(2026, 3, 28, 8))
        self.assertEqual(slots[9].start, utc(2026, 3, 29, 7))

    def test_grid_counts_elapsed_time_on_short_night(self):
        night = Schedule((WeeklyHours(6, time(0), time(6)),))
        slots = available_slots(
            query(date(2026, 3, 29)), photographer(night), None, None)
        self.assertEqual(
            [slot.start.astimezone(BERLIN).strftime('%H:%M')
                for slot in slots],
            ['00:00', '01:00', '03:00', '04:00', '05:00'])

    def test_grid_counts_elapsed_time_on_long_night(self):
        night = Schedule((WeeklyHours(6, time(0), time(6)),))
        slots = available_slots(
            query(date(2026, 10, 25)), photographer(night), None, None)
        self.assertEqual(
            [slot.start for slot in slots],
            [utc(2026, 10, 24, 22) + hours * HOUR for hours in range(7)])


class SlotRuleTest(unittest.TestCase):
    day = date(2026, 6, 1)

    def starts(self, slots) -> list[str]:
        return [
            slot.start.astimezone(BERLIN).strftime('%H:%M')
            for slot in slots]

    def test_busy_time_and_buffers(self):
        busy = local_busy(BERLIN, self.day, time(12), time(13))
        slots = available_slots(
            query(step=timedelta(minutes=30),
                buffer_before=timedelta(minutes=30),
                buffer_after=timedelta(minutes=30)),
            photographer(busy=[busy]), None, None)
        # 10:30 blocks 10:00-12:00 and 13:30 blocks 13:00-15:00: both touch.
        self.assertEqual(self.starts(slots), [
            '09:00', '09:30', '10:00', '10:30',
            '13:30', '14:00', '14:30', '15:00', '15:30', '16:00', '16:30',
            '17:00'])

    def test_slot_fitting_exactly_between_bookings(self):
        busy = [
            local_busy(BERLIN, self.day, time(10), time(11)),
            local_busy(BERLIN, self.day, time(12, 30), time(13))]
        slots = available_slots(
            query(step=timedelta(minutes=15),
                buffer_before=timedelta(minutes=15),
                buffer_after=timedelta(minutes=15)),
            photographer(busy=busy), None, None)
        # 11:15 blocks 11:00-12:30, touching both bookings.
        self.assertEqual(
            [start for start in self.starts(slots)
                if '10:00' < start < '13:00'],
            ['11:15'])

    def test_buffers_do_not_need_to_fit_in_open_hours(self):
        slots = available_slots(
            query(buffer_before=HOUR, buffer_after=HOUR), photographer(),
            None, None)
        self.assertEqual(self.starts(slots)[0], '09:00')
        self.assertEqual(self.starts(slots)[-1], '17:00')

    def test_studio_hours_restrict_photographer_hours(self):
        studio = Schedule(every_day(time(11), time(15)))
        slots = available_slots(query(), photographer(), studio, None)
        self.assertEqual(
            self.starts(slots), ['11:00', '12:00', '13:00', '14:00'])

    def test_grid_starts_at_each_open_interval_start(self):
        split_day = Schedule(
            every_day(time(9), time(11)) + every_day(time(12, 30), time(15)))
        slots = available_slots(query(), photographer(split_day), None, None)
        self.assertEqual(
            self.starts(slots), ['09:00', '10:00', '12:30', '13:30'])

    def test_hours_over_midnight_keep_their_grid(self):
        monday, tuesday = date(2026, 6, 1), date(2026, 6, 2)
        late = Schedule((
            WeeklyHours(0, time(20, 30), time(0)),
            WeeklyHours(1, time(0), time(2))))
        self.assertEqual(
            self.starts(available_slots(
                query(monday), photographer(late), None, None)),
            ['20:30', '21:30', '22:30', '23:30'])
        self.assertEqual(
            self.starts(available_slots(
                query(tuesday), photographer(late), None, None)),
            ['00:30'])

    def test_min_notice(self):
        slots = available_slots(
            query(now=local(BERLIN, 2026, 6, 1, 8, 10),
                step=timedelta(minutes=30), min_notice=2 * HOUR),
            photographer(), None, None)
        self.assertEqual(self.starts(slots)[0], '10:30')

    def test_min_notice_boundary_is_bookable(self):
        slots = available_slots(
            query(now=local(BERLIN, 2026, 6, 1, 8), min_notice=HOUR),
            photographer(), None, None)
        self.assertEqual(self.starts(slots)[0], '09:00')

    def test_past_is_never_offered(self):
        slots = available_slots(
            query(now=local(BERLIN, 2026, 6, 1, 15, 1)), photographer(),
            None, None)
        self.assertEqual(self.starts(slots), ['16:00', '17:00'])

    def test_horizon_boundary_is_bookable(self):
        eight_to_six = Schedule(every_day(time(8), time(18)))
        slots = available_slots(
            query(date(2026, 6, 1), date(2026, 6, 5),
                now=local(BERLIN, 2026, 6, 1, 8), horizon=timedelta(days=2)),
            photographer(eight_to_six), None, None)
        self.assertEqual(slots[-1].start, local(BERLIN, 2026, 6, 3, 8))
        self.assertEqual(len(slots), 10 + 10 + 1)

    def test_fixed_slots_replace_the_grid_on_their_day(self):
        mini_day = date(2026, 6, 2)
        fixed = [
            local_busy(BERLIN, mini_day, time(10), time(10, 30)),
            local_busy(BERLIN, mini_day, time(10, 45), time(11, 15)),
            local_busy(BERLIN, mini_day, time(14), time(14, 20)),  # too short
            ]
        slots = available_slots(
            query(date(2026, 6, 1), date(2026, 6, 3),
                duration=timedelta(minutes=30), step=timedelta(minutes=30)),
            photographer(fixed_slots=fixed), None, None)
        by_day = {}
        for slot in slots:
            by_day.setdefault(slot.start.astimezone(BERLIN).date(), []).append(
                slot.start.astimezone(BERLIN).strftime('%H:%M'))
        self.assertEqual(by_day[mini_day], ['10:00', '10:45'])
        self.assertEqual(len(by_day[date(2026, 6, 1)]), 18)
        self.assertEqual(len(by_day[date(2026, 6, 3)]), 18)
        self.assertEqual(slots, sorted(slots, key=lambda slot: slot.start))

    def test_fixed_slots_are_offered_on_a_closed_day(self):
        sunday = date(2026, 6, 7)
        weekdays = Schedule(tuple(
            WeeklyHours(weekday, time(9), time(18)) for weekday in range(5)))
        fixed = local_busy(BERLIN, sunday, time(10), time(11))
        slots = available_slots(
            query(sunday), photographer(weekdays, fixed_slots=[fixed]),
            None, None)
        self.assertEqual(slots, [Slot(fixed.start, fixed.end, 'ann')])

    def test_fixed_slots_still_respect_busy_studio_and_rooms(self):
        fixed = [
            local_busy(BERLIN, self.day, time(8), time(9)),  # studio closed
            local_busy(BERLIN, self.day, time(10), time(11)),  # busy
            local_busy(BERLIN, self.day, time(12), time(13)),  # room taken
            local_busy(BERLIN, self.day, time(14), time(15)),
            ]
        slots = available_slots(
            query(),
            photographer(busy=[fixed[1]], fixed_slots=fixed),
            NINE_TO_SIX, [Room('studio A', (fixed[2],))])
        self.assertEqual(slots, [
            Slot(fixed[3].start, fixed[3].end, 'ann', 'studio A')])

    def test_first_free_room_is_used(self):
        ten = local_busy(BERLIN, self.day, time(10), time(11))
        rooms = [Room('A', (ten,)), Room('B')]
        slots = available_slots(
            query(), photographer(), NINE_TO_SIX, rooms)
        self.assertEqual(
            [(self.starts([slot])[0], slot.room) for slot in slots[:3]],
            [('09:00', 'A'), ('10:00', 'B'), ('11:00', 'A')])

    def test_room_buffers_count(self):
        eleven = local_busy(BERLIN, self.day, time(11), time(12))
        rooms = [Room('A', (eleven,)), Room('B')]
        slots = available_slots(
            query(buffer_after=timedelta(minutes=30)), photographer(),
            NINE_TO_SIX, rooms)
        self.assertEqual(slots[1].room, 'B')

    def test_no_slot_when_every_room_is_taken(self):
        ten = local_busy(BERLIN, self.day, time(10), time(11))
        rooms = [Room('A', (ten,)), Room('B', (ten,))]
        slots = available_slots(query(), photographer(), NINE_TO_SIX, rooms)
        self.assertNotIn('10:00', self.starts(slots))
        self.assertEqual(len(slots), 8)

    def test_empty_room_list_means_no_slot(self):
        self.assertEqual(
            available_slots(query(), photographer(), NINE_TO_SIX, []), [])

    def test_no_room_needed(self):
        slots = available_slots(query(), photographer(), NINE_TO_SIX, None)
        self.assertTrue(slots)
        self.assertTrue(all(slot.room is None for slot in slots))

    def usage(self, start: time, end: time, quantity: int = 1) -> Busy:
        interval = local_busy(BERLIN, self.day, start, end)
        return Busy(interval.start, interval.end, quantity)

    def test_equipment_blocked_when_usage_reaches_owned(self):
        lights = EquipmentNeed('lights', owned=2, needed=1, busy=(
            self.usage(time(10), time(11)),
            self.usage(time(10, 30), time(11, 30))))
        starts = self.starts(
            available_slots(query(), photographer(), None, None, [lights]))
        self.assertNotIn('10:00', starts)
        self.assertIn('09:00', starts)
        self.assertIn('11:00', starts)

    def test_equipment_free_while_units_remain(self):
        lights = EquipmentNeed('lights', owned=2, needed=1, busy=(
            self.usage(time(10), time(11)),))
        slots = available_slots(query(), photographer(), None, None, [lights])
        self.assertEqual(len(slots), 9)

    def test_equipment_quantity_counts(self):
        lights = EquipmentNeed('lights', owned=3, needed=2, busy=(
            self.usage(time(10), time(11), quantity=2),))
        starts = self.starts(
            available_slots(query(), photographer(), None, None, [lights]))
        self.assertNotIn('10:00', starts)
        self.assertEqual(len(starts), 8)

    def test_needing_more_equipment_than_owned_means_no_slot(self):
        lens = EquipmentNeed('lens', owned=1, needed=2)
        self.assertEqual(
            available_slots(query(), photographer(), None, None, [lens]), [])

    def test_equipment_not_needed_is_ignored(self):
        lens = EquipmentNeed('lens', owned=0, needed=0)
        self.assertEqual(
            len(available_slots(
                query(), photographer(), None, None, [lens])), 9)

    def test_invalid_queries(self):
        with self.assertRaises(InvalidQuery):
            query(now=datetime(2026, 1, 1))
        with self.assertRaises(InvalidQuery):
            query(step=timedelta(0))
        with self.assertRaises(InvalidQuery):
            query(duration=-HOUR)
        with self.assertRaises(InvalidQuery):
            query(date(2026, 6, 2), date(2026, 6, 1))
        with self.assertRaises(InvalidQuery):
            query(buffer_before=-MINUTE)


class AnyPhotographerTest(unittest.TestCase):
    day = date(2026, 6, 1)

    def test_least_loaded_photographer_gets_the_slot(self):
        loaded = photographer(key='loaded', busy=[
            local_busy(BERLIN, self.day, time(13), time(17))])
        light = photographer(key='light', busy=[
            local_busy(BERLIN, self.day, time(15), time(16))])
        slots = any_photographer_slots(
            query(), [loaded, light], None, None)
        chosen = {
            slot.start.astimezone(BERLIN).strftime('%H:%M'): slot.photographer
            for slot in slots}
        self.assertEqual(chosen['10:00'], 'light')
        self.assertEqual(chosen['13:00'], 'light')
        self.assertEqual(chosen['16:00'], 'light')
        self.assertNotIn('15:00', chosen)
        self.assertEqual(chosen['17:00'], 'light')
        self.assertEqual(len(slots), 8)

    def test_load_counts_only_that_local_day(self):
        yesterday_busy = photographer(key='first', busy=[
            local_busy(BERLIN, date(2026, 5, 31), time(9), time(18))])
        other = photographer(key='second', busy=[
            local_busy(BERLIN, self.day, time(17), time(18))])
        slots = any_photographer_slots(
            query(), [yesterday_busy, other], None, None)
        self.assertEqual(slots[0].photographer, 'first')

    def test_ties_follow_the_given_order(self):
        first, second = photographer(key='first'), photographer(key='second')
        slots = any_photographer_slots(query(), [first, second], None, None)
        self.assertEqual({slot.photographer for slot in slots}, {'first'})
        slots = any_photographer_slots(query(), [second, first], None, None)
        self.assertEqual({slot.photographer for slot in slots}, {'second'})

    def test_one_slot_per_start_and_sorted(self):
        early = photographer(Schedule(every_day(time(8), time(12))), key='e')
        late = photographer(Schedule(every_day(time(11), time(15))), key='l')
        slots = any_photographer_slots(query(), [late, early], None, None)
        starts = [slot.start for slot in slots]
        self.assertEqual(starts, sorted(set(starts)))
        self.assertEqual(len(slots), 7)


class NextAvailableDayTest(unittest.TestCase):

    def booked(self, first_day: date, days: int) -> Interval:
        return Interval(
            datetime.combine(first_day, time(0), tzinfo=BERLIN),
            datetime.combine(
                first_day + timedelta(days=days), time(0), tzinfo=BERLIN))

    def test_skips_a_fully_booked_week(self):
        busy = photographer(busy=[self.booked(date(2026, 6, 1), 7)])
        self.assertEqual(
            next_available_day(query(), [busy], None, None),
            date(2026, 6, 8))

    def test_searches_past_the_first_chunk(self):
        for booked_days in (13, 14, 15, 30):
            busy = photographer(
                busy=[self.booked(date(2026, 6, 1), booked_days)])
            self.assertEqual(
                next_available_day(query(), [busy], None, None),
                date(2026, 6, 1) + timedelta(days=booked_days))

    def test_any_photographer_counts(self):
        busy = photographer(busy=[self.booked(date(2026, 6, 1), 20)])
        free_later = photographer(
            busy=[self.booked(date(2026, 6, 1), 3)], key='bob')
        self.assertEqual(
            next_available_day(query(), [busy, free_later], None, None),
            date(2026, 6, 4))

    def test_none_when_booked_until_the_horizon(self):
        busy = photographer(busy=[self.booked(date(2026, 6, 1), 60)])
        self.assertIsNone(next_available_day(
            query(now=local(BERLIN, 2026, 6, 1, 0),
                horizon=timedelta(days=30)),
            [busy], None, None))

    def test_none_without_rooms(self):
        self.assertIsNone(
            next_available_day(query(), [photographer()], NINE_TO_SIX, []))


# --- property tests against a brute-force reference -------------------------

def wall_time(index: int) -> time:
    """index on a 5-minute grid; 288 is midnight at the end of the day."""
    return time(0) if index == 288 else time(index // 12, index % 12 * 5)


@st.composite
def wall_hours(draw):
    # Midnight is favoured so that hours often run over to the next day.
    start = draw(st.just(0) | st.integers(0, 287))
    end = draw(st.just(288) | st.integers(start + 1, 288))
    return wall_time(start), wall_time(end)


@st.composite
def long_wall_hours(draw):
    """Opening from the morning at the latest to the afternoon at least."""
    return (
        wall_time(draw(st.integers(0, 120))),
        wall_time(draw(st.integers(168, 288))))


@st.composite
def schedules(draw, days: list[date], hours=wall_hours()):
    weekly = tuple(
        WeeklyHours(weekday, *weekday_hours)
        for weekday in range(7)
        for weekday_hours in draw(st.lists(hours, max_size=2)))
    overrides = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(['closed', 'replace', 'extra']))
        override_hours = (
            (None, None) if kind == 'closed' else draw(wall_hours()))
        overrides.append(
            DateOverride(draw(st.sampled_from(days)), kind, *override_hours))
    return Schedule(weekly, tuple(overrides))


@st.composite
def intervals_near(draw, origin: datetime, minutes: int, max_size: int = 8):
    result = []
    for _ in range(draw(st.integers(0, max_size))):
        start = origin + 5 * draw(st.integers(0, minutes // 5)) * MINUTE
        result.append(
            Interval(start, start + 5 * draw(st.integers(1, 60)) * MINUTE))
    return tuple(result)


@st.composite
def scenarios(draw, photographers: int = 1, fixed: bool = False):
    """A query and its world; fixed: photographers may have fixed slots."""
    tz = draw(st.sampled_from([BERLIN, NEW_YORK, MOSCOW, ZoneInfo('UTC')]))
    day_from = draw(st.sampled_from([
        date(2026, 3, 7), date(2026, 3, 28), date(2026, 10, 24),
        date(2026, 10, 31), date(2026, 6, 1)]))
    days = [
        day_from + timedelta(days=offset)
        for offset in range(draw(st.integers(1, 3)))]
    origin = datetime.combine(day_from, time(0), tzinfo=tz).astimezone(UTC)
    origin -= 6 * HOUR
    span_minutes = (len(days) + 1) * 24 * 60
    usage = st.builds(
        lambda start, length, quantity: Busy(
            origin + 5 * start * MINUTE,
            origin + 5 * (start + length) * MINUTE, quantity),
        st.integers(0, span_minutes // 5), st.integers(1, 60),
        st.integers(1, 2))
    query = SlotQuery(
        tz, days[0], days[-1],
        duration=draw(st.sampled_from([15, 30, 45, 60, 90, 120])) * MINUTE,
        step=draw(st.sampled_from([10, 15, 20, 30, 60])) * MINUTE,
        now=origin + 5 * draw(st.integers(-288, span_minutes // 20)) * MINUTE,
        buffer_before=draw(st.sampled_from([0, 5, 15, 30])) * MINUTE,
        buffer_after=draw(st.sampled_from([0, 10, 15, 30])) * MINUTE,
        min_notice=draw(st.sampled_from([0, 60, 600])) * MINUTE,
        horizon=draw(st.sampled_from([720, 2880, 10000, 525600])) * MINUTE)
    team = [
        Photographer(
            f'p{number}', draw(schedules(days)),
            draw(intervals_near(origin, span_minutes)),
            draw(intervals_near(origin, span_minutes, 2))
            if fixed and draw(st.integers(0, 3)) == 0 else ())
        for number in range(photographers)]
    studio = draw(st.one_of(st.none(), schedules(days, long_wall_hours())))
    rooms = draw(st.one_of(
        st.none(),
        st.lists(intervals_near(origin, span_minutes, 12), max_size=3).map(
            lambda busies: [
                Room(f'r{number}', busy)
                for number, busy in enumerate(busies)])))
    equipment = [
        EquipmentNeed(
            f'e{number}', draw(st.integers(1, 3)), draw(st.integers(0, 2)),
            tuple(draw(st.lists(usage, max_size=5))))
        for number in range(draw(st.integers(0, 2)))]
    return query, team, studio, rooms, equipment


def overlaps(first: Interval, second: Interval) -> bool:
    return first.start < second.end and second.start < first.end


def blocked_range(query: SlotQuery, start: datetime) -> Interval:
    return Interval(
        start - query.buffer_before,
        start + query.duration + query.buffer_after)


def equipment_free(need: EquipmentNeed, blocked: Interval) -> bool:
    if not need.needed:
        return True
    # Usage only rises at a usage start, so these are the moments to check.
    moments = [blocked.start] + [
        usage.start for usage in need.busy
        if blocked.start < usage.start < blocked.end]
    peak = max(
        sum(usage.quantity for usage in need.busy
            if usage.start <= moment < usage.end)
        for moment in moments)
    return peak + need.needed <= need.owned


def open_time(query, photographer, studio_hours) -> list[Interval]:
    """Open time of the asked days and one day around, like a long query."""
    day_before = query.day_from - timedelta(days=1)
    day_after = query.day_to + timedelta(days=1)
    opened = open_intervals(
        photographer.schedule, query.tz, day_before, day_after)
    if studio_hours is not None:
        opened = intersect_intervals(opened, open_intervals(
            studio_hours, query.tz, day_before, day_after))
    return opened


def bookable_start(query: SlotQuery, start: datetime) -> bool:
    return (query.day_from <= start.astimezone(query.tz).date() <= query.day_to
        and query.now + query.min_notice <= start
        <= query.now + query.horizon)


def brute_force_slots(query, photographer, studio_hours, rooms, equipment):
    """Every grid start checked against every busy interval, one by one."""
    slots = []
    for interval in open_time(query, photographer, studio_hours):
        start = interval.start
        while start + query.duration <= interval.end:
            blocked = blocked_range(query, start)
            if (bookable_start(query, start)
                    and not any(
                        overlaps(blocked, busy) for busy in photographer.busy)
                    and all(equipment_free(need, blocked)
                        for need in equipment)):
                if rooms is None:
                    slots.append(Slot(
                        start, start + query.duration, photographer.key))
                else:
                    free_rooms = [
                        room.key for room in rooms
                        if not any(overlaps(blocked, busy)
                            for busy in room.busy)]
                    if free_rooms:
                        slots.append(Slot(
                            start, start + query.duration, photographer.key,
                            free_rooms[0]))
            start += query.step
    return slots


class SlotPropertyTest(unittest.TestCase):

    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_slots_respect_every_rule(self, scenario):
        query, (photographer,), studio, rooms, equipment = scenario
        slots = available_slots(query, photographer, studio, rooms, equipment)
        opened = open_time(query, photographer, studio)
        rooms_by_key = {room.key: room for room in rooms or []}
        starts = [slot.start for slot in slots]
        self.assertEqual(starts, sorted(set(starts)))
        for slot in slots:
            self.assertEqual(slot.end - slot.start, query.duration)
            blocked = blocked_range(query, slot.start)
            for busy in photographer.busy:
                self.assertFalse(overlaps(blocked, busy))
            if rooms is None:
                self.assertIsNone(slot.room)
            else:
                for busy in rooms_by_key[slot.room].busy:
                    self.assertFalse(overlaps(blocked, busy))
            for need in equipment:
                self.assertTrue(equipment_free(need, blocked))
            containing = [
                interval for interval in opened
                if interval.start <= slot.start
                and slot.end <= interval.end]
            self.assertEqual(len(containing), 1)
            self.assertEqual(
                (slot.start - containing[0].start) % query.step,
                timedelta(0))
            self.assertTrue(bookable_start(query, slot.start))

    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_slots_match_brute_force(self, scenario):
        query, (photographer,), studio, rooms, equipment = scenario
        self.assertEqual(
            available_slots(query, photographer, studio, rooms, equipment),
            brute_force_slots(query, photographer, studio, rooms, equipment))

    @settings(max_examples=100, deadline=None, database=None)
    @given(scenarios(photographers=3, fixed=True))
    def test_any_photographer_picks_among_free_photographers(self, scenario):
        self.assert_any_photographer_path(*scenario)

    @settings(max_examples=100, deadline=None, database=None)
    @given(scenarios(photographers=6, fixed=True), st.booleans(),
        st.sampled_from(['datetimes', 'micros']))
    def test_any_photographer_from_plain_spans(
            self, scenario, one_schedule, form):
        """Busy time given as plain (start, end) spans of datetimes or of
        microseconds, as a database's rows come, with photographers that
        often share their hours (and so one grid of starts): the same
        slots as with Intervals, picked as by the per-photographer path."""
        query, team, studio, rooms, equipment = scenario
        if one_schedule:
            team = [replace(p, schedule=team[0].schedule) for p in team]

        def plain(intervals):
            if form == 'micros':
                return tuple((to_micros(i.start), to_micros(i.end))
                    for i in intervals)
            return tuple((i.start, i.end) for i in intervals)
        plain_team = [replace(p, busy=plain(p.busy)) for p in team]
        plain_rooms = None if rooms is None else [
            replace(r, busy=plain(r.busy)) for r in rooms]
        slots = any_photographer_slots(
            query, plain_team, studio, plain_rooms, equipment)
        self.assertEqual(slots, any_photographer_slots(
                query, team, studio, rooms, equipment))
        self.assertEqual(
            available_slots(
                query, plain_team[0], studio, plain_rooms, equipment),
            available_slots(query, team[0], studio, rooms, equipment))
        self.assert_any_photographer_path(
            query, team, studio, rooms, equipment)

    def assert_any_photographer_path(
            self, query, team, studio, rooms, equipment):
        """any_photographer_slots gives each start any photographer's
        available_slots have, to the least busy on its day."""
        per_photographer = {
            photographer.key: set(available_slots(
                query, photographer, studio, rooms, equipment))
            for photographer in team}
        slots = any_photographer_slots(query, team, studio, rooms, equipment)
        self.assertEqual(
            [slot.start for slot in slots],
            sorted({slot.start for offered in per_photographer.values()
                for slot in offered}))
        order = {photographer.key: n for n, photographer in enumerate(team)}
        busy = {photographer.key: photographer.busy for photographer in team}
        for slot in slots:
            self.assertIn(slot, per_photographer[slot.photographer])
            day = slot.start.astimezone(query.tz).date()
            day_time = [Interval(
                datetime.combine(day, time(0), tzinfo=query.tz),
                datetime.combine(
                    day + timedelta(days=1), time(0), tzinfo=query.tz))]

            def rank(key):
                load = sum(
                    (interval.duration for interval in intersect_intervals(
                        busy[key], day_time)),
                    timedelta(0))
                return load, order[key]
            free_at_start = [
                key for key, offered in per_photographer.items()
                if any(other.start == slot.start for other in offered)]
            self.assertEqual(slot.photographer, min(free_at_start, key=rank))

    @settings(max_examples=50, deadline=None, database=None)
    @given(scenarios(photographers=2))
    def test_next_available_day_is_the_first_day_with_a_slot(self, scenario):
        query, team, studio, rooms, equipment = scenario
        # Within the scenario days the answer must agree with the slot list.
        slots = any_photographer_slots(query, team, studio, rooms, equipment)
        found = next_available_day(query, team, studio, rooms, equipment)
        if slots:
            self.assertEqual(found, slots[0].start.astimezone(query.tz).date())
        elif found is not None:
            self.assertGreater(found, query.day_to)


if __name__ == '__main__':
    unittest.main()
