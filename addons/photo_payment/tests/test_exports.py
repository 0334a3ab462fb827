"1C, Excel and IIF exports, without a database."
import datetime as dt
import io
import unittest
import xml.etree.ElementTree as ET
from decimal import Decimal

from trytond.modules.photo_payment.exports import iif, totals, workbook
from trytond.modules.photo_payment.onec import (
    Customer, Money, Sale, commerceml)

NS = {'c': 'urn:1C.ru:commerceml_2'}


def sample():
    anna = Customer('P1', "Anna Client", email='anna@example.com')
    boris = Customer('P2', "Борис\tТест", phone='79260001122')
    sales = [
        Sale('B1', 'B0001', dt.datetime(2026, 11, 2, 8), anna, 'S1',
            "Portrait", Decimal('5000'), 'RUB', "Ivan", 'confirmed'),
        Sale('B2', 'B0002', dt.datetime(2026, 11, 3, 9, 30), boris, 'S2',
            "Wedding <full day> & more", Decimal('30000'), 'RUB', "Olga",
            'cancelled'),
        ]
    money = [
        Money('T1', dt.datetime(2026, 11, 1, 10), 'payment', sales[0],
            Decimal('1500'), 'RUB', "Stripe", 'pi_1'),
        Money('T2', dt.datetime(2026, 11, 1, 11), 'payment', sales[1],
            Decimal('30000'), 'RUB', "YooKassa", 'yk-2'),
        Money('T3', dt.datetime(2026, 11, 2, 12), 'refund', sales[1],
            Decimal('15000.50'), 'RUB', "YooKassa", 'yk-r3'),
        ]
    return sales, money


class ExportTestCase(unittest.TestCase):
    "Exports for accounting"

    def test_commerceml_has_every_sale(self):
        sales, money = sample()
        data = commerceml(sales, money, dt.datetime(2026, 11, 30, 18))

        self.assertTrue(data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>"))
        root = ET.fromstring(data)
        self.assertEqual(root.tag, '{urn:1C.ru:commerceml_2}КоммерческаяИнформация')
        self.assertEqual(root.get('ВерсияСхемы'), '2.10')
        documents = root.findall('c:Документ', NS)
        self.assertEqual(len(documents), 5)
        orders = [d for d in documents
            if d.findtext('c:ХозОперация', namespaces=NS) == 'Заказ товара']
        self.assertEqual(
            [d.findtext('c:Номер', namespaces=NS) for d in orders],
            ['B0001', 'B0002'])
        wedding = orders[1]
        self.assertEqual(
            wedding.findtext('c:Товары/c:Товар/c:Наименование', namespaces=NS),
            "Wedding <full day> & more")
        self.assertEqual(wedding.findtext('c:Сумма', namespaces=NS), '30000.00')
        self.assertEqual(
            wedding.findtext(
                'c:Контрагенты/c:Контрагент/c:Роль', namespaces=NS),
            'Покупатель')
        refund = documents[-1]
        self.assertEqual(refund.findtext('c:Роль', namespaces=NS), 'Плательщик')
        self.assertEqual(refund.findtext('c:Сумма', namespaces=NS), '15000.50')
        self.assertEqual(refund.findtext('c:Основание', namespaces=NS), 'B0002')

    def test_workbook_totals_equal_transactions(self):
        from openpyxl import load_workbook
        _, money = sample()
        book = load_workbook(io.BytesIO(workbook(money, "November 2026")))

        self.assertEqual(book.sheetnames, [
                'Payments', 'Refunds', 'By Photographer', 'By Service'])
        expected = totals(money)
        payments = list(book['Payments'].values)
        self.assertEqual(payments[0], ("November 2026",) + (None,) * 8)
        self.assertEqual(len(payments), 2 + 2 + 1)
        self.assertEqual(payments[-1][0], "Total")
        self.assertEqual(Decimal(str(payments[-1][7])),
            expected['payment', 'RUB'])
        self.assertEqual(
            sum(Decimal(str(r[7])) for r in payments[2:-1]),
            expected['payment', 'RUB'])
        refunds = list(book['Refunds'].values)
        self.assertEqual(Decimal(str(refunds[-1][7])),
            expected['refund', 'RUB'])
        for name in ['By Photographer', 'By Service']:
            rows = list(book[name].values)
            total = rows[-1]
            self.assertEqual(total[:2], ("Total", 'RUB'))
            self.assertEqual(Decimal(str(total[2])), Decimal('31500'))
            self.assertEqual(Decimal(str(total[3])), Decimal('15000.50'))
            self.assertEqual(Decimal(str(total[4])), Decimal('16499.50'))
        olga = [r for r in book['By Photographer'].values if r[0] == "Olga"]
        self.assertEqual(Decimal(str(olga[0][4])), Decimal('14999.50'))

    def test_iif_balanced(self):
        _, money = sample()
        text = iif(money).decode()
        lines = text.split('\r\n')
        self.assertEqual(lines[0].split('\t')[0], '!TRNS')
        transactions = [l.split('\t') for l in lines
            if l.startswith(('TRNS', 'SPL'))]
        self.assertEqual(len(transactions), 6)
        self.assertEqual(
            sum(Decimal(t[6]) for t in transactions), Decimal(0))
        self.assertEqual(
            [t[6] for t in transactions if t[0] == 'TRNS'],
            ['1500.00', '30000.00', '-15000.50'])
        self.assertEqual(transactions[0][3], '11/01/2026')
        # tabs inside names would break the columns
        self.assertTrue(all(len(t) == 9 for t in transactions))

    def test_empty(self):
        data = commerceml([], [], dt.datetime(2026, 1, 1))
        self.assertEqual(ET.fromstring(data).findall('c:Документ', NS), [])
        self.assertEqual(totals([]), {})
        workbook([])
