"""What the portal's page families share: form parsing, records by id or
token, money and times as the visitor reads them, the keys of contacts'
rate limits and mail.

The pages themselves are in catalogue.py, book.py, account.py, cabinet.py
and pwa.py (served at the site root, see web.portal_database); each is
server-rendered and calls the model methods directly.
"""
from email.message import EmailMessage
from decimal import Decimal
from zoneinfo import ZoneInfo

import trytond.config as config
from trytond.pool import Pool
from trytond.protocols.wrappers import Response, exceptions
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction

from trytond.modules.photo_booking import geo
from trytond.modules.photo_booking import media as media_rules
from trytond.modules.photo_booking.security import is_id, sign

from .translation import translations, zone_name
from .web import (
    DEFAULT_LANGUAGE, BadInput, env, format_date, local_time, portal_url,
    weekday_names)

env.globals['media_widths'] = media_rules.WIDTHS
GUEST_PARTY = "[web guest]"


# --- small helpers -----------------------------------------------------------

def money(amount, currency):
    """amount in currency as the visitor's language writes it (ir.lang):
    '5 000 ₽' in Russian, '₽5,000' in English; whole amounts without
    their decimals."""
    if amount is None:
        return ''
    amount = Decimal(amount)
    rounded = amount.quantize(Decimal(1).scaleb(-currency.digits))
    digits = 0 if rounded == rounded.to_integral_value() else None
    return Pool().get('ir.lang').get().currency(
        amount, currency, digits=digits, grouping=True)


def page_language():
    "The visitor's language, set on the transaction for the request."
    return Transaction().context.get('language') or DEFAULT_LANGUAGE


def page_texts():
    "The portal's texts in the visitor's language."
    return translations(page_language())


def when(moment, tz_name, fmt=None):
    """A stored naive-UTC datetime shown in the studio's time zone, named:
    its date as the visitor's language writes it (ir.lang) and the time,
    or as fmt says."""
    local = local_time(moment, ZoneInfo(tz_name))
    text = f'{local:{fmt}}' if fmt else f'{format_date(local)} {local:%H:%M}'
    return f"{text} ({zone_name(page_texts(), tz_name)})"


def form_int(form, name):
    try:
        return int(form.get(name, ''))
    except ValueError:
        return None


def get_record(pool, model, record_id, domain=None):
    "An active catalogue record by id or None."
    Model = pool.get(model)
    if not is_id(record_id):
        return None
    records = Model.search([('id', '=', record_id)] + (domain or []), limit=1)
    return records[0] if records else None


def booking_by_token(pool, token, user=None):
    "The booking of token (of user if given), else a 404 page."
    booking = pool.get('photo.booking').from_token(token, web_user=user)
    if not booking:
        raise exceptions.NotFound()
    return booking


def require_user(visit):
    if not visit.user:
        raise _LoginRequired()


class _LoginRequired(exceptions.HTTPException):
    code = 303

    def get_response(self, environ=None, scope=None):
        response = Response('', status=303)
        response.headers['Location'] = '/account/login'
        return response


def contact_key(email):
    "A limit's key for an e-mail address, which it does not show."
    return 'contact:' + sign('limit-contact', email)[:32]


def check_honeypot(visit):
    if visit.request.form.get('website'):
        _ = visit.gettext
        raise BadInput(_("We could not accept this form. Please try again."))


def opening_hours_text(hours, day_names):
    """'Mo–Sa 09:00–22:00; Su 10:00–20:00' from (weekday 0-6, start, end)
    rows: days in a row with the same hours go together."""
    by_day = {}
    for weekday, start, end in hours:
        by_day.setdefault(weekday, []).append((start, end))
    groups = []  # [first day, last day, spans]
    for day in range(7):
        spans = tuple(sorted(by_day.get(day, ())))
        if not spans:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == spans:
            groups[-1][1] = day
        else:
            groups.append([day, day, spans])
    return '; '.join(
        day_names[first] + (f'–{day_names[last]}' if last != first else '')
        + ' ' + ', '.join(f'{s:%H:%M}–{e:%H:%M}' for s, e in spans)
        for first, last, spans in groups)


def studio_view(studio):
    lat, lon = studio.latitude, studio.longitude
    map_url = None
    if lat is not None and lon is not None:
        map_url = geo.map_url(lat, lon)
    return {
        'record': studio,
        'map_url': map_url,
        'equipment': [e for e in studio.equipment if e.active],
        'rooms': [r for r in studio.rooms if r.active],
        'hours': opening_hours_text(
            [(int(h.weekday), h.start_time, h.end_time)
                for h in studio.opening_hours],
            weekday_names()),
        }


def mail_message(template, lang, texts=None, **context):
    """The mail of template in lang (texts: the catalogue, else the
    portal's own), and its subject (first line): links are built on the
    portal's configured address (web.portal_url)."""
    body = env.get_template(template).render(
        texts=texts or translations(lang), lang=lang, base_url=portal_url(),
        **context)
    subject, _sep, text = body.partition('\n')
    message = EmailMessage()
    message.set_content(text.strip() + '\n')
    return message, subject.strip()


def send_mail(visit, records, to, template, **context):
    "Mail template to to about records (of one model), after the commit."
    message, subject = mail_message(
        template, visit.lang, texts=visit.texts, **context)
    message['From'] = config.get('email', 'from')
    message['To'] = to
    message['Subject'] = subject
    if records:
        type(records[0]).queue_mail(records, message)
    else:
        # About no record (a reset asked for an unknown address): sent at
        # the commit all the same, its failure only logged.
        send_message_transactional(message)
