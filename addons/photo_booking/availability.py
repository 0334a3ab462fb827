"""Availability rules for photo-shoot bookings, in plain Python (no Tryton).

Every instant is a timezone-aware datetime normalised to UTC and every
interval is half-open [start, end). Wall-clock rules (weekly hours, date
overrides) are converted to UTC per local day with zoneinfo, so days with a
DST change get their real length and slot grids step in elapsed time.

Speed matters because the booking page asks for weeks of slots at once:
busy time is merged once and turned into sorted "forbidden start" intervals,
so each candidate start costs a bisect instead of a scan of every booking.
Inside the slot search instants are integer microseconds since the Unix
epoch (`to_micros`): comparing and adding ints costs a fraction of doing it
with datetimes, and a database can hand busy time over in that form, so
"any photographer"'s thousands of rows never become datetimes at all.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from operator import itemgetter
from zoneinfo import ZoneInfo

__all__ = [
    'CLOSED', 'REPLACE', 'EXTRA',
    'InvalidQuery', 'Interval', 'WeeklyHours', 'DateOverride', 'Schedule',
    'Busy', 'EquipmentNeed', 'Room', 'Photographer', 'SlotQuery', 'Slot',
    'merge_intervals', 'merge_micros', 'intersect_intervals', 'subtract_intervals',
    'closed_days', 'open_intervals', 'available_slots',
    'any_photographer_slots', 'next_available_day', 'to_micros',
    'from_micros',
    ]

UTC = timezone.utc
MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)
# next_available_day looks at this many days per search instead of day by day.
SEARCH_CHUNK_DAYS = 14

CLOSED = 'closed'
REPLACE = 'replace'
EXTRA = 'extra'

# (start, end) of UTC datetimes: the interval lists' form, cheaper than
# Interval.
Span = tuple[datetime, datetime]
# (start, end) in microseconds since the Unix epoch: the slot search's form.
Micros = tuple[int, int]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch."""
    return (moment - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    """Integer microseconds since the Unix epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)


class InvalidQuery(ValueError):
    """The slot query cannot be answered as asked."""


def _as_utc(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{what} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _checked_span(instance: object, start: datetime, end: datetime) -> None:
    """Normalise start/end of a frozen dataclass to UTC; refuse end < start."""
    start, end = _as_utc(start, 'start'), _as_utc(end, 'end')
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    object.__setattr__(instance, 'start', start)
    object.__setattr__(instance, 'end', end)


def _check_wall_hours(start: time, end: time) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("wall-clock hours must be naive times")
    if not (start < end or end == MIDNIGHT):
        raise ValueError(
            f"hours {start}-{end} must end after they start "
            "(use time(0) as end for midnight)")


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """Half-open [start, end) between two UTC instants.

    Sorts by start then end, so lists of intervals can be sorted directly.
    """
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _checked_span(self, self.start, self.end)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Recurring local opening hours; end == time(0) means end of the day."""
    weekday: int  # 0 = Monday, like date.weekday()
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        _check_wall_hours(self.start, self.end)


@dataclass(frozen=True, slots=True)
class DateOverride:
    """Exception to the weekly hours on one local day.

    'closed' removes the whole day and wins over any other override (its
    start/end are ignored, so hours left over from editing do no harm),
    'replace' hours replace the weekly hours (several 'replace' combine),
    'extra' hours are added to whatever the day has otherwise.
    """
    day: date
    kind: str
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        if self.kind in (REPLACE, EXTRA):
            if self.start is None or self.end is None:
                raise ValueError(
                    f"a {self.kind!r} override needs start and end")
            _check_wall_hours(self.start, self.end)
        elif self.kind != CLOSED:
            raise ValueError(f"unknown override kind {self.kind!r}")


def closed_days(first_day: date, last_day: date) -> tuple[DateOverride, ...]:
    """A vacation: one 'closed' override per day, both ends included."""
    count = (last_day - first_day).days + 1
    return tuple(
        DateOverride(first_day + timedelta(days=offset), CLOSED)
        for offset in range(count))


@dataclass(frozen=True)
class Schedule:
    weekly: tuple[WeeklyHours, ...]
    overrides: tuple[DateOverride, ...] = ()


@dataclass(frozen=True, slots=True, order=True)
class Busy:
    """Equipment usage: `quantity` units are taken during [start, end)."""
    start: datetime
    end: datetime
    quantity: int = 1

    def __post_init__(self) -> None:
        _checked_span(self, self.start, self.end)
        if self.quantity < 1:
            raise ValueError(
                f"quantity must be at least 1, got {self.quantity}")


@dataclass(frozen=True)
class EquipmentNeed:
    """The booking needs `needed` of the `owned` units of one equipment."""
    key: Hashable
    owned: int
    needed: int
    busy: tuple[Busy, ...] = ()

    def __post_init__(self) -> None:
        if self.owned < 0 or self.needed < 0:
            raise ValueError("owned and needed must not be negative")


@dataclass(frozen=True)
class Room:
    """busy: Intervals or plain (start, end) spans, of aware datetimes or
    of integer microseconds since the Unix epoch (`to_micros`): the
    cheaper forms for many rows read from a database."""
    key: Hashable
    busy: tuple[Interval | Span | Micros, ...] = ()


@dataclass(frozen=True)
class Photographer:
    """A photographer's bookable time.

    `busy` already contains existing bookings with their buffers and the
    external calendar, as Intervals or plain (start, end) spans, of aware
    datetimes or of integer microseconds since the Unix epoch (`to_micros`:
    the cheapest form for many rows read from a database). On a local day
    with a fixed slot, only the fixed slots are offered that day, whatever
    the schedule says.
    """
    key: Hashable
    schedule: Schedule
    busy: tuple[Interval | Span | Micros, ...] = ()
    fixed_slots: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class SlotQuery:
    """What the client asks for; days are local days in `tz`, inclusive."""
    tz: ZoneInfo
    day_from: date
    day_to: date
    duration: timedelta
    step: timedelta
    now: datetime
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=365)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise InvalidQuery(f"tz must be a tzinfo, got {self.tz!r}")
        try:
            object.__setattr__(self, 'now', _as_utc(self.now, 'now'))
        except ValueError as error:
            raise InvalidQuery(str(error)) from None
        if self.day_to < self.day_from:
            raise InvalidQuery(
                f"day_to {self.day_to} is before day_from {self.day_from}")
        if self.duration <= timedelta(0):
            raise InvalidQuery("duration must be positive")
        if self.step <= timedelta(0):
            raise InvalidQuery("step must be positive")
        for name in ('buffer_before', 'buffer_after', 'min_notice', 'horizon'):
            if getattr(self, name) < timedelta(0):
                raise InvalidQuery(f"{name} must not be negative")


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    photographer: Hashable
    room: Hashable | None = None


