"""Validate a new record from the values just inserted, not a read-back.

trytond's create inserts the rows, then validates them (required fields,
selections, digits, time formats, domains, the model's own checks)
through records whose every field is read again from the database: one
more query and the conversion of a whole row (decrypting its encrypted
fields too) per create, a quarter of a hold (issue 22). The values are in
hand: `CreatedFromValues` puts into the transaction's record cache, for the
fields whose stored value is exactly the one trytond formatted for the
INSERT, that value, so later reads find them there. The records trytond
validates get the same values as their own (`_values`, as a record built
from values has them), so each of the validation's reads of a field is an
attribute lookup rather than trytond's way through the record caches; they
are dropped once validated. Any other field (create_date, relational
lists, types whose backend may store something else) is read from the
database as before, at its first use.

PostgreSQL only: its columns give back what was sent (NUMERIC without
scale, TIMESTAMP(0) of a value trytond already cut to the second, text as
stripped). SQLite stores numbers by affinity, so it reads back as before.
"""
import datetime as dt
from weakref import WeakKeyDictionary

from sql import Expression, Query

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool
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
# Per transaction, {(model name, id): stored values} of the records being
# validated after their create.
_in_hand = WeakKeyDictionary()


def stored_format(field):
    """The function giving the value field's column keeps for a value, as
    read gives it back; None when that is not known without reading it."""
    if (field._type not in SAME_TYPES or hasattr(field, 'set')
            or getattr(field, 'translate', False)):
        return None
    if isinstance(field, EncryptedField):
        # The column keeps the ciphertext of what the field formats; read
        # decrypts it back to that.
        return super(EncryptedField, field).sql_format
    return field.sql_format


def known(value):
    "Whether a formatted value is what read gives back."
    return not (isinstance(value, (Query, Expression))
        or (isinstance(value, (dt.datetime, dt.time)) and value.tzinfo))


class CreatedFromValues:
    "Mixin of a ModelSQL validated after create from its values (PostgreSQL)."
    __slots__ = ()

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        # Worked out once, not per field of every create: the fields whose
        # stored value is known; among them, those left to read (a context
        # or a datetime field changes what read gives) and the target of
        # each many2one, which becomes a record as Model.__init__ makes it.
        cls._stored_formats = []
        cls._left_to_read = set()
        cls._many2one_targets = {}
        # The fields ModelSQL.create would give a default.
        cls._defaulted = [name for name, field in cls._fields.items()
            if name not in SKIPPED and not (
                isinstance(field, fields.Function) and not field.setter)]
        for name, field in cls._fields.items():
            format_ = stored_format(field)
            if name in SKIPPED or format_ is None:
                continue
            cls._stored_formats.append((name, format_))
        for name in ['create_uid', *(n for n, _ in cls._stored_formats)]:
            field = cls._fields[name]
            if field.context or getattr(field, 'datetime_field', None):
                cls._left_to_read.add(name)
            elif field._type == 'many2one':
                cls._many2one_targets[name] = field.model_name

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
            missing = [name for name in cls._defaulted
                if name not in values]
            unknown = [name for name in missing if name not in defaults]
            if unknown:
                defaults.update(cls._clean_defaults(
                        cls.default_get(unknown, with_rec_name=False)))
            for name in missing:
                if name in defaults:
                    values[name] = defaults[name]

    @classmethod
    def _after_create(cls, ids):
        transaction = Transaction()
        stack = _pending.get(transaction)
        rows = {}
        if stack:
            name, vlist = stack.pop()
            if name == cls.__name__ and len(vlist) == len(ids):
                rows = cls._cache_created(ids, vlist) or {}
        in_hand = _in_hand.setdefault(transaction, {})
        keys = [(cls.__name__, id_) for id_ in rows]
        in_hand.update(zip(keys, rows.values()))
        try:
            return super()._after_create(ids)
        finally:
            for key in keys:
                in_hand.pop(key, None)

    @classmethod
    def _validate(cls, records, field_names=None):
        in_hand = _in_hand.get(Transaction(), {})
        pool = Pool()
        targets = cls._many2one_targets
        given = []
        for record in records:
            row = in_hand.get((cls.__name__, record.id))
            if row is None or record._values is not None:
                continue
            values = {}
            for name, value in row.items():
                if name in cls._left_to_read:
                    continue
                target = targets.get(name)
                values[name] = (pool.get(target)(value)
                    if target and value is not None else value)
            record._values = cls._record(**values)
            given.append(record)
        try:
            super()._validate(records, field_names=field_names)
        finally:
            for record in given:
                record._values = None

    @classmethod
    def _cache_created(cls, ids, vlist):
        """Put the stored values of the records ids, created from vlist, in
        the transaction's cache: {id: those values}."""
        cache = Transaction().get_cache()[cls.__name__]
        user = Transaction().user
        rows = {}
        for id_, values in zip(ids, vlist):
            row = {'create_uid': user, 'write_uid': None, 'write_date': None}
            for name, format_ in cls._stored_formats:
                # A column without value nor default is NULL: trytond
                # gives columns no default of the database's.
                value = format_(values.get(name))
                if known(value):
                    row[name] = value
            cache[id_]._update(**row)
            rows[id_] = row
        return rows
