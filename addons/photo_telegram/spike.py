"""When 5xx answers make a spike worth telling the staff, in plain Python
(no Tryton): more than `limit` in the window is a spike; it has recovered
once the window holds half the limit or less (so a count hovering at the
limit does not alert again and again)."""
import threading


def spike_change(count, limit, alerting):
    """'alert' when count goes over limit, 'recovered' when the spike being
    alerted on has fallen to limit // 2 or below, else None."""
    if not alerting and count > limit:
        return 'alert'
    if alerting and count <= limit // 2:
        return 'recovered'
    return None


class WriteBudget:
    """At most `limit` + 1 writes per fixed window of `seconds` for one
    process: past the limit the spike is known and more rows tell nothing,
    so a storm of errors costs the database a bounded number of inserts."""

    def __init__(self):
        self.window = None
        self.used = 0
        self.lock = threading.Lock()

    def allow(self, now, limit, seconds):
        "Whether one more write fits the window of now (seconds, epoch)."
        window = int(now // seconds)
        with self.lock:
            if window != self.window:
                self.window, self.used = window, 0
            if self.used > limit:
                return False
            self.used += 1
            return True
