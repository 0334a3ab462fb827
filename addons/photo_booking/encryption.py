"""Encrypted fields: the glue between `crypto.py` and the ORM.

A model encrypts a field with one line, and inherits `EncryptedMixin` once:

    class Calendar(EncryptedMixin, ModelSQL, ModelView):
        secret = encrypted(fields.Char("Secret", strip=False))

or, for a field another module declares, in `__setup__`:

    class ContactMechanism(EncryptedMixin, metaclass=PoolMeta):
        value_hash = blind_index_field()

        @classmethod
        def __setup__(cls):
            super().__setup__()
            encrypted(cls.value, blind_index='value_hash')

The column keeps `v1:<kid>:<…>` (see crypto.py), the ORM reads and writes
clear text. Searching an encrypted field: with a `blind_index` column
(HMAC-SHA256 of the normalised value, filled on every create and write),
`=`, `!=`, `in`, `not in` and `ilike '%whole value%'` compare hashes, so
they match whole values only (any case for e-mails, any spacing for
phones); without one, only emptiness can be searched. On module update the
mixin encrypts the clear values already there; `rotate_keys.py`
re-encrypts everything with the current key.

Keys come from `[photo_booking] encryption_keys` ("kid:base64,…", the first
encrypts) and `hash_key`, or the environment `PHOTO_ENCRYPTION_KEYS` and
`PHOTO_HASH_KEY`; with neither, a key pair is generated once into
`[database] path` (as `./scripts/run` and the tests need).
"""
import logging
import os
import tempfile

from sql import Column, Literal, Null, Query
from sql.aggregate import Count
from sql.conditionals import Coalesce
from sql.operators import Expression

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.tools import unescape_wildcard
from trytond.transaction import Transaction

from . import crypto, security
from .exceptions import EncryptionError

logger = logging.getLogger(__name__)

SECTION = 'photo_booking'
KEY_FILE = '.photo_booking_encryption_keys'
_keyrings = {}
_generated = {}


def _generated_keys():
    "The key pair kept in the data path, made on first use."
    directory = config.get('database', 'path')
    if not directory or not os.path.isdir(directory):
        directory = tempfile.gettempdir()
    path = os.path.join(directory, KEY_FILE)
    if path in _generated:
        return _generated[path]

    def make():
        logger.warning("Encryption keys generated into %s: back it up, or "
            "set [photo_booking] encryption_keys and hash_key", path)
        return 'encryption_keys = local:%s\nhash_key = %s\n' % (
            crypto.new_key(), crypto.new_key())
    try:
        text = security.read_or_create(path, make, ephemeral=False)
    except OSError:
        logger.error("Cannot keep encryption keys in %s", path, exc_info=True)
        return None, None
    values = dict(
        (k.strip(), v.strip()) for k, _, v in (
            line.partition('=') for line in text.splitlines() if '=' in line))
    keys = _generated[path] = (
        values.get('encryption_keys'), values.get('hash_key'))
    return keys


def keyring():
    "The configured keyring (a clear EncryptionError if there is none)."
    keys = (config.get(SECTION, 'encryption_keys')
        or os.environ.get('PHOTO_ENCRYPTION_KEYS'))
    hash_key = (config.get(SECTION, 'hash_key')
        or os.environ.get('PHOTO_HASH_KEY'))
    if not keys and not hash_key:
        keys, hash_key = _generated_keys()
    ring = _keyrings.get((keys, hash_key))
    if ring is None:
        if not keys or not hash_key:
            raise EncryptionError(gettext(
                    'photo_booking.msg_encryption_no_key'))
        try:
            ring = crypto.Keyring(
                crypto.parse_keys(keys), crypto.parse_hash_key(hash_key))
        except crypto.NoKey:
            raise EncryptionError(gettext(
                    'photo_booking.msg_encryption_no_key'))
        except crypto.BadKeys as exception:
            raise EncryptionError(gettext(
                    'photo_booking.msg_encryption_bad_keys',
                    error=str(exception)))
        _keyrings[(keys, hash_key)] = ring
    return ring


def decrypt(ring, value, aad, where):
    "value's clear text, or an EncryptionError naming where it is kept."
    try:
        return ring.decrypt(value, aad)
    except crypto.KeyMissing as exception:
        raise EncryptionError(gettext(
                'photo_booking.msg_encryption_key_missing',
                kid=exception.kid, where=where))
    except crypto.Undecryptable:
        raise EncryptionError(gettext(
                'photo_booking.msg_encryption_undecryptable', where=where))


