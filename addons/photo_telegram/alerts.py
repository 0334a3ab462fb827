"""Critical events for the studio's staff chat (`[photo_telegram]
staff_chat`), checked by the bot process every minute: dead letters
growing (photo_notify), the cron or the queue worker not seen for
`alert_minutes`, a payment gateway unavailable after its retries
(photo_payment), and a spike of 5xx answers of the web application
(more than `errors_alert_count` in `errors_alert_minutes`, counted by
wsgi.ServerErrors), then its recovery. Each alert is sent once per change (the last seen values
are kept in photo.telegram.state), in the staff language."""
import datetime as dt

import trytond.config as config
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking.common import utc_now

from . import spike
from .reply import _
from .wsgi import error_limit

KIND = 'alert'


def _minutes():
    return dt.timedelta(minutes=config.getint(
            'photo_telegram', 'alert_minutes', default=15))


def dead_letters():
    Notification = Pool().get('photo.notification')
    return Notification.search_count([('state', '=', 'dead')])


def late_crons(now):
    "Names of active crons whose call is late: the cron process is away."
    Cron = Pool().get('ir.cron')
    return sorted({c.rec_name for c in Cron.search([
                    ('active', '=', True),
                    ('next_call', '<', now - _minutes())])})


def waiting_tasks(now):
    "Queued tasks due for long and not taken: the worker is away."
    Queue = Pool().get('ir.queue')
    return Queue.search_count([
            ('dequeued_at', '=', None),
            ('enqueued_at', '<', now - _minutes()),
            ['OR', ('scheduled_at', '=', None),
                ('scheduled_at', '<', now - _minutes())],
            ])


def unavailable_payments():
    "Payments left pending because their gateway did not answer."
    pool = Pool()
    try:
        Payment = pool.get('photo.payment.transaction')
    except KeyError:
        return 0
    return Payment.search_count([('state', '=', 'pending'),
            ('attempts', '>', 0)])


def server_errors(now, told):
    """The texts about 5xx answers: one when a spike starts, one when it
    has passed; (texts, alerting now)."""
    ServerError = Pool().get('photo.telegram.server_error')
    limit, minutes = error_limit()
    window = dt.timedelta(minutes=minutes)
    count, latest = ServerError.since(now - window)
    # Rows older than a day (or the window) tell nothing more.
    ServerError.purge(now - max(window, dt.timedelta(days=1)))
    alerting = bool(told.get('errors'))
    change = spike.spike_change(count, limit, alerting)
    if change == 'alert':
        return [_('msg_alert_errors', count=count, minutes=minutes,
                limit=limit, path=latest or '—')], True
    if change == 'recovered':
        return [_('msg_alert_errors_recovered', count=count,
                minutes=minutes)], False
    return [], alerting


def due(now=None):
    """[text] of the alerts to send now; remembers what was told."""
    pool = Pool()
    State = pool.get('photo.telegram.state')
    Configuration = pool.get('photo.configuration')
    now = now or utc_now()
    told = State.load(KIND)
    language = Configuration(1).staff_language
    texts = []
    with Transaction().set_context(
            language=language.code if language else 'en'):
        dead = dead_letters()
        if dead > told.get('dead_letters', 0):
            texts.append(_('msg_alert_dead_letters', count=dead,
                    new=dead - told.get('dead_letters', 0)))
        crons = late_crons(now)
        if crons and not told.get('crons'):
            texts.append(_('msg_alert_cron', minutes=int(
                        _minutes().total_seconds() // 60),
                    crons=', '.join(crons[:5])))
        tasks = waiting_tasks(now)
        if tasks and not told.get('tasks'):
            texts.append(_('msg_alert_worker', count=tasks, minutes=int(
                        _minutes().total_seconds() // 60)))
        payments = unavailable_payments()
        if payments > told.get('payments', 0):
            texts.append(_('msg_alert_gateway', count=payments))
        errors, erring = server_errors(now, told)
        texts.extend(errors)
    for key, value in [('dead_letters', dead), ('crons', bool(crons)),
            ('tasks', bool(tasks)), ('payments', payments),
            ('errors', erring)]:
        if told.get(key) != value:
            State.store(KIND, key, value)
    return texts
