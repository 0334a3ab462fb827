"""The OpenAPI 3.0 document of the JSON API, as a plain dict.

tests/test_openapi.py checks that its paths and methods are exactly the
routes registered under /photo_booking/api/v1, and that it is valid.
"""
import copy
from functools import lru_cache

from .api import LANGUAGES, MAX_RANGE_DAYS

TITLE = "Photo booking API"
VERSION = '1.0.0'
SERVER = '/{database_name}/photo_booking/api/v1'


def ref(name, kind='schemas'):
    return {'$ref': f'#/components/{kind}/{name}'}


def array(schema):
    return {'type': 'array', 'items': schema}


def null(schema):
    "schema, also accepting null (an enum must list it, OpenAPI 3.0.3)."
    schema = {**schema, 'nullable': True}
    if 'enum' in schema:
        schema['enum'] = [*schema['enum'], None]
    return schema


def obj(properties, required=(), nullable=(), **extra):
    properties = {
        k: (null(v) if k in nullable else v)
        for k, v in properties.items()}
    schema = {'type': 'object', 'properties': properties}
    if required:
        schema['required'] = list(required)
    schema.update(extra)
    return schema


ID = {'type': 'integer', 'minimum': 1}
TEXT = {'type': 'string'}
MONEY = {
    'type': 'string', 'pattern': r'^-?\d+\.\d{2}$', 'example': '5000.00',
    'description': "A decimal amount, with the currency code beside it."}
CURRENCY = {'type': 'string', 'example': 'RUB'}
INSTANT = {
    'type': 'string', 'format': 'date-time',
    'example': '2030-05-01T10:00:00+03:00',
    'description': "ISO 8601 with its offset, in the studio's time zone."}
DATE = {'type': 'string', 'format': 'date', 'example': '2030-05-01'}
STATE = {
    'type': 'string',
    'enum': ['hold', 'requested', 'confirmed', 'done', 'no_show',
        'cancelled']}
NAMED = obj({'id': ID, 'name': TEXT}, required=['id', 'name'])
ON_REQUEST = {'nullable': True}

