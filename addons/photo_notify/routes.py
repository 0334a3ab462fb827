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
from trytond.modules.photo_booking.openapi import (
    BAD_REQUEST, TEXT, UNAUTHORIZED, WEB_SESSION, error, obj, ok, operation)

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


def openapi_paths(database_name):
    """The routes above as photo_booking's OpenAPI document shows them
    (Booking.api_paths), under their own prefix."""
    body = {'required': True, 'content': {'application/json': {
                'schema': obj({'token': {
                            **TEXT, 'minLength': 1, 'maxLength': 4096,
                            'description': "The app's FCM registration "
                            "token."}}, required=['token'])}}}
    errors = [BAD_REQUEST, UNAUTHORIZED]
    no_party = {'409': error("The account has no client to notify.")}
    return {'/devices': {
            'servers': [{'url': PREFIX.replace(
                            '<database_name>', database_name)}],
            'post': {**operation('registerDevice',
                    "Send the signed-in client's notifications to this app",
                    {**ok("Registered (again)", obj({'channel': {
                                        **TEXT, 'enum': ['fcm']}},
                                required=['channel']), '201'),
                        **no_party},
                    errors, security=WEB_SESSION, tags=['account']),
                'requestBody': body},
            'delete': {**operation('unregisterDevice',
                    "Send no more notifications to this app",
                    {'204': {'description': "Removed, or not registered"},
                        **no_party},
                    errors, security=WEB_SESSION, tags=['account']),
                'requestBody': body},
            }}
