"""Cancellation rules for bookings, in plain Python (no Tryton)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    'CancelRule', 'CancellationQuote', 'round_money', 'cancellation_fee',
    'quote_cancellation',
    ]


def round_money(amount: Decimal, digits: int = 2) -> Decimal:
    """Commercial rounding (half up) to the currency's number of digits."""
    return Decimal(amount).quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CancelRule:
    """Free cancellation until `free_before` the start, then a fee."""
    free_before: timedelta
    fee_percent: Decimal

    def __post_init__(self) -> None:
        if self.free_before < timedelta(0):
            raise ValueError("free_before must not be negative")
        if not 0 <= self.fee_percent <= 100:
            raise ValueError(
                "fee_percent must be between 0 and 100, "
                f"got {self.fee_percent}")


@dataclass(frozen=True)
class CancellationQuote:
    """What the client is shown before confirming a cancellation."""
    fee: Decimal
    refund: Decimal


def cancellation_fee(
        price: Decimal, start: datetime, now: datetime, rule: CancelRule,
        by_client: bool = True, digits: int = 2) -> Decimal:
    """Fee kept when the booking starting at `start` is cancelled at `now`."""
    if not by_client:
        # The photographer or the studio cancels: the client owes nothing.
        return round_money(Decimal(0), digits)
    if now >= start:
        # Nothing is refundable once the shoot has started.
        return round_money(price, digits)
    if start - now >= rule.free_before:
        return round_money(Decimal(0), digits)
    return round_money(price * rule.fee_percent / 100, digits)


def quote_cancellation(
        price: Decimal, paid: Decimal, start: datetime, now: datetime,
        rule: CancelRule, by_client: bool = True,
        digits: int = 2) -> CancellationQuote:
    """Fee and refund of what was paid; the refund is never negative."""
    fee = cancellation_fee(price, start, now, rule, by_client, digits)
    refund = round_money(max(paid - fee, Decimal(0)), digits)
    return CancellationQuote(fee=fee, refund=refund)
