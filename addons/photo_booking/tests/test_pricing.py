"""Tests of the plain-Python booking price rules."""
import unittest
from decimal import Decimal

from ..pricing import booking_price, prepayment_amount


class BookingPriceTest(unittest.TestCase):

    def test_service_price(self):
        self.assertEqual(booking_price(Decimal('120')), Decimal('120.00'))

    def test_photographer_price_replaces_service_price(self):
        self.assertEqual(
            booking_price(Decimal('120'), Decimal('150')), Decimal('150.00'))

    def test_free_photographer_price_still_replaces(self):
        self.assertEqual(
            booking_price(Decimal('120'), Decimal('0')), Decimal('0.00'))

    def test_equipment_lines_add_unit_price_times_quantity(self):
        self.assertEqual(
            booking_price(
                Decimal('100'), None,
                [(Decimal('15.50'), 2), (Decimal('9.99'), 1)]),
            Decimal('140.99'))

    def test_rounding(self):
        self.assertEqual(
            booking_price(Decimal('10.005'), None, [(Decimal('0.001'), 5)]),
            Decimal('10.01'))
        self.assertEqual(
            booking_price(Decimal('10.4'), digits=0), Decimal('10'))

    def test_negative_quantity_is_refused(self):
        with self.assertRaises(ValueError):
            booking_price(Decimal('100'), None, [(Decimal('10'), -1)])


class PrepaymentTest(unittest.TestCase):

    def test_percent_of_price_rounded_half_up(self):
        self.assertEqual(
            prepayment_amount(Decimal('123.45'), Decimal('30')),
            Decimal('37.04'))

    def test_bounds_are_allowed(self):
        self.assertEqual(
            prepayment_amount(Decimal('80'), Decimal('0')), Decimal('0.00'))
        self.assertEqual(
            prepayment_amount(Decimal('80'), Decimal('100')), Decimal('80.00'))

    def test_percent_outside_0_100_is_refused(self):
        for percent in ('-0.01', '100.01', 'NaN', 'Infinity'):
            with self.subTest(percent=percent):
                with self.assertRaises(ValueError):
                    prepayment_amount(Decimal('80'), Decimal(percent))
