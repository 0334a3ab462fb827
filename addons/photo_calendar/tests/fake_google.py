"""A local Google: the OAuth 2.0 endpoints (consent, token) and the part of
Calendar API v3 the suite uses, as Google documents their wire format.

- discovery: GET /discovery/{api}/{version}/rest serves the client library's
  own bundled document (googleapiclient/discovery_cache/documents/
  calendar.v3.json) with its rootUrl pointing here, so the real
  google-api-python-client builds its requests from it;
- GET /o/oauth2/auth: the consent page of a signed-in account that allows
  access: a 302 to redirect_uri?code=…&state=… (PKCE challenge kept);
- POST /token: authorization_code (PKCE S256 checked) and refresh_token
  grants; a revoked refresh token answers 400 invalid_grant;
- events: list (timeMin/timeMax, syncToken — 410 fullSyncRequired once
  expired —, pageToken, maxResults, showDeleted), get, insert (409 for a
  taken id), patch, update, delete (a deleted event stays as cancelled, as in
  Google), watch; channels.stop. A stale or revoked access token answers
  401. Push channel messages are recorded (`messages`) with the headers
  Google would POST, for the test to deliver.

Single events only (no recurrence), one process, state in memory.
"""
import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

CLIENT_ID = 'photo-studio.apps.googleusercontent.com'
CLIENT_SECRET = 'fake-client-secret'
SCOPE = 'https://www.googleapis.com/auth/calendar.events'
EVENT_ID = re.compile(r'^[a-v0-9]{5,1024}$')
RFC3339 = '%Y-%m-%dT%H:%M:%S.000Z'


def discovery_document(root):
    "The client library's calendar v3 document, rooted at root."
    import googleapiclient
    path = (Path(googleapiclient.__file__).parent / 'discovery_cache'
        / 'documents' / 'calendar.v3.json')
    document = json.loads(path.read_text())
    document['rootUrl'] = root
    document['mtlsRootUrl'] = root
    document['baseUrl'] = root + document['servicePath']
    document['basePath'] = '/' + document['servicePath']
    return document


def _error(code, message, reason, status=None, domain='global'):
    return code, {'error': {'code': code, 'message': message,
            'errors': [{'domain': domain, 'reason': reason,
                    'message': message}],
            **({'status': status} if status else {})}}


def _instant(value):
    "An aware instant of an event time {dateTime|date} or an RFC 3339 text."
    if isinstance(value, dict):
        if 'dateTime' in value:
            return dt.datetime.fromisoformat(value['dateTime'])
        return dt.datetime.combine(dt.date.fromisoformat(value['date']),
            dt.time(), dt.timezone.utc)
    return dt.datetime.fromisoformat(value)


class Calendar:
    def __init__(self):
        self.events = {}   # id: event (dict, as the API shows it)
        self.version = 0   # raised by every change
        self.changed = {}  # id: version of its last change


