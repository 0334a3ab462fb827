"The chat's plain rules: which files pass, how they are served, links."
import unittest

from trytond.modules.photo_chat import text, upload

from .files import FAKE_PNG, HTML, PDF, SVG, image, png_header


class UploadTestCase(unittest.TestCase):
    "Files are judged by their bytes, not their names"

    def test_allowed_kinds(self):
        "JPEG, PNG, WebP and PDF pass, each with its real type"
        for data, name, expected in [
                (image('JPEG'), 'IMG_0001.JPG', ('image/jpeg', 'IMG_0001.JPG')),
                (image('PNG'), 'plan.png', ('image/png', 'plan.png')),
                (image('WEBP'), 'shot.webp', ('image/webp', 'shot.webp')),
                (PDF, 'contract.pdf', ('application/pdf', 'contract.pdf')),
                ]:
            with self.subTest(name=name):
                self.assertEqual(upload.check(data, name), expected)

    def test_forged_and_dangerous_types_refused(self):
        "HTML, SVG, GIF, text and a PNG header on HTML are refused"
        for data, name in [
                (HTML, 'photo.jpg'),
                (SVG, 'logo.svg'),
                (SVG, 'logo.png'),
                (FAKE_PNG, 'photo.png'),
                (image('GIF'), 'anim.gif'),
                (b'just some text', 'notes.pdf'),
                (image('PNG')[:40], 'cut.png'),
                ]:
            with self.subTest(name=name, start=data[:8]):
                with self.assertRaises(upload.UploadError) as caught:
                    upload.check(data, name)
                self.assertEqual(caught.exception.reason, 'type')

    def test_name_takes_the_real_extension(self):
        "A JPEG named .png or .html keeps its stem, with .jpg"
        jpeg = image('JPEG')
        self.assertEqual(upload.check(jpeg, 'me.png')[1], 'me.jpg')
        self.assertEqual(upload.check(jpeg, 'x.html')[1], 'x.jpg')
        self.assertEqual(
            upload.check(jpeg, '../../etc/<b>"p".jpeg')[1], 'bp.jpeg')
        self.assertEqual(upload.check(PDF, '')[1], 'file.pdf')

    def test_limits(self):
        "Empty and oversized files are refused before any parsing"
        with self.assertRaises(upload.UploadError) as caught:
            upload.check(b'', 'a.png')
        self.assertEqual(caught.exception.reason, 'empty')
        big = image('PNG') + b'\0' * 100
        with self.assertRaises(upload.UploadError) as caught:
            upload.check(big, 'a.png', max_size=len(big) - 1)
        self.assertEqual(caught.exception.reason, 'too_large')
        self.assertEqual(
            upload.check(big, 'a.png', max_size=len(big))[0], 'image/png')

    def test_huge_picture_refused(self):
        "A picture of more pixels than MAX_PIXELS (a bomb) is refused"
        data = png_header(20000, 20000)
        with self.assertRaises(upload.UploadError):
            upload.check(data, 'bomb.png')

    def test_disposition(self):
        "Photos inline unless downloaded, PDF always as an attachment"
        self.assertEqual(upload.disposition('plan.png', 'image/png'),
            'inline; filename="plan.png"; filename*=UTF-8\'\'plan.png')
        self.assertTrue(upload.disposition(
                'plan.png', 'image/png', download=True).startswith(
                'attachment;'))
        self.assertEqual(
            upload.disposition('Договор "1".pdf', 'application/pdf'),
            'attachment; filename=" 1.pdf"; filename*=UTF-8\'\''
            '%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%20%221%22.pdf')


class TextTestCase(unittest.TestCase):
    "Links in messages"

    def test_links(self):
        "http(s) addresses become links, without the sentence's punctuation"
        self.assertEqual(text.segments(
                "Map: https://maps.example.com/?q=1&z=2. See you!"), [
                ('text', "Map: "),
                ('link', "https://maps.example.com/?q=1&z=2"),
                ('text', ". See you!")])
        self.assertEqual(text.segments(
                "(https://en.wikipedia.org/wiki/Bokeh_(photography))"), [
                ('text', "("),
                ('link', "https://en.wikipedia.org/wiki/Bokeh_(photography)"),
                ('text', ")")])

    def test_no_dangerous_links(self):
        "javascript: and data: stay text, markup is cut out of addresses"
        for message in [
                "javascript:alert(1)",
                "data:text/html,<script>alert(1)</script>",
                "http://",
                ]:
            self.assertEqual(text.segments(message), [('text', message)])
        self.assertEqual(
            text.segments('<a href="https://e.com/x">'), [
                ('text', '<a href="'), ('link', 'https://e.com/x'),
                ('text', '">')])
        self.assertEqual(text.segments(''), [])

    def test_reply_text(self):
        "A mail reply keeps what is written above the quote"
        mark = text.REPLY_MARK
        self.assertEqual(text.reply_text(
                "Yes, 11:30 suits me.\r\n\r\n"
                "On Sun, 6 Dec 2026 at 12:00, Studio <s@example.com> wrote:"
                f"\r\n> {mark}\r\n> Write above\r\n> Bring a hat"),
            "Yes, 11:30 suits me.")
        self.assertEqual(text.reply_text(
                "Хорошо\n\nВс, 6 дек. 2026 г. в 12:00, Студия:\n> Привет\n"),
            "Хорошо")
        self.assertEqual(text.reply_text(f"Fine\n{mark}\nquoted"), "Fine")
        self.assertEqual(text.reply_text("No quote at all"),
            "No quote at all")
