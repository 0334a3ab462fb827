"""Which files the chat takes, and how they are served: plain Python, no
trytond import, unit-tested directly.

A file's type is read from its bytes (puremagic), never from its name or
the browser's word; an image must also decode (Pillow), so a PNG header
glued on HTML is refused. Only JPEG, PNG, WebP and PDF pass: nothing a
browser would run (HTML, SVG, scripts)."""
import io
import os
import re
import unicodedata
from urllib.parse import quote

import puremagic
from PIL import Image

MAX_SIZE = 10 * 1024 * 1024  # bytes of one file
MAX_PIXELS = 40_000_000  # a larger picture is a decompression bomb
# type: (extension, Pillow format or None, shown inline in the page)
KINDS = {
    'image/jpeg': ('.jpg', 'JPEG', True),
    'image/png': ('.png', 'PNG', True),
    'image/webp': ('.webp', 'WEBP', True),
    'application/pdf': ('.pdf', None, False),
    }
EXTENSIONS = {
    '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.jfif': 'image/jpeg',
    '.png': 'image/png', '.webp': 'image/webp', '.pdf': 'application/pdf',
    }
NAME_LENGTH = 120


class UploadError(Exception):
    """A file the chat refuses; reason is one of 'empty', 'too_large',
    'type' (not an allowed type, or not what it claims to be)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def sniff(data):
    """The allowed type of data by its bytes, or None."""
    if not data:
        return None
    if data.startswith(b'%PDF-'):
        return 'application/pdf'
    try:
        matches = puremagic.magic_string(data[:8192])
    except puremagic.PureError:
        return None
    for match in matches:
        if match.mime_type in KINDS:
            return match.mime_type
    return None


def _image_ok(data, mimetype):
    "Pillow decodes data as the format its bytes announce, not too large."
    _ext, image_format, _inline = KINDS[mimetype]
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != image_format:
                return False
            if image.width * image.height > MAX_PIXELS:
                return False
            image.verify()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    return True


def check(data, name, max_size=MAX_SIZE):
    """(mimetype, clean name) of an uploaded file, or UploadError.

    The name keeps its stem but takes the extension of the real type
    (a JPEG sent as photo.png is stored as photo.jpg)."""
    if not data:
        raise UploadError('empty')
    if len(data) > max_size:
        raise UploadError('too_large')
    mimetype = sniff(data)
    if mimetype is None:
        raise UploadError('type')
    if KINDS[mimetype][1] and not _image_ok(data, mimetype):
        raise UploadError('type')
    return mimetype, clean_name(name, mimetype)


def clean_name(name, mimetype):
    "A file name safe to show and to send back, with mimetype's extension."
    name = unicodedata.normalize('NFC', os.path.basename(
            (name or '').replace('\\', '/')))
    name = re.sub(r'[\x00-\x1f\x7f"<>/\\:|?*]+', '', name).strip(' .')
    stem, ext = os.path.splitext(name)
    if EXTENSIONS.get(ext.lower()) == mimetype:
        extension = ext
    else:
        extension = KINDS[mimetype][0]
    stem = stem[:NAME_LENGTH] or 'file'
    return stem + extension


def inline(mimetype):
    "Whether a browser may show the file in the page (images only)."
    return bool(KINDS.get(mimetype, (None, None, False))[2])


def disposition(name, mimetype, download=False):
    """The Content-Disposition of a served file (RFC 6266): images inline
    unless download, anything else as an attachment; the name in ASCII
    and in UTF-8 (RFC 8187)."""
    kind = 'inline' if inline(mimetype) and not download else 'attachment'
    ascii_name = unicodedata.normalize('NFKD', name).encode(
        'ascii', 'ignore').decode() or 'file'
    ascii_name = ascii_name.replace('"', '').replace('\\', '')
    return (f'{kind}; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name, safe='')}")

