"""A local SMTP server (aiosmtpd) keeping what it receives as parsed MIME;
recipients starting with 'busy' get a 451, with 'gone' a 550."""
import socket
import time
from email import message_from_bytes, policy


class SMTPServer:
    def __init__(self):
        from aiosmtpd.controller import Controller
        self.messages = []
        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address,
                    options):
                if address.startswith('busy'):
                    return '451 4.3.0 Try again later'
                if address.startswith('gone'):
                    return '550 5.1.1 No such user'
                envelope.rcpt_tos.append(address)
                return '250 OK'

            async def handle_DATA(self, smtp, session, envelope):
                server.messages.append(message_from_bytes(
                        envelope.content, policy=policy.default))
                return '250 OK'
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(
            Handler(), hostname='127.0.0.1', port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def wait(self, count, timeout=5):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages
