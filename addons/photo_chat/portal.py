"""The client's side of a booking's conversation, in the portal's cabinet.

photo_portal knows nothing of the chat: each cabinet card asks the booking
for its panels (Booking.portal_panels), and this module adds a link to the
booking's conversation with the count of unread messages. Registered where
photo_portal is installed (tryton.cfg's `[register photo_portal]`,
__init__.py):

- /account/booking/<token>/chat: the conversation (public messages only) and
  the form to write; it marks what it shows as read by the client.
- /account/booking/<token>/chat/messages?after=<id>: the messages after id,
  as JSON, which static/chat.js asks for every POLL_MS while the page is
  visible (short polling, see README: no bus, Redis or held threads needed,
  on SQLite too).
- POST /account/booking/<token>/chat: post a message (303 back to the page,
  or 201 JSON for chat.js).
"""
import json
import os
from zoneinfo import ZoneInfo

from trytond.pool import PoolMeta
from trytond.protocols.wrappers import HTTPStatus, Response, exceptions
from trytond.wsgi import app

from trytond.modules.photo_portal.pages import (
    booking_by_token, check_rate, require_user)
from trytond.modules.photo_portal.pwa import static_response
from trytond.modules.photo_portal.web import (
    BadInput, local_time, redirect_to, render, route)

STATIC = os.path.join(os.path.dirname(__file__), 'static')
POLL_MS = 500
MAX_LENGTH = 4000
POST_LIMIT = '30/60'  # messages per address and minute

def chat_url(booking):
    return f'/account/booking/{booking.token}/chat'


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    def portal_panels(self, page):
        panels = super().portal_panels(page)
        if page == 'cabinet':
            panels.append({
                    'template': 'photo_chat/_cabinet.html',
                    'url': chat_url(self),
                    'unread': self.chat_client_unread(),
                    })
        return panels


def message_view(message, visit, tz):
    "A message as the client's page shows it (text, never HTML)."
    _ = visit.gettext
    mine = message.user is None and message.email == visit.user.email
    return {
        'id': message.id,
        'mine': mine,
        'author': _("You") if mine else message.author,
        'time': f"{local_time(message.create_date, tz):%d.%m %H:%M}",
        'text': message.content,
        }


def my_booking(visit, pool, token):
    """The web user's booking of token; NotFound where photo_chat is not
    activated (routes are global)."""
    require_user(visit)
    if not hasattr(pool.get('photo.booking'), 'chat_client_messages'):
        raise exceptions.NotFound()
    return booking_by_token(pool, token, visit.user)


def _conversation(visit, pool, token, after=None):
    """The web user's booking of token, its public messages after id after
    (marked read by the client) as views."""
    Channel = pool.get('ir.chat.channel')
    booking = my_booking(visit, pool, token)
    messages = booking.chat_client_messages(after=after)
    Channel.mark_client_read(str(booking), messages)
    tz = ZoneInfo(booking.timezone or 'UTC')
    return booking, [message_view(m, visit, tz) for m in messages]


@route('/account/booking/<token>/chat', readonly=False)
def chat_page(visit, pool, token):
    booking, messages = _conversation(visit, pool, token)
    return render(visit, 'photo_chat/chat.html', booking=booking,
        messages=messages, url=chat_url(booking), poll_ms=POLL_MS,
        max_length=MAX_LENGTH)


@route('/account/booking/<token>/chat/messages', readonly=False)
def chat_messages(visit, pool, token):
    try:
        after = int(visit.request.args.get('after', 0))
    except ValueError:
        raise BadInput(visit.gettext("This page does not exist."))
    _, messages = _conversation(visit, pool, token, after=after)
    return json_response(messages)


@route('/account/booking/<token>/chat', methods=['POST'])
def post_message(visit, pool, token):
    _ = visit.gettext
    Channel = pool.get('ir.chat.channel')
    booking = my_booking(visit, pool, token)
    check_rate(visit, 'chat', POST_LIMIT)
    text = (visit.request.form.get('text') or '').strip()
    if not text:
        raise BadInput(_("Write a message first."))
    if len(text) > MAX_LENGTH:
        raise BadInput(_(
                "A message is at most %(count)s characters.",
                count=MAX_LENGTH))
    message = Channel.post_from_client(str(booking), visit.user.email, text)
    if 'application/json' in visit.request.headers.get('Accept', ''):
        return json_response({'id': message.id}, HTTPStatus.CREATED)
    return redirect_to(chat_url(booking))


def json_response(data, status=HTTPStatus.OK):
    response = Response(
        json.dumps(data), status=int(status), mimetype='application/json')
    response.headers['Cache-Control'] = 'no-store'
    return response


@app.route('/static/photo_chat/<path:path>', methods=['GET'])
def static_file(request, path):
    try:
        return static_response(request, path, root=STATIC)
    except exceptions.NotFound as e:
        return e
