"Serve Tryton's web client under /admin/ while the portal owns /."

ADMIN_PREFIX = '/admin'


class SaoUnderAdmin:
    """Send sao's calls back to trytond's own routes.

    sao builds its RPC URLs relative to its page ('demo/rpc/', './rpc/'),
    so served from /admin/ it posts to /admin/demo/rpc/. Static files are
    only ever fetched with GET, so every other method loses the prefix.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if (environ['REQUEST_METHOD'] not in {'GET', 'HEAD'}
                and path.startswith(ADMIN_PREFIX + '/')):
            environ['PATH_INFO'] = path[len(ADMIN_PREFIX):]
        return self.app(environ, start_response)