SCHEMAS = {
    'Error': obj({
            'error': {**TEXT, 'description': "A message for the client."},
            'field': {**TEXT, 'description': "The request field at fault."},
            }, required=['error']),
    'Slot': obj({
            'start': INSTANT, 'end': INSTANT,
            'photographer': ID, 'room': {**ID, **ON_REQUEST},
            }, required=['start', 'end', 'photographer', 'room']),
    'SlotTaken': obj({
            'error': TEXT, 'detail': TEXT,
            'alternatives': array(ref('Slot')),
            }, required=['error', 'alternatives']),
    'Quote': obj({
            'fee': MONEY, 'refund': MONEY, 'currency': CURRENCY,
            }, required=['fee', 'refund', 'currency']),
    'FeeRequired': obj({
            'error': TEXT, 'field': TEXT, 'quote': ref('Quote'),
            }, required=['error', 'quote']),
    'Service': obj({
            'id': ID, 'name': TEXT,
            'kind': {'type': 'string', 'enum': ['service', 'package']},
            'description': TEXT,
            'duration_minutes': {'type': 'integer'},
            'price': MONEY, 'currency': CURRENCY,
            'prepayment_percent': {'type': 'string', 'example': '30.00'},
            'needs_room': {'type': 'boolean'},
            }, required=['id', 'name', 'kind', 'duration_minutes', 'price',
            'currency', 'prepayment_percent', 'needs_room'],
        nullable=['description']),
    'Photographer': obj({
            'id': ID, 'name': TEXT, 'bio': TEXT,
            'rating': {'type': 'string', 'example': '4.80'},
            'review_count': {'type': 'integer'},
            'studios': array(ID),
            'services': array(obj({
                        'service': ID, 'price': MONEY,
                        }, required=['service', 'price'])),
            'on_location': {'type': 'boolean'},
            }, required=['id', 'name', 'rating', 'review_count', 'studios',
            'services', 'on_location'],
        nullable=['bio', 'rating']),
    'Studio': obj({
            'id': ID, 'name': TEXT, 'address': TEXT, 'city': TEXT,
            'latitude': {'type': 'string'}, 'longitude': {'type': 'string'},
            'timezone': {**TEXT, 'example': 'Europe/Moscow'},
            'rooms': array(obj({
                        'id': ID, 'name': TEXT,
                        'area': {'type': 'integer', 'nullable': True},
                        }, required=['id', 'name'])),
            'equipment': array(obj({
                        'id': ID, 'name': TEXT, 'kind': TEXT,
                        'quantity': {'type': 'integer'},
                        'unit_price': {**MONEY, 'nullable': True},
                        }, required=['id', 'name', 'kind', 'quantity'])),
            }, required=['id', 'name', 'timezone', 'rooms', 'equipment'],
        nullable=['city', 'latitude', 'longitude']),
    'Availability': obj({
            'timezone': TEXT,
            'slots': array(ref('Slot')),
            'next_available': {
                **DATE, 'nullable': True,
                'description': "The first later day with a slot, given "
                "only when the period has none."},
            }, required=['timezone', 'slots', 'next_available']),
    'Booking': obj({
            'token': {**TEXT, 'description': "The booking's public id."},
            'number': TEXT, 'state': STATE,
            'start': INSTANT, 'end': INSTANT, 'timezone': TEXT,
            'hold_expires': INSTANT,
            'price': MONEY, 'currency': CURRENCY,
            'service': NAMED, 'photographer': NAMED,
            'studio': NAMED, 'room': NAMED,
            'location': TEXT, 'notes': TEXT,
            'cancelled_by': TEXT, 'cancellation_fee': MONEY,
            }, required=['token', 'number', 'state', 'start', 'end',
            'timezone', 'price', 'currency', 'service', 'photographer'],
        nullable=['hold_expires', 'studio', 'room', 'location', 'notes',
            'cancelled_by', 'cancellation_fee']),
    'HistoryEntry': obj({
            'date': INSTANT, 'from_state': STATE, 'to_state': STATE,
            'old_start': INSTANT, 'new_start': INSTANT,
            }, required=['date', 'to_state'],
        nullable=['from_state', 'old_start', 'new_start']),
    'BookingWithHistory': {'allOf': [
            ref('Booking'),
            obj({'history': array(ref('HistoryEntry'))},
                required=['history'])]},
    'CancelledBooking': {'allOf': [
            ref('Booking'), obj({'quote': ref('Quote')}, required=['quote'])]},
    'StaffBooking': {'allOf': [
            ref('Booking'),
            obj({
                    'client': obj({
                            'name': TEXT, 'email': TEXT, 'phone': TEXT,
                            }, required=['name'], nullable=['email', 'phone']),
                    'source': {
                        'type': 'string',
                        'enum': ['web', 'telegram', 'backoffice', 'api']},
                    }, required=['client', 'source'])]},
    'HoldRequest': obj({
            'service': ID,
            'studio': {**ID, 'description': "Omit for an on-location shoot."},
            'photographer': {
                'oneOf': [ID, {'type': 'string', 'enum': ['any']}],
                'description': "Omit or \"any\" for the first one free."},
            'start': INSTANT,
            'location': {**TEXT, 'description': "Address on location."},
            'client': obj({
                    'name': TEXT, 'email': {**TEXT, 'format': 'email'},
                    'phone': TEXT,
                    }, required=['name', 'email'],
                description="Optional for a signed-in client with a party."),
            'notes': TEXT,
            'source': {'type': 'string', 'enum': ['web', 'telegram', 'api']},
            'consent': {
                'type': 'boolean',
                'description': "The client agrees to the processing of "
                "their personal data (the portal's consent page): required "
                "true without a session, and recorded with the booking."},
            'altcha': {
                **TEXT, 'description': "The proof of work a 403 asked for: "
                "the ALTCHA payload (base64 of the JSON `algorithm`, "
                "`challenge`, `number`, `salt`, `signature`) solving a "
                "challenge of GET /challenge; each is accepted once."},
            'captcha': {
                **TEXT, 'description': "Instead of `altcha`, where the "
                "server is configured for one: the token of a reCAPTCHA "
                "v3, Turnstile or Yandex SmartCaptcha widget."},
            }, required=['service', 'start']),
    'Challenge': obj({
            'algorithm': {'type': 'string', 'enum': ['SHA-256']},
            'challenge': TEXT,
            'maxnumber': {'type': 'integer'},
            'salt': TEXT,
            'signature': TEXT,
            }, required=['algorithm', 'challenge', 'maxnumber', 'salt',
            'signature'],
        description="An ALTCHA proof-of-work challenge: find the number n "
        "(0..maxnumber) whose SHA-256 of salt + n (decimal) is challenge, "
        "and send back the payload with it. The salt ends with its expiry "
        "(`?expires=<unix time>&`)."),
    'ProofRequired': obj({
            'error': TEXT,
            'proof': {'type': 'string', 'enum': ['altcha']},
            'challenge': ref('Challenge'),
            }, required=['error', 'proof', 'challenge']),
    'CancelRequest': obj({
            'reason': TEXT,
            'accept_fee': {
                'type': 'boolean', 'default': False,
                'description': "Accept the fee of a late cancellation."},
            }),
    'RescheduleRequest': obj({
            'start': INSTANT, 'photographer': ID,
            }, required=['start']),
    'SessionRequest': obj({
            'email': {**TEXT, 'format': 'email'},
            'password': {**TEXT, 'format': 'password'},
            'device': {**TEXT, 'description': "The `device` of a past "
                "sign-in: others' wrong passwords do not lock it out."},
            }, required=['email', 'password']),
    'Session': obj({
            'session': TEXT,
            'device': {**TEXT, 'description': "Send it with the next "
                "sign-in from this device."},
            }, required=['session', 'device']),
    }


