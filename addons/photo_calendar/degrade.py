"""What a failing calendar does to availability: no trytond import.

The rule ("degrade, never drop"):
- a calendar that fails keeps the busy times of its last good sync: nothing is
  deleted because a calendar did not answer, so slots never all disappear;
- those busy times were read up to `known_until` (the sync's end of window,
  the photographer's booking horizon plus MARGIN); beyond it nothing is known,
  so `unknown_span` blocks that far end until the calendar syncs again: a
  fresh calendar's window lies past the horizon and blocks nothing bookable,
  a calendar failing for longer than MARGIN loses its far days first, one day
  per day of failure, never the near ones it knows;
- it is tried again after `retry_delay`, doubling from 5 minutes to 6 hours.
"""
import datetime as dt

MARGIN = dt.timedelta(days=7)
FIRST_RETRY = dt.timedelta(minutes=5)
LAST_RETRY = dt.timedelta(hours=6)
# The far end of "unknown": past any booking horizon.
FOREVER = dt.timedelta(days=3650)


def window(now, horizon_days):
    "[start, end) of the busy times a sync at now reads."
    return (now - dt.timedelta(days=1),
        now + dt.timedelta(days=horizon_days) + MARGIN)


def retry_delay(failures):
    "How long to wait after the failures-th failure in a row (1, 2, …)."
    if failures < 1:
        raise ValueError("failures must be at least 1")
    return min(FIRST_RETRY * 2 ** min(failures - 1, 16), LAST_RETRY)


def unknown_span(known_until):
    "The span a calendar known until known_until blocks: from then on."
    return known_until, known_until + FOREVER
