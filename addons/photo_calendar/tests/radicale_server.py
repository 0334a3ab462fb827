"A real CalDAV server for the tests: Radicale on a free port, in a temp dir."
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

USER, PASSWORD = 'anna', 'radicale-secret'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Radicale:
    "start(), new_calendar(), put_event(), delete_event(), stop()."

    def start(self):
        self.directory = tempfile.TemporaryDirectory(prefix='radicale-')
        users = os.path.join(self.directory.name, 'users')
        with open(users, 'w') as file:
            file.write(f'{USER}:{PASSWORD}\n')
        port = free_port()
        self.base = f'http://127.0.0.1:{port}'
        self.process = subprocess.Popen([sys.executable, '-m', 'radicale',
                '--config', '', '--server-hosts', f'127.0.0.1:{port}',
                '--storage-filesystem-folder',
                os.path.join(self.directory.name, 'collections'),
                '--auth-type', 'htpasswd',
                '--auth-htpasswd-filename', users,
                '--auth-htpasswd-encryption', 'plain',
                '--rights-type', 'owner_only'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(('127.0.0.1', port), 0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Radicale did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.directory.cleanup()

    def request(self, method, url, body=None, password=PASSWORD):
        credentials = base64.b64encode(f'{USER}:{password}'.encode()).decode()
        request = urllib.request.Request(url, data=body, method=method,
            headers={'Authorization': f'Basic {credentials}',
                'Content-Type': 'text/calendar; charset=utf-8'})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def new_calendar(self):
        "The URL of a new, empty calendar collection."
        url = f'{self.base}/{USER}/{uuid.uuid4().hex}/'
        self.request('MKCALENDAR', url)
        return url

    def put_event(self, calendar, uid, start, end, summary="Busy",
            extra=''):
        "Add or replace an event (start, end: aware UTC) as another app would."
        fmt = '%Y%m%dT%H%M%SZ'
        body = '\r\n'.join(['BEGIN:VCALENDAR', 'VERSION:2.0',
                'PRODID:-//test//radicale//EN', 'BEGIN:VEVENT', f'UID:{uid}',
                f'DTSTAMP:{start:{fmt}}', f'DTSTART:{start:{fmt}}',
                f'DTEND:{end:{fmt}}', f'SUMMARY:{summary}', *filter(None,
                    [extra]), 'END:VEVENT', 'END:VCALENDAR', ''])
        self.request('PUT', f'{calendar}{uid}.ics', body.encode())

    def delete_event(self, calendar, uid):
        self.request('DELETE', f'{calendar}{uid}.ics')

    def events(self, calendar):
        "{UID: VEVENT} of the calendar, as another app reads it."
        import caldav
        client = caldav.DAVClient(url=calendar, username=USER,
            password=PASSWORD)
        result = {}
        for obj in caldav.Calendar(client=client, url=calendar).search(
                event=True):
            for vevent in obj.icalendar_instance.walk('VEVENT'):
                result[str(vevent['uid'])] = vevent
        return result
