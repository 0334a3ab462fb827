"""Encryption at rest in the database: what the tables hold, what the ORM
gives back, searching phones and e-mails, the migration of clear values,
key rotation and missing keys."""
import base64
import io

from sql import Column
from sql.functions import CurrentTimestamp

from trytond.model.exceptions import SQLConstraintError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking import crypto
from trytond.modules.photo_booking.encryption import reencrypt
from trytond.modules.photo_booking.exceptions import EncryptionError
from trytond.modules.photo_booking.rotate_keys import rotate
from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.tools import (
    create_on_location, create_world, local, set_config, tomorrow)

K1 = base64.b64encode(b'1' * 32).decode()
K2 = base64.b64encode(b'2' * 32).decode()
HASH = base64.b64encode(b'h' * 32).decode()


def raw(Model, *names):
    "The rows of Model's table as stored: {id: (values of names)}."
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(
            table.id, *[Column(table, n) for n in names]))
    return {row[0]: row[1:] for row in cursor}


def forget(records):
    "Drop what the transaction cached of records, to read them again."
    for cache in Transaction().cache.values():
        cache.clear()
    return [type(r)(r.id) for r in records]


class EncryptionTestCase(ModuleTestCase):
    "Encryption at rest"
    module = 'photo_booking'

    def use_keys(self, keys, hash_key=HASH):
        set_config(self.addCleanup, 'photo_booking', 'encryption_keys', keys)
        set_config(self.addCleanup, 'photo_booking', 'hash_key', hash_key)

    def setUp(self):
        super().setUp()
        self.use_keys(f'k1:{K1}')

    def client(self, name="Anna Smirnova", email='anna@example.com',
            phone='+7 900 123-45-67'):
        Party = Pool().get('party.party')
        party, = Party.create([{'name': name, 'contact_mechanisms': [
                        ('create', [
                                {'type': 'email', 'value': email},
                                {'type': 'phone', 'value': phone}])],
                    'addresses': [('create', [{
                                    'street': "Lenina 7, flat 12",
                                    'city': "Moscow"}])],
                    }])
        return party

    def booking(self):
        Booking = Pool().get('photo.booking')
        w = create_world()
        outdoor, olga = create_on_location(w)
        return Booking.create_hold(
            outdoor, local(w.studio, tomorrow(), 11), w.client,
            photographer=olga, location="Tverskaya 1, flat 5",
            email='vera@example.com', phone='+7 900 765-43-21',
            notes="Allergic to cats")

    @with_transaction()
    def test_tables_hold_no_clear_personal_data(self):
        "Phones, e-mails, addresses and notes are ciphertext in the tables"
        pool = Pool()
        Contact = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        Booking = pool.get('photo.booking')
        party = self.client()
        booking = self.booking()

        stored = [v for row in raw(
                Contact, 'value', 'value_compact').values() for v in row]
        stored += [v for row in raw(Address, 'street_unstructured').values()
            for v in row]
        stored += list(raw(Booking, 'email', 'phone', 'location', 'notes')[
                booking.id])
        dump = ' '.join(str(v) for v in stored)
        # Each probe holds a character outside the ciphertext's alphabet
        # (url-safe base64), so a ciphertext never matches one by chance.
        for clear in ['anna@', 'example.com', '+7 900', '+7900', 'Lenina 7',
                'vera@', 'Tverskaya 1', 'to cats']:
            self.assertNotIn(clear, dump)
        self.assertTrue(all(crypto.is_encrypted(v) for v in stored if v))

        party, = forget([party])
        self.assertEqual(party.email, 'anna@example.com')
        self.assertEqual(party.phone, '+7 900 123-45-67')
        address, = party.addresses
        self.assertEqual(address.street, "Lenina 7, flat 12")
        self.assertEqual(address.city, "Moscow")  # clear: see README
        booking, = forget([booking])
        self.assertEqual(
            (booking.email, booking.phone, booking.location, booking.notes),
            ('vera@example.com', '+7 900 765-43-21', "Tverskaya 1, flat 5",
                "Allergic to cats"))

    @with_transaction()
    def test_back_office_finds_clients_by_phone_and_email(self):
        "Whole e-mails in any case and phones with any spacing are found"
        pool = Pool()
        Party = pool.get('party.party')
        Contact = pool.get('party.contact_mechanism')
        Booking = pool.get('photo.booking')
        anna = self.client()
        self.client("Boris", 'boris@example.com', '+7 911 000-00-00')
        booking = self.booking()

        for text in ['anna@example.com', 'ANNA@Example.com',
                '+79001234567', '+7 (900) 123-45-67']:
            with self.subTest(text=text):
                # sao's search box: rec_name ilike %text%
                self.assertEqual(
                    Party.search([('rec_name', 'ilike', f'%{text}%')]),
                    [anna])
        self.assertEqual(len(Contact.search(
                    [('value', '=', 'anna@example.com')])), 1)
        self.assertEqual(len(Contact.search(
                    [('value_compact', '=', '+79001234567')])), 1)
        self.assertEqual(len(Contact.search(
                    [('value', 'in', ['anna@example.com',
                                'boris@example.com'])])), 2)
        # != keeps the others, the contacts without a value included
        self.assertEqual(sorted(c.value for c in Contact.search(
                    [('value', '!=', 'anna@example.com')])),
            ['+7 900 123-45-67', '+7 911 000-00-00', 'boris@example.com'])
        # Partial values cannot be searched in ciphertext.
        self.assertEqual(Party.search([('rec_name', 'ilike', '%anna@%')]),
            [])
        self.assertEqual(
            Booking.search([('email', '=', 'Vera@example.com')]), [booking])
        self.assertEqual(
            Booking.search([('phone', '=', '+79007654321')]), [booking])
        self.assertEqual(Booking.search([('notes', 'ilike', '%cats%')]), [])
        self.assertIn(booking, Booking.search([('notes', '!=', None)]))

    @with_transaction()
    def test_portal_accounts_by_encrypted_email(self):
        "Sign-in finds the account by its e-mail; it stays unique"
        pool = Pool()
        User = pool.get('web.user')
        user, = User.create([{
                    'email': 'Vera@Example.com', 'password': 'Horse-Staple-7'}])
        self.assertNotIn('vera@', str(raw(User, 'email')[user.id]))
        self.assertEqual(
            User.authenticate('VERA@example.com', 'Horse-Staple-7'), user)
        self.assertEqual(User.search([('email', '=', 'vera@example.com')]),
            [user])
        with self.assertRaisesRegex(
                SQLConstraintError, 'Email of active web user'):
            User.create([{'email': 'vera@EXAMPLE.com'}])

    @with_transaction()
    def test_clear_values_encrypted_on_module_update(self):
        """Rows written in clear before encryption are encrypted (and
        hashed) by the module update, then read and found as before"""
        pool = Pool()
        Party = pool.get('party.party')
        Contact = pool.get('party.contact_mechanism')
        party, = Party.create([{'name': "Old Client"}])
        table = Contact.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.insert(
                [table.party, table.type, table.value, table.value_compact,
                    table.active, table.sequence, table.create_uid,
                    table.create_date],
                [[party.id, 'email', 'old@example.com', 'old@example.com',
                        True, 10, 0, CurrentTimestamp()],
                    [party.id, 'phone', '+7 900 555-44-33', '+79005554433',
                        True, 10, 0, CurrentTimestamp()]]))
        self.assertEqual(Contact.search([('value', '=', 'old@example.com')]),
            [])  # no hash yet

        Contact.__register__('photo_booking')

        stored = raw(Contact, 'value', 'value_compact', 'value_hash')
        self.assertEqual(len(stored), 2)
        for value, compact, hash_ in stored.values():
            self.assertTrue(value.startswith('v1:k1:'))
            self.assertTrue(compact.startswith('v1:k1:'))
            self.assertTrue(hash_)
        party, = forget([party])
        self.assertEqual(party.email, 'old@example.com')
        self.assertEqual(party.phone, '+7 900 555-44-33')
        self.assertEqual(len(Contact.search(
                    [('value', '=', 'OLD@example.com')])), 1)
        # Done rows are left alone.
        self.assertEqual(reencrypt(Contact, only_clear=True), 0)
        self.assertEqual(raw(Contact, 'value', 'value_compact', 'value_hash'),
            stored)

    @with_transaction()
    def test_rotation(self):
        """After a new key is put first, the command re-encrypts every
        value with it, resumes after an interruption, and the old key can
        go"""
        pool = Pool()
        Contact = pool.get('party.contact_mechanism')
        Booking = pool.get('photo.booking')
        party = self.client()
        booking = self.booking()

        self.use_keys(f'k2:{K2},k1:{K1}')
        # An interrupted run: stopped after its first batch of one row.

        def stop(where, done, total):
            raise KeyboardInterrupt
        with self.assertRaises(KeyboardInterrupt):
            reencrypt(Contact, batch=1, progress=stop)
        kids = {crypto.key_id(v) for v, in raw(Contact, 'value').values()}
        self.assertEqual(kids, {'k1', 'k2'})

        out = io.StringIO()
        changed = rotate(pool, out=out)
        self.assertGreater(changed, 5)
        self.assertIn('party.contact_mechanism.value: ', out.getvalue())
        for Model, names in [(Contact, ['value', 'value_compact']),
                (Booking, ['email', 'phone', 'location', 'notes'])]:
            for row in raw(Model, *names).values():
                for value in row:
                    if value:
                        self.assertTrue(value.startswith('v1:k2:'), value)
        self.assertEqual(rotate(pool), 0)  # run again: nothing to do

        self.use_keys(f'k2:{K2}')
        party, booking = forget([party, booking])
        self.assertEqual(party.email, 'anna@example.com')
        self.assertEqual(booking.notes, "Allergic to cats")
        self.assertEqual(len(Contact.search(
                    [('value', '=', 'anna@example.com')])), 1)

    @with_transaction()
    def test_rehash_after_new_hash_key(self):
        "--rehash makes phones and e-mails findable under a new hash key"
        Contact = Pool().get('party.contact_mechanism')
        self.client()
        self.use_keys(f'k1:{K1}', base64.b64encode(b'n' * 32).decode())
        self.assertEqual(
            Contact.search([('value', '=', 'anna@example.com')]), [])
        rotate(Pool(), rehash=True)
        self.assertEqual(len(Contact.search(
                    [('value', '=', 'anna@example.com')])), 1)

    @with_transaction()
    def test_missing_or_wrong_key(self):
        "A value whose key is gone or wrong is a clear error, never garbage"
        party = self.client()
        self.use_keys(f'k2:{K2}')
        party, = forget([party])
        with self.assertRaisesRegex(EncryptionError, '"k1"'):
            party.email
        self.use_keys(f'k1:{K2}')
        party, = forget([party])
        with self.assertRaisesRegex(EncryptionError, 'cannot be decrypted'):
            party.email

    @with_transaction()
    def test_unusable_configuration(self):
        "Bad keys or a hash key without keys say what is wrong"
        Party = Pool().get('party.party')
        self.use_keys('k1:c2hvcnQ=')  # 5 bytes
        with self.assertRaisesRegex(EncryptionError, 'bytes'):
            self.client()
        self.use_keys('', HASH)
        with self.assertRaisesRegex(EncryptionError, 'encryption_keys'):
            Party.create([{'name': "X", 'contact_mechanisms': [
                            ('create', [{'type': 'email',
                                        'value': 'x@example.com'}])]}])


del ModuleTestCase
