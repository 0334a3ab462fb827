"""A sample of bench.fuzz: schemathesis against the served OpenAPI and
hypothesis against every portal form answer no 5xx, and a refused request
writes no row. The full run (10,000 requests): python -m bench.fuzz.

Run: .venv/bin/python -m pytest -q tests/test_fuzz.py
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_fuzz_sample():
    run = subprocess.run(
        [sys.executable, '-m', 'bench.fuzz', '--api', '400', '--portal',
            '300', '--seed', '11'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-4000:]
    assert 'no answer 5xx, no row written by a refused request' in run.stdout
