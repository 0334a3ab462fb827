"""Pictures for the demo, drawn here with Pillow (nothing is downloaded):
studio interiors and photographers' portraits, as JPEG bytes.

Deterministic for a given seed, so a demo loaded twice looks the same.
"""
import io
import random

from PIL import Image, ImageDraw, ImageFilter


def _jpeg(image):
    out = io.BytesIO()
    image.save(out, 'JPEG', quality=85, optimize=True, progressive=True)
    return out.getvalue()


def _gradient(size, top, bottom):
    "A vertical gradient from colour top to colour bottom."
    width, height = size
    column = Image.new('RGB', (1, height))
    for y in range(height):
        t = y / max(height - 1, 1)
        column.putpixel((0, y), tuple(
                round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return column.resize(size)


def interior(seed, size=(1280, 800)):
    """A studio room: wall and floor, a window throwing light, a backdrop
    on its stand and a softbox."""
    rng = random.Random(seed)
    width, height = size
    wall = rng.choice([(236, 231, 224), (214, 219, 224), (60, 62, 68),
            (226, 214, 200), (244, 244, 242)])
    dark = wall[0] < 128
    image = _gradient(size, wall, tuple(max(c - 40, 0) for c in wall))
    draw = ImageDraw.Draw(image, 'RGBA')
    horizon = round(height * rng.uniform(.66, .74))
    floor = rng.choice([(150, 111, 79), (120, 120, 124), (176, 140, 104)])
    draw.polygon([(0, horizon), (width, horizon), (width, height),
            (0, height)], fill=floor)
    for x in range(0, width, width // 12):  # floor boards
        draw.line([(x, horizon), (x * 1.4 - width * .2, height)],
            fill=(0, 0, 0, 28), width=2)
    # A window and the light it throws on the floor.
    wx = round(width * rng.uniform(.06, .2))
    ww, wh = round(width * .22), round(height * .42)
    wy = round(height * .12)
    draw.rectangle([wx, wy, wx + ww, wy + wh], fill=(250, 250, 245))
    draw.line([(wx + ww // 2, wy), (wx + ww // 2, wy + wh)],
        fill=wall, width=8)
    draw.line([(wx, wy + wh // 2), (wx + ww, wy + wh // 2)],
        fill=wall, width=8)
    draw.polygon([(wx, horizon), (wx + ww, horizon),
            (wx + ww * 1.9, height), (wx + ww * .6, height)],
        fill=(255, 250, 230, 60 if dark else 45))
    # A paper backdrop rolling down to the floor.
    bx = round(width * rng.uniform(.45, .55))
    bw = round(width * .3)
    paper = rng.choice([(250, 250, 250), (128, 130, 134), (196, 168, 140)])
    draw.rectangle([bx, round(height * .1), bx + bw, horizon + 40],
        fill=paper)
    draw.ellipse([bx - 10, round(height * .08), bx + bw + 10,
            round(height * .12)], fill=(40, 40, 40))
    for x in (bx - 14, bx + bw + 6):
        draw.rectangle([x, round(height * .08), x + 8, horizon + 60],
            fill=(35, 35, 38))
    # A softbox on its stand.
    sx = round(width * rng.uniform(.82, .88))
    sy = round(height * .3)
    draw.line([(sx, sy), (sx, horizon + 70)], fill=(30, 30, 30), width=6)
    draw.line([(sx, horizon + 70), (sx - 40, horizon + 110)],
        fill=(30, 30, 30), width=5)
    draw.line([(sx, horizon + 70), (sx + 40, horizon + 110)],
        fill=(30, 30, 30), width=5)
    draw.polygon([(sx - 80, sy - 90), (sx + 30, sy - 60),
            (sx + 30, sy + 60), (sx - 80, sy + 90)], fill=(24, 24, 26))
    draw.polygon([(sx - 72, sy - 80), (sx - 60, sy - 76),
            (sx - 60, sy + 76), (sx - 72, sy + 80)], fill=(255, 255, 248))
    glow = Image.new('RGBA', size, (0, 0, 0, 0))
    ImageDraw.Draw(glow).ellipse(
        [sx - 380, sy - 260, sx + 120, sy + 260], fill=(255, 245, 220, 70))
    image.paste(glow.filter(ImageFilter.GaussianBlur(90)), (0, 0), glow.filter(
            ImageFilter.GaussianBlur(90)))
    return _jpeg(image.filter(ImageFilter.SMOOTH))


def portrait(seed, size=(640, 640)):
    "A head-and-shoulders portrait on a studio backdrop."
    rng = random.Random(seed)
    width, height = size
    backdrop = rng.choice([(94, 114, 140), (150, 120, 100), (88, 120, 104),
            (128, 100, 130), (180, 170, 160)])
    image = _gradient(size, tuple(min(c + 50, 255) for c in backdrop),
        tuple(max(c - 50, 0) for c in backdrop))
    light = Image.new('RGBA', size, (0, 0, 0, 0))
    ImageDraw.Draw(light).ellipse(
        [width * .15, height * .05, width * .85, height * .75],
        fill=(255, 255, 255, 70))
    light = light.filter(ImageFilter.GaussianBlur(60))
    image.paste(light, (0, 0), light)
    draw = ImageDraw.Draw(image)
    skin = rng.choice([(236, 200, 172), (222, 180, 150), (198, 150, 118)])
    hair = rng.choice([(52, 36, 28), (120, 80, 44), (200, 168, 110),
            (30, 30, 32)])
    cloth = rng.choice([(40, 44, 52), (236, 236, 232), (120, 40, 48),
            (46, 78, 110)])
    cx = width // 2
    # Shoulders, neck, head and hair.
    draw.ellipse([cx - 230, height * .72, cx + 230, height * 1.35],
        fill=cloth)
    draw.rectangle([cx - 45, height * .52, cx + 45, height * .76], fill=skin)
    draw.ellipse([cx - 125, height * .2, cx + 125, height * .62],
        fill=hair)
    draw.ellipse([cx - 105, height * .26, cx + 105, height * .64],
        fill=skin)
    if rng.random() < .5:  # long hair
        draw.rectangle([cx - 125, height * .4, cx - 95, height * .78],
            fill=hair)
        draw.rectangle([cx + 95, height * .4, cx + 125, height * .78],
            fill=hair)
    draw.chord([cx - 112, height * .18, cx + 112, height * .42], 180, 360,
        fill=hair)
    shade = Image.new('RGBA', size, (0, 0, 0, 0))
    ImageDraw.Draw(shade).ellipse(
        [cx + 10, height * .26, cx + 160, height * .66], fill=(0, 0, 0, 45))
    shade = shade.filter(ImageFilter.GaussianBlur(30))
    image.paste(shade, (0, 0), shade)
    return _jpeg(image.filter(ImageFilter.SMOOTH_MORE))
