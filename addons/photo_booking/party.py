"""Clients as the studio sees them: their bookings, contacts and reviews;
the guest party of an email given without logging in; what party's Replace
moves and Erase clears of them."""
from sql import Literal

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from . import sqlcache
from .booking import serialise_writes
from .common import ACTIVE_STATES, utc_now
from .encryption import EncryptedMixin, blind_index_field, encrypted, keyring


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

    @classmethod
    def create(cls, vlist):
        # A new party's code is read from its sequence before the sequence
        # is updated: on SQLite the write lock comes first, so two parties
        # made at once (a guest's hold, the bot's shared contact, a sign-in
        # with Google, the back office) never get the same code.
        serialise_writes()
        return super().create(vlist)

    @classmethod
    def photo_guest_of(cls, name, email, phone):
        """The guest party of an email given without logging in, created
        with its contacts if new.

        Nobody has verified the email: a known client's own party is never
        used (anyone could book, and add a phone, under their name), only
        the guest party of earlier such bookings, which gets the phone it
        did not have yet."""
        Contact = Pool().get('party.contact_mechanism')
        contact = Contact.__table__()
        party = cls.__table__()
        cursor = Transaction().connection.cursor()

        # Every hold of the API asks this: one plain query for the email's
        # contacts and the phone's (an ORM search would also read, decrypt
        # and convert whole rows), by the keyed hashes of their values
        # (ContactMechanism indexes value_hash): any case for the email,
        # any spacing for the phone. Without a phone, "= NULL" matches
        # nothing.
        def contacts_of(email, phone):
            return contact.join(party, condition=contact.party == party.id
                ).select(contact.party, contact.type,
                where=(contact.active == Literal(True))
                & (party.photo_guest == Literal(True))
                & (((contact.type == 'email')
                        & (contact.value_hash == email))
                    | (contact.type.in_(['phone', 'mobile'])
                        & (contact.value_hash == phone))),
                order_by=[contact.id.asc])
        ring = keyring()
        sqlcache.execute(cursor, 'client contacts', contacts_of,
            email=ring.index(email), phone=ring.index(phone or None))
        contacts = cursor.fetchall()
        guest = next((p for p, type_ in contacts if type_ == 'email'), None)
        if guest:
            if phone and not any(
                    p == guest for p, type_ in contacts if type_ != 'email'):
                Contact.create([{
                            'party': guest, 'type': 'phone', 'value': phone}])
            return cls(guest)
        mechanisms = [{'type': 'email', 'value': email}]
        if phone:
            mechanisms.append({'type': 'phone', 'value': phone})
        guest, = cls.create([{
                    'name': name,
                    'photo_guest': True,
                    'contact_mechanisms': [('create', mechanisms)],
                    }])
        return guest


class ContactMechanism(EncryptedMixin, metaclass=PoolMeta):
    """Phones and e-mails are stored encrypted; the keyed hash of the
    normalised value finds them (whole values only)."""
    __name__ = 'party.contact_mechanism'
    value_hash = blind_index_field()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        encrypted(cls.value, blind_index='value_hash')
        encrypted(cls.value_compact, search_by='value_hash')
        encrypted(cls.comment)
        t = cls.__table__()
        # Party.photo_guest_of finds a returning client by the hash of the
        # email or phone: without this every hold would scan all contacts.
        # (No condition on the type: SQLite skips indexes with parameters.)
        cls._sql_indexes.add(
            Index(t, (t.value_hash, Index.Equality())))


class Address(EncryptedMixin, metaclass=PoolMeta):
    """The street part of addresses is stored encrypted; city, postal code
    and country stay clear (the studio's statistics and lists)."""
    __name__ = 'party.address'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name in ['street_unstructured', 'street_name', 'building_name',
                'building_number', 'unit_number', 'floor_number',
                'room_number', 'post_box', 'private_bag']:
            encrypted(getattr(cls, name))


class Replace(metaclass=PoolMeta):
    "Merging two parties moves the bookings, reviews and photographers."
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('photo.booking', 'client'),
            ('photo.review', 'client'),
            ('photo.photographer', 'party'),
            ]


class Erase(metaclass=PoolMeta):
    """Erasing a client clears what their bookings and reviews say of them;
    the bookings keep their service, times, price and fee."""
    __name__ = 'party.erase'

    @classmethod
    def erase_parties(cls, parties):
        """Deactivate parties and erase them as the back office's wizard
        does (a client deleting their account on the portal)."""
        pool = Pool()
        Party = pool.get('party.party')
        Session = pool.get('ir.session.wizard')
        Party.write(list(parties), {'active': False})
        session = Session()
        session.save()
        erase = cls(session.id)
        for party in parties:
            erase.ask.party = party
            erase.transition_erase()
        Session.delete([session])

    def check_erase(self, party):
        pool = Pool()
        Booking = pool.get('photo.booking')
        super().check_erase(party)
        if Booking.search([
                    ('client', '=', party.id),
                    ('state', 'in', list(ACTIVE_STATES)),
                    ('end', '>=', utc_now()),
                    ], limit=1):
            raise EraseError(gettext(
                    'photo_booking.msg_erase_upcoming_bookings',
                    party=party.rec_name))

    def to_erase(self, party_id):
        pool = Pool()
        Booking = pool.get('photo.booking')
        Review = pool.get('photo.review')
        ContactMechanism = pool.get('party.contact_mechanism')
        return super().to_erase(party_id) + [
            # party's leaves the compact value; the hash would find them.
            (ContactMechanism, [('party', '=', party_id)], True,
                ['value_compact', 'value_hash'], [None] * 2),
            (Booking, [('client', '=', party_id)], True,
                ['email', 'phone', 'notes', 'location', 'cancel_reason',
                    'email_hash', 'phone_hash'],
                [None] * 7),
            (Review, [('client', '=', party_id)], True,
                ['comment'], [None]),
            ]
