"What party's Erase clears of the chats."
from trytond.pool import Pool, PoolMeta


class Erase(metaclass=PoolMeta):
    "An erased client's messages keep their place in the chat, not words."
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        Message = Pool().get('photo.chat.message')
        return super().to_erase(party_id) + [
            (Message, [
                    ('booking.client', '=', party_id),
                    ('author', '=', 'client'),
                    ], True, ['body'], ['****']),
            ]
