"""Portal plumbing: the visit (language, cookies, CSRF), rendering and the
route decorator that maps our errors to friendly pages.

No page lives here: the page families (catalogue, book, account, cabinet,
pwa) import this module, never the other way round.
"""
import datetime as dt
import logging
import os
import re
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

import jinja2

import trytond.config as config
from trytond import backend
from trytond.exceptions import RateLimitException, UserError, UserWarning
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.photo_booking import connection_wait
from trytond.modules.photo_booking.api import BUSY_RETRY_AFTER, run_retried
from trytond.modules.photo_booking.booking import serialised
from trytond.modules.photo_booking.common import aware
from trytond.modules.photo_booking.security import has_nul, retry_after

from . import security
from .translation import (
    LANGUAGES, gettext, module_folder, translations, zone_name)

logger = logging.getLogger(__name__)

HERE = os.path.dirname(__file__)
TEMPLATES = os.path.join(HERE, 'templates')
STATIC = os.path.join(HERE, 'static')

SID_COOKIE = 'pb_sid'
DEVICE_COOKIE = 'pb_device'
LANG_COOKIE = 'pb_lang'
USER_COOKIE = 'pb_session'
DEFAULT_LANGUAGE = 'ru'


class ModuleTemplates(jinja2.BaseLoader):
    """'<module>/<name>' is templates/<name> of that module, if activated in
    the database of the current transaction: other modules bring their own
    portal pages and fragments (see Booking.portal_panels)."""

    def get_source(self, environment, template):
        module, _, name = template.partition('/')
        folder = (name and re.fullmatch(r'[a-z0-9_]+', module)
            and _activated(module) and module_folder(module))
        if not folder:
            raise jinja2.TemplateNotFound(template)
        return jinja2.FileSystemLoader(
            os.path.join(folder, 'templates')).get_source(environment, name)


def _activated(module):
    if not Transaction().database:
        return False
    Module = Pool().get('ir.module')
    return bool(Module.search([
                ('name', '=', module),
                ('state', '=', 'activated'),
                ], limit=1))


env = jinja2.Environment(
    loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(TEMPLATES), ModuleTemplates()]),
    autoescape=jinja2.select_autoescape(['html', 'xml']),
    trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.i18n'])


# Templates translate through the catalogue rendered with them (`texts`):
# _("..."), {% trans %}; values are escaped, as jinja2's newstyle gettext does.
@jinja2.pass_context
def _template_gettext(context, message):
    return context['texts'].gettext(message)


@jinja2.pass_context
def _template_ngettext(context, singular, plural, n):
    return context['texts'].ngettext(singular, plural, n)


env.install_gettext_callables(
    _template_gettext, _template_ngettext, newstyle=True)


def month_name(month):
    "The name of month (1-12) in the transaction's language (ir.lang)."
    lang = Pool().get('ir.lang').get()
    return lang.strftime(dt.date(2001, month, 1), '%B')


def weekday_names():
    "The days' short names, Monday first, in the transaction's language."
    lang = Pool().get('ir.lang').get()
    # 1 January 2001 was a Monday
    return [lang.strftime(dt.date(2001, 1, day), '%a') for day in range(1, 8)]


def format_date(value):
    """A date as the transaction's language writes it (ir.lang's date
    format): '06.12.2026' in Russian, '12/06/2026' in English."""
    lang = Pool().get('ir.lang').get()
    return lang.strftime(value, lang.date)


def format_number(value, digits=None):
    """value as the transaction's language writes it (ir.lang): '4,6' in
    Russian, '4.6' in English; with digits, rounded to as many decimals,
    else without trailing zeros."""
    value = Decimal(str(value))
    if digits is None:
        value = value.normalize()
        digits = max(-value.as_tuple().exponent, 0)
    return Pool().get('ir.lang').get().format_number(value, digits)


def number_filter(value, digits=None):
    return '' if value is None else format_number(value, digits)


env.filters['number'] = number_filter
env.filters['date'] = format_date

