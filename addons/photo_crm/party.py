"Clients seen through their bookings."
import datetime as dt
from decimal import Decimal

from sql.aggregate import Count, Max, Sum

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    photo_booking_count = fields.Function(
        fields.Integer("Shoots"), 'get_photo_figures')
    photo_last_shoot = fields.Function(
        fields.DateTime("Last Shoot"), 'get_photo_figures')
    photo_revenue = fields.Function(
        fields.Numeric("Revenue", digits=(16, 2)), 'get_photo_figures')

    @classmethod
    def get_photo_figures(cls, parties, names):
        """Done shoots per client in one grouped query, of the bookings the
        user may read: a photographer sharing a client with another sees
        their own shoots and revenue, not the other's."""
        pool = Pool()
        Rule = pool.get('ir.rule')
        booking = pool.get('photo.booking').__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        ids = [p.id for p in parties]
        where = booking.client.in_(ids) & (booking.state == 'done')
        if transaction.user:
            # Getters run without access checks: the booking rules of the
            # user, as a search of theirs would apply them.
            with transaction.set_context(_check_access=True):
                if Rule.domain_get('photo.booking'):
                    where &= booking.id.in_(Rule.query_get('photo.booking'))
        result = {
            'photo_booking_count': dict.fromkeys(ids, 0),
            'photo_last_shoot': dict.fromkeys(ids),
            'photo_revenue': dict.fromkeys(ids, Decimal(0)),
            }
        cursor.execute(*booking.select(
                booking.client, Count(booking.id), Max(booking.start),
                Sum(booking.price),
                where=where, group_by=[booking.client]))
        for client, count, last, revenue in cursor:
            if isinstance(last, str):
                # SQLite gives an aggregate of datetimes untyped, as text.
                last = dt.datetime.fromisoformat(last)
            result['photo_booking_count'][client] = count
            result['photo_last_shoot'][client] = last
            result['photo_revenue'][client] = Decimal(str(revenue or 0))
        return {n: result[n] for n in names}
