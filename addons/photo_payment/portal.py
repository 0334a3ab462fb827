"""The portal's pay step and what the cabinet shows of payments.

photo_portal knows nothing of payments: it asks the booking
(Booking.portal_next_url, portal_panels, portal_cabinet_domain), which this
module answers, and renders our fragments from templates/. The pages below
are added to the portal with photo_portal's own route decorator; they are
registered where photo_portal is installed (tryton.cfg's
`[register photo_portal]`, __init__.py):

- /booking/<token>/payment: the pay page, which is also where the gateway
  sends the client back (the gateway's return URL). It re-reads a pending
  payment from the gateway at once, so no late webhook keeps the client
  waiting, and polls (static/payment.js) while it is still pending.
- /booking/<token>/payment/status: that page's JSON status.
- /book/details/<token>/code: a promo or gift code typed at checkout
  (Booking.apply_code).
"""
import json
import logging
import os
import time
from urllib.parse import urlencode
from decimal import Decimal
from zoneinfo import ZoneInfo

from trytond.exceptions import UserError
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import HTTPStatus, Response, exceptions
from trytond.transaction import Transaction

from trytond.modules.photo_booking.common import utc_now
from trytond.modules.photo_portal.book import (
    ON_LOCATION, booking_view, details_page, hold_or_404)
from trytond.modules.photo_portal.pages import (
    booking_by_token, money, when)
from trytond.modules.photo_portal.pwa import static_files
from trytond.modules.photo_portal.translation import N_
from trytond.modules.photo_portal.web import (
    check_rate, local_time, redirect_to, render, route)

from . import providers

logger = logging.getLogger(__name__)

STATIC = os.path.join(os.path.dirname(__file__), 'static')
# A pending payment is read again from the gateway at most this often
# (seconds) by the polling page; loading the page always reads it.
POLL_CHECK_INTERVAL = 5
# A payment still unsent after this long (seconds) is sent from the page
# (normally the queue sends it at once, the cron later).
UNSENT_RETRY_AFTER = 60
CODE_LENGTH = 64
CODE_LIMIT = '20/600'  # codes tried per address ([photo_booking] rate_limit_code)
STATE_WORDS = {
    'payment': {
        'pending': N_("Awaiting payment"),
        'succeeded': N_("Received"),
        'failed': N_("Failed"),
        'cancelled': N_("Cancelled"),
        'refunded': N_("Refunded"),
        },
    'refund': {
        'pending': N_("In progress"),
        'succeeded': N_("Completed"),
        'failed': N_("Refused"),
        'cancelled': N_("Withdrawn"),
        },
    }
PAYMENT_MODES = {
    'full_prepayment': N_("Full prepayment"),
    'partial_prepayment': N_("Partial prepayment"),
    'full_payment': N_("Full payment"),
    }

_checked = {}   # (database, payment id) -> time.monotonic() of last read


def _with_module(pool):
    "NotFound where photo_payment is not activated (routes are global)."
    try:
        pool.get('photo.payment.transaction')
    except KeyError:
        raise exceptions.NotFound()


def pay_page_url(booking, **args):
    url = f'/booking/{booking.token}/payment'
    return url + '?' + urlencode(args) if args else url


