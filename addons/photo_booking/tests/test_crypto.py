"Encryption at rest, the plain functions: values, keys, keyed hashes."
import base64
import unittest

from hypothesis import given
from hypothesis import strategies as st

from trytond.modules.photo_booking import crypto

K1 = base64.b64encode(b'1' * 32).decode()
K2 = base64.b64encode(b'2' * 32).decode()
HASH = base64.b64encode(b'h' * 32).decode()
AAD = b'party.contact_mechanism.value'


def ring(keys=f'k1:{K1}', hash_key=HASH):
    return crypto.Keyring(
        crypto.parse_keys(keys), crypto.parse_hash_key(hash_key))


class CryptoTestCase(unittest.TestCase):
    "Encryption at rest"

    def test_value_names_its_key_and_hides_the_text(self):
        "A stored value is v1:<kid>:… and does not contain the clear text"
        value = ring().encrypt('anna@example.com', AAD)
        self.assertTrue(value.startswith('v1:k1:'))
        self.assertNotIn('anna', value)
        self.assertEqual(ring().decrypt(value, AAD), 'anna@example.com')

    @given(st.text(max_size=200))
    def test_round_trip(self, text):
        "Any text comes back as it was"
        keys = ring()
        self.assertEqual(keys.decrypt(keys.encrypt(text, AAD), AAD), text)

    def test_same_text_differs_each_time(self):
        "A fresh nonce each time: equal values cannot be told apart"
        keys = ring()
        self.assertNotEqual(
            keys.encrypt('+79001234567', AAD),
            keys.encrypt('+79001234567', AAD))

    def test_value_moved_to_another_column_does_not_decrypt(self):
        "The associated data binds a value to its model and field"
        value = ring().encrypt('Lenina 7', b'photo.booking.location')
        with self.assertRaises(crypto.Undecryptable):
            ring().decrypt(value, b'photo.booking.notes')

    def test_tampered_value_does_not_decrypt(self):
        "GCM's tag refuses a changed ciphertext"
        value = ring().encrypt('secret', AAD)
        prefix, body = value.rsplit(':', 1)
        raw = bytearray(base64.urlsafe_b64decode(body))
        raw[-1] ^= 1
        forged = prefix + ':' + base64.urlsafe_b64encode(raw).decode()
        with self.assertRaises(crypto.Undecryptable):
            ring().decrypt(forged, AAD)

    def test_wrong_key_under_the_same_id(self):
        "A key id given another key: undecryptable, not garbage"
        value = ring().encrypt('secret', AAD)
        with self.assertRaises(crypto.Undecryptable):
            ring(f'k1:{K2}').decrypt(value, AAD)

    def test_missing_key_is_named(self):
        "A value under a key that is not configured names that key"
        value = ring().encrypt('secret', AAD)
        with self.assertRaises(crypto.KeyMissing) as context:
            ring(f'k2:{K2}').decrypt(value, AAD)
        self.assertEqual(context.exception.kid, 'k1')

    def test_rotation(self):
        "The first key encrypts, the others still decrypt"
        old = ring().encrypt('secret', AAD)
        rotated = ring(f'k2:{K2},k1:{K1}')
        self.assertEqual(rotated.decrypt(old, AAD), 'secret')
        self.assertFalse(rotated.is_current(old))
        new = rotated.encrypt('secret', AAD)
        self.assertTrue(new.startswith('v1:k2:'))
        self.assertTrue(rotated.is_current(new))

    def test_clear_text_from_before_passes(self):
        "A value without the prefix is clear text from before encryption"
        self.assertEqual(ring().decrypt('anna@example.com', AAD),
            'anna@example.com')
        self.assertIsNone(crypto.key_id('anna@example.com'))

    def test_bad_keys(self):
        "Keys that cannot be used are refused with the reason"
        for text in ['k1', f'k 1:{K1}', 'k1:short', 'k1:!!!!',
                f'k1:{K1},k1:{K2}']:
            with self.subTest(text=text), self.assertRaises(crypto.BadKeys):
                crypto.parse_keys(text)
        with self.assertRaises(crypto.NoKey):
            crypto.Keyring([], b'h' * 32)
        with self.assertRaises(crypto.BadKeys):
            crypto.parse_hash_key('')

    def test_urlsafe_keys(self):
        "Keys may be given in either base64 alphabet"
        key = base64.urlsafe_b64encode(b'\xfb' * 32).decode()
        self.assertIn('_', key)
        [(kid, raw)] = crypto.parse_keys(f'k:{key}')
        self.assertEqual(raw, b'\xfb' * 32)

    def test_normalise(self):
        "E-mails in any case, phones with any spacing hash alike"
        keys = ring()
        self.assertEqual(keys.index('Anna@Example.COM '),
            keys.index('anna@example.com'))
        self.assertEqual(keys.index('+7 (900) 123-45-67'),
            keys.index('+79001234567'))
        self.assertNotEqual(keys.index('+79001234567'),
            keys.index('89001234567'))
        self.assertIsNone(keys.index(''))
        self.assertIsNone(keys.index(None))

    def test_hash_depends_on_its_key(self):
        "Without the hash key, the hash of a guessed e-mail is unknown"
        other = ring(hash_key=base64.b64encode(b'x' * 32).decode())
        self.assertNotEqual(ring().index('anna@example.com'),
            other.index('anna@example.com'))