# --- interval lists ---------------------------------------------------------

def _merge(spans: Iterable[Span]) -> list[Span]:
    """Sort spans, merge overlapping or touching ones, drop empty ones."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _intersect(first: list[Span], second: list[Span]) -> list[Span]:
    """Intersection of two merged span lists, in one linear walk."""
    result: list[Span] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def _subtract(base: list[Span], removed: list[Span]) -> list[Span]:
    """Parts of merged `base` not covered by merged `removed`, linear walk."""
    result: list[Span] = []
    j = 0
    for start, end in base:
        while j < len(removed) and removed[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(removed) and removed[k][0] < end:
            if removed[k][0] > cursor:
                result.append((cursor, removed[k][0]))
            cursor = max(cursor, removed[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _spans(intervals: Iterable[Interval | Busy | Span]) -> list[Span]:
    return [
        (interval.start, interval.end)
        if isinstance(interval, (Interval, Busy)) else interval
        for interval in intervals]


def _micro_spans(
        intervals: Iterable[Interval | Busy | Span | Micros]) -> list[Micros]:
    """Intervals and spans of any form as spans of microseconds."""
    result: list[Micros] = []
    append = result.append
    for interval in intervals:
        if type(interval) is tuple and type(interval[0]) is int:
            append(interval)  # the common case: rows from a database
            continue
        if isinstance(interval, (Interval, Busy)):
            start, end = interval.start, interval.end
        else:
            start, end = interval
        if type(start) is not int:
            start, end = to_micros(start), to_micros(end)
        append((start, end))
    return result


def _intervals(spans: Iterable[Span]) -> list[Interval]:
    return [Interval(start, end) for start, end in spans]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union of intervals; touching intervals are joined."""
    return _intervals(_merge(_spans(intervals)))