SECURITY_HEADERS = {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Content-Security-Policy': (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    }


def portal_database():
    "The database the portal serves, read at call time."
    return config.get('photo_booking', 'portal_database', default='demo')


def portal_url(path=''):
    """The portal's public address ([photo_portal] url) followed by path:
    links in mails and calendar UIDs come from it, never from the request's
    Host header, which the sender of the request chooses."""
    return config.get('photo_portal', 'url',
        default='http://localhost:8000').rstrip('/') + path


class BadInput(Exception):
    """Input the visitor can fix: a 400 page with the message (a 429 says
    when to come back in retry_after seconds)."""

    def __init__(self, message, status=HTTPStatus.BAD_REQUEST,
            retry_after=None, back=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.back = back  # the page to go back to, if not the home page


class ShowInstead(Exception):
    """Answer with another page: page(visit, pool, **kwargs) with status.

    Raised inside the transaction so it rolls back; the page is rendered
    in a fresh read-only one."""

    def __init__(self, page, kwargs, status):
        super().__init__(page.__name__)
        self.page = page
        self.kwargs = kwargs
        self.status = status


class Visit:
    "One request as the portal sees it."

    def __init__(self, request):
        self.request = request
        self.sid = request.cookies.get(SID_COOKIE) or ''
        self.new_sid = None
        if not security.valid_session_id(self.sid):
            self.sid = self.new_sid = security.new_session_id()
        asked = request.args.get('lang')
        self.set_lang = asked if asked in LANGUAGES else None
        lang = self.set_lang or request.cookies.get(LANG_COOKIE)
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        # The portal's own texts until the database is known (load_texts)
        self.texts = translations(self.lang)
        self.session_key = request.cookies.get(USER_COOKIE)
        self.user = None
        self.user_cookie = None  # (value, max_age) to set; '' to remove
        self.extra_cookies = {}  # short-lived, http-only: name -> value
        self.device = request.cookies.get(DEVICE_COOKIE)
        self.new_device = None

    def gettext(self, text, **values):
        "text in the visitor's language, with its values."
        return gettext(self.texts, text, **values)

    def load_texts(self, pool):
        """The texts of every module activated in the database, as their
        pages and fragments may be shown."""
        Module = pool.get('ir.module')
        modules = sorted(m.name for m in Module.search([
                    ('state', '=', 'activated'),
                    ]) if m.name != 'photo_portal')
        self.texts = translations(self.lang, ('photo_portal', *modules))

    @property
    def csrf(self):
        return security.csrf_token(self.sid, self.session_key)

    @property
    def address(self):
        return self.request.remote_addr or 'unknown'

    def load_user(self, pool):
        if not self.session_key:
            return
        User = pool.get('web.user')
        user = User.get_user(self.session_key)
        if user and user.active:
            self.user = user

    def login(self, key, device=None):
        """Keep the session key; device proves this sign-in to the next
        ones (see web.user authenticate)."""
        # A new session id, so a token planted before login is worthless.
        self.sid = self.new_sid = security.new_session_id()
        self.new_device = device
        self.user_cookie = (key, int(
                    config.getint('session', 'web_timeout',
                        default=30 * 24 * 60 * 60)))

    def logout(self):
        self.user = None
        self.user_cookie = ('', 0)

    def finish(self, response):
        secure = self.request.is_secure
        if self.new_sid:
            response.set_cookie(
                SID_COOKIE, self.new_sid, httponly=True, samesite='Lax',
                secure=secure, path='/')
        if self.set_lang:
            response.set_cookie(
                LANG_COOKIE, self.set_lang, max_age=365 * 24 * 3600,
                samesite='Lax', secure=secure, path='/')
        if self.user_cookie is not None:
            value, max_age = self.user_cookie
            response.set_cookie(
                USER_COOKIE, value, max_age=max_age, httponly=True,
                samesite='Lax', secure=secure, path='/')
        if self.new_device:
            response.set_cookie(
                DEVICE_COOKIE, self.new_device, max_age=365 * 24 * 3600,
                httponly=True, samesite='Lax', secure=secure,
                path='/account/login')
        for name, value in self.extra_cookies.items():
            response.set_cookie(
                name, value, max_age=3600, httponly=True, samesite='Lax',
                secure=secure, path='/')
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response


def lang_url(request, lang):
    args = request.args.to_dict()
    args['lang'] = lang
    return request.path + '?' + urlencode(args)


def render(visit, template, status=HTTPStatus.OK, **context):
    request = visit.request
    context.update(
        texts=visit.texts, lang=visit.lang, csrf=visit.csrf, user=visit.user,
        request=request, lang_url=lambda code: lang_url(request, code),
        month_name=month_name, weekday_names=weekday_names,
        zone_name=lambda tz_name: zone_name(visit.texts, tz_name),
        portal_panels=lambda booking, page: booking.portal_panels(page),
        login_panels=lambda: Pool().get('web.user').portal_login_panels(),
        account_panels=lambda: (visit.user.portal_account_panels()
            if visit.user else []))
    body = env.get_template(template).render(**context)
    response = Response(body, status=int(status), mimetype='text/html')
    response.headers['Cache-Control'] = 'no-store'
    return response


def redirect_to(location, args=None):
    if args:
        location += '?' + urlencode(args)
    response = Response('', status=303)
    response.headers['Location'] = location
    return response


def _run(visit, func, kwargs, readonly):
    "func(visit, pool, **kwargs) in a transaction on the portal's database."
    response, error = _on_pool(
        visit.request, portal_database(), visit, func, kwargs, readonly)
    if error:
        raise error
    return response


@with_pool
def _on_pool(request, pool, visit, func, kwargs, readonly):
    """trytond's with_pool (the database must be listed for the request's
    host); errors are handed back to the route, whose pages tell them,
    rather than to with_pool, which would answer a bare 400 or 500."""
    # Routes are global to the server: the portal answers only databases
    # where it is activated.
    try:
        pool.get('photo.legal.page')
    except KeyError:
        return None, exceptions.NotFound()

    @with_transaction(readonly=readonly)
    @serialised
    def run(request, pool):
        with Transaction().set_context(language=visit.lang):
            visit.load_texts(pool)
            visit.load_user(pool)
            if visit.user and request.method == 'POST':
                check_rate(visit, 'account_write', key=f'user:{visit.user.id}')
            # Who acts, for the audit log (photo_audit)
            with Transaction().set_context(
                    web_user=visit.user.id if visit.user else None):
                return func(visit, pool, **kwargs)
    try:
        # Conflicts and a wait for a connection that ran out are tried
        # again as the API's are.
        return run_retried(run, request, pool), None
    except Exception as error:
        return None, error


def check_rate(visit, kind, limit=None, key=None):
    """A 429 page past the limit of kind (limit 'count/seconds', else the
    portal's security.LIMITS) for key, by default the visitor's address.

    Counted once per request: trytond runs a route again when its
    transaction is retried (record locks taken, deadlocks)."""
    key = key or visit.address
    verdicts = visit.request.environ.setdefault('photo_booking.rates', {})
    if (kind, key) not in verdicts:
        verdicts[kind, key] = retry_after(kind, key,
            limit or security.LIMITS[kind], database=portal_database())
    if verdicts[kind, key]:
        _ = visit.gettext
        raise BadInput(_("Too many attempts. Please wait a few minutes."),
            HTTPStatus.TOO_MANY_REQUESTS, retry_after=verdicts[kind, key])


def error_page(visit, message, status=HTTPStatus.BAD_REQUEST, back=None):
    return render(
        visit, 'error.html', status=status, message=message, back=back)


def route(path, methods=('GET',), readonly=None, csrf=True):
    """Declare a portal page on trytond's WSGI application.

    The handler gets (visit, pool, **url_args) inside a transaction as
    root; forms are checked for the CSRF token first."""
    def decorator(func):
        @wraps(func)
        def endpoint(request, **kwargs):
            visit = Visit(request)
            _ = visit.gettext
            try:
                if any(has_nul(v) for v in (
                            *kwargs.values(), *request.args.values(),
                            *request.form.values())):
                    raise BadInput(_(
                            "We could not accept this form. "
                            "Please try again."))
                if request.method == 'POST':
                    # Every form of the portal, per address.
                    check_rate(visit, 'portal_write')
                if request.method == 'POST' and csrf:
                    if not security.check_csrf(
                            request.cookies.get(SID_COOKIE),
                            request.form.get('csrf'), visit.session_key):
                        raise BadInput(_(
                                "Your session has expired. Go back, "
                                "reload the page and try again."),
                            HTTPStatus.BAD_REQUEST)
                response = _run(visit, func, kwargs, readonly)
            except BadInput as e:
                response = error_page(visit, e.message, e.status, e.back)
                if e.retry_after:
                    response.headers['Retry-After'] = str(e.retry_after)
            except ShowInstead as e:
                response = _run(visit, e.page, e.kwargs, True)
                response.status_code = e.status
            except RateLimitException as e:
                response = error_page(visit, _(
                        "Too many attempts. Please wait a few minutes."),
                    HTTPStatus.TOO_MANY_REQUESTS)
                if getattr(e, 'retry_after', None):
                    response.headers['Retry-After'] = str(e.retry_after)
            except (UserError, UserWarning) as e:
                response = error_page(visit, e.message)
            except exceptions.NotFound:
                response = error_page(
                    visit, _("This page does not exist."),
                    HTTPStatus.NOT_FOUND)
            except exceptions.HTTPException as e:
                response = e.get_response(request.environ)
            except backend.DatabaseOperationalError:
                logger.warning(
                    "Database busy for %s", request, exc_info=True)
                # The API's message, read without the database.
                response = error_page(visit, connection_wait.shipped_message(
                        'msg_api_database_busy', visit.lang),
                    HTTPStatus.SERVICE_UNAVAILABLE)
                response.headers['Retry-After'] = str(BUSY_RETRY_AFTER)
            if isinstance(response, str):
                response = Response(response, mimetype='text/html')
            return visit.finish(response)
        app.route(path, methods=list(methods))(endpoint)
        return func
    return decorator


def local_time(moment, tz):
    "A naive-UTC or aware datetime as an aware one in tz."
    return aware(moment).astimezone(tz)
