"""The webhook Telegram posts updates to: checks the secret token, queues
the update for the bot process and answers at once."""
import hmac
import json

import trytond.config as config
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.wsgi import app

SECRET_HEADER = 'X-Telegram-Bot-Api-Secret-Token'


@app.route('/<database_name>/photo_telegram/webhook', methods=['POST'])
def webhook(request, database_name):
    """403 without the configured secret, 400 for what is no update, 200
    once queued (a replay is queued once)."""
    secret = config.get('photo_telegram', 'webhook_secret') or ''
    given = request.headers.get(SECRET_HEADER) or ''
    if not secret or not hmac.compare_digest(
            secret.encode(), given.encode()):
        return Response("forbidden", status=HTTPStatus.FORBIDDEN)
    try:
        data = json.loads(request.get_data(as_text=True))
        update_id = data['update_id']
    except (ValueError, TypeError, KeyError):
        return Response("not a Telegram update",
            status=HTTPStatus.BAD_REQUEST)
    if not isinstance(update_id, int) or isinstance(update_id, bool) \
            or not 0 <= update_id < 2 ** 31:
        return Response("not a Telegram update",
            status=HTTPStatus.BAD_REQUEST)
    return _queue(request, database_name, data)


@with_pool
@with_transaction(readonly=False)
def _queue(request, pool, data):
    pool.get('photo.telegram.update').put(data)
    return Response(status=HTTPStatus.OK)
