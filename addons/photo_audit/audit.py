"""The audit log: who changed what, when and from where.

`photo.audit.entry` is append-only: its rows are inserted by SQL from the
hooks of AuditMixin (create, write, delete of the audited models) and of
the personal-data events; the ORM refuses to create, write or delete them,
for the administrator too. Reading them needs the Photo Manager group.
"""
import datetime as dt
import logging
from weakref import WeakKeyDictionary

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

ACTOR_KINDS = [
    ('staff', "Staff"),
    ('web_user', "Web User"),
    ('api_key', "API Key"),
    ('bot', "Bot Chat"),
    ('visitor', "Visitor"),
    ('system', "System"),
    ]
ACTIONS = [
    ('create', "Created"),
    ('write', "Changed"),
    ('delete', "Deleted"),
    ('view', "Viewed"),
    ('export', "Exported"),
    ('erase', "Erased"),
    ]
# A value kept in the log is cut there: the log tells what changed, it is
# no copy of the data.
MAX_VALUE = 500
REDACTED = '***'
# Context key for code acting for someone the transaction's user is not:
# ('bot', chat id), ('api_key', key name), ('web_user', web user id).
CONTEXT_ACTOR = 'audit_actor'
# Fields any model reads without showing personal data
META_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date',
    '_timestamp', '_write', '_delete', 'active', 'sequence'}
# Reads waiting for the end of their (read-only) request: transaction ->
# {model: (ids, field names)}
_pending_reads = WeakKeyDictionary()
FLUSH_TRIES = 3

logger = logging.getLogger(__name__)


def actor():
    "(kind, staff user id or None, label) of whoever acts in the transaction."
    transaction = Transaction()
    context = transaction.context
    # Code running as root for a user keeps them in the context
    # (Transaction().set_user(0, set_context=True)).
    user = transaction.user or context.get('user') or None
    explicit = context.get(CONTEXT_ACTOR)
    if explicit:
        kind, label = explicit
        return kind, user, str(label)
    if user:
        return 'staff', user, None
    if context.get('web_user'):
        # A signed-in client of the portal
        return 'web_user', None, str(context['web_user'])
    if context.get('_request'):
        return 'visitor', None, None
    return 'system', None, None


def staff_read():
    """Whether the transaction is a back-office request of a user (RPC or
    API key, with access checked): its reads of personal data are logged.
    Root (routes, the portal showing a client their data), cron and queue
    reads are not."""
    transaction = Transaction()
    return bool(transaction.user and transaction.check_access
        and transaction.context.get('_request'))


def personal_names(audited, names):
    """The audited fields among names read (as `read` takes them: 'email',
    'email:string', 'party.name'...); audited None: all but meta fields."""
    plain = {n.split(':', 1)[0] for n in names if '.' not in n}
    if audited is None:
        return sorted(plain - META_FIELDS)
    return sorted(plain & audited)


def address():
    ip_address, _ = Transaction().remote_address()
    return str(ip_address) if ip_address else None


def show(value):
    "value as the log keeps it: text, at most MAX_VALUE characters."
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ', '.join(str(v) for v in value)
    elif isinstance(value, bytes):
        return f'<{len(value)} bytes>'
    elif isinstance(value, dt.datetime):
        value = value.isoformat(sep=' ') + ' UTC'
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + '…'


