"""What the portal asks a booking: modules that add steps or panels to the
portal (photo_payment's pay page) override these."""
from trytond.pool import PoolMeta


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    def portal_next_url(self, submitted=False):
        """The portal page where a held booking waits once its details are
        in (e.g. a payment step), or None: its details page while held, else
        its own page. submitted: the details were sent just now (the page may
        then go straight on, e.g. to the gateway)."""
        return None

    def portal_panels(self, page):
        """Extra fragments for the portal page ('details', 'cabinet' or
        'confirmation', the booking's own page) showing this booking: dicts with the 'template' to include (from an
        activated module, e.g. 'photo_payment/x.html') and its data."""
        return []

    def portal_mails_client(self):
        """Whether the portal mails the client their booking itself once
        its details are in (a module that tells clients through their own
        channels answers False)."""
        return True

    @classmethod
    def portal_cabinet_domain(cls):
        "The domain of a web user's bookings that the cabinet lists."
        return [
            ('state', '!=', 'hold'),
            ['OR',
                ('state', '!=', 'cancelled'),
                ('cancelled_by', '!=', 'system')],
            ]
