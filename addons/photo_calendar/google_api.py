"""Talking to a photographer's Google Calendar: no trytond import.

Through Google's own client libraries — google-auth-oauthlib for the consent
(authorization code with PKCE), google-auth for the refresh token,
google-api-python-client for Calendar v3 — so the code that runs in
production is the code the tests drive against their fake server (only the
addresses differ: `Settings`).

Every failure comes out as a remote.CalendarError of a kind, as for CalDAV:
a revoked or refused token is 'auth', a 429 or rate-limit 403 'quota', a 5xx
'server', a slow answer 'timeout', no answer 'network'. A stale sync token
(410 Gone) is no failure: the changes are read again in full.
"""
import datetime as dt
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google.oauth2.credentials
import google_auth_httplib2
import httplib2
from google_auth_oauthlib.flow import Flow
from googleapiclient import discovery
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from .remote import CalendarError, RemoteBusy, instant

TIMEOUT = 20  # seconds for one request
# Read and write the events of the photographer's calendars: nothing else.
SCOPES = ['https://www.googleapis.com/auth/calendar.events']
AUTH_URI = 'https://accounts.google.com/o/oauth2/auth'
TOKEN_URI = 'https://oauth2.googleapis.com/token'
PAGE_SIZE = 250
# Marks the events we push, so they are never pulled back as busy time.
OWN = 'photoBooking'
QUOTA_REASONS = frozenset({'rateLimitExceeded', 'userRateLimitExceeded',
        'quotaExceeded', 'dailyLimitExceeded'})


@dataclass(frozen=True)
class Settings:
    """The OAuth client of the studio (Google Cloud console) and Google's
    addresses; discovery_url None: the client library's bundled document."""
    client_id: str
    client_secret: str
    auth_uri: str = AUTH_URI
    token_uri: str = TOKEN_URI
    discovery_url: str | None = None


@dataclass
class Changes:
    """What events.list said: full, the calendar's whole busy time of the
    window (busy); else only what changed: busy spans new or changed, and the
    external ids of events gone (deleted, cancelled, made free, moved out of
    the window). token: the next sync token."""
    full: bool
    token: str
    busy: list = field(default_factory=list)
    gone: set = field(default_factory=set)


class _Stale(Exception):
    "The sync token is no longer valid (410 Gone): read everything again."


def _flow(settings, redirect_uri, verifier, state=None):
    return Flow.from_client_config({'web': {
                'client_id': settings.client_id,
                'client_secret': settings.client_secret,
                'auth_uri': settings.auth_uri,
                'token_uri': settings.token_uri,
                }}, scopes=SCOPES, redirect_uri=redirect_uri,
        code_verifier=verifier, state=state)


def authorization_url(settings, redirect_uri, state, verifier):
    """The URL of Google's consent page: offline access (a refresh token),
    asked again each time so a new token comes back, PKCE S256 of verifier,
    state to match the answer with its request."""
    url, _ = _flow(settings, redirect_uri, verifier, state).authorization_url(
        access_type='offline', prompt='consent',
        include_granted_scopes='true', state=state)
    return url


def exchange_code(settings, redirect_uri, code, verifier):
    "The refresh token the authorization code gives (with its PKCE verifier)."
    flow = _flow(settings, redirect_uri, verifier)
    try:
        flow.fetch_token(code=code, timeout=TIMEOUT)
    except OAuth2Error as e:
        raise CalendarError('auth', str(e)[:500]) from e
    except (OSError, ValueError) as e:
        raise CalendarError('network', str(e)[:500]) from e
    token = flow.credentials.refresh_token
    if not token:
        raise CalendarError('auth', "Google gave no refresh token")
    return token


def _reason(e):
    try:
        return {d.get('reason') for d in e.error_details or ()
            if isinstance(d, dict)}
    except (AttributeError, TypeError):
        return set()


@contextmanager
def _errors():
    try:
        yield
    except HttpError as e:
        status = e.resp.status
        detail = f'{status} {e.reason}'[:500]
        if status == 401:
            raise CalendarError('auth', detail) from e
        if status == 429 or (status == 403 and _reason(e) & QUOTA_REASONS):
            raise CalendarError('quota', detail) from e
        if status == 403:
            raise CalendarError('auth', detail) from e
        raise CalendarError('server', detail) from e
    except google.auth.exceptions.RefreshError as e:
        # invalid_grant: the photographer revoked the access, or it expired
        raise CalendarError('auth', str(e)[:500]) from e
    except (socket.timeout, TimeoutError) as e:
        raise CalendarError('timeout', str(e)[:500]) from e
    except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error,
            OSError) as e:
        raise CalendarError('network', str(e)[:500]) from e
    except ValueError as e:  # an answer that is not what Calendar v3 says
        raise CalendarError('server', str(e)[:500]) from e