class Entry(ModelSQL, ModelView):
    "Audit Log Entry"
    __name__ = 'photo.audit.entry'

    at = fields.DateTime("At", readonly=True, help="In UTC.")
    actor_kind = fields.Selection(
        ACTOR_KINDS, "Actor Kind", readonly=True, sort=False)
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='RESTRICT',
        help="The staff member (or the API key's user).")
    actor = fields.Char(
        "Actor", readonly=True,
        help="The web user, bot chat or API key when not staff.")
    address = fields.Char("Address", readonly=True,
        help="The remote address of the request.")
    action = fields.Selection(ACTIONS, "Action", readonly=True, sort=False)
    model = fields.Char("Model", readonly=True)
    record = fields.Integer("Record ID", readonly=True)
    records = fields.Text("Record IDs", readonly=True,
        help="The records read at once (a list's page).")
    resource = fields.Function(fields.Reference(
            "Record", selection='get_models'), 'get_resource')
    field = fields.Char("Field", readonly=True)
    old_value = fields.Text("Old Value", readonly=True)
    new_value = fields.Text("New Value", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('at', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.at, Index.Range())),
                Index(t, (t.model, Index.Equality()),
                    (t.record, Index.Range())),
                })

    @classmethod
    def get_models(cls):
        return Pool().get('ir.model').get_name_items()

    def get_resource(self, name):
        if self.model and self.record and self.action != 'delete':
            try:
                Pool().get(self.model)
            except KeyError:
                return None
            return f'{self.model},{self.record}'

    @classmethod
    def create(cls, vlist):
        if vlist:
            raise AccessError(gettext('photo_audit.msg_append_only'))
        return []

    @classmethod
    def write(cls, *args):
        if any(args[::2]):
            raise AccessError(gettext('photo_audit.msg_append_only'))

    @classmethod
    def delete(cls, entries):
        if entries:
            raise AccessError(gettext('photo_audit.msg_append_only'))

    @classmethod
    def copy(cls, entries, default=None):
        if entries:
            raise AccessError(gettext('photo_audit.msg_append_only'))
        return []

    @classmethod
    def append(cls, rows):
        """Append rows, dicts of action, model, record and optionally
        field, old_value, new_value, in one INSERT; who, when and from
        where are the transaction's."""
        if not rows:
            return
        kind, user, label = actor()
        now = dt.datetime.utcnow()
        remote = address()
        table = cls.__table__()
        columns = [table.create_date, table.create_uid, table.at,
            table.actor_kind, table.user, table.actor, table.address,
            table.action, table.model, table.record, table.records,
            table.field, table.old_value, table.new_value]
        values = [[now, user or 0, now, kind, user, label, remote,
                row['action'], row['model'], row.get('record'),
                row.get('records'), row.get('field'), row.get('old_value'),
                row.get('new_value')]
            for row in rows]
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.insert(columns, values))

    @classmethod
    def note_read(cls, model, ids, names):
        """Log that the transaction's user read names of model's ids.

        One entry per request and model: the ids and fields of all the
        request's reads of model (a list view's page is one entry). A
        read-only request (every RPC read) is logged after it ended, in a
        transaction of its own."""
        transaction = Transaction()
        if not transaction.readonly:
            cls.append([cls._read_row(model, ids, names)])
            return
        pending = _pending_reads.get(transaction)
        if pending is None:
            pending = _pending_reads[transaction] = {}
            context = {k: v for k, v in transaction.context.items()
                if k in {'_request', CONTEXT_ACTOR, 'web_user', 'language'}}
            transaction.atexit(cls._log_reads, transaction.database.name,
                transaction.user, context, pending)
        model_ids, model_names = pending.setdefault(model, (set(), set()))
        model_ids.update(ids)
        model_names.update(names)

    @classmethod
    def _read_row(cls, model, ids, names):
        ids = sorted(set(ids))
        return {'action': 'view', 'model': model,
            'record': ids[0] if len(ids) == 1 else None,
            'records': ','.join(map(str, ids)),
            'field': ', '.join(sorted(names))}

    @classmethod
    def _log_reads(cls, database, user, context, pending):
        "Append the reads of a request that has ended (see note_read)."
        rows = [cls._read_row(m, ids, names)
            for m, (ids, names) in sorted(pending.items())]
        for attempt in range(FLUSH_TRIES):
            try:
                with Transaction(new=True).start(
                        database, user, context=context):
                    Pool().get(cls.__name__).append(rows)
                return
            except backend.DatabaseOperationalError:
                if attempt + 1 < FLUSH_TRIES:
                    continue
                # The request has been answered: the reads cannot be
                # refused any more, only told.
                logger.error("reads of user %s not logged: %s",
                    user, rows, exc_info=True)

    @classmethod
    def append_event(cls, action, records):
        "Log action ('view', 'export', 'erase') of records."
        cls.append([{'action': action, 'model': r.__name__, 'record': r.id}
                for r in records])


class AuditMixin:
    """Logs the creation, changes (field: old → new) and deletion of the
    model's records.

    Fields in _audit_redact are logged as changed without their values
    (personal data: the log must not keep what an erasure removes)."""
    __slots__ = ()
    _audit_skip = {'create_uid', 'create_date', 'write_uid', 'write_date'}
    _audit_redact = set()

    @classmethod
    def _audit_lock(cls, records):
        "Lock records before their old values are read (a hook)."

    @classmethod
    def _audit_fields(cls, names):
        return [n for n in names
            if n in cls._fields and n not in cls._audit_skip
            and not isinstance(cls._fields[n], fields.Function)]

    @classmethod
    def create(cls, vlist):
        records = super().create(vlist)
        Pool().get('photo.audit.entry').append([{
                    'action': 'create', 'model': cls.__name__,
                    'record': r.id} for r in records])
        return records

    @classmethod
    def write(cls, *args):
        Entry = Pool().get('photo.audit.entry')
        changes = []  # (ids, names, old values by id)
        actions = list(zip(args[::2], args[1::2]))
        cls._audit_lock([r for records, values in actions
                if cls._audit_fields(values) for r in records])
        with without_check_access():
            for records, values in actions:
                names = cls._audit_fields(values)
                if not records or not names:
                    continue
                ids = [r.id for r in records]
                old = {v['id']: v for v in cls.read(ids, names)}
                changes.append((ids, names, old, values))
        super().write(*args)
        rows = []
        with without_check_access():
            for ids, names, old, values in changes:
                relational = [n for n in names
                    if cls._fields[n]._type in ('one2many', 'many2many')]
                new = {v['id']: v for v in cls.read(ids, relational)} \
                    if relational else {}
                for id_ in ids:
                    for name in names:
                        before = old[id_][name]
                        after = (new[id_][name] if name in relational
                            else values[name])
                        if isinstance(before, (list, tuple)):
                            before, after = sorted(before), sorted(after)
                        if before == after:
                            continue
                        redact = name in cls._audit_redact
                        rows.append({
                                'action': 'write', 'model': cls.__name__,
                                'record': id_, 'field': name,
                                'old_value': REDACTED if redact and before
                                else show(before),
                                'new_value': REDACTED if redact and after
                                else show(after),
                                })
        Entry.append(rows)

    @classmethod
    def delete(cls, records):
        Entry = Pool().get('photo.audit.entry')
        with without_check_access():
            rows = [{'action': 'delete', 'model': cls.__name__,
                    'record': r.id, 'old_value': show(r.rec_name)}
                for r in cls.browse(records)]
        super().delete(records)
        Entry.append(rows)


