"The TOTP and recovery-code rules, without a database."
import unittest

import pyotp

from trytond.modules.photo_auth import totp

SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
NOW = 1_800_000_015  # 15 s into a 30 s step


class TotpTestCase(unittest.TestCase):

    def test_current_code_matches_its_step(self):
        "The code the app shows now is accepted, with its time step"
        code = pyotp.TOTP(SECRET).at(NOW)
        self.assertEqual(totp.match(SECRET, code, now=NOW), NOW // 30)

    def test_neighbour_steps_accepted(self):
        "A phone 30 s early or late still signs in; 60 s does not"
        for offset, accepted in [(-30, True), (30, True), (-60, False),
                (60, False)]:
            with self.subTest(offset=offset):
                code = pyotp.TOTP(SECRET).at(NOW + offset)
                self.assertEqual(
                    totp.match(SECRET, code, now=NOW) is not None, accepted)

    def test_code_works_once(self):
        "A code of a step already used is refused"
        code = pyotp.TOTP(SECRET).at(NOW)
        step = totp.match(SECRET, code, now=NOW)
        self.assertIsNone(totp.match(SECRET, code, last_step=step, now=NOW))
        earlier = pyotp.TOTP(SECRET).at(NOW - 30)
        self.assertIsNone(
            totp.match(SECRET, earlier, last_step=step, now=NOW))
        later = pyotp.TOTP(SECRET).at(NOW + 30)
        self.assertEqual(
            totp.match(SECRET, later, last_step=step, now=NOW), step + 1)

    def test_typed_with_spaces(self):
        "A code typed as the app groups it ('123 456') is accepted"
        code = pyotp.TOTP(SECRET).at(NOW)
        self.assertIsNotNone(
            totp.match(SECRET, f' {code[:3]} {code[3:]} ', now=NOW))

    def test_garbage_refused(self):
        "Empty, short, long or non-digit codes are refused"
        for code in [None, '', '12345', '1234567', 'abcdef', '12345\x00']:
            with self.subTest(code=code):
                self.assertIsNone(totp.match(SECRET, code, now=NOW))
        self.assertIsNone(totp.match(None, '123456', now=NOW))

    def test_other_secret_refused(self):
        "The code of another secret is refused"
        other = totp.new_secret()
        code = pyotp.TOTP(other).at(NOW)
        if code != pyotp.TOTP(SECRET).at(NOW):
            self.assertIsNone(totp.match(SECRET, code, now=NOW))

    def test_new_secret_random_base32(self):
        "Secrets are 32 base-32 characters (160 bits), never twice the same"
        secrets = {totp.new_secret() for _ in range(20)}
        self.assertEqual(len(secrets), 20)
        for secret in secrets:
            self.assertRegex(secret, r'^[A-Z2-7]{32}$')

    def test_provisioning_uri(self):
        "The QR code's URI names the issuer and the login"
        uri = totp.provisioning_uri(SECRET, 'anna', 'Loft Studio')
        self.assertTrue(uri.startswith('otpauth://totp/Loft%20Studio:anna?'))
        self.assertIn(f'secret={SECRET}', uri)
        self.assertIn('issuer=Loft%20Studio', uri)

    def test_qr_png(self):
        "The QR code is a PNG image"
        png = totp.qr_png(totp.provisioning_uri(SECRET, 'anna', 'Studio'))
        self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n')

    def test_recovery_codes(self):
        "Ten distinct codes, stored hashed, each usable once"
        codes = totp.new_recovery_codes()
        self.assertEqual(len(set(codes)), 10)
        stored = totp.hash_recovery_codes(codes)
        for code in codes:
            self.assertNotIn(code.replace('-', ''), stored)
            self.assertNotIn(code, stored)
        remaining = totp.use_recovery_code(stored, codes[3].upper())
        self.assertEqual(totp.count_recovery_codes(remaining), 9)
        self.assertIsNone(totp.use_recovery_code(remaining, codes[3]))
        self.assertIsNotNone(totp.use_recovery_code(remaining, codes[4]))

    def test_recovery_code_garbage(self):
        "Unknown or empty recovery codes are refused"
        stored = totp.hash_recovery_codes(totp.new_recovery_codes())
        for code in ['', None, 'abcde-fghjk', '123456']:
            with self.subTest(code=code):
                self.assertIsNone(totp.use_recovery_code(stored, code))
        self.assertIsNone(totp.use_recovery_code(None, 'abcde-fghjk'))
