"The client's side of a booking's conversation in the portal cabinet."
import io
import re
from http import HTTPStatus

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking import security
from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, create_world, set_config, staff_users)
from trytond.modules.photo_chat import upload

from .files import FAKE_PNG, HTML, PDF, SVG, image
from .tools import CSRF_RE, PASSWORD, BookingChatMixin, open_portal


class ChatPortalTestCase(BookingChatMixin, RouteTestCase):
    "The client chats with the studio from the cabinet"
    module = 'photo_chat'
    extras = ['photo_portal']

    def setUp(self):
        super().setUp()
        open_portal(self.addCleanup)

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        WebUser = pool.get('web.user')
        Party = pool.get('party.party')
        w = create_world()
        staff = staff_users(w)
        other = Party(name="Other Client")
        other.save()
        cls.book_for_maria(w, staff)
        WebUser.create([{'email': 'olga@example.com', 'password': PASSWORD,
                    'email_valid': True, 'party': other.id}])

    def client(self):
        return AddressedClient('10.0.7.7')

    def anna_unread(self):
        with Transaction().start(DB_NAME, self.anna, readonly=True):
            return Pool().get('photo.booking')(self.booking).chat_unread

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

    def send_file(self, client, name, data, text='', **headers):
        page = client.get(self.chat_url()).get_data(as_text=True)
        return client.post(self.chat_url() + '?lang=en', data={
                'csrf': CSRF_RE.search(page).group(1), 'text': text,
                'file': (io.BytesIO(data), name)},
            content_type='multipart/form-data', headers=headers)

    def last_message(self, client):
        return client.get(f'{self.chat_url()}/messages?after=0').json[-1]

    def test_client_sends_photo_and_pdf(self):
        """A photo is shown in the conversation and served inline, never
        sniffed; a PDF is a download; both are the booking's attachments
        in the back office"""
        client = self.client()
        self.log_in(client, 'maria@example.com')
        photo = image('JPEG')
        response = self.send_file(client, 'me.png', photo, "My look",
            Accept='application/json')
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        message = self.last_message(client)
        self.assertEqual(message['text'], "My look")
        file, = message['files']
        self.assertEqual((file['name'], file['image']), ('me.jpg', True))
        self.assertRegex(file['url'],
            rf'^{self.chat_url()}/files/[0-9a-f]{{32}}$')

        response = client.get(file['url'])
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.data, photo)
        self.assertEqual(response.headers['Content-Type'], 'image/jpeg')
        self.assertTrue(response.headers['Content-Disposition'].startswith(
                'inline; filename="me.jpg"'))
        self.assertEqual(
            response.headers['X-Content-Type-Options'], 'nosniff')
        self.assertIn('sandbox', response.headers['Content-Security-Policy'])
        self.assertTrue(client.get(file['download']).headers[
                'Content-Disposition'].startswith('attachment;'))

        self.assertEqual(self.send_file(client, 'contract.pdf', PDF)
            .status_code, HTTPStatus.SEE_OTHER)
        file, = self.last_message(client)['files']
        self.assertFalse(file['image'])
        response = client.get(file['url'])
        self.assertEqual(response.headers['Content-Type'], 'application/pdf')
        self.assertTrue(response.headers['Content-Disposition'].startswith(
                'attachment; filename="contract.pdf"'))
        page = client.get(self.chat_url()).get_data(as_text=True)
        self.assertIn('<img src="/account/booking/', page)
        self.assertIn('>contract.pdf</a>', page)

        # In sao: the booking's attachments, and the chat names them.
        with Transaction().start(DB_NAME, self.anna, readonly=True):
            pool = Pool()
            Attachment = pool.get('ir.attachment')
            Channel = pool.get('ir.chat.channel')
            self.assertEqual(
                {a.name for a in Attachment.search([
                            ('resource', '=',
                                f'photo.booking,{self.booking}')])},
                {'me.jpg', 'contract.pdf'})
            contents = [m['content'] for m in Channel.get(
                    f'photo.booking,{self.booking}')]
            self.assertIn("My look\n\N{PAPERCLIP} me.jpg", contents)

    def test_files_refused(self):
        """A page, a drawing, a forged photo or an oversized file are
        refused with a clear message; nothing is posted"""
        client = self.client()
        self.log_in(client, 'maria@example.com')
        before = len(client.get(f'{self.chat_url()}/messages').json)
        only = "Only photos (JPEG, PNG, WebP) and PDF documents can be sent."
        for name, data, status, error in [
                ('photo.jpg', HTML, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, only),
                ('logo.svg', SVG, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, only),
                ('photo.png', FAKE_PNG, HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    only),
                ('big.png', image() + b'\0' * upload.MAX_SIZE,
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "A file is at most 10 MB."),
                ]:
            with self.subTest(name=name):
                response = self.send_file(client, name, data)
                self.assertEqual(response.status_code, status)
                self.assertIn(error, response.get_data(as_text=True))
        self.assertEqual(
            len(client.get(f'{self.chat_url()}/messages').json), before)

    def test_files_only_for_the_parties(self):
        """Another client, a visitor and a guessed token get nothing; a
        staff file is served only once shared in the chat"""
        client = self.client()
        self.log_in(client, 'maria@example.com')
        self.send_file(client, 'plan.pdf', PDF)
        file, = self.last_message(client)['files']
        with Transaction().start(DB_NAME, self.anna) as transaction:
            Pool().get('ir.attachment').create([{
                        'resource': f'photo.booking,{self.booking}',
                        'name': 'internal.pdf', 'data': PDF,
                        'chat_token': 'f' * 32}])
            transaction.commit()

        self.assertEqual(self.client().get(file['url']).status_code,
            HTTPStatus.SEE_OTHER)
        olga = self.client()
        self.log_in(olga, 'olga@example.com')
        self.assertEqual(olga.get(file['url']).status_code,
            HTTPStatus.NOT_FOUND)
        for token in ['f' * 32, '0' * 32, 'x']:
            self.assertEqual(client.get(
                    f'{self.chat_url()}/files/{token}').status_code,
                HTTPStatus.NOT_FOUND)

    def test_links_are_safe(self):
        "Links are clickable with rel=noopener nofollow, markup stays text"
        client = self.client()
        self.log_in(client, 'maria@example.com')
        self.staff_post('Map: https://maps.example.com/?q=1&z=2. '
            '<a href="javascript:alert(1)">x</a>')
        page = client.get(self.chat_url()).get_data(as_text=True)
        self.assertIn('<a href="https://maps.example.com/?q=1&amp;z=2" '
            'rel="noopener nofollow ugc" target="_blank">', page)
        self.assertIn('&lt;a href=&#34;javascript:alert(1)&#34;&gt;', page)
        self.assertNotIn('href="javascript', page)
        segments = self.last_message(client)['segments']
        self.assertEqual(segments[1],
            ['link', 'https://maps.example.com/?q=1&z=2'])

    def test_rate_limit_per_account(self):
        "Past the limit an account is refused, from any address"
        set_config(self.addCleanup, 'photo_booking', 'rate_limit_chat',
            '2/60')
        security._memory._hits.clear()
        first, second = self.client(), AddressedClient('10.0.7.8')
        for client in (first, second):
            self.log_in(client, 'maria@example.com')
        self.assertEqual(self.post(first, "1").status_code,
            HTTPStatus.SEE_OTHER)
        self.assertEqual(self.post(second, "2").status_code,
            HTTPStatus.SEE_OTHER)
        response = self.post(second, "3")
        self.assertEqual(response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertIn("Too many attempts", response.get_data(as_text=True))
