"""Run every benchmark, each on a fresh PostgreSQL database: first the
machine's floor (bench.floor), then availability, "any photographer",
booking, the booking lists, synced calendars and the portal's pages, each
figure printed with its goal and its ratio to the floor.

    .venv/bin/python -m bench            # full size: about 25 minutes
    .venv/bin/python -m bench --quick    # small sizes: a few minutes, to
                                         # check that everything runs
"""
import argparse

from bench import (
    any_photographer, availability, booking, calendar, lists, portal)
from bench.common import QUICK, add_quick_option, measure_floor, progress


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_quick_option(parser)
    parser.parse_args()
    if QUICK:
        progress("--quick: small sizes and short runs, figures meaningless")
    progress("== bench.floor ==")
    machine = measure_floor()
    progress("== bench.availability ==")
    availability.measure(machine)
    progress("== bench.any_photographer ==")
    any_photographer.measure(
        any_photographer.PHOTOGRAPHERS, any_photographer.BOOKINGS, machine)
    progress("== bench.booking ==")
    booking.measure(machine)
    progress("== bench.lists ==")
    lists.measure(machine)
    progress("== bench.calendar ==")
    calendar.measure(machine)
    progress("== bench.portal ==")
    for bookings in portal.BOOKINGS:
        portal.measure(portal.PHOTOGRAPHERS, bookings, machine)
    progress("== done ==")


if __name__ == '__main__':
    main()
