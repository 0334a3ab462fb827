"Period exports of sales and money: wizard and command line."
import argparse
import datetime as dt
import sys

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import exports, onec

FORMATS = [
    ('1c', "1C (CommerceML 2 XML)"),
    ('xlsx', "Excel"),
    ('iif', "QuickBooks (IIF)"),
    ]
EXTENSIONS = {'1c': 'xml', 'xlsx': 'xlsx', 'iif': 'iif'}


class PaymentTransaction(metaclass=PoolMeta):
    __name__ = 'photo.payment.transaction'

    @classmethod
    def export_data(cls, start, end):
        """Sales and money movements of [start, end) (naive UTC).

        Money is what actually moved: succeeded payments (also when later
        refunded) and succeeded refunds; sales are their bookings."""
        transactions = cls.search([
                ('created', '>=', start),
                ('created', '<', end),
                ['OR',
                    [('kind', '=', 'payment'),
                        ('state', 'in', ['succeeded', 'refunded'])],
                    [('kind', '=', 'refund'), ('state', '=', 'succeeded')],
                    ],
                ], order=[('created', 'ASC'), ('id', 'ASC')])
        sales = {}
        for booking in sorted(
                {t.booking for t in transactions}, key=lambda b: b.id):
            client = booking.client
            sales[booking] = onec.Sale(
                id=booking.token, number=booking.number,
                date=booking.start,
                customer=onec.Customer(
                    id=str(client.code or client.id), name=client.rec_name,
                    email=booking.email or client.email,
                    phone=booking.phone or client.phone),
                service_id=str(booking.service.product.code
                    or booking.service.product.id),
                service=booking.service.rec_name,
                amount=booking.price, currency=booking.currency.code,
                photographer=booking.photographer.rec_name,
                state=booking.state)
        money = [onec.Money(
                id=t.idempotency_key, date=t.created, kind=t.kind,
                sale=sales[t.booking], amount=t.amount,
                currency=t.currency.code, gateway=t.paid_through,
                gateway_id=t.gateway_id or '')
            for t in transactions]
        return list(sales.values()), money

    @classmethod
    def export(cls, format, start, end):
        "(file name, bytes) of the period in format: 1c, xlsx or iif."
        sales, money = cls.export_data(start, end)
        name = f'payments-{start:%Y%m%d}-{end:%Y%m%d}.{EXTENSIONS[format]}'
        if format == '1c':
            data = onec.commerceml(sales, money, dt.datetime.now())
        elif format == 'xlsx':
            data = exports.workbook(
                money, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}")
        elif format == 'iif':
            data = exports.iif(money)
        else:
            raise ValueError(f"unknown format {format}")
        return name, data


def period(start_date, end_date):
    "Naive datetimes of the days from start_date to end_date included."
    return (dt.datetime.combine(start_date, dt.time()),
        dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time()))


class ExportStart(ModelView):
    "Export Payments"
    __name__ = 'photo.payment.export.start'
    start_date = fields.Date("From", required=True)
    end_date = fields.Date("To", required=True)
    format = fields.Selection(FORMATS, "Format", required=True)

    @classmethod
    def default_format(cls):
        return 'xlsx'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today().replace(day=1)

    @classmethod
    def default_end_date(cls):
        return Pool().get('ir.date').today()


class ExportResult(ModelView):
    "Export Payments"
    __name__ = 'photo.payment.export.result'
    file = fields.Binary("File", readonly=True, filename='filename')
    filename = fields.Char("File Name", readonly=True)


class Export(Wizard):
    "Export Payments"
    __name__ = 'photo.payment.export'
    start = StateView('photo.payment.export.start',
        'photo_payment.export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-ok', default=True),
            ])
    export = StateTransition()
    result = StateView('photo.payment.export.result',
        'photo_payment.export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_export(self):
        Transaction_ = Pool().get('photo.payment.transaction')
        filename, data = Transaction_.export(
            self.start.format,
            *period(self.start.start_date, self.start.end_date))
        self.result.filename = filename
        self.result.file = data
        return 'result'

    def default_result(self, fields):
        return {
            'file': self.result.file,
            'filename': self.result.filename,
            }


def main(argv=None):
    "photo-payment-export -c trytond.conf -d db --from … --to … -f xlsx"
    parser = argparse.ArgumentParser(
        description="Export a period's bookings and payments.")
    parser.add_argument('-c', '--config', dest='config')
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--from', dest='start', required=True,
        type=dt.date.fromisoformat)
    parser.add_argument('--to', dest='end', required=True,
        type=dt.date.fromisoformat)
    parser.add_argument('-f', '--format', choices=dict(FORMATS),
        default='xlsx')
    parser.add_argument('-o', '--output',
        help="file to write (default: the export's own name)")
    options = parser.parse_args(argv)

    from trytond import config
    config.update_etc(options.config)
    from trytond.transaction import Transaction
    pool = Pool(options.database)
    pool.init()
    with Transaction().start(options.database, 0, readonly=True):
        Transaction_ = pool.get('photo.payment.transaction')
        filename, data = Transaction_.export(
            options.format, *period(options.start, options.end))
    output = options.output or filename
    if output == '-':
        sys.stdout.buffer.write(data)
    else:
        with open(output, 'wb') as file:
            file.write(data)
        print(output)


if __name__ == '__main__':
    main()