class Google:
    "One Google calendar (calendar_id) of the account of refresh_token."

    def __init__(self, settings, refresh_token, calendar_id='primary',
            timeout=TIMEOUT):
        self.settings = settings
        self.calendar_id = calendar_id or 'primary'
        self.credentials = google.oauth2.credentials.Credentials(
            None, refresh_token=refresh_token,
            token_uri=settings.token_uri, client_id=settings.client_id,
            client_secret=settings.client_secret, scopes=SCOPES)
        self.timeout = timeout
        self._service = None

    @property
    def service(self):
        if self._service is None:
            http = google_auth_httplib2.AuthorizedHttp(self.credentials,
                http=httplib2.Http(timeout=self.timeout))
            if self.settings.discovery_url:
                kwargs = {'discoveryServiceUrl': self.settings.discovery_url,
                    'static_discovery': False}
            else:
                kwargs = {'static_discovery': True}
            with _errors():
                self._service = discovery.build('calendar', 'v3', http=http,
                    cache_discovery=False, **kwargs)
        return self._service

    def changes(self, sync_token, start, end, timezone, details=False):
        """Changes since sync_token (None: everything of [start, end)); a
        stale token (410 Gone) reads everything again. Recurring events come
        as their instances; titles are kept only with details, and never
        those of private events."""
        zone = ZoneInfo(timezone)
        if sync_token:
            try:
                return self._list(sync_token, start, end, zone, details)
            except _Stale:
                pass
        return self._list(None, start, end, zone, details)

    def _list(self, sync_token, start, end, zone, details):
        result = Changes(full=not sync_token, token=None)
        params = {'calendarId': self.calendar_id, 'maxResults': PAGE_SIZE,
            'singleEvents': True}
        if sync_token:
            params['syncToken'] = sync_token
        else:
            params['timeMin'] = start.isoformat()
            params['timeMax'] = end.isoformat()
        page = None
        while True:
            with _errors():
                try:
                    response = self.service.events().list(
                        pageToken=page, **params).execute()
                except HttpError as e:
                    if sync_token and e.resp.status == 410:
                        raise _Stale() from e
                    raise
            for item in response.get('items', []):
                span = _span(item, zone, details)
                if span and span.end > start and span.start < end:
                    result.busy.append(span)
                else:
                    result.gone.add(item['id'])
            page = response.get('nextPageToken')
            if not page:
                result.token = response.get('nextSyncToken')
                return result

    def put(self, event_id, body):
        """Create or update the event event_id (a deleted one comes back);
        a cancellation of an event Google never had is dropped."""
        with _errors():
            events = self.service.events()
            try:
                events.patch(calendarId=self.calendar_id, eventId=event_id,
                    body=body).execute()
            except HttpError as e:
                if e.resp.status not in {404, 410}:
                    raise
                if body.get('status') != 'cancelled':
                    events.insert(calendarId=self.calendar_id,
                        body={**body, 'id': event_id}).execute()

    def delete(self, event_id):
        "Remove the event event_id if it is there."
        with _errors():
            try:
                self.service.events().delete(calendarId=self.calendar_id,
                    eventId=event_id).execute()
            except HttpError as e:
                if e.resp.status not in {404, 410}:
                    raise

    def watch(self, channel_id, token, address, ttl):
        """Ask Google to POST to address when the events change: (resource
        id, expiry as an aware instant)."""
        with _errors():
            response = self.service.events().watch(
                calendarId=self.calendar_id, body={
                    'id': channel_id, 'type': 'web_hook',
                    'address': address, 'token': token,
                    'params': {'ttl': str(int(ttl.total_seconds()))},
                    }).execute()
        expiration = response.get('expiration')
        expires = (dt.datetime.fromtimestamp(int(expiration) / 1000,
                dt.timezone.utc) if expiration
            else dt.datetime.now(dt.timezone.utc) + ttl)
        return response['resourceId'], expires

    def stop(self, channel_id, resource_id):
        "Close a push channel; one already gone is no error."
        with _errors():
            try:
                self.service.channels().stop(body={
                        'id': channel_id, 'resourceId': resource_id,
                        }).execute()
            except HttpError as e:
                if e.resp.status != 404:
                    raise


def _time(value, zone):
    "An aware UTC instant of an event's start or end {dateTime|date}."
    if 'dateTime' in value:
        return instant(dt.datetime.fromisoformat(value['dateTime']), zone)
    return instant(dt.date.fromisoformat(value['date']), zone)


def _span(item, zone, details):
    "The busy span of an events.list item, or None when it takes no time."
    if (item.get('status') == 'cancelled'
            or item.get('transparency') == 'transparent'
            or OWN in item.get('extendedProperties', {}).get('private', {})
            or 'start' not in item or 'end' not in item):
        return None
    start, end = _time(item['start'], zone), _time(item['end'], zone)
    if end <= start:
        return None
    summary = ''
    if details and item.get('visibility') not in {'private', 'confidential'}:
        summary = item.get('summary', '')[:200]
    return RemoteBusy(item['id'], start, end, summary)


STATUS = {'TENTATIVE': 'tentative', 'CONFIRMED': 'confirmed',
    'CANCELLED': 'cancelled'}


def event_body(event):
    """The Calendar v3 event of an ics.FeedEvent: the same iCalendar UID and
    SEQUENCE as the feed's, in its own time zone."""
    zone = ZoneInfo(event.timezone)
    return {
        'iCalUID': event.uid,
        'sequence': event.sequence,
        'status': STATUS[event.status],
        'summary': event.summary,
        'location': event.location,
        'description': event.description,
        'start': {'dateTime': event.start.astimezone(zone).isoformat(),
            'timeZone': event.timezone},
        'end': {'dateTime': event.end.astimezone(zone).isoformat(),
            'timeZone': event.timezone},
        'transparency': ('transparent' if event.status == 'CANCELLED'
            else 'opaque'),
        'extendedProperties': {'private': {OWN: '1'}},
        'reminders': {'useDefault': False},
        }
