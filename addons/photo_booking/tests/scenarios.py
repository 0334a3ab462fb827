"""The scenario_*.rst user stories of a module's tests, driven through
proteus.

`python -m unittest trytond.modules.<module>.tests.test_scenario` collects
them through load_tests, as in Tryton's own modules; pytest ignores
load_tests, so the TestCase runs each story as a test of its own."""
import glob
import os
import unittest
from contextlib import ExitStack

from trytond.tests.test_tryton import load_doc_tests

from .tools import set_config


class _InProcessLimits(unittest.TestSuite):
    """Stories run with the rate limits and abuse ledger of this process,
    not a shared Redis: replayed within the hour (on SQLite, then on
    PostgreSQL), their clients' holds would count again."""

    def run(self, result, debug=False):
        with ExitStack() as stack:
            set_config(stack.callback, 'photo_booking', 'redis_url', '')
            return super().run(result, debug)


def scenario_tests(name, file):
    """(load_tests, TestCase) for the scenario_*.rst beside file, the
    test module name."""
    def load_tests(loader, tests, pattern):
        return load_doc_tests(
            name, file, loader, _InProcessLimits(), pattern)

    def run_scenario(testcase, scenario):
        loader = unittest.TestLoader()
        loader.testNamePatterns = [scenario]
        suite = load_doc_tests(
            name, file, loader, _InProcessLimits(), None)
        result = unittest.TestResult()
        suite.run(result)
        testcase.assertEqual(result.testsRun, 1, scenario)
        problems = result.failures + result.errors
        testcase.assertFalse(
            problems, '\n'.join(text for _, text in problems))

    class ScenarioTestCase(unittest.TestCase):
        "One test per scenario_*.rst, for pytest."

    for path in sorted(glob.glob(
                os.path.join(os.path.dirname(file), 'scenario_*.rst'))):
        scenario = os.path.basename(path)
        setattr(ScenarioTestCase, 'test_' + scenario[:-len('.rst')],
            lambda self, scenario=scenario: run_scenario(self, scenario))
    return load_tests, ScenarioTestCase