def merge_micros(
        intervals: Iterable[Interval | Busy | Span | Micros]) -> list[Micros]:
    """Sorted union of intervals of any form as spans of microseconds: the
    form the slot search reads fastest."""
    return _merge(_micro_spans(intervals))


def intersect_intervals(
        first: Iterable[Interval], second: Iterable[Interval]
        ) -> list[Interval]:
    """Sorted time covered by both lists (inputs need not be sorted)."""
    return _intervals(
        _intersect(_merge(_spans(first)), _merge(_spans(second))))


def subtract_intervals(
        base: Iterable[Interval], removed: Iterable[Interval]
        ) -> list[Interval]:
    """Sorted time of `base` not covered by `removed`."""
    return _intervals(
        _subtract(_merge(_spans(base)), _merge(_spans(removed))))


# --- wall clock to UTC ------------------------------------------------------

def _local_to_utc(day: date, wall: time, tz: tzinfo) -> datetime:
    # fold=0: a time skipped by spring-forward maps forward (by the offset
    # before the change), a time repeated by fall-back is its first occurrence.
    local = datetime.combine(day, wall.replace(fold=0), tzinfo=tz)
    return local.astimezone(UTC)


def _local_micros(day: date, wall: time, tz: tzinfo) -> int:
    return to_micros(_local_to_utc(day, wall, tz))


def _local_day(day: date, tz: tzinfo) -> Micros:
    return _local_micros(day, MIDNIGHT, tz), _local_micros(
        day + ONE_DAY, MIDNIGHT, tz)


def _day_hours(
        weekly_hours: list[tuple[time, time]],
        overrides: list[DateOverride]) -> list[tuple[time, time]]:
    if any(override.kind == CLOSED for override in overrides):
        return []
    replaced = [(o.start, o.end) for o in overrides if o.kind == REPLACE]
    extra = [(o.start, o.end) for o in overrides if o.kind == EXTRA]
    return (replaced or weekly_hours) + extra


def _open_spans(
        schedule: Schedule, tz: tzinfo, day_from: date, day_to: date
        ) -> list[Span]:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in schedule.weekly:
        weekly.setdefault(hours.weekday, []).append((hours.start, hours.end))
    overrides: dict[date, list[DateOverride]] = {}
    for override in schedule.overrides:
        if day_from <= override.day <= day_to:
            overrides.setdefault(override.day, []).append(override)

    spans: list[Span] = []
    day = day_from
    while day <= day_to:
        hours = _day_hours(
            weekly.get(day.weekday(), []), overrides.get(day, []))
        for start, end in hours:
            end_day = day + ONE_DAY if end == MIDNIGHT else day
            # Hours inside a spring-forward gap can come out empty or
            # reversed; _merge drops those.
            spans.append((
                _local_to_utc(day, start, tz),
                _local_to_utc(end_day, end, tz)))
        day += ONE_DAY
    return _merge(spans)


def open_intervals(
        schedule: Schedule, tz: ZoneInfo, day_from: date, day_to: date
        ) -> list[Interval]:
    """Sorted, merged UTC open time of local days day_from..day_to."""
    return _intervals(_open_spans(schedule, tz, day_from, day_to))


