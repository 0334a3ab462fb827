"Promo code arithmetic, without a database."
import unittest
from decimal import Decimal

from trytond.modules.photo_payment.promo import discounted, reduced


class PromoArithmeticTestCase(unittest.TestCase):

    def test_percent_rounds_half_up(self):
        self.assertEqual(discounted(Decimal('999.99'), Decimal(15)),
            Decimal('849.99'))
        self.assertEqual(discounted(Decimal('5000'), Decimal(100)),
            Decimal('0.00'))

    def test_fixed_never_below_zero(self):
        self.assertEqual(reduced(Decimal('5000'), Decimal('1000.50')),
            Decimal('3999.50'))
        self.assertEqual(reduced(Decimal('500'), Decimal(1000)),
            Decimal(0))

    def test_invalid_discounts(self):
        for percent in (Decimal(0), Decimal(101), Decimal(-5)):
            with self.subTest(percent=percent), self.assertRaises(ValueError):
                discounted(Decimal(100), percent)
        with self.assertRaises(ValueError):
            reduced(Decimal(100), Decimal(0))