def another_time_url(booking):
    tz = ZoneInfo(booking.timezone or 'UTC')
    return '/book?' + urlencode({
            'service': booking.service.id,
            'photographer': booking.photographer.id,
            'studio': booking.studio.id if booking.studio else ON_LOCATION,
            'day': local_time(booking.start, tz).date().isoformat(),
            })


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    def portal_payment(self):
        "The latest payment of the booking through a gateway, or None."
        Transaction_ = Pool().get('photo.payment.transaction')
        payments = Transaction_.search([
                ('booking', '=', self.id),
                ('kind', '=', 'payment'),
                ('gateway', '!=', None),
                ], order=[('created', 'DESC'), ('id', 'DESC')], limit=1)
        return payments[0] if payments else None

    def portal_next_url(self, submitted=False):
        url = super().portal_next_url(submitted=submitted)
        if url is None and self.state == 'hold':
            payment = self.portal_payment()
            if payment and payment.state == 'pending':
                # Straight on to the gateway once the details are sent
                url = pay_page_url(self, **({'go': 1} if submitted else {}))
        return url

    @property
    def portal_due_now(self):
        "What the client pays at the pay step of a held booking."
        return max(self.prepayment_due - self.paid, Decimal(0))

    def portal_panels(self, page):
        panels = super().portal_panels(page)
        if page == 'details':
            panel = self.portal_details_panel()
        elif page == 'cabinet':
            panel = self.portal_cabinet_panel()
        else:
            panel = None
        if panel:
            panels.append(panel)
        return panels

    def portal_details_panel(self):
        "Prepayment and the code field, for a booking that takes one."
        Gateway = Pool().get('photo.payment.gateway')
        if (self.state != 'hold' or not self.prepayment_due
                or not Gateway.get_default()):
            return None
        due_now = self.portal_due_now
        return {
            'template': 'photo_payment/_details.html',
            'token': self.token,
            'due_now': money(due_now, self.currency),
            'full_payment': self.prepayment_due >= self.price,
            'percent': f'{self.service.prepayment_percent.normalize():f}',
            'price': money(self.price, self.currency),
            'rest': money(self.price - self.prepayment_due, self.currency),
            'paid': money(self.paid, self.currency) if self.paid else None,
            'promo': self.promo.code if self.promo else None,
            'discount': (f'{self.promo.discount.normalize():f}'
                if self.promo else None),
            }

    def portal_cabinet_panel(self):
        "The booking's payments and refunds, receipts, and a pay link."
        transactions = sorted(
            self.transactions, key=lambda t: (t.created, t.id))
        if not transactions:
            return None
        tz = self.timezone or 'UTC'
        rows = []
        for transaction in transactions:
            receipt_items = []
            if (transaction.gateway and transaction.gateway.kind == 'yookassa'
                    and transaction.receipt_data):
                for item in transaction.receipt_data.get('items', []):
                    receipt_items.append({
                            'description': item['description'],
                            'amount': (f"{item['amount']['value']} "
                                f"{item['amount']['currency']}"),
                            'mode': PAYMENT_MODES.get(
                                item['payment_mode'], item['payment_mode']),
                            })
            rows.append({
                    'kind': transaction.kind,
                    'date': when(transaction.created, tz),
                    'amount': money(transaction.amount, transaction.currency),
                    'through': transaction.paid_through,
                    'state': transaction.state,
                    'state_words': STATE_WORDS[transaction.kind].get(
                        transaction.state, transaction.state),
                    'receipt': receipt_items,
                    })
        pay_url = None
        if self.state == 'hold':
            payment = self.portal_payment()
            if payment and payment.state == 'pending':
                pay_url = pay_page_url(self)
        return {
            'template': 'photo_payment/_cabinet.html',
            'rows': rows,
            'pay_url': pay_url,
            'hold_until': (when(self.hold_expires, tz)
                if self.hold_expires else None),
            }

    @classmethod
    def portal_cabinet_domain(cls):
        """Also held bookings waiting for their payment, and released ones
        whose money moved (a late payment, refunded)."""
        return ['OR',
            super().portal_cabinet_domain(),
            [('state', '=', 'hold'),
                ('transactions', 'where', [
                        ('kind', '=', 'payment'),
                        ('state', '=', 'pending'),
                        ('gateway', '!=', None),
                        ])],
            [('state', '=', 'cancelled'),
                ('transactions', 'where', [
                        ('kind', '=', 'payment'),
                        ('state', 'in', ['succeeded', 'refunded']),
                        ])],
            ]


# --- the pay step ------------------------------------------------------------

def refresh(payment, interval=0):
    """Read a pending payment again from its gateway, once per interval,
    and apply what it says there (as the reconciliation cron does).

    One attempt, no retries: the page polls again. A payment not sent yet
    is left to the queue, and sent from here only once it is overdue."""
    Transaction_ = Pool().get('photo.payment.transaction')
    if payment.state != 'pending':
        return
    key = (Transaction().database.name, payment.id)
    now = time.monotonic()
    if now - _checked.get(key, -float('inf')) < interval:
        return
    if len(_checked) > 10000:
        _checked.clear()
    _checked[key] = now
    if not payment.gateway_id:
        if (utc_now() - payment.created).total_seconds() \
                >= UNSENT_RETRY_AFTER:
            Transaction_.reconcile([payment])
        return
    try:
        remote = payment.gateway.provider().get_payment(
            payment.gateway_id, payment.currency.digits)
    except providers.GatewayError as e:
        logger.info("cannot read %s now: %s", payment.rec_name, e)
        return
    Transaction_.apply_status([payment], remote.status, error=remote.error)


