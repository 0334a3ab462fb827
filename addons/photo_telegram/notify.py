"""What the bot adds to photo_notify's messages: the deep link to the bot
in a client's booking mails (until their Telegram is linked), and Confirm /
Decline buttons under a photographer's request alert in Telegram, answered
by the bot's own handlers (staff.approve / staff.decline)."""
from trytond.pool import PoolMeta

from . import people, staff
from .reply import _

# The client's mails about a booking to come that invite to the bot.
BOT_LINK_EVENTS = {'requested', 'confirmed', 'rescheduled', 'reminder'}
# The photographer's alerts of a request waiting for their answer.
REQUEST_EVENTS = {'requested', 'request_waiting'}


class Notification(metaclass=PoolMeta):
    __name__ = 'photo.notification'

    def extra_links(self):
        links = super().extra_links()
        if (self.channel == 'email' and self.recipient == 'client'
                and self.event in BOT_LINK_EVENTS and self.party
                and not self.party.telegram_chat):
            # Made as the mail is rendered: lives client_link_days from
            # the sending, and stops working once the chat is linked.
            url = people.start_url(self.party)
            if url:
                links.append((_('msg_mail_telegram'), url))
        return links

    def chat_actions(self):
        actions = super().chat_actions()
        if (self.channel == 'telegram' and self.recipient == 'photographer'
                and self.event in REQUEST_EVENTS and self.booking
                and self.booking.state == 'requested'):
            actions.append([(b.label, b.data)
                    for b in staff.request_buttons(self.booking)])
        return actions
