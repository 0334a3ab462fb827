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
- POST /account/booking/<token>/chat: post a message, with a file or not
  (303 back to the page, or 201 JSON for chat.js).
- /account/booking/<token>/chat/files/<file token>: a file of the
  conversation (a photo inline, a PDF as a download), to the booking's
  web user only.
"""
import json
import os
from zoneinfo import ZoneInfo

from trytond.pool import PoolMeta
from trytond.protocols.wrappers import (
    HTTPStatus, Response, exceptions, set_max_request_size)

from trytond.modules.photo_portal.pages import (
    booking_by_token, require_user)
from trytond.modules.photo_portal.pwa import static_files
from trytond.modules.photo_portal.web import (
    BadInput, check_rate, local_time, redirect_to, render, route)

from . import text as chat_text
from . import upload
from .attachment import file_line
from .chat import MAX_LENGTH, POST_LIMIT, address_key

STATIC = os.path.join(os.path.dirname(__file__), 'static')
POLL_MS = 500
# A request may carry a file a little over the limit, to be told so
# clearly; beyond this trytond answers a bare 413.
MAX_REQUEST = 2 * upload.MAX_SIZE

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


def message_view(message, visit, tz, files=(), url=''):
    """A message as the client's page shows it: text (never HTML) in
    segments, links apart, and its files."""
    _ = visit.gettext
    mine = message.user is None and (
        address_key(message.email) == address_key(visit.user.email))
    text = message.content
    if files:
        # sao shows the text only, so it names the files: the page shows
        # them instead.
        named = {file_line(f.name) for f in files}
        text = '\n'.join(
            line for line in text.split('\n') if line not in named)
    return {
        'id': message.id,
        'mine': mine,
        'author': _("You") if mine else message.author,
        'time': f"{local_time(message.create_date, tz):%d.%m %H:%M}",
        'text': text,
        'segments': chat_text.segments(text),
        'files': [file_view(f, url) for f in files],
        }


def file_view(attachment, url):
    mimetype = upload.EXTENSIONS.get(
        os.path.splitext(attachment.name)[1].lower())
    link = f'{url}/files/{attachment.chat_token}'
    return {
        'name': attachment.name,
        'url': link,
        'download': link + '?download=1',
        'image': upload.inline(mimetype),
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
    Attachment = pool.get('ir.attachment')
    booking = my_booking(visit, pool, token)
    messages = booking.chat_client_messages(after=after)
    Channel.mark_client_read(str(booking), messages)
    Channel.mark_client_seen(str(booking))
    tz = ZoneInfo(booking.timezone or 'UTC')
    files = Attachment.chat_files(messages)
    url = chat_url(booking)
    return booking, [
        message_view(m, visit, tz, files.get(m.id, ()), url)
        for m in messages]


@route('/account/booking/<token>/chat', readonly=False)
def chat_page(visit, pool, token):
    booking, messages = _conversation(visit, pool, token)
    return render(visit, 'photo_chat/chat.html', booking=booking,
        messages=messages, url=chat_url(booking), poll_ms=POLL_MS,
        max_length=MAX_LENGTH, max_file=upload.MAX_SIZE,
        max_file_mb=upload.MAX_SIZE // (1024 * 1024),
        accept=','.join(upload.KINDS), link_rel=chat_text.LINK_REL)


@route('/account/booking/<token>/chat/messages', readonly=False)
def chat_messages(visit, pool, token):
    try:
        after = int(visit.request.args.get('after', 0))
    except ValueError:
        raise BadInput(visit.gettext("This page does not exist."))
    _, messages = _conversation(visit, pool, token, after=after)
    return json_response(messages)


@route('/account/booking/<token>/chat', methods=['POST'])
@set_max_request_size(MAX_REQUEST)
def post_message(visit, pool, token):
    _ = visit.gettext
    Channel = pool.get('ir.chat.channel')
    Attachment = pool.get('ir.attachment')
    booking = my_booking(visit, pool, token)
    # Per account, whatever address it writes from.
    check_rate(visit, 'chat', POST_LIMIT, key=f'web.user,{visit.user.id}')
    text = (visit.request.form.get('text') or '').strip()
    sent = visit.request.files.get('file')
    data = sent.stream.read(upload.MAX_SIZE + 1) if sent else b''
    if not text and not data:
        raise BadInput(_("Write a message first."))
    if len(text) > MAX_LENGTH:
        raise BadInput(_(
                "A message is at most %(count)s characters.",
                count=MAX_LENGTH))
    name = None
    if data:
        try:
            _mimetype, name = upload.check(data, sent.filename)
        except upload.UploadError as error:
            raise BadInput(upload_error(visit, error), error_status(error))
        text = '\n'.join(filter(None, [text, file_line(name)]))
    message = Channel.post_from_client(str(booking), visit.user.email, text)
    if data:
        Attachment.create([{
                    'resource': str(booking),
                    'name': name,
                    'data': data,
                    'chat_share': True,
                    'chat_message': message.id,
                    }])
    if 'application/json' in visit.request.headers.get('Accept', ''):
        return json_response({'id': message.id}, HTTPStatus.CREATED)
    return redirect_to(chat_url(booking))


def upload_error(visit, error):
    _ = visit.gettext
    if error.reason == 'too_large':
        return _("A file is at most %(size)s MB.",
            size=upload.MAX_SIZE // (1024 * 1024))
    if error.reason == 'empty':
        return _("The file is empty.")
    return _("Only photos (JPEG, PNG, WebP) and PDF documents can be sent.")


def error_status(error):
    if error.reason == 'too_large':
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    if error.reason == 'type':
        return HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    return HTTPStatus.BAD_REQUEST


@route('/account/booking/<token>/chat/files/<file_token>')
def chat_file(visit, pool, token, file_token):
    """A file of the conversation, to the booking's web user only: its
    type read again from its bytes, a photo inline (JPEG, PNG, WebP
    only), anything else as a download; never sniffed, never run."""
    Attachment = pool.get('ir.attachment')
    booking = my_booking(visit, pool, token)
    attachments = Attachment.search([
            ('resource', '=', str(booking)),
            ('chat_token', '=', file_token),
            ('chat_share', '=', True),
            ], limit=1)
    if not attachments:
        raise exceptions.NotFound()
    attachment, = attachments
    data = attachment.data
    mimetype = upload.sniff(data)
    if mimetype is None:
        raise exceptions.NotFound()
    response = Response(data, mimetype=mimetype)
    response.headers['Content-Disposition'] = upload.disposition(
        attachment.name, mimetype,
        download=bool(visit.request.args.get('download')))
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Content-Security-Policy'] = (
        "default-src 'none'; sandbox")
    response.headers['Cache-Control'] = 'private, no-store'
    return response


def json_response(data, status=HTTPStatus.OK):
    response = Response(
        json.dumps(data), status=int(status), mimetype='application/json')
    response.headers['Cache-Control'] = 'no-store'
    return response


static_files('/static/photo_chat', STATIC)
