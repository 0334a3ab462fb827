"""Public routes: the ICS feeds (the URL's secret token says whose feed),
the answer of Google's consent page, and Google's push channel messages."""
from html import escape
from http import HTTPStatus

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Response

from trytond.i18n import gettext
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from .exceptions import GoogleConnectError

FEED_MODELS = ('photo.photographer', 'photo.studio.room')
# X-Goog-Resource-State of an events.watch channel.
CHANNEL_STATES = frozenset({'sync', 'exists', 'not_exists'})


@app.route('/<database_name>/photo_calendar/feed/<token>.ics',
    methods=['GET'])
@with_pool
@with_transaction()
def feed(request, pool, token):
    for name in FEED_MODELS:
        record = pool.get(name).from_feed_token(token)
        if record:
            break
    else:
        raise NotFound()
    response = Response(record.feed(request.host.split(':')[0]),
        status=HTTPStatus.OK, mimetype='text/calendar')
    response.headers['Content-Type'] = 'text/calendar; charset=utf-8'
    response.headers['Cache-Control'] = 'private, max-age=300'
    return response


def _page(text, status):
    body = ('<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f'<title>Google Calendar</title></head><body><p>{escape(text)}</p>'
        '</body></html>')
    response = Response(body, status=status, mimetype='text/html')
    response.headers['Cache-Control'] = 'no-store'
    return response


@app.route('/<database_name>/photo_calendar/google/oauth', methods=['GET'])
@with_pool
@with_transaction(readonly=False)
def google_oauth(request, pool):
    """Where Google's consent page sends the photographer back: the code is
    exchanged (state and PKCE checked) and the calendar read at once."""
    Calendar = pool.get('photo.calendar')
    try:
        calendar = Calendar.oauth_callback(request.args.get('state'),
            code=request.args.get('code'), error=request.args.get('error'))
    except GoogleConnectError as error:
        # Answered, not raised: the used state stays cleared (committed).
        return _page(error.message, HTTPStatus.BAD_REQUEST)
    return _page(gettext('photo_calendar.msg_google_connected',
            calendar=calendar.name), HTTPStatus.OK)


@app.route('/<database_name>/photo_calendar/google/push', methods=['POST'])
@with_pool
@with_transaction()
def google_push(request, pool):
    """A message of a push channel (events.watch): the channel's token must
    be the one given when it was opened; the calendar is then read."""
    Calendar = pool.get('photo.calendar')
    state = request.headers.get('X-Goog-Resource-State')
    if state not in CHANNEL_STATES:
        raise BadRequest("unknown X-Goog-Resource-State")
    calendar = Calendar.from_channel(
        request.headers.get('X-Goog-Channel-ID'),
        request.headers.get('X-Goog-Channel-Token'),
        request.headers.get('X-Goog-Resource-ID'))
    if not calendar:
        raise NotFound()
    Calendar.channel_message(calendar, state)
    return Response(status=HTTPStatus.OK)
