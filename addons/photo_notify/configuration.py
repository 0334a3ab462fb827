"How long a request may wait for its photographer: set by the manager."
import datetime as dt

from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'photo.configuration'
    request_reminder = fields.TimeDelta(
        "Request Reminder", required=True,
        help="The photographer is reminded of a request still waiting "
        "after this.")
    request_deadline = fields.TimeDelta(
        "Request Deadline", required=True,
        help="A request still waiting after this lapses: it is cancelled "
        "by the studio, refunded in full and the client is told.")
    request_warning = fields.TimeDelta(
        "Lapse Warning", required=True,
        help="Managers are told this long before a request lapses.")
    review_delay = fields.TimeDelta(
        "Review Invitation Delay", required=True,
        help="How long after a done shoot the client is invited to "
        "review it.")

    @classmethod
    def default_request_reminder(cls):
        return dt.timedelta(hours=2)

    @classmethod
    def default_request_deadline(cls):
        return dt.timedelta(hours=24)

    @classmethod
    def default_request_warning(cls):
        return dt.timedelta(hours=2)

    @classmethod
    def default_review_delay(cls):
        return dt.timedelta(hours=3)