def error(description, schema='Error'):
    return {
        'description': description,
        'content': {'application/json': {'schema': ref(schema)}},
        }


RETRY_AFTER = {'Retry-After': {
        'schema': {'type': 'integer', 'minimum': 1},
        'description': "Seconds to wait."}}

RESPONSES = {
    'BadRequest': error(
        "Malformed JSON, a missing or invalid field (named in `field`)."),
    'Unauthorized': error("Missing, unknown or expired credentials."),
    'NotFound': error("No booking has this token."),
    'Conflict': error("The booking's state does not allow this."),
    'SlotTaken': {
        'description': "The time is no longer available (`alternatives` "
        "lists the next free slots), or the booking's state does not allow "
        "this.",
        'content': {'application/json': {'schema': {
                    'anyOf': [ref('SlotTaken'), ref('Error')]}}}},
    'Gone': error("The hold expired: choose a time again."),
    'Unprocessable': error("The request breaks a business rule."),
    'ProofRequired': error(
        "This address, contact or device made several holds lately: the "
        "next one needs a proof of work (`altcha`, solving `challenge`).",
        'ProofRequired'),
    'ProofInvalid': {
        'description': "A proof of work that is wrong, expired or already "
        "used (a new `challenge` is given), or a business rule broken.",
        'content': {'application/json': {'schema': {
                    'anyOf': [ref('ProofRequired'), ref('Error')]}}}},
    'TooManyRequests': {
        **error("Too many requests from this address, sign-in attempts "
            "for this account, or holds made or open for this address, "
            "contact or device: wait `Retry-After` seconds."),
        'headers': RETRY_AFTER,
        },
    'ServiceUnavailable': {
        **error("The database stayed busy after the request was retried, "
            "or gave it no connection within the server's bound "
            "(`[photo_booking] connection_wait`): send it again after "
            "`Retry-After` seconds (with the same `Idempotency-Key`, if "
            "any)."),
        'headers': RETRY_AFTER,
        },
    }

PARAMETERS = {
    'AcceptLanguage': {
        'name': 'Accept-Language', 'in': 'header', 'required': False,
        'schema': {'type': 'string', 'example': 'en'},
        'description': "Language of messages and names: "
        f"{', '.join(LANGUAGES)} (Russian by default)."},
    'Token': {
        'name': 'token', 'in': 'path', 'required': True,
        'schema': {'type': 'string'},
        'description': "The booking's public token."},
    'IdempotencyKey': {
        'name': 'Idempotency-Key', 'in': 'header', 'required': False,
        'schema': {'type': 'string', 'minLength': 1, 'maxLength': 255,
            'pattern': '^[!-~]+$', 'example': 'a3f1c2d4-hold-42'},
        'description': "A key of the client's choice (a UUID) naming this "
        "request. Sent again within 24 hours with the same body, the "
        "request is not done again: the first answer is returned as it "
        "was, with the header `Idempotent-Replayed: true`. The same key "
        "with another body is a 422. Answers with errors are not kept: "
        "nothing was done, so the request can be sent again."},
    'DeviceId': {
        'name': 'X-Device-Id', 'in': 'header', 'required': False,
        'schema': {'type': 'string', 'maxLength': 200},
        'description': "An id the app keeps for its install: holds are "
        "also limited per device."},
    'From': {
        'name': 'from', 'in': 'query', 'required': False, 'schema': DATE,
        'description': "First day (local); today by default."},
    'To': {
        'name': 'to', 'in': 'query', 'required': False, 'schema': DATE,
        'description': "Last day (local), `from` by default (the staff "
        f"list: a week); the period is at most {MAX_RANGE_DAYS} days long."},
    }