# --- slot search ------------------------------------------------------------

class _ForbiddenStarts:
    """Sorted disjoint open intervals (low, high) of starts a slot can't have.

    A slot blocks [start - buffer_before, start + duration + buffer_after);
    it overlaps busy [b, e) exactly when b - duration - buffer_after < start
    < e + buffer_before, so each busy span becomes one open interval of
    forbidden starts and the ends themselves stay allowed. In microseconds.
    """
    __slots__ = ('lows', 'highs')

    def __init__(
            self, busy: list[Micros], reach_before: int,
            reach_after: int) -> None:
        self.lows: list[int] = []
        self.highs: list[int] = []
        lows, highs = self.lows, self.highs
        for start, end in busy:  # merged, so sorted by start
            low, high = start - reach_before, end + reach_after
            if highs and low < highs[-1]:
                if high > highs[-1]:
                    highs[-1] = high
            else:
                lows.append(low)
                highs.append(high)

    def __contains__(self, start: int) -> bool:
        index = bisect_left(self.lows, start)
        return index > 0 and start < self.highs[index - 1]

    def allowed(self, low: int, high: int) -> Iterator[Micros]:
        """Closed ranges [a, b] inside [low, high] with no forbidden start."""
        index = bisect_right(self.highs, low)
        cursor = low
        while index < len(self.lows) and self.lows[index] < high:
            if cursor <= self.lows[index]:
                yield cursor, self.lows[index]
            cursor = max(cursor, self.highs[index])
            index += 1
        if cursor <= high:
            yield cursor, high


def _equipment_blocked(
        equipment: Iterable[EquipmentNeed]) -> list[Micros] | None:
    """Merged time where some equipment lacks enough free units.

    None when a need exceeds what is owned: then nothing can be booked.
    """
    blocked: list[Micros] = []
    for need in equipment:
        if need.needed == 0:
            continue
        if need.needed > need.owned:
            return None
        usable_in_use = need.owned - need.needed
        events: list[tuple[int, int]] = []
        for usage in need.busy:
            if usage.end > usage.start:
                events.append((to_micros(usage.start), usage.quantity))
                events.append((to_micros(usage.end), -usage.quantity))
        # Ends sort before starts at the same instant (half-open intervals),
        # so usages that only touch never count as concurrent.
        events.sort()
        in_use = 0
        blocked_since: int | None = None
        for moment, change in events:
            in_use += change
            if in_use > usable_in_use:
                if blocked_since is None:
                    blocked_since = moment
            elif blocked_since is not None:
                blocked.append((blocked_since, moment))
                blocked_since = None
    return _merge(blocked)


def _covers(spans: list[Micros], start: int, end: int) -> bool:
    index = bisect_right(spans, start, key=itemgetter(0)) - 1
    return index >= 0 and spans[index][1] >= end


def _day_loads(busy: list[Micros], edges: list[int]) -> list[int]:
    """Busy time of merged `busy` inside each day [edges[n], edges[n + 1]),
    in one walk."""
    last = len(edges) - 1
    loads = [0] * last
    day = 0
    for start, end in busy:
        while day < last and edges[day + 1] <= start:
            day += 1
        if day < last and edges[day] <= start and end <= edges[day + 1]:
            loads[day] += end - start  # the common case: within one day
            continue
        current = day
        while current < last and edges[current] < end:
            loads[current] += (min(end, edges[current + 1])
                - max(start, edges[current]))
            current += 1
    return loads


