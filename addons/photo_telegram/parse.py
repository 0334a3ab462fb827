"""What photographers type to the bot, read in plain Python (no Tryton):
a day ("tomorrow", "24.12", "2026-12-24") and a time range ("14:00-16:00",
"14-16")."""
import datetime as dt
import re

WORDS = {
    'today': 0, 'сегодня': 0,
    'tomorrow': 1, 'завтра': 1,
    'послезавтра': 2,
    }
RANGE_RE = re.compile(
    r'(\d{1,2})(?:[:.](\d{2}))?\s*[-–—]\s*(\d{1,2})(?:[:.](\d{2}))?\s*$')
ISO_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})$')
DOTTED_RE = re.compile(r'^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$')


def parse_day(text, today):
    """The date text names, on or after today (a dotted date without a
    year is the next such one). ValueError if none."""
    word = (text or '').strip().lower()
    if word in WORDS:
        return today + dt.timedelta(days=WORDS[word])
    match = ISO_RE.match(word)
    if match:
        day = dt.date(*map(int, match.groups()))
    else:
        match = DOTTED_RE.match(word)
        if not match:
            raise ValueError(text)
        day_, month, year = match.groups()
        day = dt.date(int(year or today.year), int(month), int(day_))
        if not year and day < today:
            day = day.replace(year=today.year + 1)
    if day < today:
        raise ValueError(text)
    return day


def parse_period(text, today):
    """(day, start, end) of "<day> <from>-<to>": times are wall-clock
    times, end after start. ValueError if not so."""
    text = (text or '').strip()
    match = RANGE_RE.search(text)
    if not match:
        raise ValueError(text)
    day = parse_day(text[:match.start()].strip(), today)
    hour1, minute1, hour2, minute2 = match.groups()
    start = dt.time(int(hour1), int(minute1 or 0))
    end = (dt.time(int(hour2), int(minute2 or 0)) if hour2 != '24'
        else dt.time.max)
    if end <= start:
        raise ValueError(text)
    return day, start, end
