"""What party's Replace moves and Erase clears of the payments: vouchers
and packages follow the merged party (payments follow their booking); an
erased client's receipts lose the contacts they were sent to."""
from trytond.pool import Pool, PoolMeta


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('photo.payment.gift_certificate', 'buyer'),
            ('photo.payment.gift_certificate', 'recipient'),
            ('photo.payment.package', 'party'),
            ]


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        Transaction = Pool().get('photo.payment.transaction')
        # The 54-FZ receipt (its customer's email or phone) stays with the
        # provider and the fiscal data operator, which keep it by law.
        return super().to_erase(party_id) + [
            (Transaction, [('booking.client', '=', party_id)], True,
                ['receipt'], [None]),
            ]
