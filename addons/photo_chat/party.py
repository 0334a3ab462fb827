"What party's Erase clears of the chats."
from trytond.pool import Pool, PoolMeta

ERASED_EMAIL = 'erased@invalid'


class Erase(metaclass=PoolMeta):
    """An erased client's messages keep their place in the conversation,
    not their words nor their address."""
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Booking = pool.get('photo.booking')
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        bookings = Booking.search([('client', '=', party_id)])
        channels = Channel.search(
            [('resource', 'in', [str(b) for b in bookings])])
        return super().to_erase(party_id) + [
            (Message, [
                    ('channel', 'in', [c.id for c in channels]),
                    # The client writes from the portal by e-mail; staff
                    # post as users.
                    ('user', '=', None),
                    ], True, ['content', 'email'], ['****', ERASED_EMAIL]),
            ]
