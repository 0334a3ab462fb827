"""Chat delivery latency between a client in the portal and a
photographer in the back office, over HTTP as their pages do it.

    .venv/bin/python -m bench.chat [--messages 100] [--quick]

PostgreSQL, gunicorn with 2 workers (one held by the photographer's long
poll), `[bus] allow_subscribe = True`:

- client → photographer: the client posts in the portal (POST …/chat, as
  chat.js does); the photographer's sao listens on Tryton's bus (a
  long-polling POST /<db>/bus on the booking's chat channel, as Sao.Bus
  does). Latency: from the start of the client's POST to the bus answer
  carrying the message. Goal (issue 18): p95 ≤ 1 s.
- photographer → client: Anna posts through JSON-RPC
  (model.ir.chat.channel.post, sao's Send); the client's page polls
  …/chat/messages?after= every 500 ms (chat.js). Latency: from the start of
  the post to the poll answer carrying it.

Every answer is checked: the message that arrives is the one sent.
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import threading
import time
import uuid
from urllib.parse import urlencode

from bench.common import (
    add_quick_option, database, http_server, percentile, progress, sized,
    summary, verdict)

GOAL_MS = 1000
MESSAGES = sized(100, 10)
POLL_S = 0.5  # chat.js's POLL_MS
CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
PASSWORD = 'Correct-Horse-7-Battery'
STAFF_PASSWORD = 'Bench-Photographer-7-Password'


class Browser:
    "One visitor of the portal: its cookies, one connection per request."

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection('127.0.0.1', self.port, 30)
        headers = dict(headers or {})
        if self.cookies:
            headers['Cookie'] = '; '.join(
                f'{k}={v}' for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == 'set-cookie':
                name, _, rest = value.partition('=')
                self.cookies[name] = rest.split(';', 1)[0]
        connection.close()
        return response.status, data

    def form(self, path, fields, accept='text/html'):
        return self.request('POST', path, urlencode(fields), {
                'Content-Type': 'application/x-www-form-urlencoded',
                'Accept': accept})

    def log_in(self, email, password):
        _, page = self.request('GET', '/account/login')
        csrf = CSRF_RE.search(page.decode()).group(1)
        status, _ = self.form('/account/login', {
                'csrf': csrf, 'email': email, 'password': password})
        assert status == 303, f"portal login answered {status}"


class Staff:
    "sao as the photographer: JSON-RPC with a session, and the bus."

    def __init__(self, port, database, login, password):
        self.port, self.database, self.login = port, database, login
        result = self.rpc('common.db.login',
            [login, {'password': password}, 'en'], auth=False)
        self.user_id, self.session = result[:2]
        token = f'{login}:{self.user_id}:{self.session}'
        self.auth = 'Session ' + base64.b64encode(token.encode()).decode()

    def post(self, path, payload, auth=True, timeout=30):
        connection = http.client.HTTPConnection(
            '127.0.0.1', self.port, timeout)
        headers = {'Content-Type': 'application/json'}
        if auth:
            headers['Authorization'] = self.auth
        connection.request('POST', f'/{self.database}/{path}',
            json.dumps(payload), headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        assert response.status == 200, (response.status, data[:200])
        return json.loads(data)

    def rpc(self, method, params, auth=True):
        answer = self.post('rpc/', {'id': 1, 'method': method,
                'params': params}, auth=auth)
        assert 'error' not in answer, answer
        return answer['result']


def make_world(db):
    """A confirmed booking of web user maria (PASSWORD) with Anna, a
    back-office photographer (STAFF_PASSWORD). Returns ids."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.photo_booking.tests.tools import (
        create_world, portal_booking, staff_users)
    with Transaction().start(db.name, 0) as transaction:
        User = Pool().get('res.user')
        w = create_world()
        staff = staff_users(w)
        anna = staff.photographers[0]
        User.write([anna], {'password': STAFF_PASSWORD})
        _, booking = portal_booking(w, password=PASSWORD, email_valid=True)
        transaction.commit()
        return {'booking': booking.id, 'token': booking.token,
            'anna': anna.login}


def server_environ(db):
    """The server's settings: the portal on db, the bus open, limits out of
    the way of a bench's pace."""
    return {
        'TRYTOND_PHOTO_BOOKING__PORTAL_DATABASE': db.name,
        'TRYTOND_PHOTO_BOOKING__RATE_LIMIT_CHAT': '1000000/60',
        'TRYTOND_PHOTO_BOOKING__RATE_LIMIT_LOGIN': '1000/60',
        'TRYTOND_BUS__ALLOW_SUBSCRIBE': 'True',
        }


