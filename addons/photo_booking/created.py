"""Validate a new record from the values just inserted, not a read-back.

trytond's create inserts the rows, then validates them (required fields,
selections, digits, time formats, domains, the model's own checks)
through records whose every field is read again from the database: one
more query and the conversion of a whole row (decrypting its encrypted
fields too) per create, a quarter of a hold (issue 22). The values are in
hand: `CreatedFromValues` puts into the transaction's record cache, for the
fields whose stored value is exactly the one trytond formatted for the
INSERT, that value, so the same validation reads them from there. Any
other field (create_date, relational lists, types whose backend may store
something else) is read from the database as before, at its first use.

PostgreSQL only: its columns give back what was sent (NUMERIC without
scale, TIMESTAMP(0) of a value trytond already cut to the second, text as
stripped). SQLite stores numbers by affinity, so it reads back as before.
"""
import datetime as dt
from weakref import WeakKeyDictionary

from sql import Expression, Query

from trytond import backend
from trytond.model import fields
from trytond.transaction import Transaction

from .encryption import EncryptedField

# Field types whose formatted value PostgreSQL returns unchanged.
SAME_TYPES = {'boolean', 'char', 'text', 'selection', 'integer', 'biginteger',
    'many2one', 'numeric', 'date', 'datetime', 'timestamp'}
# Names ModelSQL.create fills itself.
SKIPPED = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}

# Per transaction, the values of the creates under way (nested creates
# of one model stack up).
_pending = WeakKeyDictionary()


def stored_value(field, value):
    """The value field's column keeps for value, as read gives it back;
    KeyError when that is not known without reading it."""
    if (field._type not in SAME_TYPES or hasattr(field, 'set')
            or getattr(field, 'translate', False)):
        raise KeyError(field.name)
    if isinstance(field, EncryptedField):
        # The column keeps the ciphertext of what the field formats; read
        # decrypts it back to that.
        value = super(EncryptedField, field).sql_format(value)
    else:
        value = field.sql_format(value)
    if (isinstance(value, (Query, Expression))
            or (isinstance(value, (dt.datetime, dt.time)) and value.tzinfo)):
        raise KeyError(field.name)
    return value


class CreatedFromValues:
    "Mixin of a ModelSQL validated after create from its values (PostgreSQL)."
    __slots__ = ()

    @classmethod
    def _before_create(cls, vlist):
        vlist = super()._before_create(vlist)
        if backend.name == 'postgresql':
            cls._complete_defaults(vlist)
            _pending.setdefault(Transaction(), []).append(
                (cls.__name__, vlist))
        return vlist

    @classmethod
    def _complete_defaults(cls, vlist):
        """Add the defaults ModelSQL.create would add, computed the same
        way (default_get without rec names, cleaned), so that the values
        in hand are the whole row."""
        defaults = {}
        for values in vlist:
            missing = [name for name, field in cls._fields.items()
                if name not in values and name not in SKIPPED
                and not (isinstance(field, fields.Function)
                    and not field.setter)]
            unknown = [name for name in missing if name not in defaults]
            if unknown:
                defaults.update(cls._clean_defaults(
                        cls.default_get(unknown, with_rec_name=False)))
            for name in missing:
                if name in defaults:
                    values[name] = defaults[name]

    @classmethod
    def _after_create(cls, ids):
        stack = _pending.get(Transaction())
        if stack:
            name, vlist = stack.pop()
            if name == cls.__name__ and len(vlist) == len(ids):
                cls._cache_created(ids, vlist)
        return super()._after_create(ids)

    @classmethod
    def _cache_created(cls, ids, vlist):
        cache = Transaction().get_cache()[cls.__name__]
        user = Transaction().user
        for id_, values in zip(ids, vlist):
            row = {'create_uid': user, 'write_uid': None, 'write_date': None}
            for name, field in cls._fields.items():
                if name in SKIPPED:
                    continue
                # A column without value nor default is NULL: trytond
                # gives columns no default of the database's.
                try:
                    row[name] = stored_value(field, values.get(name))
                except KeyError:
                    continue
            cache[id_]._update(**row)
