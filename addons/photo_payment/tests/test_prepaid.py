"Codes and what certificates and packages pay, without a database."
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.photo_booking.policy import CancelRule, quote_cancellation
from trytond.modules.photo_payment import prepaid

D = Decimal
UTC = dt.timezone.utc


class CodeTest(unittest.TestCase):

    def test_new_code_shape(self):
        "Codes are prefixed groups of unambiguous characters"
        code = prepaid.new_code('GIFT')
        prefix, *groups = code.split('-')
        self.assertEqual(prefix, 'GIFT')
        self.assertEqual([len(g) for g in groups], [4, 4, 4])
        self.assertTrue(set(''.join(groups)) <= set(prepaid.CODE_ALPHABET))
        self.assertFalse(set('01OIL') & set(prepaid.CODE_ALPHABET))

    def test_new_codes_differ(self):
        "Codes are random, not a sequence"
        self.assertEqual(
            len({prepaid.new_code('GIFT') for _ in range(1000)}), 1000)

    def test_normalise(self):
        self.assertEqual(
            prepaid.normalise_code('  gift-7kq2-m9xd '), 'GIFT-7KQ2-M9XD')
        self.assertEqual(prepaid.normalise_code(None), '')


class CertificateCoverTest(unittest.TestCase):

    def test_partial(self):
        "A small balance pays what it has"
        self.assertEqual(prepaid.certificate_cover(D(1000), D(5000)), D(1000))

    def test_whole(self):
        "A large balance pays only what is due"
        self.assertEqual(prepaid.certificate_cover(D(8000), D(5000)), D(5000))

    def test_never_negative(self):
        self.assertEqual(prepaid.certificate_cover(D(-5), D(5000)), D(0))


class PackageCoverTest(unittest.TestCase):

    def test_whole_booking(self):
        "Enough hours pay the whole price"
        cover = prepaid.package_cover(D(5000), D(5000), D(2), D(10))
        self.assertEqual(
            (cover.hours, cover.amount), (D('2.00'), D('5000.00')))

    def test_proportional(self):
        "Fewer hours than the shoot pay its price in proportion"
        cover = prepaid.package_cover(D(6000), D(6000), D(3), D(1))
        self.assertEqual(
            (cover.hours, cover.amount), (D('1.00'), D('2000.00')))

    def test_partly_paid(self):
        "Only the hours of the part still due are taken"
        cover = prepaid.package_cover(D(5000), D(2500), D(2), D(10))
        self.assertEqual(
            (cover.hours, cover.amount), (D('1.00'), D('2500.00')))

    def test_rounding_never_above_due(self):
        cover = prepaid.package_cover(D(1000), D('333.33'), D(3), D(10))
        self.assertEqual(cover.hours, D('1.00'))
        self.assertEqual(cover.amount, D('333.33'))

    def test_nothing(self):
        for args in [(D(5000), D(0), D(1), D(5)), (D(5000), D(5000), D(1),
                    D(0)), (D(0), D(0), D(1), D(5))]:
            with self.subTest(args=args):
                cover = prepaid.package_cover(*args)
                self.assertEqual((cover.hours, cover.amount), (D(0), D(0)))


class HoursBackTest(unittest.TestCase):
    rule = CancelRule(dt.timedelta(hours=24), D(50))
    start = dt.datetime(2026, 12, 10, 10, tzinfo=UTC)

    def back(self, now, hours=D(2), price=D(5000)):
        "Hours a booking fully paid by hours gets back when cancelled at now."
        quote = quote_cancellation(price, price, self.start, now, self.rule)
        return prepaid.hours_back(hours, price, quote.refund)

    def test_free_cancellation_gives_all_back(self):
        self.assertEqual(
            self.back(self.start - dt.timedelta(days=2)), D('2.00'))

    def test_late_cancellation_keeps_fee_share(self):
        "A late cancellation keeps the policy's fee percent of the hours"
        self.assertEqual(
            self.back(self.start - dt.timedelta(hours=2)), D('1.00'))

    def test_after_start_gives_nothing(self):
        self.assertEqual(self.back(self.start), D('0.00'))

    def test_rounds_down_and_caps(self):
        self.assertEqual(prepaid.hours_back(D(1), D(3), D(1)), D('0.33'))
        self.assertEqual(prepaid.hours_back(D(1), D(3), D(9)), D('1.00'))