def ok(description, schema, status='200'):
    return {status: {
            'description': description,
            'content': {'application/json': {'schema': schema}},
            }}


def operation(operation_id, summary, responses, errors=(), parameters=(),
        body=None, security=None, tags=('booking',)):
    result = {
        'operationId': operation_id,
        'summary': summary,
        'tags': list(tags),
        'parameters': [ref('AcceptLanguage', 'parameters'), *parameters],
        'responses': {
            **responses,
            **{status: ref(name, 'responses') for status, name in errors},
            '503': ref('ServiceUnavailable', 'responses'),
            },
        }
    if body:
        result['requestBody'] = {
            'required': True,
            'content': {'application/json': {'schema': ref(body)}},
            }
    if security is not None:
        result['security'] = security
    return result


BAD_REQUEST = ('400', 'BadRequest')
UNAUTHORIZED = ('401', 'Unauthorized')
NOT_FOUND = ('404', 'NotFound')
CONFLICT = ('409', 'Conflict')
SLOT_TAKEN = ('409', 'SlotTaken')
GONE = ('410', 'Gone')
UNPROCESSABLE = ('422', 'Unprocessable')
PROOF_REQUIRED = ('403', 'ProofRequired')
PROOF_INVALID = ('422', 'ProofInvalid')
TOO_MANY = ('429', 'TooManyRequests')
TOKEN = ref('Token', 'parameters')
IDEMPOTENCY_KEY = ref('IdempotencyKey', 'parameters')
WEB_SESSION = [{'webSession': []}]


def query(name, description, schema=ID, required=False):
    return {
        'name': name, 'in': 'query', 'required': required,
        'schema': schema, 'description': description}


