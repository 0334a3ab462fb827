"""bench_floor: the least a booking can cost in Tryton, for bench.floor.

One model with an integer resource and a time range under the same gist
exclusion constraint as photo.booking's (overlap_exclude), and one JSON
route creating it through the ORM (validation, constraint, commit).

A second route adds what a hold cannot do without beyond that, each made
the cheapest way: the abuse ledger's two Redis scripts (check and reserve,
then record), the client's lookup, the slot's advisory lock and live
re-read, and the history row, as plain statements."""
import datetime as dt
import json
import time
from http import HTTPStatus

from trytond.model import Index, ModelSQL, fields
from trytond.modules.photo_booking import abuse, security
from trytond.modules.photo_booking.booking import (
    ensure_btree_gist, overlap_exclude)
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app


class Slot(ModelSQL):
    "Benchmark Slot"
    __name__ = 'bench.slot'
    resource = fields.Integer("Resource", required=True)
    busy_start = fields.DateTime("Start", required=True)
    busy_end = fields.DateTime("End", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints.append(('overlap',
                overlap_exclude(t, t.resource, where=None),
                'The time is taken.'))

    @classmethod
    def __register__(cls, module):
        ensure_btree_gist()
        super().__register__(module)


class SlotLog(ModelSQL):
    "Benchmark Slot History"
    __name__ = 'bench.slot.log'
    slot = fields.Integer("Slot")
    state = fields.Char("State")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.slot, Index.Range())))


def _create(pool, data):
    Slot = pool.get('bench.slot')
    start = dt.datetime.fromisoformat(data['start'])
    slot, = Slot.create([{
                'resource': data['resource'],
                'busy_start': start,
                'busy_end': start + dt.timedelta(hours=1),
                }])
    return slot


def _created(slot):
    return Response(json.dumps({'id': slot.id}), HTTPStatus.CREATED,
        content_type='application/json')


@app.route('/<database_name>/bench_floor/slots', methods=['POST'])
@with_pool
@with_transaction()
def create_slot(request, pool):
    return _created(_create(pool, json.loads(request.get_data())))


@app.route('/<database_name>/bench_floor/slots/checked', methods=['POST'])
@with_pool
@with_transaction()
def create_checked_slot(request, pool):
    data = json.loads(request.get_data())
    keys = abuse.Keys.of(request.remote_addr, [data['email']])
    reservation = abuse.check(pool.database_name, keys, anonymous=False,
        attempt=security.Attempt.of('api_write', request.remote_addr,
            '1000000/60', pool.database_name))
    cursor = Transaction().connection.cursor()
    cursor.execute('SELECT id FROM res_user WHERE login = %s',
        (data['email'],))
    cursor.fetchall()
    start = dt.datetime.fromisoformat(data['start'])
    cursor.execute('SELECT pg_advisory_xact_lock(%s, %s)',
        (1, data['resource']))
    # As the exclusion constraint's GiST index serves it.
    cursor.execute('SELECT id FROM bench_slot WHERE resource = %s::integer '
        "AND tsrange(busy_start, busy_end, '[)') && tsrange(%s, %s, '[)')",
        (data['resource'], start, start + dt.timedelta(hours=1)))
    cursor.fetchall()
    slot = _create(pool, data)
    cursor.execute('INSERT INTO bench_slot_log (slot, state, create_uid, '
        'create_date) VALUES (%s, %s, %s, CURRENT_TIMESTAMP)',
        (slot.id, 'hold', Transaction().user))
    abuse.record(pool.database_name, keys, str(slot.id), time.time() + 900,
        reservation=reservation)
    return _created(slot)
