"""The production config (config/trytond-postgresql.conf) as a visitor
meets it: trytond's WSGI application with the configured middlewares.

trytond reads its configuration once per process, so each check runs in a
child process (no database is needed: these answers come before one).

Run: .venv/bin/python -m pytest -q tests/test_production_config.py
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, 'config', 'trytond-postgresql.conf')
# Where the Dockerfile serves sao from (scripts/lib.sh ensure_sao).
WEB_ROOT = os.path.join(ROOT, 'var', 'www')

CHILD = r'''
import json, sys
from werkzeug.test import Client
from trytond.wsgi import app
from trytond.protocols.wrappers import Response
client = Client(app, Response)
method, path, headers, body = json.loads(sys.argv[1])
response = client.open(path, method=method, headers=headers, data=body)
print(json.dumps({'status': response.status_code,
    'headers': dict(response.headers),
    'body': response.get_data(as_text=True)[:500]}))
'''


def request(method, path, headers=None, body=None, **environ):
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    env.update(TRYTOND_CONFIG=CONFIG, TRYTOND_WEB__ROOT=WEB_ROOT, **environ)
    result = subprocess.run(
        [sys.executable, '-c', CHILD,
            json.dumps([method, path, headers or {}, body])],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_list_refused():
    "Anonymous visitors cannot list the databases"
    response = request('POST', '/rpc/', {'Content-Type': 'application/json'},
        json.dumps({'id': 1, 'method': 'common.db.list', 'params': []}))
    assert response['status'] == 403
    assert 'photo' not in response['body']


def test_foreign_origin_is_403_not_500():
    "A request from another site's page is refused with a message"
    response = request('GET', '/photo/photo_booking/api/v1/services',
        {'Origin': 'https://evil.example', 'Host': 'studio.example'})
    assert response['status'] == 403
    assert 'origin' in response['body']


@pytest.mark.parametrize(
    'path', ['/admin/', '/photo/photo_booking/api/v1/services'])
def test_no_framing(path):
    "sao and the API cannot be framed by another site"
    headers = request('GET', path)['headers']
    assert headers['X-Frame-Options'] == 'SAMEORIGIN'
    # sao may frame its own pages; JSON answers are framed by nobody
    assert ("frame-ancestors 'self'" in headers['Content-Security-Policy']
        or "frame-ancestors 'none'" in headers['Content-Security-Policy'])
    assert headers['X-Content-Type-Options'] == 'nosniff'


def test_hsts_behind_tls_proxy():
    "Behind a TLS proxy, num_proxies makes responses ask for HTTPS only"
    forwarded = {'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '1.2.3.4'}
    assert 'Strict-Transport-Security' not in request(
        'GET', '/admin/', forwarded)['headers']
    headers = request('GET', '/admin/', forwarded,
        TRYTOND_WEB__NUM_PROXIES='1')['headers']
    assert headers['Strict-Transport-Security'].startswith('max-age=')


def test_sessions_expire():
    """Back-office sessions end after an hour idle and 12 hours in all;
    portal sessions after 14 days idle; staff sign in with a second factor"""
    import configparser
    for name in ['trytond-postgresql.conf', 'trytond.conf']:
        parser = configparser.ConfigParser()
        parser.read(os.path.join(ROOT, 'config', name))
        session = parser['session']
        assert int(session['timeout']) <= 3600, name
        assert int(session['max_age']) <= 12 * 3600, name
        assert int(session['web_timeout']) <= 14 * 24 * 3600, name
        assert session['authentications'] == 'password+totp', name