def cancel_at_gateway(payment):
    """The client went back from the gateway without paying (Stripe's
    cancel URL): end the payment there, and so release the time."""
    Transaction_ = Pool().get('photo.payment.transaction')
    if payment.state != 'pending' or not payment.gateway_id:
        return
    try:
        remote = payment.gateway.call(
            'cancel_payment', payment.gateway_id, payment.currency.digits)
    except providers.GatewayError as e:
        logger.info("cannot cancel %s now: %s", payment.rec_name, e)
        return
    Transaction_.apply_status([payment], remote.status, error=remote.error)


def payment_context(booking, payment):
    view = booking_view(booking)
    return {
        'booking': view,
        'payment': payment,
        'amount': money(payment.amount, payment.currency),
        'price': money(booking.price, booking.currency),
        'rest': money(
            max(booking.price - booking.paid
                - (payment.amount if payment.state == 'pending' else 0),
                Decimal(0)), booking.currency),
        'full_payment': booking.prepayment_due >= booking.price,
        'gateway': payment.gateway.rec_name,
        'another_time': another_time_url(booking),
        'status_url': pay_page_url(booking) + '/status',
        'page_url': pay_page_url(booking),
        }


def _booking_payment(pool, token):
    """The booking of token and its latest gateway payment (None when it has
    none); NotFound for an unknown token or without photo_payment."""
    _with_module(pool)
    booking = booking_by_token(pool, token)
    return booking, booking.portal_payment()


@route('/booking/<token>/payment', readonly=False)
def payment_page(visit, pool, token):
    "Pay, or see how the payment went (the gateway's return URL)."
    booking, payment = _booking_payment(pool, token)
    if not payment:
        return redirect_to(f'/booking/{booking.token}')
    Booking = pool.get('photo.booking')
    Transaction_ = pool.get('photo.payment.transaction')
    args = visit.request.args
    if args.get('cancelled'):
        cancel_at_gateway(payment)
    else:
        refresh(payment)
    booking, payment = Booking(booking.id), Transaction_(payment.id)
    if payment.state == 'succeeded' and booking.state in {
            'confirmed', 'requested', 'done'}:
        return redirect_to(f'/booking/{booking.token}')
    return render(visit, 'photo_payment/pay.html',
        go=bool(args.get('go')) and payment.state == 'pending',
        **payment_context(booking, payment))


@route('/booking/<token>/payment/status', readonly=False)
def payment_status(visit, pool, token):
    "The pay page's poll: the payment's state, read again now and then."
    booking, payment = _booking_payment(pool, token)
    if not payment:
        raise exceptions.NotFound()
    Booking = pool.get('photo.booking')
    Transaction_ = pool.get('photo.payment.transaction')
    refresh(payment, interval=POLL_CHECK_INTERVAL)
    booking, payment = Booking(booking.id), Transaction_(payment.id)
    response = Response(json.dumps({
                'state': payment.state,
                'booking': booking.state,
                'pay_url': payment.action_url
                if payment.state == 'pending' else None,
                }), mimetype='application/json')
    response.headers['Cache-Control'] = 'no-store'
    return response


# --- codes at checkout -------------------------------------------------------

@route('/book/details/<token>/code', methods=['POST'])
def apply_code(visit, pool, token):
    """Apply a promo or gift code to a held booking: the details page shows
    the new price, or the error next to the field (400, nothing changed)."""
    _with_module(pool)
    Booking = pool.get('photo.booking')
    _ = visit.gettext
    booking = hold_or_404(pool, token)
    check_rate(visit, 'code', CODE_LIMIT)
    code = ' '.join((visit.request.form.get('code') or '').split())
    error = None
    if not code:
        error = _("Enter a code.")
    elif len(code) > CODE_LENGTH:
        error = _("This code is not valid.")
    else:
        try:
            Booking.apply_code(booking, code)
        except UserError as e:
            error = e.message
    if error:
        # Whatever the code's check wrote goes.
        transaction = Transaction()
        transaction.rollback()
        transaction.tasks.clear()
        return details_page(visit, Booking(booking.id),
            status=HTTPStatus.BAD_REQUEST, values={'code': code},
            errors={'code': error})
    return redirect_to(f'/book/details/{booking.token}')


static_files('/static/photo_payment', STATIC)