class EncryptedField:
    "Mixed before a Char or Text field by `encrypted`."
    blind_index = None
    search_by = None
    encrypted_model = None  # set by EncryptedMixin.__post_setup__

    @property
    def _sql_type(self):
        # The ciphertext is longer than the size the clear text is held to.
        return 'TEXT' if isinstance(self, fields.Text) else 'VARCHAR'

    def aad(self):
        if not self.encrypted_model:
            raise RuntimeError(
                f"field {self.name} is encrypted: its model must inherit "
                "encryption.EncryptedMixin")
        return f'{self.encrypted_model}.{self.name}'.encode('utf-8')

    def where(self):
        return f'{self.encrypted_model}.{self.name}'

    def sql_format(self, value):
        value = super().sql_format(value)
        if (value is None or value == ''
                or isinstance(value, (Query, Expression))):
            return value
        return keyring().encrypt(value, self.aad())

    def get(self, ids, model, name, values=None):
        if values is None:
            table = model.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(table.id, Column(table, name),
                    where=fields.SQL_OPERATORS['in'](table.id, ids)))
            values = [{'id': i, name: v} for i, v in cursor]
        ring, aad, where = None, self.aad(), self.where()
        result = {}
        for row in values:
            value = row[name]
            if crypto.is_encrypted(value):
                ring = ring or keyring()
                value = decrypt(ring, value, aad, where)
            result[row['id']] = value
        return result

    def convert_domain(self, domain, tables, Model):
        "Whole values through the keyed hash; without one, emptiness only."
        table, _ = tables[None]
        name, operator, value = domain
        column = self.sql_column(tables, Model)
        empty = (column == Null) | (column == '')
        negative = operator.startswith('!') or operator.startswith('not')
        if operator in {'=', '!='}:
            values = [value]
        elif operator in {'in', 'not in'}:
            if not isinstance(value, (list, tuple, set, frozenset)):
                return Literal(negative)  # a sub-query of ciphertexts
            values = list(value)
        elif operator in {'like', 'ilike', 'not like', 'not ilike'}:
            # Partial searches cannot be answered on ciphertext: "%x%"
            # matches the whole value x only (README: Encryption at rest).
            if isinstance(value, str):
                value = unescape_wildcard(value.strip('%'))
            values = [value]
        else:
            return Literal(negative)
        expression = Literal(False)
        hashes = []
        for value in values:
            if value is None or value == '':
                expression |= empty
            else:
                hashes.append(value)
        search_by = self.search_by or self.blind_index
        if hashes and search_by:
            ring = keyring()
            hash_column = Column(table, search_by)
            if negative:  # "!= x" keeps the rows without a value
                hash_column = Coalesce(hash_column, '')
            expression |= hash_column.in_([ring.index(v) for v in hashes])
        if negative:
            expression = ~expression
        return expression


_classes = {}


def encrypted(field, blind_index=None, search_by=None):
    """Make field (a Char or Text, not translated) stored encrypted.

    blind_index names the Char column (see `blind_index_field`) that keeps
    the keyed hash of the value, filled on every write; search_by names
    another field's such column to search this one by (party's
    value_compact by value's)."""
    assert isinstance(field, fields.Char), field
    assert not field.translate, "translated fields cannot be encrypted"
    if not isinstance(field, EncryptedField):
        base = type(field)
        if base not in _classes:
            _classes[base] = type(
                'Encrypted' + base.__name__, (EncryptedField, base), {})
        field.__class__ = _classes[base]
    field.blind_index = blind_index
    field.search_by = search_by
    return field


def blind_index_field(string="Search Hash"):
    "The column of a keyed hash; nobody reads it over RPC."
    return fields.Char(string, readonly=True, strip=False,
        states={'invisible': True})


class EncryptedMixin:
    """Fills the keyed hashes of encrypted fields and encrypts the clear
    values left from before (module update)."""
    __slots__ = ()

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        cls._encrypted_fields = {}
        for name, field in cls._fields.items():
            if isinstance(field, EncryptedField):
                field.encrypted_model = cls.__name__
                cls._encrypted_fields[name] = field
                for column in [field.blind_index, field.search_by]:
                    assert not column or column in cls._fields, (
                        f"{cls.__name__}.{name}: no field {column}")

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        if cls._encrypted_fields and not cls._is_table_query():
            reencrypt(cls, only_clear=True)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        ring = None
        for name, field in cls._encrypted_fields.items():
            if field.blind_index and name in values:
                ring = ring or keyring()
                values[field.blind_index] = ring.index(values[name])
        return values


def reencrypt(Model, only_clear=False, rehash=False, batch=500,
        progress=None, commit=False):
    """Encrypt with the current key the values of Model's encrypted fields
    that are clear (only_clear) or under another key, refilling their
    keyed hashes (all of them with rehash). Rows are taken in id order, in
    batches committed when commit is set, so an interrupted run resumes
    where it stopped; done rows are skipped, so running again is a no-op.
    progress(where, done, total) is called after each batch."""
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    ring = keyring()
    changed = 0
    for name, field in sorted(Model._encrypted_fields.items()):
        column = Column(table, name)
        aad, where = field.aad(), field.where()
        hash_column = (Column(table, field.blind_index)
            if field.blind_index else None)
        filled = (column != Null) & (column != '')
        if only_clear:
            todo = filled & ~column.like(crypto.PREFIX + '%')
            if hash_column is not None:
                todo |= filled & (hash_column == Null)
        else:
            # The key id is checked in Python: LIKE ignores case on SQLite.
            todo = filled
        total = None
        if progress:
            cursor.execute(*table.select(Count(), where=todo))
            total, = cursor.fetchone()
        last_id, done = 0, 0
        while True:
            columns = [table.id, column]
            if hash_column is not None:
                columns.append(hash_column)
            cursor.execute(*table.select(*columns,
                    where=todo & (table.id > last_id),
                    order_by=[table.id.asc], limit=batch))
            rows = cursor.fetchall()
            if not rows:
                break
            for row in rows:
                id_, value = row[:2]
                current = ring.is_current(value)
                if current and not rehash and (
                        hash_column is None or row[2] is not None):
                    continue
                plain = decrypt(ring, value, aad, where)
                names = [column]
                values = [
                    value if current else ring.encrypt(plain, aad)]
                if hash_column is not None:
                    names.append(hash_column)
                    values.append(ring.index(plain))
                cursor.execute(*table.update(names, values,
                        where=table.id == id_))
                changed += 1
            last_id = rows[-1][0]
            done += len(rows)
            if commit:
                Transaction().commit()
            if progress:
                progress(where, done, total)
    return changed
