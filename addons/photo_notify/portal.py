"What photo_notify changes of the portal, where photo_portal is installed."
from trytond.pool import PoolMeta


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    def portal_mails_client(self):
        # The client hears of the booking from the outbox, by the channels
        # they prefer: the portal's own mail would be a second one.
        return False
