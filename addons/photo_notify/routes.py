"""The native app registers its FCM token for the signed-in client:

    POST   /<db>/photo_notify/api/v1/devices  {"token": "..."}  → 201
    DELETE /<db>/photo_notify/api/v1/devices  {"token": "..."}  → 204

with the portal session as `Authorization: Bearer <key>` (photo_booking's
API session)."""
from http import HTTPStatus

from werkzeug.exceptions import NotFound

from trytond.i18n import gettext
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from trytond.modules.photo_booking import api
from trytond.modules.photo_booking.api import ApiError, json_api, localised
from trytond.modules.photo_booking.booking import serialised

PREFIX = '/<database_name>/photo_notify/api/v1'


def _client(pool, request):
    "The signed-in web user and their party, or 401/404."
    try:
        pool.get('photo.notification.device')
    except KeyError:
        raise NotFound()
    user = api.web_user(pool, request)
    if not user.party:
        raise ApiError(HTTPStatus.CONFLICT,
            gettext('photo_notify.msg_device_no_party'))
    return user


@app.route(f'{PREFIX}/devices', methods=['POST'])
@with_pool
@json_api
@with_transaction()
@localised
@serialised
def register_device(request, pool):
    Device = pool.get('photo.notification.device')
    user = _client(pool, request)
    token = api.json_body(request).get('token')
    Device.register_token(user.party, token, web_user=user)
    return {'channel': 'fcm'}, HTTPStatus.CREATED


@app.route(f'{PREFIX}/devices', methods=['DELETE'])
@with_pool
@json_api
@with_transaction()
@localised
@serialised
def unregister_device(request, pool):
    Device = pool.get('photo.notification.device')
    user = _client(pool, request)
    token = api.json_body(request).get('token')
    Device.unsubscribe(user.party, token)
    return None, HTTPStatus.NO_CONTENT