class FakeGoogle:
    "start(), grant(), consent(), add_event(), revoke(), stop()."

    def __init__(self):
        self.lock = threading.RLock()
        self.calendars = {}       # (account, calendar id): Calendar
        self.codes = {}           # code: {account, redirect_uri, challenge}
        self.refresh_tokens = {}  # token: account
        self.access_tokens = {}   # token: account
        self.sync_tokens = {}     # token: (account, calendar id, version)
        self.page_tokens = {}     # token: (query, offset)
        self.channels = {}        # id: channel
        self.messages = []        # push messages Google would POST
        self.requests = []        # (method, path, query) of each API call
        self.fail = []            # statuses to answer the next API calls

    # --- test side --------------------------------------------------------

    def start(self):
        fake = self

        class Handler(_Handler):
            google = fake
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.base = f'http://127.0.0.1:{self.server.server_port}'
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def settings(self):
        "The [photo_calendar] keys that point the suite here."
        return {
            'google_client_id': CLIENT_ID,
            'google_client_secret': CLIENT_SECRET,
            'google_auth_uri': f'{self.base}/o/oauth2/auth',
            'google_token_uri': f'{self.base}/token',
            'google_discovery_url':
            f'{self.base}/discovery/{{api}}/{{apiVersion}}/rest',
            }

    def grant(self, account):
        "A refresh token of account, as a finished consent gives."
        token = '1//' + secrets.token_urlsafe(32)
        with self.lock:
            self.refresh_tokens[token] = account
        return token

    def consent(self, url, account):
        """Open Google's consent url as account's browser would and allow:
        the URL Google sends the browser back to."""
        import http.client
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        connection.request('GET', parts.path + '?' + parts.query,
            headers={'Cookie': f'account={account}'})
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 302:
            raise AssertionError(f"consent answered {response.status}")
        return response.getheader('Location')

    def calendar(self, account, calendar_id='primary'):
        with self.lock:
            return self.calendars.setdefault(
                (account, calendar_id), Calendar())

    def add_event(self, account, start, end, calendar_id='primary',
            event_id=None, summary="Busy", **extra):
        """Add or replace an event as another app would (start, end: aware
        datetimes, or dates for an all-day event). Returns its id."""
        def time(value):
            if isinstance(value, dt.datetime):
                return {'dateTime': value.isoformat()}
            return {'date': value.isoformat()}
        event_id = event_id or secrets.token_hex(10)
        with self.lock:
            self._store(account, calendar_id, {
                    'id': event_id, 'status': 'confirmed',
                    'summary': summary, 'start': time(start),
                    'end': time(end), **extra})
        return event_id

    def delete_event(self, account, event_id, calendar_id='primary'):
        with self.lock:
            event = dict(self.calendar(account, calendar_id).events[event_id])
            event['status'] = 'cancelled'
            self._store(account, calendar_id, event)

    def events(self, account, calendar_id='primary'):
        "{id: event} of the calendar, cancelled ones included."
        with self.lock:
            return {i: dict(e) for i, e in
                self.calendar(account, calendar_id).events.items()}

    def revoke(self, account):
        "The account withdraws the access it gave (myaccount.google.com)."
        with self.lock:
            for tokens in [self.refresh_tokens, self.access_tokens]:
                for token, owner in list(tokens.items()):
                    if owner == account:
                        del tokens[token]

    def expire_sync_tokens(self):
        "Google drops every sync token: the next incremental sync gets 410."
        with self.lock:
            self.sync_tokens.clear()

    # --- the server's state -----------------------------------------------

    def _store(self, account, calendar_id, event):
        calendar = self.calendar(account, calendar_id)
        calendar.version += 1
        now = dt.datetime.now(dt.timezone.utc)
        event['kind'] = 'calendar#event'
        event['etag'] = f'"{calendar.version}"'
        event['updated'] = now.strftime(RFC3339)
        event.setdefault('created', event['updated'])
        event.setdefault('iCalUID', f"{event['id']}@google.com")
        event.setdefault('sequence', 0)
        calendar.events[event['id']] = event
        calendar.changed[event['id']] = calendar.version
        for channel in self.channels.values():
            if channel['calendar'] == (account, calendar_id):
                self._tell(channel, 'exists')
        return event

    def _tell(self, channel, state):
        "Record the message Google POSTs to a channel's address."
        channel['number'] += 1
        self.messages.append((channel['address'], {
                    'X-Goog-Channel-ID': channel['id'],
                    'X-Goog-Channel-Token': channel['token'],
                    'X-Goog-Channel-Expiration': channel['expires'],
                    'X-Goog-Resource-ID': channel['resource'],
                    'X-Goog-Resource-URI': channel['uri'],
                    'X-Goog-Resource-State': state,
                    'X-Goog-Message-Number': str(channel['number']),
                    }))

    # --- OAuth ------------------------------------------------------------

    def authorize(self, query, account):
        if query.get('client_id') != CLIENT_ID:
            return 400, {'error': 'invalid_client'}
        if query.get('response_type') != 'code' or not account:
            return 400, {'error': 'invalid_request'}
        if SCOPE not in query.get('scope', '').split():
            return 400, {'error': 'invalid_scope'}
        code = '4/' + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {'account': account,
                'redirect_uri': query.get('redirect_uri'),
                'challenge': query.get('code_challenge'),
                'method': query.get('code_challenge_method'),
                'offline': query.get('access_type') == 'offline'}
        location = query['redirect_uri'] + '?' + urlencode({
                'state': query.get('state', ''), 'code': code,
                'scope': SCOPE})
        return 302, location

    def token(self, form, basic):
        client_id = form.get('client_id') or basic[0]
        client_secret = form.get('client_secret') or basic[1]
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {'error': 'invalid_client',
                'error_description': 'Unauthorized'}
        grant = form.get('grant_type')
        with self.lock:
            if grant == 'authorization_code':
                asked = self.codes.pop(form.get('code'), None)
                if (not asked
                        or asked['redirect_uri'] != form.get('redirect_uri')):
                    return 400, {'error': 'invalid_grant',
                        'error_description': 'Malformed auth code.'}
                verifier = form.get('code_verifier') or ''
                challenge = base64.urlsafe_b64encode(hashlib.sha256(
                        verifier.encode()).digest()).decode().rstrip('=')
                if asked['challenge'] and (asked['method'] != 'S256'
                        or challenge != asked['challenge']):
                    return 400, {'error': 'invalid_grant',
                        'error_description': 'Invalid code verifier.'}
                account = asked['account']
                refresh = self.grant(account) if asked['offline'] else None
            elif grant == 'refresh_token':
                refresh = None
                account = self.refresh_tokens.get(form.get('refresh_token'))
                if not account:
                    return 400, {'error': 'invalid_grant',
                        'error_description':
                        'Token has been expired or revoked.'}
            else:
                return 400, {'error': 'unsupported_grant_type'}
            access = 'ya29.' + secrets.token_urlsafe(32)
            self.access_tokens[access] = account
        answer = {'access_token': access, 'expires_in': 3599,
            'scope': SCOPE, 'token_type': 'Bearer'}
        if refresh:
            answer['refresh_token'] = refresh
        return 200, answer

    # --- Calendar v3 ------------------------------------------------------

    def api(self, method, path, query, body, authorization):
        with self.lock:
            self.requests.append((method, path, query))
            if self.fail:
                status = self.fail.pop(0)
                return _error(status, 'Backend Error', 'backendError')
            account = self.access_tokens.get(
                authorization.removeprefix('Bearer '))
            if not account:
                return _error(401, 'Request had invalid authentication '
                    'credentials.', 'authError', 'UNAUTHENTICATED')
            parts = [unquote(p) for p in path.split('/')[3:]]
            if parts == ['channels', 'stop'] and method == 'POST':
                return self.stop_channel(body)
            if len(parts) < 3 or parts[0] != 'calendars' \
                    or parts[2] != 'events':
                return _error(404, 'Not Found', 'notFound')
            calendar_id = parts[1]
            rest = parts[3:]
            if not rest and method == 'GET':
                return self.list(account, calendar_id, query)
            if not rest and method == 'POST':
                return self.insert(account, calendar_id, body)
            if rest == ['watch'] and method == 'POST':
                return self.watch(account, calendar_id, body, path)
            if len(rest) == 1:
                return self.one(account, calendar_id, rest[0], method, body)
            return _error(404, 'Not Found', 'notFound')

    def list(self, account, calendar_id, query):
        calendar = self.calendar(account, calendar_id)
        page = query.get('pageToken')
        if page:
            if page not in self.page_tokens:
                return _error(400, 'Invalid page token', 'invalid')
            query, offset = self.page_tokens.pop(page)
        else:
            offset = 0
        sync = query.get('syncToken')
        if sync:
            if {'timeMin', 'timeMax', 'q', 'iCalUID'} & set(query):
                return _error(400, 'Sync token cannot be used with other '
                    'filters.', 'invalid')
            known = self.sync_tokens.get(sync)
            if not known or known[:2] != (account, calendar_id):
                return _error(410, 'Sync token is no longer valid, a full '
                    'sync is required.', 'fullSyncRequired',
                    domain='calendar')
            items = [e for i, e in calendar.events.items()
                if calendar.changed[i] > known[2]]
        else:
            low = _instant(query['timeMin']) if 'timeMin' in query else None
            high = _instant(query['timeMax']) if 'timeMax' in query else None
            deleted = query.get('showDeleted') == 'true'
            items = [e for e in calendar.events.values()
                if (deleted or e['status'] != 'cancelled')
                and (low is None or _instant(e['end']) > low)
                and (high is None or _instant(e['start']) < high)]
        items.sort(key=lambda e: (_instant(e['start']), e['id']))
        size = min(int(query.get('maxResults', 250)), 2500)
        answer = {'kind': 'calendar#events', 'summary': account,
            'updated': dt.datetime.now(dt.timezone.utc).strftime(RFC3339),
            'timeZone': 'UTC', 'accessRole': 'owner',
            'items': [dict(e) for e in items[offset:offset + size]]}
        if offset + size < len(items):
            token = secrets.token_urlsafe(16)
            self.page_tokens[token] = (query, offset + size)
            answer['nextPageToken'] = token
        else:
            token = secrets.token_urlsafe(16)
            self.sync_tokens[token] = (account, calendar_id, calendar.version)
            answer['nextSyncToken'] = token
        return 200, answer

    def insert(self, account, calendar_id, body):
        calendar = self.calendar(account, calendar_id)
        event_id = body.get('id') or secrets.token_hex(13)
        if not EVENT_ID.match(event_id):
            return _error(400, 'Invalid resource id value.', 'invalid')
        if event_id in calendar.events:
            return _error(409, 'The requested identifier already exists.',
                'duplicate')
        if 'start' not in body or 'end' not in body:
            return _error(400, 'Missing end time.', 'required')
        event = {**body, 'id': event_id}
        event.setdefault('status', 'confirmed')
        return 200, self._store(account, calendar_id, event)

    def one(self, account, calendar_id, event_id, method, body):
        calendar = self.calendar(account, calendar_id)
        event = calendar.events.get(event_id)
        if event is None:
            return _error(404, 'Not Found', 'notFound')
        if method == 'GET':
            return 200, dict(event)
        if method == 'DELETE':
            if event['status'] == 'cancelled':
                return _error(410, 'Resource has been deleted', 'deleted')
            self._store(account, calendar_id,
                {**event, 'status': 'cancelled'})
            return 204, None
        if method in {'PATCH', 'PUT'}:
            if body.get('sequence', event['sequence']) < event['sequence']:
                return _error(400, 'Invalid sequence value. The specified '
                    'sequence number is below the current sequence number '
                    'of the resource.', 'invalidSequenceValue')
            changed = ({**event, **body} if method == 'PATCH'
                else {**body, 'id': event_id})
            changed['id'] = event_id
            changed.setdefault('status', 'confirmed')
            return 200, self._store(account, calendar_id, changed)
        return _error(405, 'Method Not Allowed', 'methodNotAllowed')

    def watch(self, account, calendar_id, body, path):
        if body.get('type') not in {'web_hook', 'webhook'} \
                or not body.get('address') or not body.get('id'):
            return _error(400, 'Invalid channel.', 'invalid')
        if body['id'] in self.channels:
            return _error(400, 'Channel id not unique.',
                'channelIdNotUnique')
        ttl = int(body.get('params', {}).get('ttl', 604800))
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(
            seconds=min(ttl, 2592000))
        channel = {'id': body['id'], 'token': body.get('token', ''),
            'address': body['address'], 'calendar': (account, calendar_id),
            'resource': secrets.token_urlsafe(20), 'number': 0,
            'uri': f'{self.base}{path[:-len("/watch")]}?alt=json',
            'expires': expires.strftime('%a, %d %b %Y %H:%M:%S GMT'),
            'expiration': str(int(expires.timestamp() * 1000))}
        self.channels[channel['id']] = channel
        # Google's first message on a channel says it is open.
        self._tell(channel, 'sync')
        return 200, {'kind': 'api#channel', 'id': channel['id'],
            'resourceId': channel['resource'],
            'resourceUri': channel['uri'], 'token': channel['token'],
            'expiration': channel['expiration']}

    def stop_channel(self, body):
        channel = self.channels.get(body.get('id'))
        if not channel or channel['resource'] != body.get('resourceId'):
            return _error(404, 'Channel not found.', 'notFound')
        del self.channels[channel['id']]
        return 204, None


