"""Tests of the plain-Python distances (photo_booking.geo)."""
import unittest
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ..geo import by_distance, haversine, map_url, valid_point

MOSCOW = (55.7558, 37.6173)
SAINT_PETERSBURG = (59.9343, 30.3351)
points = st.tuples(st.floats(-90, 90), st.floats(-180, 180))


class HaversineTest(unittest.TestCase):

    def test_known_distances(self):
        # Moscow – Saint Petersburg: 634 km as the crow flies.
        self.assertAlmostEqual(haversine(MOSCOW, SAINT_PETERSBURG), 634, -1)
        # One degree of latitude is about 111.2 km anywhere.
        self.assertAlmostEqual(haversine((10, 20), (11, 20)), 111.19, 1)
        # Across the antimeridian: short, not around the world.
        self.assertLess(haversine((0, 179.9), (0, -179.9)), 23)
        # The antipode: half the circumference.
        self.assertAlmostEqual(haversine((0, 0), (0, 180)), 20015, -1)

    @given(points, points)
    def test_symmetric_and_bounded(self, a, b):
        self.assertAlmostEqual(haversine(a, b), haversine(b, a), 6)
        self.assertGreaterEqual(haversine(a, b), 0)
        self.assertLessEqual(haversine(a, b), 20016)

    @given(points)
    def test_zero_to_itself(self, a):
        self.assertAlmostEqual(haversine(a, a), 0, 6)


class ByDistanceTest(unittest.TestCase):

    def test_nearest_first_unknown_last(self):
        places = [
            ('nowhere', None, None),
            ('piter', Decimal('59.920610'), Decimal('30.352980')),
            ('moscow', Decimal('55.772310'), Decimal('37.631230')),
            ('half', Decimal('55.7'), None),
            ]
        result = by_distance(MOSCOW, places)
        self.assertEqual([p for p, _ in result],
            ['moscow', 'piter', 'nowhere', 'half'])
        self.assertLess(result[0][1], 3)
        self.assertGreater(result[1][1], 600)
        self.assertEqual([km for _, km in result[2:]], [None, None])

    def test_empty(self):
        self.assertEqual(by_distance(MOSCOW, []), [])


class PointTest(unittest.TestCase):

    def test_valid_point(self):
        self.assertTrue(valid_point(55.75, 37.61))
        self.assertTrue(valid_point(-90, 180))
        for bad in [(91, 0), (0, 181), (None, 1), ('x', 2)]:
            self.assertFalse(valid_point(*bad))

    def test_map_url(self):
        self.assertEqual(map_url(55.75, 37.61),
            'https://www.openstreetmap.org/?mlat=55.75&mlon=37.61'
            '#map=16/55.75/37.61')
