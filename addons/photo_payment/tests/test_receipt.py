"54-FZ receipts, without a database."
import unittest
from decimal import Decimal

from trytond.modules.photo_payment.receipt import (
    Customer, ReceiptError, payment_mode, payment_receipt, refund_receipt)


class ReceiptTestCase(unittest.TestCase):
    "Receipts sent with payments and refunds"

    def test_partial_prepayment(self):
        receipt = payment_receipt(
            Customer(email='anna@example.com', phone='+7 (926) 000-11-22'),
            "Portrait, 2026-12-01 11:00", Decimal('1500'), Decimal('5000'),
            'RUB', vat_code=1)
        self.assertEqual(receipt, {
                'customer': {
                    'email': 'anna@example.com', 'phone': '79260001122'},
                'items': [{
                        'description': "Portrait, 2026-12-01 11:00",
                        'quantity': '1.00',
                        'amount': {'value': '1500.00', 'currency': 'RUB'},
                        'vat_code': 1,
                        'payment_subject': 'service',
                        'payment_mode': 'partial_prepayment',
                        }],
                })

    def test_full_prepayment(self):
        receipt = payment_receipt(
            Customer(phone='8 926 000 11 22'), "Portrait",
            Decimal('5000'), Decimal('5000'), 'RUB', vat_code=4)
        item, = receipt['items']
        self.assertEqual(receipt['customer'], {'phone': '79260001122'})
        self.assertEqual(item['payment_mode'], 'full_prepayment')
        self.assertEqual(item['vat_code'], 4)
        self.assertEqual(item['amount']['value'], '5000.00')

    def test_final_payment(self):
        "The rest paid once the shoot is done is a full payment"
        receipt = payment_receipt(
            Customer(email='anna@example.com'), "Portrait",
            Decimal('3500'), Decimal('5000'), 'RUB', delivered=True)
        item, = receipt['items']
        self.assertEqual(item['payment_mode'], 'full_payment')
        self.assertEqual(item['amount'], {'value': '3500.00', 'currency': 'RUB'})

    def test_refund(self):
        receipt = refund_receipt(
            Customer(email='anna@example.com'), "Portrait",
            Decimal('2500.005'), 'RUB', 'full_prepayment')
        item, = receipt['items']
        self.assertEqual(item['amount']['value'], '2500.01')
        self.assertEqual(item['payment_mode'], 'full_prepayment')
        self.assertEqual(item['payment_subject'], 'service')

    def test_errors(self):
        with self.assertRaises(ReceiptError):
            payment_receipt(Customer(), "Portrait", Decimal(1), Decimal(2),
                'RUB')
        with self.assertRaises(ReceiptError):
            payment_mode(Decimal(0), Decimal(10), False)
        with self.assertRaises(ReceiptError):
            payment_mode(Decimal(11), Decimal(10), False)
        with self.assertRaises(ReceiptError):
            payment_receipt(Customer(email='a@b.c'), "X", Decimal(1),
                Decimal(2), 'RUB', vat_code=99)
        with self.assertRaises(ReceiptError):
            refund_receipt(Customer(email='a@b.c'), "X", Decimal(1), 'RUB',
                'credit')

    def test_long_description(self):
        receipt = payment_receipt(
            Customer(email='a@b.c'), "x" * 300, Decimal(1), Decimal(2), 'RUB')
        self.assertEqual(len(receipt['items'][0]['description']), 128)
