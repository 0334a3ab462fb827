"The client's side of a booking's conversation in the portal cabinet."
import re
from http import HTTPStatus

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, create_world, local, relax_abuse_limits, set_config,
    staff_users, tomorrow)

CSRF_RE = re.compile(r'name="csrf" (?:value|content)="([^"]+)"')
PASSWORD = 'Correct-Horse-7-Battery'


class ChatPortalTestCase(RouteTestCase):
    "The client chats with the studio from the cabinet"
    module = 'photo_chat'
    extras = ['photo_portal']

    def setUp(self):
        super().setUp()
        for key, value in [
                ('portal_database', DB_NAME),
                ('redis_url', ''),
                ('rate_limit_login', '1000/60'),
                ]:
            set_config(self.addCleanup, 'photo_booking', key, value)
        relax_abuse_limits(self.addCleanup)

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Booking = pool.get('photo.booking')
        WebUser = pool.get('web.user')
        Party = pool.get('party.party')
        w = create_world()
        staff = staff_users(w)
        other = Party(name="Other Client")
        other.save()
        maria, olga = WebUser.create([{
                    'email': email, 'password': PASSWORD,
                    'email_valid': True, 'party': party.id}
                for email, party in [
                    ('maria@example.com', w.client),
                    ('olga@example.com', other)]])
        booking = Booking.create_hold(
            w.service, local(w.studio, tomorrow(), 11), w.client, w.studio)
        booking.web_user = maria
        booking.save()
        Booking.confirm([booking])
        cls.booking, cls.token = booking.id, booking.token
        cls.anna = staff.photographers[0].id

    def client(self):
        return AddressedClient('10.0.7.7')

    def log_in(self, client, email):
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

    def anna_unread(self):
        with Transaction().start(DB_NAME, self.anna, readonly=True):
            return Pool().get('photo.booking')(self.booking).chat_unread

    def chat_url(self):
        return f'/account/booking/{self.token}/chat'

    def post(self, client, text, **headers):
        page = client.get(self.chat_url()).get_data(as_text=True)
        return client.post(self.chat_url() + '?lang=en', data={
                'csrf': CSRF_RE.search(page).group(1), 'text': text},
            headers=headers)

    def test_client_and_photographer_chat(self):
        """The client sees the photographer's public messages (not staff
        notes) with an unread badge in the cabinet, and writes back: the
        message reaches the photographer's unread count"""
        client = self.client()
        self.log_in(client, 'maria@example.com')
        cabinet = client.get('/account?lang=en').get_data(as_text=True)
        self.assertIn(f'href="{self.chat_url()}"', cabinet)
        self.assertNotIn('class="badge"', cabinet)

        self.staff_post("Bring a <b>hat</b>")
        self.staff_post("She is often late", audience='internal')
        cabinet = client.get('/account?lang=en').get_data(as_text=True)
        self.assertRegex(cabinet, r'class="badge"[^>]*>1</span>')

        page = client.get(self.chat_url() + '?lang=en').get_data(as_text=True)
        self.assertIn("Bring a &lt;b&gt;hat&lt;/b&gt;", page)
        self.assertNotIn("often late", page)
        cabinet = client.get('/account?lang=en').get_data(as_text=True)
        self.assertNotIn('class="badge"', cabinet)
        last = int(re.search(r'data-last="(\d+)"', page).group(1))

        response = self.post(
            client, "Can we start at 11:30?", Accept='application/json')
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        response = client.get(
            f'{self.chat_url()}/messages?after={last}&lang=en')
        self.assertEqual(
            [(m['mine'], m['author'], m['text']) for m in response.json],
            [(True, "You", "Can we start at 11:30?")])
        self.assertEqual(self.anna_unread(), 1)
        self.staff_post("Yes")
        self.assertEqual(
            [m['text'] for m in client.get(
                    f'{self.chat_url()}/messages?after={last}').json],
            ["Can we start at 11:30?", "Yes"])

    def test_only_the_client_reads_the_conversation(self):
        "Another client gets 404; a visitor is sent to log in"
        client = self.client()
        self.assertEqual(
            client.get(self.chat_url()).status_code, HTTPStatus.SEE_OTHER)
        self.log_in(client, 'olga@example.com')
        for url in [self.chat_url(), self.chat_url() + '/messages']:
            self.assertEqual(
                client.get(url).status_code, HTTPStatus.NOT_FOUND)

    def test_message_limits(self):
        "An empty or too long message is refused with a clear 400"
        client = self.client()
        self.log_in(client, 'maria@example.com')
        for text, error in [
                ("  ", "Write a message first."),
                ("x" * 4001, "A message is at most 4000 characters."),
                ]:
            response = self.post(client, text)
            self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
            self.assertIn(error, response.get_data(as_text=True))
        response = client.get(self.chat_url() + '/messages?after=x')
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
