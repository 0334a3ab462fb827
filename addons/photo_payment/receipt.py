"""54-FZ receipts as YooKassa expects them, in plain Python (no Tryton).

A receipt accompanies each payment and refund sent to the gateway, which
passes it to the online cash register (OFD). The client receives it by
email or SMS, so one of the two is required.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    'ReceiptError', 'Customer', 'payment_mode', 'payment_receipt',
    'refund_receipt', 'format_amount',
    'FULL_PREPAYMENT', 'PARTIAL_PREPAYMENT', 'FULL_PAYMENT',
    ]

FULL_PREPAYMENT = 'full_prepayment'
PARTIAL_PREPAYMENT = 'partial_prepayment'
FULL_PAYMENT = 'full_payment'
PAYMENT_SUBJECT = 'service'
# YooKassa's vat_code: 1 = without VAT (УСН), 2 = 0 %, 4 = 20 %, ...
VAT_CODES = range(1, 13)
DESCRIPTION_LENGTH = 128


class ReceiptError(ValueError):
    "The receipt cannot be built from the data given."


@dataclass(frozen=True)
class Customer:
    email: str | None = None
    phone: str | None = None

    def as_dict(self) -> dict:
        customer = {}
        if self.email and self.email.strip():
            customer['email'] = self.email.strip()
        phone = re.sub(r'\D', '', self.phone or '')
        if phone:
            if len(phone) == 11 and phone.startswith('8'):
                # Russian trunk prefix: 8 926 … is +7 926 …
                phone = '7' + phone[1:]
            customer['phone'] = phone
        if not customer:
            raise ReceiptError(
                "a receipt needs the customer's email or phone")
        return customer


def format_amount(amount: Decimal, digits: int = 2) -> str:
    "The decimal string YooKassa uses for money: '1500.00'."
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ReceiptError(f"invalid amount {amount}")
    return str(amount.quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def payment_mode(amount: Decimal, price: Decimal, delivered: bool) -> str:
    """The 54-FZ settlement sign of a payment of amount on price.

    Paid before the shoot: full or partial prepayment; paid once the service
    is delivered (the final payment): full payment.
    """
    if amount <= 0:
        raise ReceiptError(f"amount must be positive, got {amount}")
    if amount > price:
        raise ReceiptError(f"amount {amount} exceeds the price {price}")
    if delivered:
        return FULL_PAYMENT
    return FULL_PREPAYMENT if amount == price else PARTIAL_PREPAYMENT


def _item(description, amount, currency, vat_code, mode, digits):
    if vat_code not in VAT_CODES:
        raise ReceiptError(f"unknown vat_code {vat_code}")
    description = (description or '').strip()
    if not description:
        raise ReceiptError("a receipt item needs a description")
    return {
        'description': description[:DESCRIPTION_LENGTH],
        'quantity': '1.00',
        'amount': {
            'value': format_amount(amount, digits),
            'currency': currency,
            },
        'vat_code': vat_code,
        'payment_subject': PAYMENT_SUBJECT,
        'payment_mode': mode,
        }


def payment_receipt(
        customer: Customer, description: str, amount: Decimal,
        price: Decimal, currency: str, vat_code: int = 1,
        delivered: bool = False, digits: int = 2) -> dict:
    """Receipt of a payment of amount towards a service costing price.

    One item, quantity 1, at the amount paid now: for a prepayment the
    settlement sign tells the tax office that the service is still owed.
    """
    mode = payment_mode(Decimal(amount), Decimal(price), delivered)
    return {
        'customer': customer.as_dict(),
        'items': [
            _item(description, amount, currency, vat_code, mode, digits)],
        }


def refund_receipt(
        customer: Customer, description: str, amount: Decimal,
        currency: str, mode: str, vat_code: int = 1,
        digits: int = 2) -> dict:
    """Receipt of a refund: the returned amount with the settlement sign of
    the payment it returns."""
    if mode not in {FULL_PREPAYMENT, PARTIAL_PREPAYMENT, FULL_PAYMENT}:
        raise ReceiptError(f"unknown payment_mode {mode}")
    if Decimal(amount) <= 0:
        raise ReceiptError(f"amount must be positive, got {amount}")
    return {
        'customer': customer.as_dict(),
        'items': [
            _item(description, amount, currency, vat_code, mode, digits)],
        }