class ReadAuditMixin:
    """Logs the back office's reads of the personal fields in _audit_read
    (None: every field but the meta ones), not their values: who, when, from
    where, which records and fields (Entry.note_read)."""
    __slots__ = ()
    _audit_read = set()

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        if ids and staff_read():
            names = personal_names(cls._audit_read, fields_names)
            if names:
                Pool().get('photo.audit.entry').note_read(
                    cls.__name__, [int(i) for i in ids], names)
        return result


class Booking(AuditMixin, ReadAuditMixin, metaclass=PoolMeta):
    __name__ = 'photo.booking'
    _audit_read = {'email', 'phone', 'location', 'notes', 'cancel_reason'}
    _audit_redact = {'email', 'phone', 'notes', 'cancel_reason'}
    _audit_skip = AuditMixin._audit_skip | {'busy_start', 'busy_end'}

    @classmethod
    def _audit_lock(cls, records):
        # The old values are the locked rows', as the booking's own write
        # reads them (it locks them again: a no-op).
        if records:
            cls.lock_rows(records)


class Service(AuditMixin, metaclass=PoolMeta):
    __name__ = 'photo.service'


class WorkingHours(AuditMixin, metaclass=PoolMeta):
    __name__ = 'photo.photographer.working_hours'


class ScheduleException(AuditMixin, metaclass=PoolMeta):
    __name__ = 'photo.photographer.exception'


class FixedSlot(AuditMixin, metaclass=PoolMeta):
    __name__ = 'photo.photographer.fixed_slot'


class OpeningHours(AuditMixin, metaclass=PoolMeta):
    __name__ = 'photo.studio.opening_hours'


class UserGroup(metaclass=PoolMeta):
    """Permissions: a group added to or removed from a user, from the
    user's side or the group's, logged as a change of the user's groups."""
    __name__ = 'res.user-res.group'

    @classmethod
    def create(cls, vlist):
        records = super().create(vlist)
        cls._audit_groups(records, added=True)
        return records

    @classmethod
    def delete(cls, records):
        cls._audit_groups(records, added=False)
        super().delete(records)

    @classmethod
    def _audit_groups(cls, records, added):
        Entry = Pool().get('photo.audit.entry')
        with without_check_access():
            rows = [{
                    'action': 'write', 'model': 'res.user',
                    'record': r.user.id, 'field': 'groups',
                    'old_value': None if added else r.group.name,
                    'new_value': r.group.name if added else None,
                    } for r in cls.browse(records)]
        Entry.append(rows)


class Party(ReadAuditMixin, metaclass=PoolMeta):
    __name__ = 'party.party'
    _audit_read = {'email', 'phone', 'mobile', 'addresses',
        'contact_mechanisms'}


class ContactMechanism(ReadAuditMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'
    _audit_read = {'value', 'value_compact', 'rec_name', 'comment', 'email',
        'url', 'sip', 'skype', 'other_value'}


class Address(ReadAuditMixin, metaclass=PoolMeta):
    __name__ = 'party.address'
    _audit_read = None


class WebUser(ReadAuditMixin, metaclass=PoolMeta):
    __name__ = 'web.user'
    _audit_read = {'email', 'rec_name'}

    @classmethod
    def personal_data_accessed(cls, users, action):
        super().personal_data_accessed(users, action)
        Pool().get('photo.audit.entry').append_event(action, users)


class PartyErase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def transition_erase(self):
        party = self.ask.party
        state = super().transition_erase()
        Pool().get('photo.audit.entry').append_event('erase', [party])
        return state


class PaymentTransaction(AuditMixin, metaclass=PoolMeta):
    "Payments and refunds"
    __name__ = 'photo.payment.transaction'
    _audit_skip = AuditMixin._audit_skip | {'gateway_payload', 'payload'}
