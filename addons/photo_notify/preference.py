"Which channels photographers and managers are told on, in their order."
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.photo_booking.encryption import (
    EncryptedMixin, encrypted)

from .notification import CHANNELS


class Preference(EncryptedMixin, sequence_ordered(), ModelSQL, ModelView):
    "Notification Channel"
    __name__ = 'photo.notification.preference'
    user = fields.Many2One('res.user', "User", required=True,
        ondelete='CASCADE')
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    address = encrypted(fields.Char("Address",
            help="Where to write on this channel: empty takes the user's "
            "e-mail, or the Telegram chat linked to the photographer. "
            "A phone number for SMS."))
    active = fields.Boolean("Active")

    @classmethod
    def default_user(cls):
        return Transaction().user

    @classmethod
    def default_active(cls):
        return True

    @classmethod
    def of_user(cls, user):
        """(channels in preferred order, {channel: address}) of user; by
        default their e-mail."""
        Photographer = Pool().get('photo.photographer')
        preferences = cls.search([('user', '=', user.id)])
        channels = [p.channel for p in preferences] or ['email']
        addresses = {'email': user.email}
        photographers = Photographer.search([('user', '=', user.id)],
            limit=1)
        if photographers:
            addresses['telegram'] = getattr(
                photographers[0], 'telegram_chat', None)
        for preference in preferences:
            if preference.address:
                addresses[preference.channel] = preference.address
        return channels, addresses
