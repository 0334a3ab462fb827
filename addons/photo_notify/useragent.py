"""A readable name of a browser from its User-Agent header ("Chrome on
Android"): what the client sees in the list of the devices they get
notifications on. Plain Python, no trytond import.

Order matters: Chromium's derivatives name Chrome and Safari too, Chrome
names Safari, and every browser on iOS is WebKit under its own name (CriOS,
FxiOS, EdgiOS)."""
import re

# (pattern, browser), the first that matches wins
BROWSERS = [
    (r'\bYaBrowser/', "Yandex Browser"),
    (r'\b(?:Edg|EdgA|EdgiOS)/', "Edge"),
    (r'\b(?:OPR|OPT)/|\bOpera\b', "Opera"),
    (r'\bSamsungBrowser/', "Samsung Internet"),
    (r'\b(?:Firefox|FxiOS)/', "Firefox"),
    (r'\b(?:Headless)?(?:Chrome|CriOS|Chromium)/', "Chrome"),
    (r'\bVersion/[\d.]+.*\bSafari/', "Safari"),
    ]
SYSTEMS = [
    (r'\bAndroid\b', "Android"),
    (r'\b(?:iPhone|iPod)\b', "iPhone"),
    (r'\biPad\b', "iPad"),
    (r'\bCrOS\b', "ChromeOS"),
    (r'\bWindows\b', "Windows"),
    (r'\bMac OS X\b|\bMacintosh\b', "macOS"),
    (r'\bLinux\b', "Linux"),
    ]


def _first(patterns, text):
    for pattern, name in patterns:
        if re.search(pattern, text):
            return name
    return None


def browser_and_system(user_agent):
    """(browser, system) named in user_agent, each None when unknown."""
    text = (user_agent or '')[:500]
    return _first(BROWSERS, text), _first(SYSTEMS, text)
