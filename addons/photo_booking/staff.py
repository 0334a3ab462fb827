"""Back-office notifications (res.notification) to the studio's managers and
whoever else a matter concerns, each opening the records it is about."""
import json

from trytond.pool import Pool
from trytond.transaction import without_check_access


def one_line(text):
    """text on one line, as a notification's fields must be: an error's
    message (a gateway's, a calendar server's) may hold line breaks."""
    return ' '.join((text or '').split())


def notify_staff(records, label, description='', icon='tryton-warning',
        users=(), model=None):
    """Tell every studio manager, and users, of label (description: the
    detail, such as an error) about records (of model, by default theirs)."""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Notification = pool.get('res.notification')
    User = pool.get('res.user')
    group = ModelData.get_id('photo_booking', 'group_photo_manager')
    recipients = set(User.search([('groups', '=', group)]))
    recipients.update(users)
    if model is None and records:
        model = records[0].__name__
    return Notification.create([{
                'user': user.id,
                'label': one_line(label),
                'description': one_line(description)[:200],
                'icon': icon,
                'model': model,
                'records': json.dumps([r.id for r in records]),
                } for user in sorted(recipients, key=lambda u: u.id)])


def forget_notifications(model, ids):
    """Delete everyone's notifications about the records ids of model, all
    deleted: opening one would only show an error."""
    Notification = Pool().get('res.notification')
    ids = set(ids)
    with without_check_access():
        gone = [n for n in Notification.search([('model', '=', model)])
            if set(json.loads(n.records or '[]')) <= ids]
        if gone:  # trytond's delete of none queries "user IN ()"
            Notification.delete(gone)
