"""Run every benchmark, one fresh PostgreSQL database each.

    .venv/bin/python -m bench
"""
from bench import availability, booking
from bench.common import progress

if __name__ == '__main__':
    progress("== bench.availability ==")
    availability.main()
    progress("== bench.booking ==")
    booking.main()
    progress("== done ==")
