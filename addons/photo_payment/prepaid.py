"""Gift certificates and prepaid hour packages, in plain Python (no Tryton).

Codes, what a certificate or a package pays of a booking, and the hours a
cancelled booking gives back to its package."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

__all__ = [
    'CODE_ALPHABET', 'new_code', 'normalise_code', 'certificate_cover',
    'PackageCover', 'package_cover', 'hours_back',
    ]

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
HOURS = Decimal('0.01')


def new_code(prefix: str, groups: int = 3, size: int = 4) -> str:
    """A random code such as GIFT-7KQ2-M9XD-4TPA (about 60 bits: unguessable
    by trying, unlike a sequence number)."""
    return '-'.join([prefix] + [
            ''.join(secrets.choice(CODE_ALPHABET) for _ in range(size))
            for _ in range(groups)])


def normalise_code(code: str | None) -> str:
    "The code as stored: upper case, without surrounding blanks."
    return (code or '').strip().upper()


def certificate_cover(balance: Decimal, due: Decimal) -> Decimal:
    "What a certificate with balance pays of what is still due."
    return max(min(balance, due), Decimal(0))


@dataclass(frozen=True)
class PackageCover:
    "Hours a package gives to a booking and the part of the price they pay."
    hours: Decimal
    amount: Decimal


def package_cover(
        price: Decimal, due: Decimal, duration_hours: Decimal,
        remaining_hours: Decimal, digits: int = 2) -> PackageCover:
    """What a package with remaining_hours pays of a booking.

    The hours pay the booking's price in proportion: the hours of the shoot
    not paid yet (duration × due / price) are taken, as many as the package
    has left, and each pays price / duration; never more than is due."""
    if price <= 0 or due <= 0 or duration_hours <= 0 or remaining_hours <= 0:
        return PackageCover(Decimal(0), Decimal(0).quantize(
                Decimal(1).scaleb(-digits)))
    needed = (duration_hours * due / price).quantize(HOURS, ROUND_HALF_UP)
    hours = min(needed, remaining_hours)
    amount = (price * hours / duration_hours).quantize(
        Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return PackageCover(hours, min(amount, due))


def hours_back(hours: Decimal, amount: Decimal, refund: Decimal) -> Decimal:
    """Hours given back when refund of the amount the hours paid is returned.

    The cancellation policy decides the refund, so a free cancellation
    gives every hour back and a late one keeps the fee's share of them."""
    if amount <= 0 or refund <= 0:
        return Decimal(0).quantize(HOURS)
    refund = min(refund, amount)
    return (hours * refund / amount).quantize(HOURS, ROUND_DOWN)
