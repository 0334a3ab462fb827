"""Distances on the Earth, in plain Python (no Tryton): the portal's
"studios near me" and the bot's "nearest studio" sort by them."""
import math
from urllib.parse import urlencode

EARTH_RADIUS_KM = 6371.0


def haversine(a, b):
    """The great-circle distance in km between a and b, (latitude,
    longitude) pairs in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return EARTH_RADIUS_KM * 2 * math.asin(min(1.0, math.sqrt(h)))


def valid_point(latitude, longitude):
    "Whether (latitude, longitude) is a point on the Earth."
    try:
        return (-90 <= float(latitude) <= 90
            and -180 <= float(longitude) <= 180)
    except (TypeError, ValueError):
        return False


def by_distance(origin, places):
    """[(place, km or None)] of places, (place, latitude, longitude)
    triples, nearest first; those without coordinates (None) after, in
    their given order."""
    known, unknown = [], []
    for index, (place, latitude, longitude) in enumerate(places):
        if latitude is None or longitude is None:
            unknown.append((place, None))
        else:
            known.append((haversine(
                        origin, (float(latitude), float(longitude))),
                    index, place))
    known.sort(key=lambda k: k[:2])
    return [(place, km) for km, _, place in known] + unknown


def map_url(latitude, longitude, zoom=16):
    "The point on OpenStreetMap."
    return ('https://www.openstreetmap.org/?'
        + urlencode({'mlat': latitude, 'mlon': longitude})
        + f'#map={zoom}/{latitude}/{longitude}')
