"""Portal plumbing: the visit (language, cookies, CSRF), rendering and the
route decorator that maps our errors to friendly pages.

No page lives here: the page families (catalogue, book, account, cabinet,
pwa) import this module, never the other way round.
"""
import datetime as dt
import importlib.util
import logging
import os
import re
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

import jinja2

import trytond.config as config
from trytond.exceptions import RateLimitException, UserError, UserWarning
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.photo_booking.booking import serialised
from trytond.modules.photo_booking.security import has_nul

from . import security
from .i18n import (
    LANGUAGES, STATE_LABELS, month_name, translator, weekday_names,
    zone_name)

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
        if not name or not re.fullmatch(r'[a-z0-9_]+', module) \
                or not _activated(module):
            raise jinja2.TemplateNotFound(template)
        try:
            spec = importlib.util.find_spec(f'trytond.modules.{module}')
        except ImportError:
            spec = None
        if not spec or not spec.submodule_search_locations:
            raise jinja2.TemplateNotFound(template)
        folder = os.path.join(
            list(spec.submodule_search_locations)[0], 'templates')
        return jinja2.FileSystemLoader(folder).get_source(environment, name)


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
    trim_blocks=True, lstrip_blocks=True)


def format_number(value, lang, digits=None):
    """value as lang writes it: '4,6' in Russian, '4.6' in English; with
    digits, rounded to as many decimals, else without trailing zeros."""
    value = Decimal(str(value))
    if digits is None:
        text = f'{value.normalize():f}'
    else:
        text = f'{value.quantize(Decimal(1).scaleb(-digits)):f}'
    return text.replace('.', ',') if lang == 'ru' else text


@jinja2.pass_context
def number_filter(context, value, digits=None):
    return '' if value is None else format_number(
        value, context.get('lang'), digits)


env.filters['number'] = number_filter

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
        self.gettext = translator(self.lang)
        self.session_key = request.cookies.get(USER_COOKIE)
        self.user = None
        self.user_cookie = None  # (value, max_age) to set; '' to remove
        self.extra_cookies = {}  # short-lived, http-only: name -> value
        self.device = request.cookies.get(DEVICE_COOKIE)
        self.new_device = None

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
        _=visit.gettext, lang=visit.lang, csrf=visit.csrf, user=visit.user,
        request=request, lang_url=lambda code: lang_url(request, code),
        month_name=lambda month: month_name(visit.lang, month),
        weekday_names=weekday_names(visit.lang), state_labels=STATE_LABELS,
        zone_name=lambda tz_name: zone_name(visit.lang, tz_name),
        portal_panels=lambda booking, page: booking.portal_panels(page))
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
            visit.load_user(pool)
            return func(visit, pool, **kwargs)
    try:
        return run(request, pool), None
    except Exception as error:
        return None, error


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
            if isinstance(response, str):
                response = Response(response, mimetype='text/html')
            return visit.finish(response)
        app.route(path, methods=list(methods))(endpoint)
        return func
    return decorator


def local_time(moment, tz):
    "A naive-UTC or aware datetime as an aware one in tz."
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(tz)
