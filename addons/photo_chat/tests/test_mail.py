"""Chat messages reach people who are away by e-mail (photo_notify's
outbox), at most once per conversation and interval, and replying to the
mail posts into the chat."""
from email import policy
from email.message import EmailMessage
from http import HTTPStatus

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.photo_booking.tests.cases import RouteTestCase
from trytond.modules.photo_booking.tests.tools import (
    AddressedClient, create_world, set_config, staff_users)
from trytond.modules.photo_chat.text import REPLY_MARK
from trytond.modules.photo_notify.tests.fake_smtp import SMTPServer

from .tools import CSRF_RE, BookingChatMixin, open_portal

KEY = 'inbound-key-for-tests'


class ChatMailTestCase(BookingChatMixin, RouteTestCase):
    "Offline people are mailed, and their replies join the conversation"
    module = 'photo_chat'
    extras = ['photo_notify', 'photo_portal']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.smtp = cls.enterClassContext(SMTPServer())
        for section, key, value in [
                ('email', 'uri', f'smtp://127.0.0.1:{cls.smtp.port}'),
                ('email', 'from', 'Studio <studio@example.com>'),
                ('photo_notify', 'portal_url', 'https://studio.example.com'),
                ('photo_chat', 'inbound_key', KEY),
                ]:
            set_config(cls.addClassCleanup, section, key, value)
        open_portal(cls.addClassCleanup)

    @classmethod
    def setUpDatabase(cls):
        User = Pool().get('res.user')
        w = create_world()
        staff = staff_users(w)
        User.write(staff.photographers, {'email': 'anna@example.com'})
        cls.book_for_maria(w, staff)

    def setUp(self):
        super().setUp()
        self.smtp.messages.clear()

    def chat_rows(self):
        "(recipient, channel, address) of the booking's chat notifications."
        with Transaction().start(DB_NAME, 0, readonly=True):
            Notification = Pool().get('photo.notification')
            return [(n.recipient, n.channel, n.address)
                for n in Notification.search([
                        ('booking', '=', self.booking),
                        ('event', '=', 'chat_message'),
                        ], order=[('id', 'ASC')])]

    def send_due(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            Notification = Pool().get('photo.notification')
            Notification.deliver(Notification.claim())
            transaction.commit()

    def forget_notifications(self):
        """As if the interval had passed and everyone had left: no chat
        notification, no session, no open chat page."""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Notification = pool.get('photo.notification')
            Session = pool.get('ir.session')
            Channel = pool.get('ir.chat.channel')
            Notification.delete(Notification.search([
                        ('event', '=', 'chat_message')]))
            Session.delete(Session.search([]))
            Channel.write(Channel.search([]), {'client_seen': None})
            transaction.commit()

    def inbound(self, mail, key=KEY):
        return AddressedClient('10.0.9.9').post(
            f'/{DB_NAME}/photo_chat/inbound/{key}',
            data=mail.as_bytes(policy=policy.SMTP),
            headers={'Content-Type': 'message/rfc822'})

    def test_mail_round_trip(self):
        """The client, away, gets one mail for two messages with the
        conversation's Reply-To; her reply by mail shows in the portal and
        in sao, and tells Anna, away too"""
        self.forget_notifications()
        self.send_due()  # the booking's own news (confirmed)
        self.smtp.messages.clear()
        self.staff_post("Bring a <b>hat</b>")
        self.staff_post("And sunglasses: https://example.com/list")
        self.staff_post("She is often late", audience='internal')
        self.assertEqual(self.chat_rows(),
            [('client', 'email', 'maria@example.com')])

        self.send_due()
        mail, = self.smtp.wait(1)
        self.assertEqual(mail['To'], 'maria@example.com')
        reply_to = mail['Reply-To']
        self.assertRegex(reply_to, r'^studio\+[0-9a-f]{32}@example\.com$')
        self.assertTrue(mail['Subject'].startswith(
                'New message about your booking '))
        text = mail.get_body(('plain',)).get_content()
        self.assertTrue(text.startswith(REPLY_MARK))
        self.assertIn("Bring a <b>hat</b>", text)
        self.assertIn("And sunglasses", text)
        self.assertNotIn("often late", text)
        self.assertIn(
            f'https://studio.example.com{self.chat_url()}', text)
        html = mail.get_body(('html',)).get_content()
        self.assertIn("Bring a &lt;b&gt;hat&lt;/b&gt;", html)

        reply = EmailMessage()
        reply['From'] = "Maria <maria@example.com>"
        reply['To'] = reply_to
        reply['Subject'] = 'Re: ' + mail['Subject']
        reply['Message-ID'] = '<r1@mail.example.net>'
        reply['In-Reply-To'] = mail['Message-ID']
        quoted = '\n'.join('> ' + line for line in text.splitlines())
        reply.set_content(
            "Хорошо, возьму шляпу.\n\n"
            f"On Sun, Studio <studio@example.com> wrote:\n{quoted}\n",
            cte='base64')
        self.assertEqual(
            self.inbound(reply, key='wrong').status_code,
            HTTPStatus.FORBIDDEN)
        self.assertEqual(self.inbound(reply).status_code,
            HTTPStatus.NO_CONTENT)
        forged = EmailMessage()
        for key in ('To', 'Subject'):
            forged[key] = reply[key]
        forged['From'] = 'mallory@example.org'
        forged.set_content("Pay me")
        self.assertEqual(self.inbound(forged).status_code,
            HTTPStatus.NOT_FOUND)

        client = AddressedClient('10.0.9.7')
        self.log_in(client)
        messages = client.get(
            f'{self.chat_url()}/messages?after=0&lang=en').json
        self.assertEqual(
            [(m['mine'], m['text']) for m in messages][-1],
            (True, "Хорошо, возьму шляпу."))
        with Transaction().start(DB_NAME, self.anna, readonly=True):
            Channel = Pool().get('ir.chat.channel')
            self.assertEqual(
                Channel.get(f'photo.booking,{self.booking}')[-1]['content'],
                "Хорошо, возьму шляпу.")
        self.assertIn(('follower', 'email', 'anna@example.com'),
            self.chat_rows())

    def test_nobody_online_is_mailed(self):
        """The client with the chat page open and Anna with a live session
        are not mailed; the author never is"""
        self.forget_notifications()
        client = AddressedClient('10.0.9.8')
        self.log_in(client)
        client.get(f'{self.chat_url()}/messages?after=0')  # a poll
        self.staff_post("Are you there?")
        self.assertEqual(self.chat_rows(), [])

        with Transaction().start(DB_NAME, 0) as transaction:
            Session = Pool().get('ir.session')
            with transaction.set_user(self.anna):
                Session.new()
            transaction.commit()
        page = client.get(self.chat_url()).get_data(as_text=True)
        response = client.post(self.chat_url(), data={
                'csrf': CSRF_RE.search(page).group(1), 'text': "Yes!"})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(self.chat_rows(), [])
