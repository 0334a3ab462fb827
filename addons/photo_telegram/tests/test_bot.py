"""Whole conversations with the bot through the fake Bot API, as clients
and as photographers."""
import asyncio
import os
import re
import unittest
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.tests.test_tryton import activate_module, with_transaction

from trytond.modules.photo_booking.common import utc_now
from trytond.modules.photo_booking.tests.database import cache_modules
from trytond.modules.photo_booking.tests.tools import (
    as_user, create_on_location, create_world, local, set_config, soon,
    staff_users, tomorrow)
from trytond.modules.photo_notify.tests.fake_smtp import SMTPServer
from trytond.modules.photo_payment.tests.tools import (
    configure, create_gateways, start_fakes)

from trytond.modules.photo_portal.tests.texts import page_text_problems
from trytond.modules.photo_telegram import bot as bot_module
from trytond.modules.photo_telegram import people
from trytond.modules.photo_telegram.tests.tools import (
    CONVERSATION_SETTINGS, bot_driver, serve_until_answered, start_bot_api)

CLIENT_CHAT = 5001
PHOTOGRAPHER_CHAT = 7001



class PhotoTelegramBotTestCase(unittest.TestCase):
    "Conversations with the Telegram bot"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        modules = ['photo_telegram', 'photo_portal', 'photo_payment']
        cache_modules(modules)
        activate_module(modules)
        cls.smtp = cls.enterClassContext(SMTPServer())
        start_bot_api(cls, *CONVERSATION_SETTINGS,
            ('email', 'uri', f'smtp://127.0.0.1:{cls.smtp.port}'),
            ('email', 'from', 'studio@example.com'))
        start_fakes(cls)

    def setUp(self):
        super().setUp()
        configure(self)
        bot_module.FLOOD._hits.clear()

    def driver(self):
        return bot_driver(self)

    def client_world(self, **world_args):
        "(world, driver, the world's client linked in chat) of create_world."
        world = create_world(**world_args)
        driver = self.driver()
        return world, driver, self.linked_client(world, driver)

    def staff_world(self, **world_args):
        """(world, driver, the chat of the world's first photographer, linked
        as a staff user) of create_world."""
        world = create_world(**world_args)
        users = staff_users(world)
        driver = self.driver()
        return world, driver, self.linked_photographer(
            world, driver, users.photographers[0])

    def linked_client(self, world, driver, chat=CLIENT_CHAT, web=True):
        "The world's client, with a portal account, linked by deep link."
        WebUser = Pool().get('web.user')
        if web:
            WebUser.create([{'email': 'anna@example.com',
                        'party': world.client.id}])
        anna = driver.chat(chat)
        anna.send(f'/start {people.token_of(world.client)}')
        return anna

    def booked_soon(self, hours):
        """A client linked in chat (client_world of a studio open all day)
        and a booking of theirs starting on the first whole hour, at least
        hours from now, that ends before the studio closes (soon):
        (world, the client's chat, booking)."""
        Booking = Pool().get('photo.booking')
        world, _, anna = self.client_world(
            opening=(dt.time(0), dt.time(23, 59)),
            working=(dt.time(0), dt.time(23, 59)))
        start = soon(world.studio, hours)
        booking = Booking.create_hold(world.service, start, world.client,
            world.studio, source='web')
        Booking.submit([booking])
        return world, anna, booking

    def book_by_chat(self, anna, day=None, hour=11, photographer=None):
        "Go through /book to the summary of day at hour (no confirm)."
        day = day or tomorrow(2)
        anna.send('/book')
        anna.tap(r'Portrait · .*')
        if photographer:
            anna.tap(photographer)
        self.pick_day(anna, day)
        return anna.tap(f'{hour:02d}:00')

    def pick_day(self, anna, day, studio_tz='Europe/Moscow'):
        "Tap day in the calendar shown, going to its month first."
        shown = dt.datetime.now(ZoneInfo(studio_tz)).date()
        for _ in range((day.year - shown.year) * 12
                + day.month - shown.month):
            anna.tap('»')
        return anna.tap(f'{day.day}✅')

    # --- linking -------------------------------------------------------------

    @with_transaction()
    def test_client_links_by_deep_link_once(self):
        "/start <token> links the client; the same link again does not"
        Party = Pool().get('party.party')
        world = create_world()
        driver = self.driver()
        token = people.token_of(world.client)

        anna = driver.chat(CLIENT_CHAT)
        answer, = anna.send(f'/start {token}')

        self.assertIn("Hello, Anna Client! Your Telegram is linked", answer)
        self.assertEqual(Party(world.client.id).telegram_chat,
            str(CLIENT_CHAT))
        other = driver.chat(CLIENT_CHAT + 1)
        self.assertEqual(other.send(f'/start {token}'),
            ["This link does not work: it is wrong or was used already."])
        forged = token[:-1] + ('0' if token[-1] != '0' else '1')
        self.assertIn("does not work", other.send(f'/start {forged}')[0])
        self.assertEqual(Party(world.client.id).telegram_chat,
            str(CLIENT_CHAT))

    @with_transaction()
    def test_cabinet_links_to_the_bot_until_linked(self):
        "The portal cabinet shows the deep link until the client follows it"
        Booking = Pool().get('photo.booking')
        world = create_world()
        driver = self.driver()
        booking = Booking.create_hold(world.service,
            local(world.studio, tomorrow(2), 11), world.client, world.studio,
            source='web', email='anna@example.com')
        Booking.submit([booking])

        def links():
            return [p['url'] for p in Booking(booking.id).portal_panels(
                    'cabinet') if p['template'].startswith('photo_telegram')]
        url, = links()
        self.assertTrue(url.startswith('https://t.me/studio_test_bot?start='))
        answer, = driver.chat(CLIENT_CHAT).send(
            '/start ' + url.split('start=')[1])
        self.assertIn("Your Telegram is linked", answer)
        self.assertEqual(links(), [])
        module_dir = os.path.dirname(os.path.dirname(__file__))
        self.assertEqual(page_text_problems(module_dir, 'ru'), [])

    @with_transaction()
    def test_expired_link_says_so(self):
        "A deep link past its lifetime asks for a new one"
        world = create_world()
        driver = self.driver()
        token = people.token_of(world.client,
            now=utc_now() - dt.timedelta(days=30))
        answer, = driver.chat(CLIENT_CHAT).send(f'/start {token}')
        self.assertIn("This link has expired", answer)

    @with_transaction()
    def test_new_person_shares_own_contact_then_unlinks(self):
        "A stranger shares their phone, becomes a client, and unlinks"
        Party = Pool().get('party.party')
        create_world()
        driver = self.driver()
        vera = driver.chat(CLIENT_CHAT, first_name="Vera")

        welcome, = vera.send('/start')
        self.assertIn("Share your phone number", welcome)
        keyboard = self.api.sent[-1][2]['keyboard']
        self.assertTrue(keyboard[0][0]['request_contact'])
        refused, = vera.share_contact('+79001112233', own=False)
        self.assertIn("your own phone number", refused)
        self.assertFalse(Party.search([('telegram_chat', '=',
                        str(CLIENT_CHAT))]))

        linked, = vera.share_contact('+79001112233')
        self.assertIn("Hello, Vera!", linked)
        party, = Party.search([('telegram_chat', '=', str(CLIENT_CHAT))])
        self.assertEqual(party.mobile, '+79001112233')

        unlinked, = vera.send('/unlink')
        self.assertIn("unlinked", unlinked)
        self.assertIsNone(Party(party.id).telegram_chat)

    @with_transaction()
    def test_staff_link_from_preferences_and_unlink(self):
        "A photographer's one-time link from preferences; unlink there"
        pool = Pool()
        User = pool.get('res.user')
        Photographer = pool.get('photo.photographer')
        Preference = pool.get('photo.notification.preference')
        world = create_world()
        users = staff_users(world)
        driver = self.driver()

        # As the preferences dialog reads them (get_preferences itself
        # commits an avatar, which SQLite's test database cannot take).
        self.assertIn('telegram_link', User._preferences_fields)
        self.assertIn('telegram_linked', User._preferences_fields)
        photographer_user = users.photographers[0].id
        with Transaction().set_user(photographer_user):
            preferences, = User.read([photographer_user],
                ['telegram_link', 'telegram_linked'])
        link = preferences['telegram_link']
        self.assertTrue(link.startswith(
                'https://t.me/studio_test_bot?start='))
        self.assertFalse(preferences['telegram_linked'])
        # Over RPC (preferences check no access): the link is a credential
        # that nobody else reads.
        with Transaction().set_user(users.manager.id):
            # A credential: nobody else reads it.
            self.assertIsNone(User.read([users.photographers[0].id],
                    ['telegram_link'])[0]['telegram_link'])

        answer, = driver.chat(PHOTOGRAPHER_CHAT).send(
            '/start ' + link.split('start=')[1])
        self.assertIn("linked to your studio account", answer)
        self.assertEqual(Photographer(world.photographer.id).telegram_chat,
            str(PHOTOGRAPHER_CHAT))
        self.assertEqual([p.channel for p in Preference.search(
                        [('user', '=', users.photographers[0].id)])],
            ['telegram', 'email'])
        # Used: it links nobody else.
        self.assertIn("does not work", driver.chat(PHOTOGRAPHER_CHAT + 1)
            .send('/start ' + link.split('start=')[1])[0])

        # The manager, who is no photographer: the chat is their channel.
        with Transaction().set_user(users.manager.id):
            token = User(users.manager.id).telegram_link.split('=')[1]
        driver.chat(PHOTOGRAPHER_CHAT + 2).send(f'/start {token}')
        channel, = Preference.search([('user', '=', users.manager.id),
                ('channel', '=', 'telegram')])
        self.assertEqual(channel.address, str(PHOTOGRAPHER_CHAT + 2))

        with Transaction().set_user(photographer_user):
            User.set_preferences({'telegram_linked': False})
            self.assertFalse(User(photographer_user).telegram_linked)
        self.assertIsNone(Photographer(world.photographer.id).telegram_chat)

    # --- clients ---------------------------------------------------------------

    @with_transaction()
    def test_client_books_and_sees_it_in_the_cabinet(self):
        "A booking made in Telegram is in the cabinet and the back office"
        pool = Pool()
        Booking = pool.get('photo.booking')
        WebUser = pool.get('web.user')
        from trytond.modules.photo_portal.cabinet import my_bookings
        world = create_world()
        users = staff_users(world)
        driver = self.driver()
        anna = self.linked_client(world, driver)
        day = tomorrow(2)

        anna.send('/book')
        self.assertEqual(anna.screen, "Which shoot would you like?")
        calendar = anna.tap(r'Portrait · .*')
        self.assertIn("choose a day", calendar)
        times = self.pick_day(anna, day)
        self.assertIn("choose a time", times)
        self.assertIn('10:00', [b for b, _ in anna.buttons()])
        summary = anna.tap('11:00')
        self.assertIn("Portrait with Photographer 1", summary)
        self.assertIn("Price: ", summary)
        self.assertIn("5,000.00", summary)
        self.assertIn("Free cancellation until 24 h before the shoot; "
            "later the fee is 50% of the price.", summary)
        booking, = Booking.search([('client', '=', world.client.id)])
        self.assertEqual(booking.state, 'hold')

        done = anna.tap('Confirm')
        self.assertIn(f"Booked! {booking.number}", done)
        booking = Booking(booking.id)
        self.assertEqual((booking.state, booking.source,
                booking.start), ('confirmed', 'telegram',
                local(world.studio, day, 11)))
        web_user, = WebUser.search([('party', '=', world.client.id)])
        self.assertEqual(my_bookings(pool, web_user), [booking])
        with as_user(users.manager):
            self.assertEqual(Booking.search([('source', '=', 'telegram')]),
                [booking])

    @with_transaction()
    def test_client_pays_a_prepaid_service(self):
        "A prepaid service: the summary tells the prepayment, then pay"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Service = pool.get('photo.service')
        world = create_world()
        Service.write([world.service], {'prepayment_percent': Decimal(30)})
        create_gateways()
        driver = self.driver()
        anna = self.linked_client(world, driver)

        summary = self.book_by_chat(anna)
        self.assertIn("Prepayment: ", summary)
        self.assertIn("1,500.00", summary)
        answer = anna.tap('Confirm')

        booking, = Booking.search([('client', '=', world.client.id)])
        self.assertEqual(booking.state, 'hold')
        self.assertIn("Almost done: pay", answer)
        (label, url), = anna.buttons()
        self.assertIn("1,500.00", label)
        self.assertEqual(url, 'https://studio.example.com/booking/'
            f'{booking.token}/payment')

    @with_transaction()
    def test_time_taken_meanwhile_offers_the_nearest(self):
        "The portal takes the time while the client chooses: alternatives"
        Booking = Pool().get('photo.booking')
        world, driver, anna = self.client_world(rooms=1)
        day = tomorrow(2)
        anna.send('/book')
        anna.tap(r'Portrait · .*')
        self.pick_day(anna, day)

        # Someone books 11:00 on the portal meanwhile.
        portal = Booking.create_hold(world.service,
            local(world.studio, day, 11), world.client, world.studio,
            source='web', email='bob@example.com')
        Booking.submit([portal])
        answer = anna.tap('11:00')

        self.assertIn("this time has just been taken", answer)
        labels = [label for label, _ in anna.buttons()]
        self.assertTrue(any('10:00' in label for label in labels))
        self.assertTrue(any('12:00' in label for label in labels))
        summary = anna.tap(r'.*12:00')
        self.assertIn("The time is held for you", summary)

    @with_transaction()
    def test_stale_button_free_text_and_cancel(self):
        "Old buttons are explained, text re-asks, /cancel leaves"
        Booking = Pool().get('photo.booking')
        world, driver, anna = self.client_world()
        day = tomorrow(2)
        anna.send('/book')
        anna.tap(r'Portrait · .*')
        anna.tap(r'\d+✅')     # any free day: the calendar is gone
        old_calendar, _ = anna.find(r'« Back')
        self.book_by_chat(anna, day)

        self.assertEqual(anna.send("tomorrow please"),
            ["Please choose with the buttons above (or /cancel)."])
        self.assertEqual(anna.send('/cancel'),
            ["Stopped. /book to start again, /help for the rest."])
        hold, = Booking.search([('client', '=', world.client.id)])
        self.assertEqual((hold.state, hold.cancelled_by),
            ('cancelled', 'system'))

        self.assertEqual(anna.tap('Confirm'),
            "This button is out of date: please start again.")
        anna.send('/book')
        self.assertEqual(anna.tap('« Back', old_calendar),
            "This button is out of date: please start again.")

    @with_transaction()
    def test_restart_mid_dialogue_resumes(self):
        "The bot restarts between two taps: the dialogue goes on"
        Booking = Pool().get('photo.booking')
        world, driver, anna = self.client_world()
        day = tomorrow(2)
        anna.send('/book')
        anna.tap(r'Portrait · .*')

        restarted = driver.restart()
        self.addCleanup(restarted.close)
        anna = restarted.chat(CLIENT_CHAT)
        self.pick_day(anna, day)
        anna.tap('11:00')
        anna.tap('Confirm')

        booking, = Booking.search([('client', '=', world.client.id)])
        self.assertEqual(booking.state, 'confirmed')

    @with_transaction()
    def test_my_cancel_shows_the_fee_first(self):
        "/my: a late cancellation shows its fee and asks to confirm"
        Booking = Pool().get('photo.booking')
        _, anna, booking = self.booked_soon(hours=5)

        lines = anna.send('/my')
        self.assertEqual(lines[0], "Your upcoming shoots:")
        self.assertIn(booking.number, lines[1])
        ask = anna.tap('Cancel')
        self.assertIn("Cancellation fee: ", ask)
        self.assertIn("2,500.00", ask)
        self.assertEqual(anna.tap('No, keep it'),
            "Your booking stays as it is.")
        self.assertEqual(Booking(booking.id).state, 'confirmed')

        anna.send('/my')
        anna.tap('Cancel')
        message_id, data = anna.find('Yes, cancel it')
        done = anna.tap('Yes, cancel it')
        self.assertIn("is cancelled", done)
        booking = Booking(booking.id)
        self.assertEqual((booking.state, booking.cancelled_by,
                booking.cancellation_fee),
            ('cancelled', 'client', Decimal('2500.00')))
        # The confirmation, tapped again, is out of date.
        self.assertEqual(anna.tap_data(message_id, data),
            "This booking can no longer be changed.")

    @with_transaction()
    def test_my_reschedule(self):
        "/my: move a shoot to another free time"
        Booking = Pool().get('photo.booking')
        world, driver, anna = self.client_world()
        day, later = tomorrow(2), tomorrow(3)
        booking = Booking.create_hold(world.service,
            local(world.studio, day, 11), world.client, world.studio,
            source='web')
        Booking.submit([booking])

        anna.send('/my')
        self.assertIn("choose a new day", anna.tap('Move'))
        if later.month != day.month:
            anna.tap('»')
        anna.tap(f'{later.day}✅')
        moved = anna.tap('15:00')
        self.assertIn(f"{booking.number} is moved to", moved)
        self.assertEqual(Booking(booking.id).start,
            local(world.studio, later, 15))

    @with_transaction()
    def test_review_after_a_done_shoot(self):
        "A done shoot is reviewed with stars and a few words"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Review = pool.get('photo.review')
        _, anna, booking = self.booked_soon(hours=2)
        Booking.do([booking])

        anna.send('/my')
        review_button = anna.find('Review')
        self.assertIn("Rate it", anna.tap('Review'))
        self.assertIn("Write a few words", anna.tap('5⭐'))
        self.assertEqual(anna.send("Lovely light!"),
            ["Thank you for your review!"])
        review, = Review.search([('booking', '=', booking.id)])
        self.assertEqual((review.rating, review.comment),
            (5, "Lovely light!"))
        self.assertEqual(anna.tap_data(*review_button),
            "You have already reviewed this shoot.")

    @with_transaction()
    def test_russian_client(self):
        "A client whose language is Russian is answered in Russian"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Party = pool.get('party.party')
        Translation = pool.get('ir.translation')
        world = create_world()
        ru, = Lang.search([('code', '=', 'ru')])
        Lang.write([ru], {'translatable': True})
        Translation.translation_import('ru', 'photo_telegram', os.path.join(
                os.path.dirname(os.path.dirname(__file__)), 'locale',
                'ru.po'))
        Party.write([world.client], {'lang': ru.id})
        driver = self.driver()
        anna = self.linked_client(world, driver)
        self.assertEqual(anna.send('/book'), ["Какую съёмку вы хотите?"])

    @with_transaction()
    def test_booking_mail_carries_the_deep_link_until_linked(self):
        "The booking mail links to the bot; once followed, mails do not"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Party = pool.get('party.party')
        world = create_world()
        driver = self.driver()
        self.smtp.messages.clear()
        booking = Booking.create_hold(world.service,
            local(world.studio, tomorrow(2), 11), world.client, world.studio,
            source='web', email='anna@example.com')
        Booking.submit([booking])
        self.send_due()

        mail, = self.mails_to('anna@example.com')
        self.assertIn(booking.number, mail['Subject'])
        text = mail.get_body(('plain',)).get_content()
        self.assertIn("Get reminders and changes in Telegram:", text)
        url, = re.findall(r'https://t\.me/studio_test_bot\?start=\S+', text)
        html = mail.get_body(('html',)).get_content()
        self.assertIn(f'<a href="{url}">', html)

        # Followed from the phone: the bot gets /start <token>.
        answer, = driver.chat(CLIENT_CHAT).send(
            '/start ' + url.split('start=')[1])
        self.assertIn("Hello, Anna Client! Your Telegram is linked", answer)
        self.assertEqual(Party(world.client.id).telegram_chat,
            str(CLIENT_CHAT))

        # Linked: the next mail (the shoot moved) has no link.
        self.smtp.messages.clear()
        Booking.reschedule(Booking(booking.id),
            local(world.studio, tomorrow(3), 12))
        self.send_due()
        moved, = self.mails_to('anna@example.com')
        self.assertNotIn('t.me/', moved.get_body(('plain',)).get_content())
        self.assertNotIn('t.me/', moved.get_body(('html',)).get_content())

    def send_due(self):
        "Send the notifications due, as the dispatcher does."
        Notification = Pool().get('photo.notification')
        return Notification.deliver(Notification.claim())

    def mails_to(self, address):
        return [m for m in self.smtp.wait(1) if m['To'] == address]

    @with_transaction()
    def test_on_location_shoot_by_typed_address(self):
        "A shoot at the client's place: the address is asked, then the time"
        Booking = Pool().get('photo.booking')
        world = create_world()
        outdoor, olga = create_on_location(world)
        driver = self.driver()
        anna = self.linked_client(world, driver)

        anna.send('/book')
        anna.tap(r'Outdoor walk · .*')
        # A new message: a reply keyboard comes only with one.
        self.assertIn("Outdoor walk at your place: write the address",
            anna.screen)
        self.assertTrue(anna.keyboard()[0][0]['request_location'])
        self.assertIn("street, house and city", anna.send('Home')[0])

        noted, calendar = anna.send("  Tverskaya 1,   Moscow ")
        self.assertEqual(noted, "Address of the shoot: Tverskaya 1, Moscow")
        self.assertIsNone(anna.keyboard())      # the keyboard is removed
        self.assertIn("choose a day", calendar)
        self.pick_day(anna, tomorrow(2))
        summary = anna.tap('11:00')
        self.assertIn("Outdoor walk with Olga Outdoor", summary)
        self.assertIn("Tverskaya 1, Moscow", summary)
        self.assertIn("Booked!", anna.tap('Confirm'))

        booking, = Booking.search([('client', '=', world.client.id)])
        self.assertEqual((booking.state, booking.studio, booking.location,
                booking.photographer, booking.start),
            ('confirmed', None, "Tverskaya 1, Moscow", olga,
                local(world.studio, tomorrow(2), 11)))

    @with_transaction()
    def test_on_location_shoot_by_shared_location(self):
        "The client shares their location as the shoot's address"
        Booking = Pool().get('photo.booking')
        world = create_world()
        create_on_location(world)
        driver = self.driver()
        anna = self.linked_client(world, driver)
        anna.send('/book')
        anna.tap(r'Outdoor walk · .*')

        noted, _calendar = anna.share_location(55.751244, 37.618423)
        self.assertIn("55.751244, 37.618423 https://www.openstreetmap.org/",
            noted)
        self.pick_day(anna, tomorrow(2))
        anna.tap('12:00')
        anna.tap('Confirm')
        booking, = Booking.search([('client', '=', world.client.id)])
        self.assertTrue(booking.location.startswith('55.751244, 37.618423'))
        self.assertIsNone(booking.studio)

    @with_transaction()
    def test_nearest_studio_from_a_shared_location(self):
        "Nearest studio: studios by distance, those without coordinates last"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Photographer = pool.get('photo.photographer')
        Studio = pool.get('photo.studio')
        world = create_world()       # its Loft has no coordinates
        arbat, neva = Studio.create([{
                    'name': "Arbat", 'city': "Moscow",
                    'timezone': 'Europe/Moscow',
                    'latitude': Decimal('55.752000'),
                    'longitude': Decimal('37.592500')}, {
                    'name': "Neva", 'city': "Saint Petersburg",
                    'timezone': 'Europe/Moscow',
                    'latitude': Decimal('59.920610'),
                    'longitude': Decimal('30.352980')}])
        Photographer.write([world.photographer],
            {'studios': [('add', [arbat.id, neva.id])]})
        driver = self.driver()
        anna = self.linked_client(world, driver)

        anna.send('/book')
        places = anna.tap(r'Portrait · .*')
        self.assertEqual(places, "Where?")
        self.assertEqual([label for label, _ in anna.buttons()],
            ["Arbat, Moscow", "Loft, Moscow", "Neva, Saint Petersburg",
                "📍 Nearest studio"])
        anna.tap('📍 Nearest studio')
        self.assertIn("Share your location", anna.screen)
        self.assertTrue(anna.keyboard()[0][0]['request_location'])

        # From Red Square.
        thanks, listed = anna.share_location(55.7539, 37.6208)
        self.assertEqual((thanks, listed),
            ("Thank you!", "The studios nearest to you:"))
        self.assertIsNone(anna.keyboard())
        labels = [label for label, _ in anna.buttons()]
        self.assertEqual(len(labels), 3)
        self.assertRegex(labels[0], r'^Arbat, Moscow · 1\.\d km$')
        self.assertRegex(labels[1], r'^Neva, Saint Petersburg · 63\d\.\d km$')
        self.assertEqual(labels[2], "Loft, Moscow")   # no coordinates
        # A studio far away from where they are is still theirs to choose.
        self.assertIn("choose a day", anna.tap(r'Loft, Moscow'))
        self.pick_day(anna, tomorrow(2))
        anna.tap('11:00')
        anna.tap('Confirm')
        booking, = Booking.search([('client', '=', world.client.id)])
        self.assertEqual(booking.studio, world.studio)

    # --- photographers ---------------------------------------------------------

    def linked_photographer(self, world, driver, user):
        answer, = driver.chat(PHOTOGRAPHER_CHAT).send(
            f'/start {people.token_of(user)}')
        self.assertIn("linked", answer)
        return driver.chat(PHOTOGRAPHER_CHAT, first_name="Photographer")

    @with_transaction()
    def test_photographer_confirms_and_declines_requests(self):
        "A manual photographer's day: requests confirmed and declined"
        Booking = Pool().get('photo.booking')
        world = create_world(confirmation='manual', photographers=2)
        day = tomorrow(1, world.studio)  # the bot's /tomorrow
        users = staff_users(world)
        driver = self.driver()
        anna = self.linked_client(world, driver)
        self.book_by_chat(anna, day, 11, "Photographer 1")
        anna.tap('Confirm')
        first, = Booking.search([('state', '=', 'requested')])
        self.assertIn("Request", anna.screen)
        second = Booking.create_hold(world.service,
            local(world.studio, day, 14), world.client,
            world.studio, photographer=first.photographer, source='web',
            phone='+7 900 000-00-01')
        Booking.submit([second])
        other = Booking.create_hold(world.service,
            local(world.studio, day, 15), world.client,
            world.studio, photographer=[p for p in world.photographers
                if p != first.photographer][0], source='web')
        Booking.submit([other])
        user = [u for u, p in zip(users.photographers, world.photographers)
            if p == first.photographer][0]
        boris = self.linked_photographer(world, driver, user)

        lines = boris.send('/requests')
        self.assertEqual(len(lines), 2)
        self.assertIn(first.number, lines[0])
        self.assertIn(f"{first.number} is confirmed",
            boris.tap('Confirm', boris.messages()[-2][0]))
        self.assertIn(f"{second.number} is declined", boris.tap('Decline'))
        self.assertEqual(Booking(first.id).state, 'confirmed')
        second = Booking(second.id)
        self.assertEqual((second.state, second.cancelled_by),
            ('cancelled', 'photographer'))

        schedule = boris.send('/tomorrow')
        self.assertEqual(len(schedule), 2)
        self.assertIn("11:00", schedule[1])
        message_id, _ = boris.find('Client and notes')
        details = boris.tap('Client and notes')
        self.assertIn("Client: Anna Client", details)
        # Only their own bookings: another's is refused.
        self.assertEqual(boris.tap_data(message_id, f'bk:{other.id}'),
            "This booking can no longer be changed.")
        self.assertEqual(boris.tap_data(message_id, f'ap:{other.id}'),
            "This booking can no longer be changed.")
        self.assertEqual(Booking(other.id).state, 'requested')

    @with_transaction()
    def test_photographer_blocks_time_and_takes_a_day_off(self):
        "Block a time range and a day off by writing them"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Busy = pool.get('photo.photographer.busy')
        Exception_ = pool.get('photo.photographer.exception')
        world, driver, boris = self.staff_world()
        day = tomorrow(1, world.studio)  # what "tomorrow" means to the bot
        self.assertEqual(driver.chat(CLIENT_CHAT).send('/block'),
            ["This is for the studio's photographers: link your Telegram "
                "from your preferences in the back office."])

        self.assertIn("Which time", boris.send('/block')[0])
        self.assertIn("I could not read that", boris.send("soon")[0])
        answer, = boris.send("tomorrow 14:00-16:00")
        self.assertIn("Blocked", answer)
        busy, = Busy.search([('photographer', '=', world.photographer.id)])
        self.assertEqual((busy.start, busy.end),
            (local(world.studio, day, 14),
                local(world.studio, day, 16)))
        slots = Booking.available_slots(
            world.service, day, day, studio=world.studio)
        self.assertNotIn(local(world.studio, day, 14),
            [s.start.replace(tzinfo=None) for s in slots])

        boris.send('/dayoff')
        day = tomorrow(3)
        answer, = boris.send(day.strftime('%d.%m.%Y'))
        self.assertIn("is your day off", answer)
        closed, = Exception_.search(
            [('photographer', '=', world.photographer.id)])
        self.assertEqual((closed.kind, closed.date_from), ('closed', day))
        self.assertFalse(Booking.available_slots(world.service, day, day,
                studio=world.studio))

    def second_factor(self, check, **extra):
        """res.user with what photo_auth adds to it, until the test ends:
        check_second_factor = check, second_factor False, and extra."""
        User = Pool().get('res.user')
        for name, value in {'check_second_factor': check,
                'second_factor': False, **extra}.items():
            setattr(User, name, value)
            self.addCleanup(delattr, User, name)
        return User

    @with_transaction()
    def test_second_factor_asked_once_before_staff_actions(self):
        "Staff with a second factor give their code once"
        _, _, boris = self.staff_world()
        User = self.second_factor(lambda self, code: code == '424242')
        self.assertIn("No shoot on", boris.send('/today')[0])
        User.second_factor = True

        self.assertEqual(boris.send('/today'), ["Send your second-factor "
                "code first, then repeat the command."])
        self.assertEqual(boris.send('111111'), ["This code is wrong."])
        self.assertEqual(boris.send('424242'),
            ["Thank you: repeat your command."])
        self.assertIn("No shoot on", boris.send('/today')[0])
        self.assertIn("No shoot on", boris.send('/tomorrow')[0])

    @with_transaction()
    def test_request_alert_has_confirm_and_decline(self):
        "The new-request alert in Telegram confirms and declines in place"
        pool = Pool()
        Booking = pool.get('photo.booking')
        world, _, boris = self.staff_world(confirmation='manual')

        def request(hour):
            booking = Booking.create_hold(world.service,
                local(world.studio, tomorrow(2), hour), world.client,
                world.studio, source='web', email='anna@example.com')
            Booking.submit([booking])
            self.assertEqual(booking.state, 'requested')
            self.send_due()
            message_id, _ = boris.find('Confirm')
            self.assertIn(booking.number, self.api.messages[message_id][
                    'text'])
            return booking, message_id

        first, alert = request(11)
        self.assertEqual(boris.buttons(alert), [
                ('Confirm', f'ap:{first.id}'), ('Decline', f'dc:{first.id}'),
                ('Open the booking', 'https://studio.example.com/admin/'
                    f'#{Transaction().database.name}/model/photo.booking/'
                    f'{first.id}')])
        self.assertIn(f"{first.number} is confirmed", boris.tap(
                'Confirm', alert))
        self.assertEqual(Booking(first.id).state, 'confirmed')
        # Tapped again (another copy of the alert): already done.
        self.assertEqual(boris.tap_data(alert, f'ap:{first.id}'),
            f"{first.number} is already confirmed.")

        second, alert = request(13)
        self.assertIn(f"{second.number} is declined",
            boris.tap('Decline', alert))
        second = Booking(second.id)
        self.assertEqual((second.state, second.cancelled_by),
            ('cancelled', 'photographer'))
        self.assertEqual(boris.tap_data(alert, f'dc:{second.id}'),
            f"{second.number} is already declined.")

        # Not answered in time: the request lapses before the tap.
        third, alert = request(15)
        Booking.lapse_requests(now=Booking(third.id).start)
        self.assertEqual(boris.tap('Confirm', alert),
            f"{third.number} no longer waits for your answer: The "
            "photographer did not answer the request in time.")
        self.assertEqual(Booking(third.id).state, 'cancelled')

        # With a second factor, the code is asked first; the alert stays.
        self.second_factor(
            lambda self, code: code == '424242', second_factor=True)
        fourth, alert = request(17)
        self.assertEqual(boris.tap('Confirm', alert), "Send your "
            "second-factor code in this chat first, then tap the button "
            "again.")
        self.assertEqual(Booking(fourth.id).state, 'requested')
        self.assertIn(('Confirm', f'ap:{fourth.id}'), boris.buttons(alert))
        self.assertEqual(boris.send('424242'),
            ["Thank you: repeat your command."])
        self.assertIn("is confirmed", boris.tap('Confirm', alert))
        self.assertEqual(Booking(fourth.id).state, 'confirmed')

    @with_transaction()
    def test_staff_past_enrolment_deadline_refused(self):
        "Staff who should have enrolled a second factor get no staff action"
        # A user past the deadline, not enrolled
        _, _, boris = self.staff_world()
        User = self.second_factor(lambda self, code: False,
            enrolment_restricted=classmethod(lambda cls, user_id: True))

        answer, = boris.send('/today')
        self.assertIn("Staff actions are closed to you", answer)
        self.assertIn("Ask a manager", answer)
        self.assertIn("Staff actions are closed", boris.send('/tomorrow')[0])
        User.enrolment_restricted = classmethod(lambda cls, user_id: False)
        self.assertIn("No shoot on", boris.send('/today')[0])

    # --- staff alerts ----------------------------------------------------------

    @with_transaction()
    def test_staff_alerts_once_per_change(self):
        "Dead letters, a late cron and a stuck queue reach the staff chat once"
        pool = Pool()
        Booking = pool.get('photo.booking')
        Notification = pool.get('photo.notification')
        Cron = pool.get('ir.cron')
        Queue = pool.get('ir.queue')
        world = create_world()
        set_config(self.addCleanup, 'photo_telegram', 'staff_chat', '-900')
        driver = self.driver()
        store = driver.application.bot_data['store']

        def alerts():
            sent = len(self.api.sent)
            driver.run(bot_module.send_alerts(driver.application, store))
            self.assertTrue(all(c == -900 for c, *_ in self.api.sent[sent:]))
            return [t for _, t, _, _ in self.api.sent[sent:]]
        alerts()  # what the world already has
        booking = Booking.create_hold(world.service,
            local(world.studio, tomorrow(2), 11), world.client, world.studio,
            source='web', email='anna@example.com')
        Booking.submit([booking])
        dead = Notification.search([('booking', '=', booking.id)])[:2]
        Notification.write(dead, {'state': 'dead'})
        cron, = Cron.search([], limit=1)
        Cron.write([cron], {'next_call': utc_now() - dt.timedelta(hours=1)})
        Queue.create([{'name': 'photo.notification.dispatch',
                    'enqueued_at': utc_now() - dt.timedelta(hours=1)}])

        texts = alerts()
        self.assertEqual(len(texts), 3)
        self.assertIn("2 dead letters (2 new)", texts[0])
        self.assertIn("The scheduler has not run", texts[1])
        self.assertIn("has not taken 1 tasks", texts[2])
        self.assertEqual(alerts(), [])

    # --- modes and abuse --------------------------------------------------------

    @with_transaction()
    def test_flood_from_one_chat_is_limited(self):
        "Past the flood limit a chat gets one warning, then silence"
        create_world()
        set_config(self.addCleanup, 'photo_telegram', 'flood_limit', '3/60')
        driver = self.driver()
        vera = driver.chat(CLIENT_CHAT)
        answers = [vera.send('/help') for _ in range(5)]
        self.assertEqual([len(a) for a in answers], [1, 1, 1, 1, 0])
        self.assertEqual(answers[3],
            ["Too many messages: please wait a little."])
        # Another chat is not limited.
        self.assertEqual(len(driver.chat(CLIENT_CHAT + 1).send('/help')), 1)

    @with_transaction()
    def test_long_polling_runs_the_same_handlers(self):
        "The polling command answers the updates getUpdates gives"
        create_world()
        driver = self.driver()
        self.api.updates.clear()
        sent = len(self.api.sent)
        self.api.message(CLIENT_CHAT, '/start')
        stop = asyncio.Event()
        driver.run(serve_until_answered(self.api,
                bot_module.run_polling(driver.application, stop), stop))
        self.assertIn("Share your phone number", self.api.sent[sent][1])
        self.assertEqual(self.api.updates, [])

