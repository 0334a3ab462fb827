"""Run every benchmark: availability and booking on a fresh PostgreSQL
database each, the portal's pages on SQLite.

    .venv/bin/python -m bench
"""
from bench import availability, booking, portal
from bench.common import progress

if __name__ == '__main__':
    progress("== bench.availability ==")
    availability.main()
    progress("== bench.booking ==")
    booking.main()
    progress("== bench.portal ==")
    portal.main()
    progress("== done ==")
