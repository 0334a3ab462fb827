"How staff read times in the back office: hours and minutes."
from trytond.pyson import PYSONEncoder

TIME_FORMAT = '%H:%M'


class MinuteTimesMixin:
    """Show the datetimes named in _minute_times without their seconds.

    Only the client's format changes: a field's own format also validates
    what is stored, and these instants (a hold's expiry, a payment's
    creation, imported busy time) keep their seconds.
    """
    __slots__ = ()
    _minute_times = frozenset()

    @classmethod
    def fields_get(cls, fields_names=None, level=0):
        definition = super().fields_get(fields_names=fields_names, level=level)
        for name in cls._minute_times & definition.keys():
            definition[name]['format'] = PYSONEncoder().encode(TIME_FORMAT)
        return definition
