"""The installable app: web manifest, offline page, service worker, static
files and the 404 page for any other path."""
import json

from werkzeug.utils import send_from_directory

from trytond.protocols.wrappers import Response, exceptions
from trytond.wsgi import app

from .web import SECURITY_HEADERS, STATIC, render, route


@route('/manifest.webmanifest')
def manifest(visit, pool):
    _ = visit.gettext
    data = {
        'name': _("Photo studio booking"),
        'short_name': _("Photo booking"),
        'lang': visit.lang,
        'start_url': '/?source=pwa',
        'scope': '/',
        'display': 'standalone',
        'background_color': '#ffffff',
        'theme_color': '#1f2937',
        'icons': [
            {'src': '/static/icons/icon-192.png', 'sizes': '192x192',
                'type': 'image/png'},
            {'src': '/static/icons/icon-512.png', 'sizes': '512x512',
                'type': 'image/png', 'purpose': 'any maskable'},
            {'src': '/static/icons/icon.svg', 'sizes': 'any',
                'type': 'image/svg+xml'},
            ],
        }
    response = Response(json.dumps(data, ensure_ascii=False),
        mimetype='application/manifest+json')
    response.headers['Cache-Control'] = 'public, max-age=3600'
    return response


@route('/offline')
def offline(visit, pool):
    return render(visit, 'offline.html')


@route('/<path:path>', methods=('GET',))
def not_found(visit, pool, path):
    """Any other address (a mistyped one, '/book/'): the portal's 404 page
    rather than the JSON-RPC routes' bare 405. Every real page has its own,
    more specific route."""
    raise exceptions.NotFound()


def static_response(request, path, extra_headers=None, root=STATIC):
    "A file of root (this module's static/ by default), or NotFound."
    response = send_from_directory(
        root, path, request.environ, max_age=300, conditional=True)
    if path.endswith('.js'):
        response.mimetype = 'text/javascript'
    for key, value in (extra_headers or {}).items():
        response.headers[key] = value
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def static_files(prefix, root=STATIC):
    """Serve the files of root (a module's static/) at prefix/<path>: files,
    not pages, so no visit and no transaction."""
    def serve(request, path):
        try:
            return static_response(request, path, root=root)
        except exceptions.NotFound as e:
            return e
    app.route(f'{prefix}/<path:path>', methods=['GET'])(serve)


def _service_worker(request):
    return static_response(request, 'sw.js', {
            'Service-Worker-Allowed': '/', 'Cache-Control': 'no-cache'})


def _favicon(request):
    return static_response(request, 'icons/favicon.ico', {
            'Cache-Control': 'public, max-age=86400'})


# Files, not pages: no visit, no transaction.
static_files('/static')
app.route('/favicon.ico', methods=['GET'])(_favicon)
app.route('/sw.js', methods=['GET'])(_service_worker)
