"""Replies to the chat's mails, posted into their conversation.

A mail server (or a forwarding service: Postfix `pipe`, Mailgun or
SendGrid "raw MIME" routes) posts each mail sent to the chat's reply
addresses (`[photo_chat] reply_to` +identifier) as raw RFC 5322 bytes to

    POST /<database>/photo_chat/inbound/<[photo_chat] inbound_key>

which hands it to Tryton's ir.chat.channel.post_from_email: the
conversation is found by the address the mail was sent to, and only its
parties may post (chat.py: Channel._email_channel). 204: posted; 404: no
such conversation or sender; 403: wrong key; 422: too long."""
import email.parser
import email.policy
from secrets import compare_digest

import trytond.config as config
from trytond.protocols.wrappers import (
    HTTPStatus, Response, set_max_request_size, with_pool, with_transaction)
from trytond.wsgi import app

from .chat import SECTION
from .exceptions import ChatMessageError

MAX_MAIL = 25 * 1024 * 1024


@app.route('/<database_name>/photo_chat/inbound/<key>', methods=['POST'])
@set_max_request_size(MAX_MAIL)
@with_pool
@with_transaction()
def inbound_email(request, pool, key):
    Channel = pool.get('ir.chat.channel')
    if not hasattr(Channel, 'party_addresses'):
        # Routes are global: photo_chat is not activated here.
        return Response(status=HTTPStatus.NOT_FOUND)
    secret = config.get(SECTION, 'inbound_key', default='')
    if not secret or not compare_digest(secret.encode(), key.encode()):
        return Response(status=HTTPStatus.FORBIDDEN)
    message = email.parser.BytesParser(
        policy=email.policy.default).parsebytes(request.get_data())
    try:
        posted = Channel.post_from_email(message)
    except ChatMessageError as error:
        return Response(error.message, status=HTTPStatus.UNPROCESSABLE_ENTITY,
            mimetype='text/plain')
    return Response(
        status=HTTPStatus.NO_CONTENT if posted else HTTPStatus.NOT_FOUND)