def timed_messages(count, prefix, send, arrived, pause):
    """Send count messages (send(text), texts starting with prefix), each
    waited for in arrived (text: when it arrived, filled by a listener)
    for 10 s, then pause() s: (latencies in s, how many were lost)."""
    latencies, lost = [], 0
    for i in range(count):
        text = f"{prefix} {i} {uuid.uuid4().hex[:8]}"
        sent = time.perf_counter()
        send(text)
        deadline = sent + 10
        while text not in arrived and time.perf_counter() < deadline:
            time.sleep(0.002)
        if text in arrived:
            latencies.append(arrived[text] - sent)
        else:
            lost += 1
        time.sleep(pause())
    return latencies, lost


def client_to_photographer(port, db, world, count):
    """Latencies (s) of count messages from the client's portal page to
    the photographer's bus."""
    client = Browser(port)
    client.log_in('maria@example.com', PASSWORD)
    anna = Staff(port, db.name, world['anna'], STAFF_PASSWORD)
    chat = f"/account/booking/{world['token']}/chat"
    channel = f"chat:photo.booking,{world['booking']}"
    arrived = {}
    stop = threading.Event()
    listening = threading.Event()

    def listen():
        last = None
        while not stop.is_set():
            listening.set()
            answer = anna.post('bus', {
                    'channels': [channel], 'last_message': last},
                timeout=120)
            message = answer.get('message')
            if not message:
                continue
            last = message.get('message_id', last)
            if answer.get('channel') == channel:
                content = message['message']['content']
                arrived.setdefault(content, time.perf_counter())
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    listening.wait(10)
    time.sleep(1)  # the first long poll is in place
    _, page = client.request('GET', chat)
    csrf = CSRF_RE.search(page.decode()).group(1)

    def post(text):
        status, _ = client.form(chat, {'csrf': csrf, 'text': text},
            accept='application/json')
        assert status == 201, f"post answered {status}"
    latencies, lost = timed_messages(
        count, 'bench', post, arrived, lambda: 0.2)
    stop.set()
    # The listener's last long poll ends with the next message or its
    # timeout: a last post releases it.
    client.form(chat, {'csrf': csrf, 'text': "bench done"},
        accept='application/json')
    listener.join(15)
    return latencies, lost


def photographer_to_client(port, db, world, count):
    """Latencies (s) of count messages from Anna's sao to the client's
    page polling every POLL_S."""
    client = Browser(port)
    client.log_in('maria@example.com', PASSWORD)
    anna = Staff(port, db.name, world['anna'], STAFF_PASSWORD)
    chat = f"/account/booking/{world['token']}/chat"
    resource = f"photo.booking,{world['booking']}"
    status, data = client.request(
        'GET', f'{chat}/messages?after=0', headers={
            'Accept': 'application/json'})
    last = max([m['id'] for m in json.loads(data)], default=0)
    arrived = {}
    stop = threading.Event()

    def poll():
        nonlocal last
        while not stop.is_set():
            status, data = client.request(
                'GET', f'{chat}/messages?after={last}',
                headers={'Accept': 'application/json'})
            assert status == 200, status
            now = time.perf_counter()
            for message in json.loads(data):
                last = max(last, message['id'])
                arrived.setdefault(message['text'], now)
            stop.wait(POLL_S)
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()

    def post(text):
        anna.rpc('model.ir.chat.channel.post',
            [resource, text, 'public', {}])
    # Posts fall anywhere within the poll's period: a fixed pause would
    # lock them to one phase of it.
    latencies, lost = timed_messages(count, 'reply', post, arrived,
        lambda: random.uniform(0, POLL_S))
    stop.set()
    poller.join(5)
    return latencies, lost


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quick_option(parser)
    parser.add_argument('--messages', type=int, default=MESSAGES)
    args = parser.parse_args()
    with database(modules=('photo_portal', 'photo_chat')) as db:
        world = make_world(db)
        os.environ.update(server_environ(db))
        with http_server(db) as api:
            for label, run in [
                    ("client -> photographer (portal post, sao's bus)",
                        client_to_photographer),
                    ("photographer -> client (sao post, page poll 500 ms)",
                        photographer_to_client),
                    ]:
                progress(f"{label}: {args.messages} messages")
                latencies, lost = run(api.port, db, world, args.messages)
                progress(f"{label}: {summary(latencies)}, lost {lost}")
                verdict(f"chat {label} p95", percentile(latencies, 0.95),
                    goal=GOAL_MS)


if __name__ == '__main__':
    main()
