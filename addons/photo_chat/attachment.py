"""Files in a booking's conversation: Tryton attachments of the booking.

A file the client sends from the portal, or one staff tick "Shared in
Chat" on in the booking's attachments (sao's paperclip), is an
ir.attachment of the booking (so in Tryton's filestore, and read in the
back office by whoever may read the booking) linked to the public chat
message that announces it. Only shared files are served to the client."""
import uuid

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from . import upload
from .exceptions import ChatFileError

FILE_MARK = '\N{PAPERCLIP} '


def file_line(name):
    "How a message names its file (sao shows the text only)."
    return FILE_MARK + name


def upload_error(error):
    "The user's message for an upload.UploadError."
    if error.reason == 'too_large':
        return gettext('photo_chat.msg_chat_file_too_large',
            size=upload.MAX_SIZE // (1024 * 1024))
    if error.reason == 'empty':
        return gettext('photo_chat.msg_chat_file_empty')
    return gettext('photo_chat.msg_chat_file_type')


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'
    chat_share = fields.Boolean("Shared in Chat",
        help="The client sees and can download this file in the "
        "booking's conversation (photos and PDF only).")
    chat_message = fields.Many2One('ir.chat.message', "Chat Message",
        readonly=True, ondelete='SET NULL')
    chat_token = fields.Char("Chat Token", readonly=True, strip=False)

    @classmethod
    def default_chat_share(cls):
        return False

    @classmethod
    def create(cls, vlist):
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if values.get('chat_share') and not values.get('chat_token'):
                values['chat_token'] = uuid.uuid4().hex
        attachments = super().create(vlist)
        cls.share_in_chat([a for a in attachments if a.chat_share])
        return attachments

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for attachments, values in zip(actions, actions):
            if values.get('chat_share'):
                values = values.copy()
                values.setdefault('chat_token', uuid.uuid4().hex)
            args.extend((attachments, values))
        super().write(*args)
        actions = iter(args)
        shared = [a for attachments, values in zip(actions, actions)
            if values.get('chat_share') or 'data' in values
            for a in attachments if a.chat_share]
        cls.share_in_chat(shared)

    @classmethod
    def share_in_chat(cls, attachments):
        """Check that the files may be shared, and announce those not
        announced yet by a public message of the current user in their
        booking's conversation."""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Booking = pool.get('photo.booking')
        for attachment in attachments:
            if not isinstance(attachment.resource, Booking):
                raise ChatFileError(
                    gettext('photo_chat.msg_chat_file_not_booking',
                        name=attachment.name))
            cls.check_chat_file(attachment.data, attachment.name)
        announced = []
        for attachment in attachments:
            if attachment.chat_message:
                continue
            # As sao's chat panel calls it (check_access=False on its RPC):
            # the booking's record rules are checked by Channel.post.
            with Transaction().set_context(_check_access=False):
                attachment.chat_message = Channel.post(
                    str(attachment.resource), file_line(attachment.name),
                    'public')
            announced.append(attachment)
        cls.save(announced)

    @classmethod
    def check_chat_file(cls, data, name):
        "(mimetype, clean name) of a file for the chat, or ChatFileError."
        try:
            return upload.check(data, name)
        except upload.UploadError as error:
            raise ChatFileError(upload_error(error)) from error

    @classmethod
    def chat_files(cls, messages):
        "{message id: [attachment]} of the files shared by messages."
        files = {}
        if not messages:
            return files
        with Transaction().set_user(0):
            for attachment in cls.search([
                        ('chat_message', 'in', [m.id for m in messages]),
                        ('chat_share', '=', True),
                        ], order=[('id', 'ASC')]):
                files.setdefault(attachment.chat_message.id, []).append(
                    attachment)
        return files
