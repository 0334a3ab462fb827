"Serve Tryton's web client under /admin/ while the portal owns /."
import os

ADMIN_PREFIX = '/admin'
# sao loads custom.js next to its page: ours fixes its selection widget
# and scrolls calendars to their working hours
CUSTOM_JS = os.path.join(os.path.dirname(__file__), 'static', 'sao',
    'custom.js')


class SaoUnderAdmin:
    """Send sao's calls back to trytond's own routes.

    sao builds its URLs relative to its page ('demo/rpc/', './rpc/'), so
    served from /admin/ it posts to /admin/demo/rpc/. Static files are only
    ever fetched with GET, so every other method loses the prefix, and the
    session cookie trytond sets for /demo is moved to /admin/demo where the
    browser will send it back.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path == ADMIN_PREFIX + '/custom.js':
            return self.custom_js(environ, start_response)
        if (environ['REQUEST_METHOD'] in {'GET', 'HEAD'}
                or not path.startswith(ADMIN_PREFIX + '/')):
            return self.app(environ, start_response)
        environ['PATH_INFO'] = path[len(ADMIN_PREFIX):]

        def start_admin_response(status, headers, exc_info=None):
            headers = [
                (name, value.replace('Path=/', f'Path={ADMIN_PREFIX}/'))
                if name.lower() == 'set-cookie' else (name, value)
                for name, value in headers]
            return start_response(status, headers, exc_info)
        return self.app(environ, start_admin_response)

    @staticmethod
    def custom_js(environ, start_response):
        with open(CUSTOM_JS, 'rb') as f:
            body = f.read()
        start_response('200 OK', [
                ('Content-Type', 'text/javascript; charset=utf-8'),
                ('Content-Length', str(len(body))),
                ('Cache-Control', 'no-cache'),
                ])
        return [b''] if environ['REQUEST_METHOD'] == 'HEAD' else [body]