PATHS = {
    '/services': {'get': operation(
            'listServices', "Services and packages on offer",
            ok("The services", array(ref('Service'))),
            tags=['catalogue'])},
    '/photographers': {'get': operation(
            'listPhotographers', "Photographers, their studios and prices",
            ok("The photographers", array(ref('Photographer'))),
            tags=['catalogue'])},
    '/studios': {'get': operation(
            'listStudios', "Studios with their rooms and equipment",
            ok("The studios", array(ref('Studio'))),
            tags=['catalogue'])},
    '/availability': {'get': operation(
            'getAvailability', "Free start times of a service",
            ok("The free slots", ref('Availability')), [BAD_REQUEST],
            parameters=[
                query('service', "The service", required=True),
                query('studio', "The studio; omit for on location."),
                query('photographer', "A photographer's id or `any`.",
                    {'oneOf': [ID, {'type': 'string', 'enum': ['any']}]}),
                ref('From', 'parameters'), ref('To', 'parameters')],
            tags=['catalogue'])},
    '/holds': {'post': operation(
            'createHold', "Hold a free time for a client",
            ok("The held booking", ref('Booking'), '201'),
            [BAD_REQUEST, UNAUTHORIZED, PROOF_REQUIRED, SLOT_TAKEN,
                PROOF_INVALID, TOO_MANY],
            parameters=[IDEMPOTENCY_KEY, ref('DeviceId', 'parameters')],
            body='HoldRequest', security=[{}, *WEB_SESSION])},
    '/challenge': {'get': operation(
            'getChallenge', "A proof-of-work challenge for the next hold",
            ok("A fresh ALTCHA challenge, valid for minutes",
                ref('Challenge')))},
    '/bookings/{token}': {'get': operation(
            'getBooking', "A booking and its history",
            ok("The booking", ref('BookingWithHistory')), [NOT_FOUND],
            parameters=[TOKEN])},
    '/bookings/{token}/confirm': {'post': operation(
            'confirmBooking',
            "Confirm a hold (a request for manual photographers)",
            ok("The booking", ref('Booking')),
            [BAD_REQUEST, NOT_FOUND, CONFLICT, GONE, UNPROCESSABLE, TOO_MANY],
            parameters=[TOKEN, IDEMPOTENCY_KEY])},
    '/bookings/{token}/cancellation': {'get': operation(
            'quoteCancellation', "What cancelling now would cost",
            ok("The quote", ref('Quote')), [NOT_FOUND, CONFLICT],
            parameters=[TOKEN])},
    '/bookings/{token}/cancel': {'post': operation(
            'cancelBooking', "Cancel, accepting the fee of a late one",
            {**ok("The cancelled booking", ref('CancelledBooking')),
                '409': {
                    'description': "A fee applies and `accept_fee` is not "
                    "true, or the booking can no longer be cancelled.",
                    'content': {'application/json': {
                            'schema': {'anyOf': [
                                    ref('FeeRequired'), ref('Error')]}}}}},
            [BAD_REQUEST, NOT_FOUND, UNPROCESSABLE, TOO_MANY],
            parameters=[TOKEN, IDEMPOTENCY_KEY], body='CancelRequest')},
    '/bookings/{token}/reschedule': {'post': operation(
            'rescheduleBooking', "Move a booking to another time",
            ok("The moved booking", ref('Booking')),
            [BAD_REQUEST, NOT_FOUND, SLOT_TAKEN, UNPROCESSABLE, TOO_MANY],
            parameters=[TOKEN, IDEMPOTENCY_KEY], body='RescheduleRequest')},
    '/session': {
        'post': operation(
            'signIn', "Open a portal session",
            ok("The session key, sent as `Authorization: Bearer <key>`",
                ref('Session')),
            [BAD_REQUEST, UNAUTHORIZED, TOO_MANY],
            body='SessionRequest', tags=['account']),
        'delete': operation(
            'signOut', "Close the portal session",
            {'204': {'description': "Signed out"}}, [UNAUTHORIZED, TOO_MANY],
            security=WEB_SESSION, tags=['account']),
        },
    '/me/bookings': {'get': operation(
            'listMyBookings', "The signed-in client's bookings",
            ok("The bookings, newest first", array(ref('Booking'))),
            [UNAUTHORIZED], security=WEB_SESSION, tags=['account'])},
    '/staff/bookings': {'get': operation(
            'listStaffBookings',
            "Bookings of the period: a photographer's own, else all",
            ok("The bookings", array(ref('StaffBooking'))),
            [BAD_REQUEST, UNAUTHORIZED],
            parameters=[ref('From', 'parameters'), ref('To', 'parameters')],
            security=[{'applicationKey': []}], tags=['staff'])},
    '/openapi.json': {'get': operation(
            'getOpenAPI', "This document",
            ok("The OpenAPI 3 document", {'type': 'object'}),
            tags=['meta'])},
    }


@lru_cache(maxsize=8)
def _document(server):
    if server is None:
        server = {
            'url': SERVER,
            'variables': {'database_name': {'default': 'tryton'}},
            }
    else:
        server = {'url': server}
    return {
        'openapi': '3.0.3',
        'info': {
            'title': TITLE,
            'version': VERSION,
            'description': (
                "JSON API of the photo-shoot booking suite for the web "
                "portal, the Telegram bot and mobile apps. Instants are "
                "ISO 8601 with their offset, amounts are decimal strings "
                "beside a currency code, and bookings are addressed by "
                "their opaque token. Errors are `{\"error\": message}`, "
                "with `field` for invalid input."),
            },
        'servers': [server],
        'tags': [
            {'name': 'catalogue'}, {'name': 'booking'}, {'name': 'account'},
            {'name': 'staff'}, {'name': 'meta'}],
        'paths': PATHS,
        'components': {
            'schemas': SCHEMAS,
            'responses': RESPONSES,
            'parameters': PARAMETERS,
            'securitySchemes': {
                'webSession': {
                    'type': 'http', 'scheme': 'bearer',
                    'description': "A portal session key from POST /session."},
                'applicationKey': {
                    'type': 'http', 'scheme': 'bearer',
                    'description': "A Tryton user application key for the "
                    "'photo_booking' application."},
                },
            },
        }


def document(server=None, booking_extras=None, paths=None):
    """The OpenAPI document; server is the API's base URL
    (default: templated on the database name). booking_extras: {key:
    schema} of what activated modules add to a booking (Booking.api_extras,
    described by Booking.api_extras_schema); paths: {path: path item} of
    the routes they add (Booking.api_paths)."""
    doc = copy.deepcopy(_document(server))
    doc['components']['schemas']['Booking']['properties'].update(
        copy.deepcopy(booking_extras or {}))
    doc['paths'].update(copy.deepcopy(paths or {}))
    return doc
