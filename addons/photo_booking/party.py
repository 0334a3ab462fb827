"Clients as the studio sees them: their bookings, contacts and reviews."
from sql.functions import Lower

from trytond.model import Index, fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    # The record rules of party.xml follow these: a photographer reads the
    # clients of their own bookings, the photographers and the authors of
    # published reviews.
    photo_bookings = fields.One2Many(
        'photo.booking', 'client', "Photo Bookings", readonly=True)
    photo_photographers = fields.One2Many(
        'photo.photographer', 'party', "Photographers", readonly=True)
    photo_reviews = fields.One2Many(
        'photo.review', 'client', "Photo Reviews", readonly=True)
    photo_guest = fields.Boolean(
        "Guest", readonly=True,
        help="Made from contacts given without logging in, which nobody "
        "has verified: a booking made with the same email joins it, never "
        "a client's own party.")

    @classmethod
    def default_photo_guest(cls):
        return False


class ContactMechanism(metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # api.client_party finds a returning client by email, whatever its
        # case; party's own index on value cannot serve a case-insensitive
        # match, so without this every hold would scan all contacts. (No
        # condition on the type: SQLite skips indexes with parameters.)
        cls._sql_indexes.add(
            Index(t, (Lower(t.value), Index.Equality())))
