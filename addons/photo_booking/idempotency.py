"""Answers of the API's write requests, kept 24 hours for their
Idempotency-Key: a client that lost an answer sends the request again and
gets the same answer, without it being done twice (as Stripe's API)."""
import datetime as dt
import hashlib
import json

from trytond import backend
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.model.exceptions import SQLConstraintError

from .common import utc_now

KEEP = dt.timedelta(hours=24)


def fingerprint(method, path, data):
    """What makes two requests the same: method, path and body (as JSON
    values, so that spacing and key order do not count)."""
    try:
        data = json.dumps(json.loads(data), sort_keys=True,
            separators=(',', ':')).encode()
    except ValueError:
        pass
    return hashlib.sha256(
        b'\n'.join([method.encode(), path.encode(), data])).hexdigest()


class IdempotencyKey(ModelSQL):
    "API Idempotency Key"
    __name__ = 'photo.api.idempotency_key'
    key = fields.Char("Key", required=True)
    fingerprint = fields.Char(
        "Fingerprint", required=True,
        help="SHA-256 of the request's method, path and body.")
    status = fields.Integer("Status")
    body = fields.Text("Body", help="The answer's JSON body.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key),
                'photo_booking.msg_idempotency_key_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.create_date, Index.Range())))

    @classmethod
    def answer(cls, key):
        "The key's record of the last 24 hours, or None."
        records = cls.search([
                ('key', '=', key),
                ('create_date', '>', utc_now() - KEEP),
                ], limit=1)
        return records[0] if records else None

    @property
    def json(self):
        return json.loads(self.body)

    @classmethod
    def claim(cls, key, fingerprint):
        """Take the key for this request before its work is done: a
        concurrent request with the same key waits for this one's commit,
        then runs again (as on any database conflict) and replays it."""
        cls.delete(cls.search([
                    ('key', '=', key),
                    ('create_date', '<=', utc_now() - KEEP),
                    ]))
        try:
            record, = cls.create([{'key': key, 'fingerprint': fingerprint}])
        except SQLConstraintError as exc:
            # PostgreSQL only: SQLite's writers are serialised.
            raise backend.DatabaseOperationalError(
                "idempotency key in flight") from exc
        return record

    def store(self, status, body):
        "Keep the answer (status, JSON-able body) given to the key."
        self.status = int(status)
        self.body = json.dumps(body, ensure_ascii=False)
        self.save()

    @classmethod
    def clean(cls):
        "Cron: forget the keys older than 24 hours."
        cls.delete(cls.search([('create_date', '<=', utc_now() - KEEP)]))