class _SlotFinder:
    """Constraints of one query prepared once, shared by photographers/days.

    Works in microseconds since the Unix epoch (see to_micros)."""

    def __init__(
            self, query: SlotQuery, studio_hours: Schedule | None,
            rooms: Sequence[Room] | None,
            equipment: Iterable[EquipmentNeed]) -> None:
        self.query = query
        self.studio_hours = studio_hours
        self.duration = query.duration // MICROSECOND
        self.step = query.step // MICROSECOND
        self.reach_before = (
            query.duration + query.buffer_after) // MICROSECOND
        self.reach_after = query.buffer_before // MICROSECOND
        self.earliest = to_micros(query.now + query.min_notice)
        self.latest = to_micros(query.now + query.horizon)
        equipment_blocked = _equipment_blocked(equipment)
        # An empty room list means the service needs a room and none exists.
        self.impossible = equipment_blocked is None or (
            rooms is not None and not rooms)
        self.equipment_blocked = equipment_blocked or []
        self.rooms = None if rooms is None else [
            (room.key, self._forbidden(_merge(_micro_spans(room.busy))))
            for room in rooms]
        # What every photographer shares, per asked days: bounds, studio
        # hours, and open time per distinct schedule (most are alike).
        self._days: dict[tuple[date, date], tuple] = {}
        self._open: dict[tuple, list[Micros]] = {}

    def _forbidden(self, busy: list[Micros]) -> _ForbiddenStarts:
        return _ForbiddenStarts(busy, self.reach_before, self.reach_after)

    def busy(self, photographer: Photographer) -> list[Micros]:
        "The photographer's merged busy time."
        return _merge(_micro_spans(photographer.busy))

    def forbidden_starts(
            self, photographer: Photographer,
            busy: list[Micros] | None = None) -> _ForbiddenStarts:
        """busy: the photographer's merged busy time, if already at hand."""
        if busy is None:
            busy = self.busy(photographer)
        if self.equipment_blocked:
            busy = _merge(busy + self.equipment_blocked)
        return self._forbidden(busy)

    def _bounds(self, day_from: date, day_to: date) -> tuple:
        try:
            return self._days[day_from, day_to]
        except KeyError:
            pass
        tz = self.query.tz
        # Starts must fall on the asked local days, but open time is read
        # one day beyond each side: hours running over midnight keep their
        # grid and length whatever days are asked.
        first_start = max(self.earliest, _local_micros(day_from, MIDNIGHT, tz))
        last_start = min(
            self.latest, _local_micros(day_to + ONE_DAY, MIDNIGHT, tz) - 1)
        read_from, read_to = day_from - ONE_DAY, day_to + ONE_DAY
        read_start = _local_micros(read_from, MIDNIGHT, tz)
        read_end = _local_micros(read_to + ONE_DAY, MIDNIGHT, tz)
        studio = None
        if self.studio_hours is not None:
            studio = _micro_spans(
                _open_spans(self.studio_hours, tz, read_from, read_to))
        bounds = self._days[day_from, day_to] = (
            first_start, last_start, read_from, read_to, read_start,
            read_end, studio)
        return bounds

    def _open_spans(
            self, schedule: Schedule, read_from: date, read_to: date,
            studio: list[Micros] | None) -> list[Micros]:
        """Open time of schedule inside the studio's hours (studio is the
        same for the same days), computed once per distinct schedule."""
        key = (tuple(schedule.weekly), tuple(schedule.overrides), read_from,
            read_to)
        try:
            return self._open[key]
        except KeyError:
            spans = _micro_spans(
                _open_spans(schedule, self.query.tz, read_from, read_to))
            if studio is not None:
                spans = _intersect(spans, studio)
            self._open[key] = spans
            return spans

    def has_fixed(
            self, photographer: Photographer, day_from: date, day_to: date
            ) -> bool:
        "Whether fixed slots of the photographer change the asked days."
        if not photographer.fixed_slots:
            return False
        read_start, read_end = self._bounds(day_from, day_to)[4:6]
        return any(read_start <= start < read_end
            for start, _ in _micro_spans(photographer.fixed_slots))

    def slots(
            self, photographer: Photographer, forbidden: _ForbiddenStarts,
            day_from: date, day_to: date) -> list[Slot]:
        return self._with_rooms(photographer.key, self.starts(
                photographer, forbidden, day_from, day_to))

    def starts(
            self, photographer: Photographer, forbidden: _ForbiddenStarts,
            day_from: date, day_to: date) -> list[int]:
        """The photographer's bookable starts, sorted, rooms aside (which
        room is free depends on the start alone)."""
        if self.impossible:
            return []
        tz, duration = self.query.tz, self.duration
        (first_start, last_start, read_from, read_to, read_start, read_end,
            studio) = self._bounds(day_from, day_to)

        fixed = sorted(
            span for span in _micro_spans(photographer.fixed_slots)
            if read_start <= span[0] < read_end)
        open_spans = self._open_spans(
            photographer.schedule, read_from, read_to, studio)
        if fixed:
            fixed_days = {
                from_micros(start).astimezone(tz).date()
                for start, _ in fixed}
            open_spans = _subtract(
                open_spans, _merge(_local_day(day, tz) for day in fixed_days))

        starts = self._grid(open_spans, forbidden, first_start, last_start)
        for start, end in fixed:
            if (end - start >= duration
                    and first_start <= start <= last_start
                    and start not in forbidden
                    and (studio is None
                        or _covers(studio, start, start + duration))):
                starts.append(start)
        if fixed:
            starts.sort()
        return starts

    def _grid(
            self, open_spans: list[Micros], forbidden: _ForbiddenStarts,
            first_start: int, last_start: int) -> list[int]:
        """Grid starts of open_spans between first_start and last_start that
        forbidden allows, sorted."""
        duration, step = self.duration, self.step
        starts: list[int] = []
        for open_start, open_end in open_spans:
            low = max(open_start, first_start)
            high = min(open_end - duration, last_start)
            if low > high:
                continue
            for allowed_low, allowed_high in forbidden.allowed(low, high):
                # First grid point >= allowed_low; the grid is anchored on
                # the open interval start and counts elapsed time.
                steps = -((open_start - allowed_low) // step)
                starts.extend(range(
                    open_start + steps * step, allowed_high + 1, step))
        return starts

    def schedule_starts(
            self, schedule: Schedule, day_from: date, day_to: date
            ) -> list[int]:
        """The starts the schedule offers on the asked days to someone with
        no busy time and no fixed slots, sorted: what photographers of this
        schedule share before their own bookings."""
        if self.impossible:
            return []
        (first_start, last_start, read_from, read_to, _, _,
            studio) = self._bounds(day_from, day_to)
        return self._grid(
            self._open_spans(schedule, read_from, read_to, studio),
            self._forbidden(self.equipment_blocked), first_start, last_start)

    def _with_rooms(
            self, photographer_key: Hashable, starts: list[int]
            ) -> list[Slot]:
        duration = self.duration
        if self.rooms is None:
            return [
                Slot(from_micros(start), from_micros(start + duration),
                    photographer_key)
                for start in starts]
        slots = []
        for start in starts:
            for room_key, room_forbidden in self.rooms:
                if start not in room_forbidden:
                    slots.append(
                        Slot(from_micros(start),
                            from_micros(start + duration), photographer_key,
                            room_key))
                    break
        return slots


def available_slots(
        query: SlotQuery, photographer: Photographer,
        studio_hours: Schedule | None, rooms: Sequence[Room] | None,
        equipment: Sequence[EquipmentNeed] = ()) -> list[Slot]:
    """Bookable slots of one photographer, sorted by start.

    studio_hours None means on location (no studio hours); rooms None means
    no room is needed, while an empty list means none is available.
    """
    finder = _SlotFinder(query, studio_hours, rooms, equipment)
    return finder.slots(
        photographer, finder.forbidden_starts(photographer),
        query.day_from, query.day_to)


def any_photographer_slots(
        query: SlotQuery, photographers: Sequence[Photographer],
        studio_hours: Schedule | None, rooms: Sequence[Room] | None,
        equipment: Sequence[EquipmentNeed] = ()) -> list[Slot]:
    """One slot per start time for "any photographer", sorted by start.

    Among the photographers free at a start, the one with the least busy
    time on that local day gets it (ties: the given order), to spread load.

    Photographers sharing a schedule share its grid of starts: each start is
    offered to them from the least busy of its day on, and the first free
    one takes it (a bisect in their busy time), instead of every
    photographer listing their own starts. Those with fixed slots on the
    asked days go their own way.
    """
    finder = _SlotFinder(query, studio_hours, rooms, equipment)
    if finder.impossible:
        return []
    tz, day_from, day_to = query.tz, query.day_from, query.day_to
    # UTC bounds of the local days a start can fall on, to find its day
    # by bisection instead of a time zone conversion per start.
    first_day = day_from - ONE_DAY
    edges = [_local_micros(first_day + timedelta(days=n), MIDNIGHT, tz)
        for n in range((day_to - first_day).days + 3)]
    # start: (load of its day, order, photographer key)
    best: dict[int, tuple[int, int, Hashable]] = {}
    groups: dict[tuple, list] = {}
    for order, photographer in enumerate(photographers):
        busy = finder.busy(photographer)
        loads = _day_loads(busy, edges)
        if finder.has_fixed(photographer, day_from, day_to):
            starts = finder.starts(
                photographer, finder.forbidden_starts(photographer, busy),
                day_from, day_to)
            key = photographer.key
            for start in starts:
                candidate = (
                    loads[bisect_right(edges, start) - 1], order, key)
                current = best.get(start)
                if current is None or candidate < current:
                    best[start] = candidate
            continue
        forbidden = finder._forbidden(busy)
        schedule = photographer.schedule
        groups.setdefault(
            (tuple(schedule.weekly), tuple(schedule.overrides)), []).append(
            (schedule, order, photographer.key, loads, forbidden.lows,
                forbidden.highs))
    for members in groups.values():
        starts = finder.schedule_starts(members[0][0], day_from, day_to)
        day = -1
        ranking: list = []
        for start in starts:
            if start >= edges[day + 1]:
                while start >= edges[day + 1]:
                    day += 1
                ranking = sorted(
                    ((loads[day], order, key, lows, highs)
                        for _, order, key, loads, lows, highs in members),
                    key=itemgetter(0, 1))
            for load, order, key, lows, highs in ranking:
                index = bisect_left(lows, start)
                if index == 0 or start >= highs[index - 1]:
                    current = best.get(start)
                    if current is None or (load, order) < current[:2]:
                        best[start] = (load, order, key)
                    break
    return [slot for start in sorted(best)
        for slot in finder._with_rooms(best[start][2], [start])]


def next_available_day(
        query: SlotQuery, photographers: Sequence[Photographer],
        studio_hours: Schedule | None, rooms: Sequence[Room] | None,
        equipment: Sequence[EquipmentNeed] = ()) -> date | None:
    """First local day from query.day_from, up to the horizon, with a slot.

    query.day_to is ignored: the search goes on until the horizon, a few
    weeks per step, and stops at the first day that has anything.
    """
    finder = _SlotFinder(query, studio_hours, rooms, equipment)
    if finder.impossible:
        return None
    forbidden = [finder.forbidden_starts(p) for p in photographers]
    last_day = from_micros(finder.latest).astimezone(query.tz).date()
    chunk_from = query.day_from
    while chunk_from <= last_day:
        chunk_to = min(
            chunk_from + timedelta(days=SEARCH_CHUNK_DAYS - 1), last_day)
        first_starts = []
        for photographer, photographer_forbidden in zip(
                photographers, forbidden):
            slots = finder.slots(
                photographer, photographer_forbidden, chunk_from, chunk_to)
            if slots:
                first_starts.append(slots[0].start)
        if first_starts:
            return min(first_starts).astimezone(query.tz).date()
        chunk_from = chunk_to + ONE_DAY
    return None
