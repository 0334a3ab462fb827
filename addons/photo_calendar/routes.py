"""The public ICS feed route: the URL's secret token says whose feed."""
from http import HTTPStatus

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

FEED_MODELS = ('photo.photographer', 'photo.studio.room')


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
