"""The scenario_*.rst user stories, driven through proteus.

python -m unittest trytond.modules.photo_booking.tests.test_scenario
collects them through load_tests, as in Tryton's own modules; pytest
ignores load_tests, so ScenarioTestCase runs each story as a test of its
own."""
import glob
import os
import unittest

from trytond.tests.test_tryton import load_doc_tests

HERE = os.path.dirname(__file__)
SCENARIOS = sorted(
    os.path.basename(p) for p in glob.glob(os.path.join(HERE, '*.rst')))


def load_tests(loader, tests, pattern):
    return load_doc_tests(
        __name__, __file__, loader, unittest.TestSuite(), pattern)


def run_scenario(testcase, scenario):
    loader = unittest.TestLoader()
    loader.testNamePatterns = [scenario]
    suite = load_doc_tests(
        __name__, __file__, loader, unittest.TestSuite(), None)
    result = unittest.TestResult()
    suite.run(result)
    testcase.assertEqual(result.testsRun, 1, scenario)
    problems = result.failures + result.errors
    testcase.assertFalse(problems, '\n'.join(text for _, text in problems))


class ScenarioTestCase(unittest.TestCase):
    "One test per scenario_*.rst, for pytest."


for _scenario in SCENARIOS:
    setattr(ScenarioTestCase, 'test_' + _scenario[:-len('.rst')],
        lambda self, scenario=_scenario: run_scenario(self, scenario))
