from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.cases import ModuleTestCase
from trytond.modules.photo_booking.tests.translation import (
    CatalogueTranslationTestMixin)
from trytond.modules.photo_portal.pages import money
from trytond.modules.photo_portal.web import (
    format_number, month_name, weekday_names)

NBSP = '\xa0'


class PhotoPortalTestCase(CatalogueTranslationTestMixin, ModuleTestCase):
    "Test photo_portal module"
    module = 'photo_portal'

    @with_transaction()
    def test_numbers_and_money_per_language(self):
        "Numbers and money as ir.lang writes them in the visitor's language"
        Currency = Pool().get('currency.currency')
        rub, = Currency.create([{
                    'code': 'RUB', 'name': "Ruble", 'digits': 2,
                    'rounding': Decimal('0.01')}])
        with Transaction().set_context(language='ru'):
            self.assertEqual(format_number(4.6, 2), '4,60')
            self.assertEqual(format_number(632.24, 1), '632,2')
            self.assertEqual(format_number(24.0), '24')
            self.assertEqual(format_number('12.50'), '12,5')
            self.assertEqual(money(Decimal(5000), rub), f'5{NBSP}000{NBSP}RUB')
            self.assertEqual(
                money(Decimal('1250.5'), rub), f'1{NBSP}250.50{NBSP}RUB')
            self.assertEqual(money(None, rub), '')
        with Transaction().set_context(language='en'):
            self.assertEqual(format_number(632.24, 1), '632.2')
            self.assertEqual(format_number(Decimal('1E+1')), '10')
            self.assertEqual(money(Decimal(5000), rub), f'RUB{NBSP}5,000')
            # Rounded to the currency's digits first
            self.assertEqual(
                money(Decimal('4999.999'), rub), f'RUB{NBSP}5,000')

    @with_transaction()
    def test_month_and_day_names_per_language(self):
        "Month and day names come from ir.lang, Russian once loaded"
        Lang = Pool().get('ir.lang')
        with Transaction().set_context(language='en'):
            self.assertEqual(month_name(3), 'March')
            self.assertEqual(weekday_names()[0], 'Mon')
        ru, = Lang.search([('code', '=', 'ru')])
        Lang.load_translations([ru])
        with Transaction().set_context(language='ru'):
            self.assertEqual(month_name(3), 'Март')
            self.assertEqual(
                weekday_names(), ['Пн', 'Вт', 'Ср', 'Чт', 'Пт', 'Сб', 'Вс'])


del ModuleTestCase
