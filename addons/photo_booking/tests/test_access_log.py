"The access log keeps capability tokens out (plain functions, gunicorn)."
import datetime as dt
import io
import logging
import unittest
import uuid
from types import SimpleNamespace

from gunicorn.config import Config

from trytond.modules.photo_booking.access_log import (
    RedactingLogger, RedactTokens, redact)

TOKEN = uuid.uuid4().hex


class AccessLogTestCase(unittest.TestCase):
    "Access log redaction"

    def test_redact(self):
        "Tokens in paths and queries are replaced, the rest is kept"
        for url in [f'/booking/{TOKEN}', f'/booking/{TOKEN}.ics',
                f'/book/details/{TOKEN}?lang=en',
                f'/demo/photo_booking/api/v1/bookings/{TOKEN}/cancel',
                f'/account/reset/confirm?email=a%40b.c&token={TOKEN[:20]}',
                f'/account/verify?token={TOKEN}&lang=ru']:
            with self.subTest(url=url):
                self.assertNotIn(TOKEN[:20], redact(url))
                self.assertIn('[redacted]', redact(url))
        self.assertEqual(redact('/book?service=5&studio=2&day=2026-12-06'),
            '/book?service=5&studio=2&day=2026-12-06')
        self.assertIn('lang=en', redact(f'/book/details/{TOKEN}?lang=en'))

    def test_gunicorn_access_line(self):
        "gunicorn's access line has neither the token nor the bearer key"
        config = Config()
        config.set('accesslog', '-')
        logger = RedactingLogger(config)
        stream = io.StringIO()
        logger.access_log.handlers = [logging.StreamHandler(stream)]
        path = f'/demo/photo_booking/api/v1/bookings/{TOKEN}'
        environ = {
            'REQUEST_METHOD': 'GET', 'RAW_URI': path, 'PATH_INFO': path,
            'QUERY_STRING': '', 'SERVER_PROTOCOL': 'HTTP/1.1',
            'REMOTE_ADDR': '10.0.0.1',
            'HTTP_REFERER': f'https://studio.example/booking/{TOKEN}'}
        request = SimpleNamespace(headers=[
                ('AUTHORIZATION', f'Bearer {TOKEN}'),
                ('REFERER', environ['HTTP_REFERER'])])
        response = SimpleNamespace(
            status='200 OK', sent=42, headers=[], response_length=42)
        logger.access(response, request, environ, dt.timedelta(seconds=0.01))
        line = stream.getvalue()
        self.assertIn('GET /demo/photo_booking/api/v1/bookings/[redacted]',
            line)
        self.assertIn(' 200 ', line)
        self.assertNotIn(TOKEN, line)

    def test_logging_filter(self):
        "Other handlers can redact their records with the filter"
        record = logging.LogRecord('werkzeug', logging.INFO, __file__, 1,
            '"%s" %s', (f'GET /booking/{TOKEN} HTTP/1.1', 200), None)
        self.assertTrue(RedactTokens().filter(record))
        self.assertEqual(record.getMessage(),
            '"GET /booking/[redacted] HTTP/1.1" 200')
