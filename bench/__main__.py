"""Run every benchmark: availability, booking, the machine's floor for
booking and booking lists on a fresh PostgreSQL database each, the
portal's pages on SQLite.

    .venv/bin/python -m bench
"""
import subprocess
import sys

from bench import availability, booking, floor, lists
from bench.common import progress

if __name__ == '__main__':
    progress("== bench.availability ==")
    availability.main()
    progress("== bench.booking ==")
    booking.main()
    progress("== bench.floor ==")
    floor.main()
    progress("== bench.lists ==")
    lists.main()
    progress("== bench.portal ==")
    # Its own process: it configures trytond for SQLite before importing it.
    subprocess.run([sys.executable, '-m', 'bench.portal'], check=True)
    progress("== done ==")
