"""The scenario_*.rst user stories, driven through proteus.

python -m unittest trytond.modules.photo_auth.tests.test_scenario runs them
(load_tests), and so does pytest (ScenarioTestCase)."""
from trytond.modules.photo_booking.tests.scenarios import scenario_tests

load_tests, ScenarioTestCase = scenario_tests(__name__, __file__)
