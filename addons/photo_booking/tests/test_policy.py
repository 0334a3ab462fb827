"""Tests of the plain-Python cancellation rules."""
import unittest
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ..policy import (
    CancellationQuote, CancelRule, cancellation_fee, quote_cancellation,
    round_money)

START = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
TWO_DAYS_FREE = CancelRule(timedelta(hours=48), Decimal('50'))


class RoundMoneyTest(unittest.TestCase):

    def test_half_up(self):
        self.assertEqual(round_money(Decimal('2.675')), Decimal('2.68'))
        self.assertEqual(round_money(Decimal('2.665')), Decimal('2.67'))
        self.assertEqual(round_money(Decimal('-2.675')), Decimal('-2.68'))

    def test_digits(self):
        self.assertEqual(round_money(Decimal('2.5'), 0), Decimal('3'))
        self.assertEqual(
            str(round_money(Decimal('1.23456'), 3)), '1.235')
        self.assertEqual(str(round_money(Decimal('7'))), '7.00')


class CancelRuleTest(unittest.TestCase):

    def test_percent_must_be_a_percentage(self):
        with self.assertRaises(ValueError):
            CancelRule(timedelta(hours=1), Decimal('-1'))
        with self.assertRaises(ValueError):
            CancelRule(timedelta(hours=1), Decimal('100.01'))

    def test_free_period_must_not_be_negative(self):
        with self.assertRaises(ValueError):
            CancelRule(timedelta(hours=-1), Decimal('10'))


class CancellationFeeTest(unittest.TestCase):

    def fee(self, before_start: timedelta, price='100.00', rule=TWO_DAYS_FREE,
            **options) -> Decimal:
        return cancellation_fee(
            Decimal(price), START, START - before_start, rule, **options)

    def test_free_exactly_at_the_free_period(self):
        self.assertEqual(self.fee(timedelta(hours=48)), Decimal('0.00'))
        self.assertEqual(self.fee(timedelta(days=10)), Decimal('0.00'))

    def test_fee_just_inside_the_fee_period(self):
        self.assertEqual(
            self.fee(timedelta(hours=48) - timedelta(seconds=1)),
            Decimal('50.00'))
        self.assertEqual(self.fee(timedelta(minutes=1)), Decimal('50.00'))

    def test_fee_is_rounded_half_up(self):
        self.assertEqual(
            self.fee(timedelta(hours=1), price='10.05'), Decimal('5.03'))
        fifteen = CancelRule(timedelta(hours=48), Decimal('15'))
        self.assertEqual(
            self.fee(timedelta(hours=1), price='99.99', rule=fifteen),
            Decimal('15.00'))
        self.assertEqual(
            self.fee(timedelta(hours=1), price='101', digits=0),
            Decimal('51'))

    def test_full_price_from_the_start(self):
        self.assertEqual(self.fee(timedelta(0)), Decimal('100.00'))
        self.assertEqual(self.fee(-timedelta(hours=3)), Decimal('100.00'))

    def test_full_price_is_rounded_too(self):
        self.assertEqual(self.fee(timedelta(0), price='10.005'),
            Decimal('10.01'))

    def test_nothing_when_the_photographer_cancels(self):
        self.assertEqual(
            self.fee(timedelta(hours=1), by_client=False), Decimal('0.00'))
        self.assertEqual(
            self.fee(-timedelta(hours=1), by_client=False), Decimal('0.00'))

    def test_no_free_period_means_free_until_start(self):
        rule = CancelRule(timedelta(0), Decimal('100'))
        self.assertEqual(
            self.fee(timedelta(seconds=1), rule=rule), Decimal('0.00'))
        self.assertEqual(self.fee(timedelta(0), rule=rule), Decimal('100.00'))


class QuoteCancellationTest(unittest.TestCase):

    def quote(self, paid: str, before_start: timedelta, **options):
        return quote_cancellation(
            Decimal('200.00'), Decimal(paid), START, START - before_start,
            TWO_DAYS_FREE, **options)

    def test_refund_is_paid_minus_fee(self):
        self.assertEqual(
            self.quote('150.00', timedelta(hours=2)),
            CancellationQuote(Decimal('100.00'), Decimal('50.00')))

    def test_refund_never_negative(self):
        self.assertEqual(
            self.quote('40.00', timedelta(hours=2)),
            CancellationQuote(Decimal('100.00'), Decimal('0.00')))

    def test_everything_back_when_free(self):
        self.assertEqual(
            self.quote('60.00', timedelta(days=3)),
            CancellationQuote(Decimal('0.00'), Decimal('60.00')))

    def test_everything_back_when_the_studio_cancels(self):
        self.assertEqual(
            self.quote('200.00', -timedelta(hours=1), by_client=False),
            CancellationQuote(Decimal('0.00'), Decimal('200.00')))

    @settings(max_examples=200, deadline=None, database=None)
    @given(
        price=st.decimals(0, 10000, places=2),
        paid_share=st.decimals(0, 1, places=2),
        percent=st.decimals(0, 100, places=1),
        free_hours=st.integers(0, 96),
        minutes_before=st.integers(-600, 10000),
        by_client=st.booleans())
    def test_fee_and_refund_bounds(
            self, price, paid_share, percent, free_hours, minutes_before,
            by_client):
        paid = round_money(price * paid_share)
        rule = CancelRule(timedelta(hours=free_hours), percent)
        quote = quote_cancellation(
            price, paid, START, START - timedelta(minutes=minutes_before),
            rule, by_client)
        self.assertTrue(Decimal(0) <= quote.fee <= price)
        self.assertTrue(Decimal(0) <= quote.refund <= paid)
        self.assertEqual(quote.refund, max(paid - quote.fee, Decimal(0)))
