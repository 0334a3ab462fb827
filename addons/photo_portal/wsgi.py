"""WSGI middlewares: sao under /admin/ (with our custom.js) while the
portal owns /, and the headers and refusals every response needs
(listed in [wsgi middleware])."""
import os
import re

from trytond.protocols.wrappers import TRYTON_SESSION_COOKIE
from werkzeug.exceptions import Forbidden, HTTPException

ADMIN_PREFIX = '/admin'
BUS_COOKIE_PATH = re.compile(r'Path=(/[^;]*)')
# sao loads custom.js and custom.css next to its page: ours fix its
# selection widget, scroll calendars to their working hours and style it.
SAO_CUSTOM = {
    name: (os.path.join(os.path.dirname(__file__), 'static', 'sao', name),
        content_type)
    for name, content_type in [
        ('custom.js', 'text/javascript; charset=utf-8'),
        ('custom.css', 'text/css; charset=utf-8')]}


class SaoUnderAdmin:
    """Send sao's calls back to trytond's own routes.

    sao builds its URLs relative to its page ('demo/rpc/', './rpc/'), so
    served from /admin/ it posts to /admin/demo/rpc/. Static files are only
    ever fetched with GET, so every other method loses the prefix, as do
    the users' avatars (/admin/avatar/…), and the session cookie trytond
    sets for /demo is moved to /admin/demo where the browser will send it
    back. sao listens to trytond's bus at the server's root (/demo/bus: the
    login answers the bus's host, not sao's page), so the session cookie
    is also set for that path alone.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path.startswith(ADMIN_PREFIX + '/custom.'):
            custom = SAO_CUSTOM.get(path[len(ADMIN_PREFIX) + 1:])
            if custom:
                return self.custom_file(*custom, environ, start_response)
        if (not path.startswith(ADMIN_PREFIX + '/')
                or (environ['REQUEST_METHOD'] in {'GET', 'HEAD'}
                    and not path.startswith(ADMIN_PREFIX + '/avatar/'))):
            return self.app(environ, start_response)
        environ['PATH_INFO'] = path[len(ADMIN_PREFIX):]

        def start_admin_response(status, headers, exc_info=None):
            moved = []
            for name, value in headers:
                if name.lower() != 'set-cookie':
                    moved.append((name, value))
                    continue
                moved.append(
                    (name, value.replace('Path=/', f'Path={ADMIN_PREFIX}/')))
                path = BUS_COOKIE_PATH.search(value)
                if value.startswith(TRYTON_SESSION_COOKIE + '=') and path:
                    moved.append((name, value.replace(path.group(0),
                                f'Path={path.group(1).rstrip("/")}/bus')))
            return start_response(status, moved, exc_info)
        return self.app(environ, start_admin_response)

    @staticmethod
    def custom_file(file_path, content_type, environ, start_response):
        with open(file_path, 'rb') as f:
            body = f.read()
        start_response('200 OK', [
                ('Content-Type', content_type),
                ('Content-Length', str(len(body))),
                ('Cache-Control', 'no-cache'),
                ])
        return [b''] if environ['REQUEST_METHOD'] == 'HEAD' else [body]


class SecurityHeaders:
    """No framing by other sites and no sniffing for every response (sao's
    /admin/ and the API included; the portal sets a stricter CSP itself),
    HSTS over HTTPS, and a 403 for a foreign Origin.

    HTTPS is known from the request's scheme: behind a TLS proxy that needs
    `[web] num_proxies`, whose ProxyFix runs inside this middleware. trytond
    refuses a foreign Origin by raising Forbidden outside its own error
    handling, which gunicorn would answer with a 500.
    """
    # sao frames its own documents (sandboxed iframes, <object> for PDF):
    # other sites may not frame it, its own pages may.
    HEADERS = {
        'X-Frame-Options': 'SAMEORIGIN',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "frame-ancestors 'self'; base-uri 'self'",
        'Referrer-Policy': 'same-origin',
        }
    # JSON (the API, sao's RPC) is no document: it loads nothing, frames
    # nothing, and what answers a signed request stays out of caches.
    JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
    HSTS = 'max-age=31536000; includeSubDomains'

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start_secured_response(status, headers, exc_info=None):
            present = {name.lower(): value for name, value in headers}
            extra = dict(self.HEADERS)
            if present.get('content-type', '').startswith(
                    'application/json'):
                extra['Content-Security-Policy'] = self.JSON_CSP
                if environ.get('HTTP_AUTHORIZATION'):
                    extra['Cache-Control'] = 'no-store'
            headers = headers + [(name, value)
                for name, value in extra.items()
                if name.lower() not in present]
            if environ.get('wsgi.url_scheme') == 'https':
                headers.append(('Strict-Transport-Security', self.HSTS))
            return start_response(status, headers, exc_info)
        try:
            return self.app(environ, start_secured_response)
        except Forbidden:
            return Forbidden(
                "Requests from this origin are not allowed.")(
                environ, start_secured_response)
        except HTTPException as e:
            return e(environ, start_secured_response)
