"""The client's deep link to the bot in the portal cabinet: under each
upcoming booking of a client whose Telegram is not linked yet (a fragment
of photo_portal's cabinet, see Booking.portal_panels). Registered where
photo_portal is installed (tryton.cfg's `[register photo_portal]`)."""
from trytond.pool import PoolMeta

from trytond.modules.photo_booking.common import ACTIVE_STATES

from . import people


class Booking(metaclass=PoolMeta):
    __name__ = 'photo.booking'

    def portal_panels(self, page):
        panels = super().portal_panels(page)
        if (page == 'cabinet' and self.state in ACTIVE_STATES
                and not self.client.telegram_chat):
            url = people.start_url(self.client)
            if url:
                panels.append({
                        'template': 'photo_telegram/_cabinet.html',
                        'url': url,
                        })
        return panels
