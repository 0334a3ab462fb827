"The portal's plain rules: opening hours, numbers, zone names, pictures."
import datetime as dt
import io
import unittest

from PIL import Image

from trytond.modules.photo_booking import media
from trytond.modules.photo_portal.pages import opening_hours_text
from trytond.modules.photo_portal.i18n import (
    weekday_names, zone_name)
from trytond.modules.photo_portal.web import format_number

T = dt.time


def picture(width, height, mode='RGB', kind='JPEG'):
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, kind)
    return out.getvalue()


class PortalRulesTestCase(unittest.TestCase):
    "Plain rules of the portal"

    def test_opening_hours_grouped(self):
        "Days in a row with the same hours go together"
        hours = [(d, T(9), T(22)) for d in range(6)] + [(6, T(10), T(20))]
        self.assertEqual(opening_hours_text(hours, weekday_names('ru')),
            'Пн–Сб 09:00–22:00; Вс 10:00–20:00')
        # A gap breaks the run; two spans a day stay on that day.
        hours = [(0, T(9), T(13)), (0, T(14), T(18)), (2, T(9), T(18)),
            (3, T(9), T(18))]
        self.assertEqual(opening_hours_text(hours, weekday_names('en')),
            'Mo 09:00–13:00, 14:00–18:00; We–Th 09:00–18:00')
        self.assertEqual(opening_hours_text([], weekday_names('en')), '')

    def test_numbers_per_language(self):
        "Russian writes a decimal comma"
        self.assertEqual(format_number(4.6, 'ru', 2), '4,60')
        self.assertEqual(format_number(632.24, 'ru', 1), '632,2')
        self.assertEqual(format_number(632.24, 'en', 1), '632.2')
        self.assertEqual(format_number(24.0, 'ru'), '24')
        self.assertEqual(format_number('12.50', 'ru'), '12,5')

    def test_zone_names(self):
        "Zones by the name people use, the city for the others"
        self.assertEqual(zone_name('ru', 'Europe/Moscow'), 'Москва')
        self.assertEqual(zone_name('en', 'Europe/Moscow'), 'Moscow time')
        self.assertEqual(zone_name('en', 'America/New_York'), 'New York')

    def test_pictures_scaled_down_only(self):
        "Pictures shrink to the width asked, never grow"
        data, kind = media.resized(picture(1280, 800), 320)
        self.assertEqual(kind, 'image/jpeg')
        with Image.open(io.BytesIO(data)) as image:
            self.assertEqual(image.size, (320, 200))
        small = picture(192, 192, 'RGBA', 'PNG')
        self.assertEqual(media.resized(small, 640), (small, 'image/png'))
        data, kind = media.resized(picture(800, 400, 'RGBA', 'PNG'), 160)
        self.assertEqual(kind, 'image/png')
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
        self.assertEqual(media.resized(svg, 160), (svg, 'image/svg+xml'))
