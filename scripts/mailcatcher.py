#!/usr/bin/env python3
"""The demo's mail catcher: an SMTP server that delivers nothing and keeps
every mail it receives, and a small page that shows them, newest first.

    python scripts/mailcatcher.py --smtp-port 8025 --http-port 8026

scripts/run starts it and points trytond's [email] uri at it, so the
portal's confirmations, email validations and password resets of the demo
can be read at http://localhost:8026/. Mails are kept in memory only.
"""
import argparse
import html
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class Mailbox:
    "The mails caught so far, as parsed messages (thread-safe)."

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []

    def add(self, data):
        message = message_from_bytes(data, policy=policy.default)
        with self._lock:
            self._messages.append(message)

    def messages(self):
        with self._lock:
            return list(reversed(self._messages))

    async def handle_DATA(self, server, session, envelope):
        self.add(envelope.original_content or envelope.content)
        return '250 OK: caught'


def body_text(message):
    part = message.get_body(preferencelist=('plain', 'html'))
    return part.get_content() if part is not None else ''


def render(messages):
    "The page listing messages (parsed mails), all of it escaped."
    items = []
    for message in messages:
        items.append(
            '<article><h2>{subject}</h2><p class="meta">{to} · {sender} · '
            '{date}</p><pre>{body}</pre></article>'.format(**{
                    key: html.escape(str(value or '')) for key, value in {
                        'subject': message['Subject'],
                        'to': 'To: %s' % message['To'],
                        'sender': 'From: %s' % message['From'],
                        'date': message['Date'],
                        'body': body_text(message),
                        }.items()}))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="refresh" content="10">'
        '<title>Demo mails (%d)</title><style>'
        'body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;'
        'margin:1rem auto;padding:0 1rem;color:#1f2937}'
        'article{border:1px solid #d1d5db;border-radius:.5rem;'
        'padding:.5rem 1rem;margin:1rem 0}h2{margin:.25rem 0;font-size:1.1rem}'
        '.meta{color:#6b7280;margin:0}pre{white-space:pre-wrap;'
        'font:inherit}</style></head><body>'
        '<h1>Mails caught by the demo (%d)</h1>'
        '<p class="meta">Nothing leaves this machine: the demo sends its '
        'mails here. The page reloads every 10 seconds.</p>%s%s'
        '</body></html>' % (
            len(messages), len(messages), ''.join(items),
            '' if items else '<p>No mail yet.</p>'))


def make_http_server(mailbox, host, port):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split('?')[0] != '/':
                self.send_error(404)
                return
            body = render(mailbox.messages()).encode('utf-8')
            self.send_response(200)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.send_header('Content-Length', str(len(body)))
            self.send_header('Cache-Control', 'no-store')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass
    return ThreadingHTTPServer((host, port), Handler)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--smtp-port', type=int, default=8025)
    parser.add_argument('--http-port', type=int, default=8026)
    args = parser.parse_args()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname=args.host, port=args.smtp_port)
    smtp.start()
    server = make_http_server(mailbox, args.host, args.http_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        smtp.stop()


if __name__ == '__main__':
    main()
