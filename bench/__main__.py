"""Run every benchmark: availability ("any photographer" too), booking,
the machine's floor for booking, booking lists and the portal's pages, on a
fresh PostgreSQL database each.

    .venv/bin/python -m bench
"""
from bench import (
    any_photographer, availability, booking, floor, lists, portal)
from bench.common import progress

if __name__ == '__main__':
    progress("== bench.availability ==")
    availability.main()
    progress("== bench.any_photographer ==")
    any_photographer.main()
    progress("== bench.booking ==")
    holds = booking.main()
    progress("== bench.floor ==")
    creates = floor.main()
    # Machines here differ twofold in speed from one session to the next;
    # the share of the floor does not. The budget: 300 of ~520/s.
    progress(f"booking sustained {holds:.1f}/s = {holds / creates:.0%} of "
        f"this machine's floor {creates:.1f}/s (issue: >= 300/s with a "
        f"floor of ~520/s, i.e. {300 / 520:.0%})")
    progress("== bench.lists ==")
    lists.main()
    progress("== bench.portal ==")
    portal.main()
    progress("== done ==")
