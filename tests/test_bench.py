"""The benchmarks still run: `python -m bench --quick` end to end on
PostgreSQL (a few minutes). Its figures mean nothing; its answers must all
be right."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_quick_postgresql():
    run = subprocess.run([sys.executable, '-m', 'bench', '--quick'],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert '== done ==' in output, output[-3000:]
    # successes() and bench.portal report a wrong answer as failed; the
    # lines saying so come first (CI shows the start of a long message).
    failures = [line for line in output.splitlines()
        if 'failed' in line.lower()]
    assert not failures, '\n'.join(failures) + '\n\n' + output
    assert ', 0 other answers;' in output, output
    assert 'audit after contention: 0 problems' in output, output
