"""The headers every response gets from wsgi.SecurityHeaders (OWASP ASVS
L1 14.4), on a bare WSGI application: no database needed."""
import unittest

from werkzeug.test import Client
from werkzeug.wrappers import Response

from trytond.modules.photo_portal.wsgi import SecurityHeaders


def app_answering(content_type, **headers):
    def app(environ, start_response):
        return Response('{}', content_type=content_type, headers=headers)(
            environ, start_response)
    return Client(SecurityHeaders(app), Response)


class SecurityHeadersTestCase(unittest.TestCase):

    def test_json_loads_and_frames_nothing(self):
        "JSON answers: no framing, no content, no referrer, no sniffing"
        response = app_answering('application/json').get('/api')
        self.assertEqual(response.headers['Content-Security-Policy'],
            "default-src 'none'; frame-ancestors 'none'")
        self.assertEqual(response.headers['Referrer-Policy'], 'same-origin')
        self.assertEqual(
            response.headers['X-Content-Type-Options'], 'nosniff')
        self.assertNotIn('Cache-Control', response.headers)
        self.assertNotIn('Strict-Transport-Security', response.headers)

    def test_signed_json_not_cached(self):
        "What answers a request with credentials stays out of caches"
        response = app_answering('application/json').get(
            '/api', headers={'Authorization': 'Bearer token'})
        self.assertEqual(response.headers['Cache-Control'], 'no-store')

    def test_own_headers_kept(self):
        "A response's own CSP and caching are not overridden"
        response = app_answering('application/json',
            **{'Cache-Control': 'max-age=60',
                'Content-Security-Policy': "default-src 'self'"}).get(
            '/api', headers={'Authorization': 'Bearer token'})
        self.assertEqual(response.headers['Cache-Control'], 'max-age=60')
        self.assertEqual(
            response.headers['Content-Security-Policy'], "default-src 'self'")

    def test_html_framed_by_itself_only(self):
        "sao's pages may frame each other, other sites may not"
        response = app_answering('text/html').get('/admin/')
        self.assertEqual(response.headers['X-Frame-Options'], 'SAMEORIGIN')
        self.assertIn("frame-ancestors 'self'",
            response.headers['Content-Security-Policy'])
        self.assertEqual(response.headers['Referrer-Policy'], 'same-origin')

    def test_hsts_over_https(self):
        "HTTPS answers ask for HTTPS only"
        response = app_answering('text/html').get(
            '/admin/', base_url='https://studio.example/')
        self.assertTrue(response.headers[
                'Strict-Transport-Security'].startswith('max-age='))


class SaoUnderAdminTestCase(unittest.TestCase):

    def test_session_cookie_for_sao_and_its_bus(self):
        """sao's login under /admin/ gets the session cookie for its calls
        (/admin/demo) and for trytond's bus it listens to (/demo/bus), no
        wider; another cookie only moves under /admin/"""
        from trytond.protocols.wrappers import add_auth_cookies

        from trytond.modules.photo_portal.wsgi import SaoUnderAdmin

        def app(environ, start_response):
            self.assertEqual(environ['PATH_INFO'], '/demo/session/login')
            response = Response('[1, "http://studio.example/"]',
                content_type='application/json')
            add_auth_cookies(response, 'demo', 'anna', '1', 'token')
            response.set_cookie('other', 'x', path='/demo')
            return response(environ, start_response)
        response = Client(SaoUnderAdmin(app), Response).post(
            '/admin/demo/session/login')
        cookies = sorted(
            (value.split('=', 1)[0], value.split('Path=')[1].split(';')[0])
            for value in response.headers.getlist('Set-Cookie'))
        self.assertEqual(cookies, [
                ('other', '/admin/demo'),
                ('tryton_session', '/admin/demo'),
                ('tryton_session', '/demo/bus'),
                ])
