"Small files of each kind for the chat's tests (made here, nothing shipped)."
import io

from PIL import Image


def image(kind='PNG', size=(8, 6), color='red'):
    out = io.BytesIO()
    Image.new('RGB', size, color).save(out, kind)
    return out.getvalue()


PDF = (b'%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'
    b'2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n'
    b'trailer << /Root 1 0 R >>\n%%EOF\n')
HTML = b'<!doctype html><html><script>alert(document.cookie)</script></html>'
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg">'
    b'<script>alert(document.cookie)</script></svg>')
# A PNG signature glued on a web page: the magic bytes lie.
FAKE_PNG = b'\x89PNG\r\n\x1a\n' + HTML


def png_header(width, height):
    "A PNG that announces width × height pixels (and holds none)."
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data)))
    return (b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
        + chunk(b'IEND', b''))
