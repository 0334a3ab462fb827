"""Pictures for the portal: one stored image served at the widths a screen
asks for (srcset). Plain Python on Pillow, no trytond import."""
import io

from PIL import Image

WIDTHS = (160, 320, 640, 1280)


def mimetype(data):
    "The image type of data by its first bytes."
    if data.startswith(b'\x89PNG'):
        return 'image/png'
    if data[:4] == b'RIFF':
        return 'image/webp'
    if data.lstrip().startswith(b'<svg') or data.startswith(b'<?xml'):
        return 'image/svg+xml'
    return 'image/jpeg'


def resized(data, width):
    """data scaled down to width pixels wide as (bytes, mimetype); pictures
    already narrower and drawings (SVG) come back as they are."""
    kind = mimetype(data)
    if kind == 'image/svg+xml':
        return data, kind
    with Image.open(io.BytesIO(data)) as image:
        if image.width <= width:
            return data, kind
        height = round(image.height * width / image.width)
        small = image.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if small.mode in ('RGBA', 'LA', 'P'):
            small.save(out, 'PNG', optimize=True)
            return out.getvalue(), 'image/png'
        small.convert('RGB').save(out, 'JPEG', quality=82, optimize=True,
            progressive=True)
        return out.getvalue(), 'image/jpeg'
