"""scripts/mailcatcher.py, the demo's mail catcher: what trytond sends over
SMTP shows on its page, escaped, newest first."""
import socket
import smtplib
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / 'scripts' / 'mailcatcher.py'


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def mail(subject, body):
    message = EmailMessage()
    message['From'] = 'studio@localhost'
    message['To'] = 'anna@example.com'
    message['Subject'] = subject
    message.set_content(body)
    return message


def test_caught_mails_show_on_the_page():
    smtp_port, http_port = free_port(), free_port()
    catcher = subprocess.Popen([sys.executable, str(SCRIPT),
            '--host', '127.0.0.1', '--smtp-port', str(smtp_port),
            '--http-port', str(http_port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                page = urllib.request.urlopen(
                    f'http://127.0.0.1:{http_port}/').read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "catcher did not start"
                time.sleep(0.1)
        assert 'No mail yet.' in page
        with smtplib.SMTP('127.0.0.1', smtp_port) as server:
            server.send_message(mail("Запись B00001 подтверждена",
                    "Ждём вас 12.12 в 10:00.\n<b>Студия</b>"))
            server.send_message(mail("Second", "Link: /account/verify?t=1"))
        page = urllib.request.urlopen(
            f'http://127.0.0.1:{http_port}/').read().decode()
        assert 'Mails caught by the demo (2)' in page
        assert page.index('Second') < page.index('Запись B00001 подтверждена')
        assert 'Ждём вас 12.12 в 10:00.' in page
        assert '&lt;b&gt;Студия&lt;/b&gt;' in page
        assert 'To: anna@example.com' in page
    finally:
        catcher.terminate()
        catcher.wait(10)

