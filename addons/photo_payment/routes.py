"Gateway webhooks: Stripe events and YooKassa notifications."
import json
import logging

from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, with_pool, with_transaction)
from trytond.wsgi import app

from trytond.modules.photo_booking.booking import serialised

logger = logging.getLogger(__name__)


def _gateway(pool, identifier, kind):
    gateway = pool.get('photo.payment.gateway').from_identifier(
        identifier, kind)
    if not gateway:
        abort(HTTPStatus.NOT_FOUND)
    return gateway


def _response(handled):
    "204 handled or not ours; 404 not known yet, so the gateway retries."
    if handled is False:
        return Response(status=HTTPStatus.NOT_FOUND)
    return Response(status=HTTPStatus.NO_CONTENT)


@app.route(
    '/<database_name>/photo_payment/stripe/<identifier>', methods=['POST'])
@with_pool
@with_transaction(context={'_skip_warnings': True})
@serialised
def stripe_webhook(request, pool, identifier):
    from .payment import WebhookError
    gateway = _gateway(pool, identifier, 'stripe')
    try:
        event = gateway.verify_stripe(
            request.get_data(as_text=True),
            request.headers.get('Stripe-Signature'))
    except WebhookError as e:
        logger.warning("refused Stripe webhook: %s", e)
        abort(HTTPStatus.BAD_REQUEST)
    return _response(gateway.handle_stripe_event(event))


@app.route(
    '/<database_name>/photo_payment/yookassa/<identifier>', methods=['POST'])
@with_pool
@with_transaction(context={'_skip_warnings': True})
@serialised
def yookassa_webhook(request, pool, identifier):
    from .payment import WebhookError
    gateway = _gateway(pool, identifier, 'yookassa')
    if not gateway.yookassa_trusts(request.remote_addr):
        logger.warning(
            "refused YooKassa notification from %s", request.remote_addr)
        abort(HTTPStatus.FORBIDDEN)
    try:
        notification = json.loads(request.get_data(as_text=True))
        handled = gateway.handle_yookassa(notification)
    except (ValueError, WebhookError) as e:
        logger.warning("refused YooKassa notification: %s", e)
        abort(HTTPStatus.BAD_REQUEST)
    if handled is None:
        return Response(status=HTTPStatus.OK)
    return _response(handled)