class _Handler(BaseHTTPRequestHandler):
    google = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _answer(self, status, payload, location=None):
        body = b'' if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if location:
            self.send_header('Location', location)
        if payload is not None:
            self.send_header('Content-Type',
                'application/json; charset=UTF-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def _route(self, method):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = self._body()
        google = self.google
        if method == 'GET' and parts.path.startswith('/discovery/'):
            _, _, api, version, _ = parts.path.split('/')
            if (api, version) != ('calendar', 'v3'):
                return self._answer(*_error(404, 'Not Found', 'notFound'))
            return self._answer(200, discovery_document(google.base + '/'))
        if method == 'GET' and parts.path == '/o/oauth2/auth':
            cookie = self.headers.get('Cookie', '')
            account = cookie.partition('account=')[2] or None
            status, answer = google.authorize(query, account)
            if status == 302:
                return self._answer(302, None, location=answer)
            return self._answer(status, answer)
        if method == 'POST' and parts.path == '/token':
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            basic = ('', '')
            authorization = self.headers.get('Authorization', '')
            if authorization.startswith('Basic '):
                user, _, password = base64.b64decode(
                    authorization[6:]).decode().partition(':')
                basic = (unquote(user), unquote(password))
            return self._answer(*google.token(form, basic))
        if parts.path.startswith('/calendar/v3/'):
            try:
                payload = json.loads(body) if body else {}
            except ValueError:
                return self._answer(*_error(400, 'Parse Error', 'parseError'))
            return self._answer(*google.api(method, parts.path, query,
                    payload, self.headers.get('Authorization', '')))
        return self._answer(*_error(404, 'Not Found', 'notFound'))

    def do_GET(self):
        self._route('GET')

    def do_POST(self):
        self._route('POST')

    def do_PATCH(self):
        self._route('PATCH')

    def do_PUT(self):
        self._route('PUT')

    def do_DELETE(self):
        self._route('DELETE')


