"""1C exchange as CommerceML 2 documents, in plain Python (no Tryton).

Sales (one document per booking, the service as a line) and money
movements (payments received and refunds paid, each tied to its sale by
number) for a period, in the <КоммерческаяИнформация> format 1C's
"exchange with a web site" loads.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from .receipt import format_amount

__all__ = ['Customer', 'Sale', 'Money', 'commerceml', 'SCHEMA_VERSION']

SCHEMA_VERSION = '2.10'
SALE_OPERATION = 'Заказ товара'
MONEY_OPERATION = 'Выплата безналичных денег'


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Sale:
    "A booking: what the client bought."
    id: str
    number: str
    date: datetime
    customer: Customer
    service_id: str
    service: str
    amount: Decimal
    currency: str
    photographer: str = ''
    state: str = ''


@dataclass(frozen=True)
class Money:
    "A succeeded payment (kind 'payment') or refund (kind 'refund')."
    id: str
    date: datetime
    kind: str
    sale: Sale
    amount: Decimal
    currency: str
    gateway: str
    gateway_id: str = ''


def _text(parent, tag, value):
    element = ET.SubElement(parent, tag)
    element.text = '' if value is None else str(value)
    return element


def _requisites(parent, values):
    requisites = ET.SubElement(parent, 'ЗначенияРеквизитов')
    for name, value in values:
        requisite = ET.SubElement(requisites, 'ЗначениеРеквизита')
        _text(requisite, 'Наименование', name)
        _text(requisite, 'Значение', value)


def _customer(document, customer, role):
    parties = ET.SubElement(document, 'Контрагенты')
    party = ET.SubElement(parties, 'Контрагент')
    _text(party, 'Ид', customer.id)
    _text(party, 'Наименование', customer.name)
    _text(party, 'Роль', role)
    _text(party, 'ПолноеНаименование', customer.name)
    contacts = [(kind, value) for kind, value in [
            ('Почта', customer.email), ('Телефон рабочий', customer.phone)]
        if value]
    if contacts:
        element = ET.SubElement(party, 'Контакты')
        for kind, value in contacts:
            contact = ET.SubElement(element, 'Контакт')
            _text(contact, 'Тип', kind)
            _text(contact, 'Значение', value)


def _document(root, entry, *, number, operation, role, customer,
        customer_role):
    """A <Документ> of entry (a Sale or Money) with the head both kinds
    share, in the schema's order; the caller appends the rest."""
    document = ET.SubElement(root, 'Документ')
    _text(document, 'Ид', entry.id)
    _text(document, 'Номер', number)
    _text(document, 'Дата', entry.date.date().isoformat())
    _text(document, 'ХозОперация', operation)
    _text(document, 'Роль', role)
    _text(document, 'Валюта', entry.currency)
    _text(document, 'Курс', 1)
    _text(document, 'Сумма', format_amount(entry.amount))
    _customer(document, customer, customer_role)
    _text(document, 'Время', entry.date.time().replace(microsecond=0)
        .isoformat())
    return document


def _sale(root, sale):
    document = _document(root, sale, number=sale.number,
        operation=SALE_OPERATION, role='Продавец',
        customer=sale.customer, customer_role='Покупатель')
    goods = ET.SubElement(document, 'Товары')
    item = ET.SubElement(goods, 'Товар')
    _text(item, 'Ид', sale.service_id)
    _text(item, 'Наименование', sale.service)
    unit = _text(item, 'БазоваяЕдиница', 'усл')
    unit.set('Код', '796')
    unit.set('НаименованиеПолное', 'Услуга')
    _text(item, 'ЦенаЗаЕдиницу', format_amount(sale.amount))
    _text(item, 'Количество', 1)
    _text(item, 'Сумма', format_amount(sale.amount))
    _requisites(item, [
            ('ВидНоменклатуры', 'Услуга'),
            ('ТипНоменклатуры', 'Услуга'),
            ])
    _requisites(document, [
            ('Статус заказа', sale.state),
            ('Фотограф', sale.photographer),
            ])


def _money(root, money):
    # We receive a payment and pay a refund
    received = money.kind == 'payment'
    document = _document(root, money, number=money.id,
        operation=MONEY_OPERATION,
        role='Получатель' if received else 'Плательщик',
        customer=money.sale.customer,
        customer_role='Плательщик' if received else 'Получатель')
    _text(document, 'Основание', money.sale.number)
    _requisites(document, [
            ('Вид операции', 'Оплата' if received else 'Возврат'),
            ('Номер заказа', money.sale.number),
            ('Платёжная система', money.gateway),
            ('Идентификатор платежа', money.gateway_id),
            ])


def commerceml(
        sales: Iterable[Sale], money: Iterable[Money],
        generated: datetime) -> bytes:
    "The UTF-8 CommerceML 2 document of sales then money movements."
    root = ET.Element('КоммерческаяИнформация', {
            'xmlns': 'urn:1C.ru:commerceml_2',
            'ВерсияСхемы': SCHEMA_VERSION,
            'ДатаФормирования': generated.replace(microsecond=0).isoformat(),
            })
    for sale in sales:
        _sale(root, sale)
    for movement in money:
        if movement.kind not in {'payment', 'refund'}:
            raise ValueError(f"unknown kind {movement.kind}")
        _money(root, movement)
    ET.indent(root)
    return ET.tostring(root, encoding='UTF-8', xml_declaration=True)
