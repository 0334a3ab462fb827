"Weekly hours, date exceptions, published fixed slots and external busy time."
import datetime as dt
from collections import defaultdict

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import availability
from .display import MinuteTimesMixin
from .exceptions import BookingValidationError
from .setup_cache import ClearsSetupCache

WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]
MIDNIGHT = dt.time(0)


class WeeklyHoursMixin(ClearsSetupCache):
    "Hours on one weekday, in the studio's wall-clock time."
    __slots__ = ()
    weekday = fields.Selection(WEEKDAYS, "Weekday", required=True, sort=False)
    start_time = fields.Time("From", required=True)
    end_time = fields.Time(
        "To", required=True, help="00:00 means until the end of the day.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order[0:0] = [('weekday', 'ASC'), ('start_time', 'ASC')]

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names & {'start_time', 'end_time'}:
            for record in records:
                if (record.end_time != MIDNIGHT
                        and record.end_time <= record.start_time):
                    raise BookingValidationError(
                        gettext('photo_booking.msg_hours_end_after_start'))

    @classmethod
    def weekly_rules(cls, owner, owner_ids, where=None):
        "WeeklyHours per owner id, in one query (availability is hot)."
        result = defaultdict(list)
        if not owner_ids:
            return result  # PostgreSQL refuses an empty IN ()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        column = getattr(table, owner)
        condition = column.in_(list(owner_ids))
        if where is not None:
            condition &= where(table)
        cursor.execute(*table.select(
                column, table.weekday, table.start_time, table.end_time,
                where=condition))
        for key, weekday, start, end in cursor:
            result[key].append(availability.WeeklyHours(int(weekday), start, end))
        return result


class PeriodMixin(MinuteTimesMixin, ClearsSetupCache):
    "A photographer's UTC period [start, end), checked to end after it starts."
    __slots__ = ()
    _minute_times = frozenset({'start', 'end'})
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End", required=True)

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names & {'start', 'end'}:
            for record in records:
                if record.end <= record.start:
                    raise BookingValidationError(
                        gettext('photo_booking.msg_interval_end_after_start'))

    @classmethod
    def periods(cls, photographer_ids, window, where=None):
        "Intervals per photographer id overlapping window, in one query."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        condition = (table.photographer.in_(list(photographer_ids))
            & (table.end > window[0]) & (table.start < window[1]))
        if where is not None:
            condition &= where(table)
        cursor.execute(*table.select(
                table.photographer, table.start, table.end,
                where=condition, order_by=[table.start]))
        result = defaultdict(list)
        for photographer, start, end in cursor:
            result[photographer].append(availability.Interval(
                    start.replace(tzinfo=dt.timezone.utc),
                    end.replace(tzinfo=dt.timezone.utc)))
        return result


class WorkingHours(WeeklyHoursMixin, ModelSQL, ModelView):
    "Photographer Working Hours"
    __name__ = 'photo.photographer.working_hours'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    studio = fields.Many2One(
        'photo.studio', "Studio", ondelete='CASCADE',
        domain=[('id', 'in', Eval('photographer_studios', []))],
        help="Leave empty for on-location hours.")
    photographer_studios = fields.Function(
        fields.Many2Many('photo.studio', None, None, "Photographer Studios"),
        'on_change_with_photographer_studios')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.photographer, Index.Range())))

    @fields.depends('photographer', '_parent_photographer.studios')
    def on_change_with_photographer_studios(self, name=None):
        if self.photographer:
            return [s.id for s in self.photographer.studios]
        return []


class ScheduleException(ClearsSetupCache, ModelSQL, ModelView):
    "Photographer Schedule Exception"
    __name__ = 'photo.photographer.exception'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('closed', "Day off / vacation"),
            ('replace', "Changed hours"),
            ('extra', "Extra hours"),
            ], "Kind", required=True, sort=False)
    date_from = fields.Date("From", required=True)
    date_to = fields.Date(
        "To", required=True,
        domain=[('date_to', '>=', Eval('date_from'))])
    start_time = fields.Time(
        "Start", states={
            'invisible': Eval('kind') == 'closed',
            'required': Eval('kind') != 'closed',
            })
    end_time = fields.Time(
        "End", states={
            'invisible': Eval('kind') == 'closed',
            'required': Eval('kind') != 'closed',
            })
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date_from', 'ASC'))
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.photographer, Index.Range()),
                (t.date_to, Index.Range())))

    @classmethod
    def default_kind(cls):
        return 'closed'

    @fields.depends('date_from', 'date_to')
    def on_change_date_from(self):
        if self.date_from and (
                not self.date_to or self.date_to < self.date_from):
            self.date_to = self.date_from

    @classmethod
    def overrides(cls, photographer_ids, day_from, day_to):
        "DateOverrides per photographer id for the days, in one query."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.photographer, table.kind, table.date_from,
                table.date_to, table.start_time, table.end_time,
                where=table.photographer.in_(list(photographer_ids))
                & (table.date_to >= day_from) & (table.date_from <= day_to)))
        result = defaultdict(list)
        for photographer, kind, first, last, start, end in cursor:
            first, last = max(first, day_from), min(last, day_to)
            result[photographer].extend(
                availability.DateOverride(
                    first + dt.timedelta(days=i), kind, start, end)
                for i in range((last - first).days + 1))
        return result


class FixedSlot(PeriodMixin, ModelSQL, ModelView):
    "Published Fixed Slot"
    __name__ = 'photo.photographer.fixed_slot'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    studio = fields.Many2One(
        'photo.studio', "Studio", ondelete='CASCADE',
        help="Leave empty for an on-location slot.")
    title = fields.Char("Title", help='e.g. "Christmas mini-sessions"')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start', 'ASC'))
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.photographer, Index.Range()),
                (t.start, Index.Range())))


    @classmethod
    def intervals(cls, photographer_ids, studio, window):
        "Published slots per photographer id at studio within window."
        return cls.periods(photographer_ids, window,
            lambda t: (t.studio == studio.id) if studio
            else (t.studio == Null))

class ExternalBusy(PeriodMixin, ModelSQL, ModelView):
    "External Busy Time"
    __name__ = 'photo.photographer.busy'
    photographer = fields.Many2One(
        'photo.photographer', "Photographer", required=True,
        ondelete='CASCADE')
    source = fields.Selection([
            ('manual', "Manual"),
            ('google', "Google Calendar"),
            ], "Source", required=True)
    external_id = fields.Char(
        "External ID", readonly=True,
        help="The event's identifier in the external calendar.")
    summary = fields.Char("Summary")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('external_unique',
                Unique(t, t.photographer, t.source, t.external_id),
                'photo_booking.msg_external_busy_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.photographer, Index.Range()),
                (t.end, Index.Range()), (t.start, Index.Range())))
        cls._order.insert(0, ('start', 'ASC'))

    @classmethod
    def default_source(cls):
        return 'manual'
