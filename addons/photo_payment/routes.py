"Gateway webhooks: Stripe events and YooKassa notifications."
import json
import logging
from functools import wraps

from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, with_pool, with_transaction)
from trytond.wsgi import app

from trytond.modules.photo_booking.booking import serialised

logger = logging.getLogger(__name__)


def webhook(kind):
    """Declare func(request, gateway) the webhook of the gateways of kind:
    POST /<database>/photo_payment/<kind>/<identifier>, in a transaction
    (warnings skipped) that takes the write lock first; a 404 for an
    identifier of no such gateway."""
    def decorator(func):
        @app.route(f'/<database_name>/photo_payment/{kind}/<identifier>',
            methods=['POST'])
        @with_pool
        @with_transaction(context={'_skip_warnings': True})
        @serialised
        @wraps(func)
        def wrapper(request, pool, identifier):
            gateway = pool.get('photo.payment.gateway').from_identifier(
                identifier, kind)
            if not gateway:
                abort(HTTPStatus.NOT_FOUND)
            return func(request, gateway)
        return wrapper
    return decorator


def _response(handled):
    "204 handled or not ours; 404 not known yet, so the gateway retries."
    if handled is False:
        return Response(status=HTTPStatus.NOT_FOUND)
    return Response(status=HTTPStatus.NO_CONTENT)


@webhook('stripe')
def stripe_webhook(request, gateway):
    from .payment import WebhookError
    try:
        event = gateway.verify_stripe(
            request.get_data(as_text=True),
            request.headers.get('Stripe-Signature'))
    except WebhookError as e:
        logger.warning("refused Stripe webhook: %s", e)
        abort(HTTPStatus.BAD_REQUEST)
    return _response(gateway.handle_stripe_event(event))


@webhook('yookassa')
def yookassa_webhook(request, gateway):
    from .payment import WebhookError
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
