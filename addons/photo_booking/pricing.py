"""Booking price and prepayment, in plain Python (no Tryton)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .policy import round_money

__all__ = ['booking_price', 'prepayment_amount']


def booking_price(
        service_price: Decimal, photographer_price: Decimal | None = None,
        equipment_prices: Iterable[tuple[Decimal, int]] = (),
        digits: int = 2) -> Decimal:
    """Price of a booking.

    A photographer's own price for the service replaces the service price;
    each extra equipment line adds unit price × quantity.
    """
    total = service_price if photographer_price is None else photographer_price
    for unit_price, quantity in equipment_prices:
        if quantity < 0:
            raise ValueError(
                f"equipment quantity must not be negative, got {quantity}")
        total += unit_price * quantity
    return round_money(total, digits)


def prepayment_amount(
        price: Decimal, percent: Decimal, digits: int = 2) -> Decimal:
    """Part of `price` to pay when booking; percent must be within 0..100."""
    if not (Decimal(percent).is_finite() and 0 <= percent <= 100):
        raise ValueError(
            f"prepayment percent must be between 0 and 100, got {percent}")
    return round_money(price * percent / 100, digits)
