"""What the local fakes of HTTP providers share: a threaded server on a
loopback port (a free one unless given), started and stopped as a context
manager."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    "Quiet; answer() writes a JSON body (or none)."

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length)

    def answer(self, status, data=None, headers=()):
        payload = (json.dumps(data, ensure_ascii=False).encode()
            if data is not None else b'')
        self.send_response(status)
        if data is not None:
            self.send_header('Content-Type',
                'application/json; charset=utf-8')
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeHTTPService:
    """Subclasses give _handler(), the request handler class, and keep what
    they received in a list named by `received_list` (for wait)."""
    received_list = 'sent'

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(
            ('127.0.0.1', port), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True)

    @property
    def origin(self):
        host, port = self._server.server_address
        return f'http://{host}:{port}'

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def wait(self, count, timeout=5):
        "What was received, once count items are (or after timeout s)."
        deadline = time.monotonic() + timeout
        received = getattr(self, self.received_list)
        while len(received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return received

    def _handler(self):
        raise NotImplementedError
