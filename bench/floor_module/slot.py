"""bench_floor: the least a booking can cost in Tryton, for bench.floor.

One model with an integer resource and a time range under the same gist
exclusion constraint as photo.booking's (overlap_exclude), and one JSON
route creating it through the ORM (validation, constraint, commit)."""
import datetime as dt
import json
from http import HTTPStatus

from trytond.model import ModelSQL, fields
from trytond.modules.photo_booking.booking import (
    ensure_btree_gist, overlap_exclude)
from trytond.protocols.wrappers import Response, with_pool, with_transaction
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


@app.route('/<database_name>/bench_floor/slots', methods=['POST'])
@with_pool
@with_transaction()
def create_slot(request, pool):
    Slot = pool.get('bench.slot')
    data = json.loads(request.get_data())
    start = dt.datetime.fromisoformat(data['start'])
    slot, = Slot.create([{
                'resource': data['resource'],
                'busy_start': start,
                'busy_end': start + dt.timedelta(hours=1),
                }])
    return Response(json.dumps({'id': slot.id}), HTTPStatus.CREATED,
        content_type='application/json')
