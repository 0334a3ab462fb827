"""What the tests of the booking's conversation over HTTP share: a
confirmed booking of Maria (a portal account) with Anna, a back-office
photographer; Maria signing in, Anna writing."""
import re
from http import HTTPStatus

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.tools import (
    portal_booking, relax_abuse_limits, set_config)

CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
PASSWORD = 'Correct-Horse-7-Battery'


def open_portal(add_cleanup):
    """The portal on the test database, without Redis, its limits relaxed
    (sign-in, chat and abuse's), until add_cleanup's cleanups run."""
    for key, value in [
            ('portal_database', DB_NAME),
            ('redis_url', ''),
            ('rate_limit_login', '1000/60'),
            ('rate_limit_chat', '1000/60'),
            ]:
        set_config(add_cleanup, 'photo_booking', key, value)
    relax_abuse_limits(add_cleanup)


class BookingChatMixin:
    "For a RouteTestCase whose setUpDatabase calls book_for_maria."

    @classmethod
    def book_for_maria(cls, w, staff):
        """Maria's portal account (maria@example.com, PASSWORD) for world
        w's client and her confirmed booking (cls.booking, cls.token) with
        the first of staff's photographers (cls.anna)."""
        _, booking = portal_booking(w, password=PASSWORD, email_valid=True)
        cls.booking, cls.token = booking.id, booking.token
        cls.anna = staff.photographers[0].id

    def log_in(self, client, email='maria@example.com'):
        page = client.get('/account/login').get_data(as_text=True)
        response = client.post('/account/login', data={
                'csrf': CSRF_RE.search(page).group(1),
                'email': email, 'password': PASSWORD})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)

    def staff_post(self, text, audience='public'):
        "Anna writes in sao's chat panel."
        with Transaction().start(DB_NAME, 0) as transaction:
            Channel = Pool().get('ir.chat.channel')
            with transaction.set_user(self.anna):
                Channel.post(f'photo.booking,{self.booking}', text, audience)
            transaction.commit()

    def chat_url(self):
        return f'/account/booking/{self.token}/chat'
