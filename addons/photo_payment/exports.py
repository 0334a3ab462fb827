"""Excel and QuickBooks IIF exports of money movements (no Tryton).

The rows are onec.Money values, so the three exports of a period read the
same data.
"""
from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Iterable, Sequence

from .onec import Money
from .receipt import format_amount

__all__ = ['workbook', 'iif', 'totals']

HEADER = [
    "Date", "Booking", "Client", "Photographer", "Service", "Gateway",
    "Gateway ID", "Amount", "Currency"]


def totals(money: Iterable[Money]) -> dict:
    "Sum per kind and currency: {('payment', 'RUB'): Decimal, ...}."
    result = defaultdict(Decimal)
    for movement in money:
        result[movement.kind, movement.currency] += movement.amount
    return dict(result)


def _row(movement):
    sale = movement.sale
    return [
        movement.date.replace(microsecond=0), sale.number, sale.customer.name,
        sale.photographer, sale.service, movement.gateway,
        movement.gateway_id, movement.amount, movement.currency]


def workbook(money: Sequence[Money], title: str = '') -> bytes:
    """An .xlsx with the payments, the refunds, and net amounts per
    photographer and per service; every sheet ends with its total."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    for index, kind in enumerate(['payment', 'refund']):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = "Payments" if kind == 'payment' else "Refunds"
        if title:
            sheet.append([title])
        sheet.append(HEADER)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        rows = [m for m in money if m.kind == kind]
        for movement in sorted(rows, key=lambda m: (m.date, m.id)):
            sheet.append(_row(movement))
            sheet.cell(sheet.max_row, 8).number_format = '#,##0.00'
        for currency in sorted({m.currency for m in rows}):
            sheet.append(["Total", None, None, None, None, None, None,
                    sum((m.amount for m in rows if m.currency == currency),
                        Decimal(0)), currency])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        sheet.column_dimensions['A'].width = 20
        sheet.column_dimensions['C'].width = 24

    for name, key in [
            ("By Photographer", lambda m: m.sale.photographer),
            ("By Service", lambda m: m.sale.service)]:
        sheet = book.create_sheet(name)
        sheet.append([name[3:], "Currency", "Payments", "Refunds", "Net"])
        for cell in sheet[1]:
            cell.font = bold
        groups = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for movement in money:
            amounts = groups[key(movement), movement.currency]
            amounts[movement.kind == 'refund'] += movement.amount
        for (group, currency), (paid, refunded) in sorted(groups.items()):
            sheet.append([group, currency, paid, refunded, paid - refunded])
        for currency in sorted({c for _, c in groups}):
            paid = sum((v[0] for (_, c), v in groups.items()
                    if c == currency), Decimal(0))
            refunded = sum((v[1] for (_, c), v in groups.items()
                    if c == currency), Decimal(0))
            sheet.append(["Total", currency, paid, refunded, paid - refunded])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        sheet.column_dimensions['A'].width = 24

    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _iif_field(value):
    return str(value).replace('\t', ' ').replace('\n', ' ')


def iif(money: Sequence[Money], deposit_account: str = 'Undeposited Funds',
        income_account: str = 'Photo Shoots') -> bytes:
    """QuickBooks Desktop IIF: one balanced GENERAL JOURNAL transaction per
    movement, money account against income (a refund reverses it)."""
    lines = [
        '!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO',
        '!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO',
        '!ENDTRNS',
        ]
    for movement in sorted(money, key=lambda m: (m.date, m.id)):
        amount = movement.amount if movement.kind == 'payment' \
            else -movement.amount
        date = movement.date.strftime('%m/%d/%Y')
        name = _iif_field(movement.sale.customer.name)
        number = _iif_field(movement.sale.number)
        memo = _iif_field(
            f'{movement.kind} {movement.gateway} {movement.gateway_id} '
            f'{movement.sale.service}')
        lines.append('\t'.join([
                    'TRNS', '', 'GENERAL JOURNAL', date, deposit_account,
                    name, format_amount(amount), number, memo]))
        lines.append('\t'.join([
                    'SPL', '', 'GENERAL JOURNAL', date, income_account,
                    name, format_amount(-amount), number, memo]))
        lines.append('ENDTRNS')
    return ('\r\n'.join(lines) + '\r\n').encode('utf-8')
