"Payments tell the client (registered when photo_payment is activated)."
from trytond.pool import Pool, PoolMeta


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'photo.payment.transaction'

    @classmethod
    def succeed(cls, transactions):
        super().succeed(transactions)
        cls.notify_client([t for t in transactions if t.kind == 'payment'],
            'payment_succeeded')
        cls.notify_client([t for t in transactions if t.kind == 'refund'],
            'payment_refunded')

    @classmethod
    def fail(cls, transactions):
        super().fail(transactions)
        cls.notify_client([t for t in transactions if t.kind == 'payment'],
            'payment_failed')

    @classmethod
    def notify_client(cls, transactions, event):
        "Tell the client of the transactions that reached event's state."
        Notification = Pool().get('photo.notification')
        state = 'failed' if event == 'payment_failed' else 'succeeded'
        for transaction in cls.browse(transactions):
            if transaction.state == state:
                Notification.enqueue(event,
                    f'{cls.__name__},{transaction.id}', transaction.booking,
                    amount=f'{transaction.amount} '
                    f'{transaction.currency.code}')
