"The client portal in a real Chromium: phone first, then desktop."
import json
import re
import time
from email import message_from_bytes

from playwright.sync_api import expect


def start_booking(page, portal, shot, prefix=''):
    "Home → service → any photographer → first free day; returns the page."
    page.goto(portal['url'] + '/')
    expect(page.get_by_role('heading', name='Запишитесь на фотосъёмку за минуту')).to_be_visible()
    shot(page, f'{prefix}01-home')
    page.get_by_role('link', name='Записаться на съёмку').first.click()
    expect(page.get_by_role('heading', name='Выберите услугу')).to_be_visible()
    shot(page, f'{prefix}02-service')
    page.get_by_role('link', name=re.compile('Portrait')).click()
    expect(page.get_by_role('heading', name='Выберите фотографа')).to_be_visible()
    shot(page, f'{prefix}03-photographer')


def pick_first_day(page, shot, prefix=''):
    expect(page.get_by_role('heading', name='Выберите дату и время')).to_be_visible()
    shot(page, f'{prefix}04-calendar')
    free = page.locator('td.free a')
    if not free.count():
        page.get_by_role('link', name='Следующий месяц').click()
    page.locator('td.free a').first.click()
    expect(page.locator('button.time').first).to_be_visible()
    shot(page, f'{prefix}05-times')


def wait_for_mail(smtp, to):
    "The first mail to to that the SMTP fixture caught."
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for mail in map(message_from_bytes, smtp):
            if mail['To'] == to:
                return mail
        time.sleep(0.05)
    raise AssertionError(f"no mail to {to}")


def test_guest_books_on_phone(phone_page, portal, shot, smtp):
    page = phone_page
    start_booking(page, portal, shot)
    page.get_by_role('link', name=re.compile('Любой свободный')).click()
    # The only studio is chosen at once.
    pick_first_day(page, shot)
    # The zone by its name, once.
    expect(page.get_by_text('время — Москва')).to_have_count(1)
    expect(page.get_by_text('Europe/Moscow')).to_have_count(0)
    time_label = page.locator('button.time').first.inner_text()
    page.locator('button.time').first.click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    shot(page, '06-details')
    # Server-side validation: nothing filled in.
    expect(page.get_by_text('Бесплатная отмена не позднее чем за 24 ч до начала, позже — 50 % цены.')).to_be_visible()
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_text('Укажите корректный адрес почты.')).to_be_visible()
    shot(page, '07-details-errors')
    page.get_by_label('Имя').fill('<script>alert(1)</script> Анна')
    page.get_by_label('Телефон').fill('+7 900 123-45-67')
    page.get_by_label('Эл. почта').fill('anna@example')
    page.get_by_label('Комментарий').fill('Возьму с собой собаку')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Записаться').click()
    # The one mistake is shown; the consent box stays ticked.
    expect(page.get_by_text('Укажите корректный адрес почты.')).to_be_visible()
    expect(page.locator('input[name=consent]')).to_be_checked()
    shot(page, '07b-consent-kept')
    page.get_by_label('Эл. почта').fill('anna@example.com')
    dialogs = []
    page.on('dialog', lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_role('heading', name='Запись подтверждена')).to_be_visible()
    expect(page.get_by_text(f'{time_label} (Москва)')).to_be_visible()
    expect(page.get_by_role('link', name='Скачать .ics')).to_be_visible()
    expect(page.get_by_text('Бесплатная отмена не позднее чем за 24 ч до начала, позже — 50 % цены.')).to_be_visible()
    google = page.get_by_role('link', name='Добавить в Google Календарь')
    assert 'calendar.google.com' in google.get_attribute('href')
    shot(page, '08-confirmed')
    with page.expect_download() as download:
        page.get_by_role('link', name='Скачать .ics').click()
    assert download.value.suggested_filename.endswith('.ics')
    assert not dialogs
    mail = wait_for_mail(smtp, 'anna@example.com')
    assert 'Бесплатная отмена не позднее чем за 24 ч до начала, позже — 50 % цены.' in mail.get_payload(decode=True).decode()
    # Phone layout: nothing wider than the screen.
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 390
    # Signing up starts from the contacts just given.
    page.get_by_role('link', name='Регистрация').click()
    expect(page.get_by_label('Эл. почта')).to_have_value('anna@example.com')
    expect(page.get_by_label('Телефон')).to_have_value('+7 900 123-45-67')
    shot(page, '09-signup-prefilled')


def test_taken_slot_race(new_phone_context, portal, shot):
    first, second = new_phone_context(), new_phone_context()
    url = (f"{portal['url']}/book?service={portal['service']}"
        f"&photographer={portal['bob']}&studio={portal['studio']}")
    for page in (first, second):
        page.goto(url)
        page.locator('td.free a').first.click()
        expect(page.locator('button.time').first).to_be_visible()
    shot(second, '01-both-see-the-time')
    wanted = first.locator('button.time').first.inner_text()
    day = re.search(r'day=(\d{4})-(\d\d)-(\d\d)', second.url)
    first.get_by_role('button', name=wanted, exact=True).click()
    expect(first.get_by_role('heading', name='Ваши данные')).to_be_visible()
    shot(first, '02-first-holds')
    second.get_by_role('button', name=wanted, exact=True).click()
    expect(second.get_by_role(
            'heading', name='Извините, это время только что заняли.')).to_be_visible()
    expect(second.get_by_text('Ближайшее свободное время')).to_be_visible()
    shot(second, '03-second-sees-alternatives')
    alternatives = second.locator('.alt')
    assert alternatives.count() >= 1
    taken = f'{day.group(3)}.{day.group(2)} {wanted}'
    offered = [' '.join(alternatives.nth(i).inner_text().split())
        for i in range(alternatives.count())]
    assert taken not in offered, offered
    alternatives = second.locator('button.time')
    alternatives.first.click()
    expect(second.get_by_role('heading', name='Ваши данные')).to_be_visible()
    shot(second, '04-second-holds-alternative')


def test_desktop_in_english(desktop_page, portal, shot):
    page = desktop_page
    page.goto(portal['url'] + '/?lang=en')
    expect(page.get_by_role('heading', name='Services')).to_be_visible()
    expect(page.get_by_text('Portraits in natural light.')).to_be_visible()
    expect(page.get_by_role('img', name='Anna Lens')).to_be_visible()
    # Visible is not loaded: wait for the photo itself before measuring it.
    # 96 px at 1x: the srcset's 160 px version, not the 192 px original.
    assert page.get_by_role('img', name='Anna Lens').evaluate(
        'img => img.complete ? img.currentSrc : new Promise(resolve => '
        'img.addEventListener("load", () => resolve(img.currentSrc), '
        '{once: true}))').endswith('?w=160')
    expect(page.get_by_text('RUB5,000').first).to_be_visible()
    expect(page.get_by_role('link', name='Show on the map')).to_be_visible()
    shot(page, '01-home')
    page.get_by_role('link', name='Find the nearest studio').click()
    page.get_by_label('City').fill('Moscow')
    page.get_by_role('button', name='Search').click()
    expect(page.get_by_text('In this city')).to_be_visible()
    shot(page, '02-nearest-studio')
    page.get_by_role('link', name='Privacy policy').click()
    expect(page.get_by_role('heading', name='Privacy Policy')).to_be_visible()
    shot(page, '03-privacy')
    page.goto(portal['url'] + '/?lang=ru')
    expect(page.get_by_role('heading', name='Услуги')).to_be_visible()


def test_account_cabinet(desktop_page, portal, shot, mailed_link):
    page = desktop_page
    page.goto(portal['url'] + '/account/signup?lang=en')
    page.get_by_label('Name').fill('Maria Client')
    page.get_by_label('Phone').fill('+79001234567')
    page.get_by_label('Email').fill('maria@example.com')
    page.get_by_label('Password').fill('Correct-Horse-7')
    page.locator('input[name=consent]').check()
    shot(page, '01-signup')
    page.get_by_role('button', name='Sign up').click()
    expect(page.get_by_text(
            'We have sent a message to maria@example.com')).to_be_visible()
    page.goto(portal['url'] + mailed_link(
            'maria@example.com', r'/account/verify\?token=\w+'))
    expect(page.get_by_text('Your email is confirmed')).to_be_visible()
    page.get_by_label('Email').fill('maria@example.com')
    page.get_by_label('Password').fill('Correct-Horse-7')
    page.get_by_role('button', name='Log in').click()
    expect(page.get_by_role('heading', name='My bookings')).to_be_visible()
    shot(page, '02-cabinet-empty')
    page.goto(f"{portal['url']}/book?service={portal['service']}"
        f"&photographer={portal['anna']}&studio={portal['studio']}")
    page.locator('td.free a').last.click()
    page.locator('button.time').last.click()
    expect(page.get_by_label('Email')).to_have_value('maria@example.com')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Book').click()
    expect(page.get_by_role('heading', name='Booking confirmed')).to_be_visible()
    page.get_by_role('link', name='My bookings').click()
    expect(page.get_by_text('Confirmed')).to_be_visible()
    shot(page, '03-cabinet-booking')
    page.get_by_role('link', name='Cancel').click()
    expect(page.get_by_role('heading', name='Cancel the booking?')).to_be_visible()
    shot(page, '04-cancel-fee')
    page.get_by_role('button', name='Yes, cancel the booking').click()
    expect(page.get_by_text('The booking has been cancelled.')).to_be_visible()
    shot(page, '05-cancelled')


def test_pwa_offline(phone_page, portal, shot):
    page = phone_page
    page.goto(portal['url'] + '/')
    manifest = page.evaluate(
        "fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest['display'] == 'standalone'
    page.evaluate('navigator.serviceWorker.ready.then(() => true)')
    page.reload()
    page.wait_for_function('navigator.serviceWorker.controller !== null')
    page.context.set_offline(True)
    page.goto(portal['url'] + '/studios')
    expect(page.get_by_role('heading', name='Нет соединения')).to_be_visible()
    shot(page, '01-offline')
    page.context.set_offline(False)


def test_admin_is_sao_and_root_is_portal(desktop_page, portal):
    page = desktop_page
    page.goto(portal['url'] + '/admin/')
    assert page.title() == 'sao'
    page.goto(portal['url'] + '/')
    expect(page.get_by_role('heading', name='Услуги')).to_be_visible()


def sign_up(page, portal, email, name, mailed_link):
    """A new account on the phone, confirmed from the mailed link, then
    logged in: lands in the cabinet."""
    ask_sign_up(page, portal, email, name)
    page.goto(portal['url']
        + mailed_link(email, r'/account/verify\?token=\w+'))
    log_in(page, email, 'Correct-Horse-7')


def ask_sign_up(page, portal, email, name):
    "The sign-up form on the phone, sent: a mail with the link goes out."
    page.goto(portal['url'] + '/account/signup')
    page.get_by_label('Имя').fill(name)
    page.get_by_label('Телефон').fill('+7 900 765-43-21')
    page.get_by_label('Эл. почта').fill(email)
    page.get_by_label('Пароль').fill('Correct-Horse-7')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Регистрация').click()
    expect(page.get_by_text(f'Мы отправили письмо на {email}')).to_be_visible()


def log_in(page, email, password):
    "The login page in Russian, filled and sent: lands in the cabinet."
    page.get_by_label('Эл. почта').fill(email)
    page.get_by_label('Пароль').fill(password)
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_role('heading', name='Мои записи')).to_be_visible()


def book_with(page, portal, photographer, day='first', time='first'):
    "Book the service with photographer at a free time; returns its token."
    page.goto(f"{portal['url']}/book?service={portal['service']}"
        f"&photographer={portal[photographer]}&studio={portal['studio']}")
    getattr(page.locator('td.free a'), day).click()
    getattr(page.locator('button.time'), time).click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_role('heading', name='Запись подтверждена')).to_be_visible()
    return page.url.rsplit('/', 1)[1]


def test_reschedule_from_cabinet(phone_page, portal, shot, mailed_link):
    page = phone_page
    sign_up(page, portal, 'ivan@example.com', 'Иван Клиент', mailed_link)
    book_with(page, portal, 'bob')
    page.get_by_role('link', name='Мои записи').click()
    booking = page.locator('article.booking')
    old = re.search(r'\d\d\.\d\d\.\d{4} \d\d:\d\d \(Москва\)',
        booking.locator('p').first.inner_text()).group(0)
    shot(page, '01-cabinet')
    page.get_by_role('link', name='Перенести').click()
    expect(page.get_by_role('heading', name='Перенести')).to_be_visible()
    expect(page.get_by_text('сейчас ' + old)).to_be_visible()
    shot(page, '02-picker')
    page.locator('td.free a').last.click()
    expect(page.locator('button.time').first).to_be_visible()
    shot(page, '03-times')
    button = page.locator('button.time').last
    new_time = button.inner_text()
    day = re.search(r'day=(\d{4})-(\d\d)-(\d\d)', page.url)
    button.click()
    expect(page.get_by_text('Запись перенесена.')).to_be_visible()
    new = f'{day.group(3)}.{day.group(2)}.{day.group(1)} {new_time} (Москва)'
    assert new != old
    expect(page.locator('article.booking').get_by_text(new)).to_be_visible()
    expect(page.get_by_text(old)).to_have_count(0)
    shot(page, '04-moved')
    assert page.evaluate('document.documentElement.scrollWidth') <= 390


def mark_done(token):
    "The photographer marks the shoot done, as the back office would."
    import datetime as dt

    from conftest import DATABASE
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(DATABASE, 0):
        Booking = Pool().get('photo.booking')
        booking, = Booking.search([('token', '=', token)])
        start = dt.datetime.utcnow().replace(
            minute=0, second=0, microsecond=0) - dt.timedelta(days=3)
        Booking.write([booking], {
                'start': start, 'end': start + dt.timedelta(hours=1)})
        Booking.do([booking])


def publish_reviews(token):
    "The manager publishes the booking's review, as in the back office."
    from conftest import DATABASE
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(DATABASE, 0):
        Review = Pool().get('photo.review')
        Review.publish(Review.search([('booking.token', '=', token)]))


def test_review_after_shoot(phone_page, portal, shot, mailed_link):
    page = phone_page
    sign_up(page, portal, 'vera@example.com', 'Вера Клиент', mailed_link)
    token = book_with(page, portal, 'bob', day='last', time='first')
    mark_done(token)
    page.get_by_role('link', name='Мои записи').click()
    expect(page.get_by_text('Проведена')).to_be_visible()
    expect(page.get_by_text('Нет предстоящих записей.')).to_be_visible()
    shot(page, '01-done')
    page.get_by_label('Оценка').select_option('4')
    page.get_by_label('Комментарий').fill('Отличный свет и <b>юмор</b>')
    shot(page, '02-review-form')
    page.get_by_role('button', name='Оставить отзыв').click()
    expect(page.get_by_text('Спасибо за отзыв!')).to_be_visible()
    expect(page.get_by_role('button', name='Оставить отзыв')).to_have_count(0)
    shot(page, '03-thanks')
    page.goto(portal['url'] + '/')
    card = page.locator('article.photographer').filter(
        has=page.get_by_role('heading', name='Boris Flash'))
    # Not live before a manager publishes it.
    expect(card.get_by_text('Отличный свет')).to_have_count(0)
    publish_reviews(token)
    page.reload()
    expect(card.get_by_text('★ 4 — Отличный свет и <b>юмор</b>')).to_be_visible()
    expect(card.get_by_text('(отзывов: 1)')).to_be_visible()
    card.scroll_into_view_if_needed()
    shot(page, '04-on-photographer-card')


def test_on_location_on_phone(phone_page, portal, shot):
    page = phone_page
    page.goto(portal['url'] + '/book')
    page.get_by_role('link', name=re.compile('Outdoor walk')).click()
    page.get_by_role('link', name=re.compile('Olga Outdoor')).click()
    expect(page.get_by_role('heading', name='Выберите студию')).to_be_visible()
    location = page.get_by_role(
        'link', name=re.compile(r'Выездная съёмка \(по вашему адресу\)'))
    expect(location).to_be_visible()
    shot(page, '01-studio-step')
    location.click()
    pick_first_day(page, shot, '02-')
    expect(page.get_by_text('Выездная съёмка (по вашему адресу)')).to_be_visible()
    time_label = page.locator('button.time').first.inner_text()
    page.locator('button.time').first.click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    expect(page.get_by_label('Адрес съёмки')).to_be_visible()
    shot(page, '03-details')
    page.get_by_label('Имя').fill('Ольга Гость')
    page.get_by_label('Телефон').fill('+7 900 111-22-33')
    page.get_by_label('Эл. почта').fill('olga.guest@example.com')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_text('Укажите адрес съёмки: улица, дом и город')).to_be_visible()
    shot(page, '04-address-required')
    page.get_by_label('Адрес съёмки').fill('Казань, Кремлёвская ул., 18')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_role('heading', name='Запись подтверждена')).to_be_visible()
    expect(page.get_by_text(
            'Выездная съёмка: Казань, Кремлёвская ул., 18')).to_be_visible()
    expect(page.get_by_text(f'{time_label} (Москва)')).to_be_visible()
    shot(page, '05-confirmed')
    assert page.evaluate('document.documentElement.scrollWidth') <= 390


def test_notification_preferences(phone_page, portal, shot, mailed_link):
    page = phone_page
    sign_up(page, portal, 'lena@example.com', 'Лена Клиент', mailed_link)
    page.get_by_role('link', name='Профиль').click()
    expect(page.get_by_role('heading', name='Профиль')).to_be_visible()
    email = page.get_by_label('Напоминания о записях на почту')
    telegram = page.get_by_label('Сообщения о записях в Telegram')
    expect(email).to_be_checked()
    # No bot has a chat with the client yet: nothing promised.
    expect(telegram).not_to_be_checked()
    shot(page, '01-profile')
    email.uncheck()
    page.get_by_role('button', name='Сохранить').click()
    expect(page.get_by_text('Профиль сохранён.')).to_be_visible()
    shot(page, '02-saved')
    page.get_by_role('link', name='Профиль').click()
    expect(page.get_by_label('Напоминания о записях на почту')).not_to_be_checked()
    expect(page.get_by_label('Сообщения о записях в Telegram')).not_to_be_checked()
    shot(page, '03-profile-again')
    page.get_by_role('link', name='Мои записи').click()
    with page.expect_download() as download:
        page.get_by_role('link', name='Скачать мои данные').click()
    with open(download.value.path(), encoding='utf-8') as file:
        data = json.load(file)
    # Confirmed from the mailed link at sign-up.
    assert data['account']['email_valid'] == 'yes'
    assert data['account']['notifications'] == {
        'email_reminders': 'no', 'telegram_notifications': 'no'}
    assert page.evaluate('document.documentElement.scrollWidth') <= 390


def dearer_manual(photographer_id):
    """The photographer takes 6 000 for every service and approves each
    booking; returns the function that undoes it."""
    from decimal import Decimal

    from conftest import DATABASE
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def set_to(price, confirmation):
        with Transaction().start(DATABASE, 0):
            pool = Pool()
            Offer = pool.get('photo.photographer.service')
            Photographer = pool.get('photo.photographer')
            Offer.write(Offer.search(
                    [('photographer', '=', photographer_id)]),
                {'price': price})
            Photographer.write([Photographer(photographer_id)],
                {'confirmation': confirmation})
    set_to(Decimal(6000), 'manual')
    return lambda: set_to(None, 'auto')


def test_prices_and_approval_before_booking(phone_page, portal, shot):
    page = phone_page
    undo = dearer_manual(portal['bob'])
    try:
        page.goto(f"{portal['url']}/book?service={portal['service']}")
        any_ = page.get_by_role('link', name=re.compile('Любой свободный'))
        expect(any_).to_contain_text('5\xa0000\xa0RUB – 6\xa0000\xa0RUB')
        bob = page.get_by_role('link', name=re.compile('Boris Flash'))
        expect(bob).to_contain_text('6\xa0000\xa0RUB')
        expect(bob).to_contain_text('подтверждает записи лично')
        shot(page, '01-photographers')
        any_.click()
        expect(page.get_by_text(
                'Фотограф назначается вместе с выбранным временем')).to_be_visible()
        expect(page.get_by_text(
                'Portrait · 5\xa0000\xa0RUB – 6\xa0000\xa0RUB')).to_be_visible()
        shot(page, '02-times-any')
        page.goto(f"{portal['url']}/book?service={portal['service']}"
            f"&photographer={portal['bob']}&studio={portal['studio']}")
        page.locator('td.free a').last.click()
        page.locator('button.time').first.click()
        expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
        expect(page.get_by_text('Итоговая цена: 6\xa0000\xa0RUB')).to_be_visible()
        expect(page.get_by_text(
                'Boris Flash подтверждает каждую запись лично')).to_be_visible()
        shot(page, '03-final-price')
        page.get_by_label('Имя').fill('Пётр Гость')
        page.get_by_label('Телефон').fill('+7 900 222-33-44')
        page.get_by_label('Эл. почта').fill('petr.guest@example.com')
        page.locator('input[name=consent]').check()
        page.get_by_role('button', name='Отправить заявку').click()
        expect(page.get_by_role('heading', name='Заявка отправлена')).to_be_visible()
        shot(page, '04-requested')
    finally:
        undo()


def test_released_hold_not_in_cabinet(phone_page, portal, shot, mailed_link):
    page = phone_page
    sign_up(page, portal, 'gleb@example.com', 'Глеб Клиент', mailed_link)
    page.goto(f"{portal['url']}/book?service={portal['service']}"
        f"&photographer={portal['anna']}&studio={portal['studio']}")
    page.locator('td.free a').last.click()
    page.locator('button.time').first.click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    # Back to the times, another one.
    page.go_back()
    page.locator('button.time').last.click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_role('heading', name='Запись подтверждена')).to_be_visible()
    page.get_by_role('link', name='Мои записи').click()
    expect(page.locator('article.booking')).to_have_count(1)
    expect(page.get_by_text('Отменена')).to_have_count(0)
    expect(page.get_by_text('Нет прошедших записей.')).to_be_visible()
    shot(page, '01-cabinet-one-booking')


def test_mistyped_addresses(phone_page, portal, shot):
    page = phone_page
    for path in ['/book/', '/nonexistent', '/account/bookings']:
        response = page.goto(portal['url'] + path)
        assert response.status == 404, path
        expect(page.get_by_role('heading', name='Что-то пошло не так')).to_be_visible()
        expect(page.get_by_text('Такой страницы нет.')).to_be_visible()
    shot(page, '01-404')
    page.get_by_role('link', name='Записаться', exact=True).click()
    expect(page.get_by_role('heading', name='Выберите услугу')).to_be_visible()
    icon = page.request.get(portal['url'] + '/favicon.ico')
    assert icon.status == 200
    assert icon.headers['content-type'] == 'image/vnd.microsoft.icon'


def test_cards_lead_to_booking(phone_page, portal, shot):
    page = phone_page
    page.goto(portal['url'] + '/')
    page.get_by_role('link', name='Записаться к фотографу Boris Flash').click()
    expect(page.get_by_role('heading', name='Выберите услугу')).to_be_visible()
    shot(page, '01-services-of-boris')
    page.get_by_role('link', name=re.compile('Portrait')).click()
    # Boris works in one studio: straight to his times.
    expect(page.get_by_role('heading', name='Выберите дату и время')).to_be_visible()
    expect(page.locator('ol.steps')).to_contain_text('Boris Flash')
    shot(page, '02-times-with-boris')
    page.goto(portal['url'] + '/studios?city=Москва')
    page.get_by_role('link', name='Записаться в эту студию').first.click()
    expect(page.get_by_role('heading', name='Выберите услугу')).to_be_visible()
    page.get_by_role('link', name=re.compile('Portrait')).click()
    expect(page.get_by_role('heading', name='Выберите фотографа')).to_be_visible()
    expect(page.locator('ol.steps')).to_contain_text('Loft')
    shot(page, '03-photographers-of-the-studio')


def test_refused_deletion_goes_back(phone_page, portal, shot, mailed_link):
    page = phone_page
    sign_up(page, portal, 'roma@example.com', 'Рома Клиент', mailed_link)
    page.get_by_text('Удалить аккаунт').first.click()
    page.locator('details.danger button[type=submit]').click()
    expect(page.get_by_text('Отметьте флажок')).to_be_visible()
    shot(page, '01-refused')
    page.get_by_role('link', name='Назад').click()
    expect(page.get_by_role('heading', name='Мои записи')).to_be_visible()


def test_send_validation_link_again(phone_page, portal, shot, smtp):
    page = phone_page
    # Logged in before opening the first link, which got lost.
    ask_sign_up(page, portal, 'kira@example.com', 'Кира Клиент')
    wait_for_mail(smtp, 'kira@example.com')
    page.goto(portal['url'] + '/account/login')
    log_in(page, 'kira@example.com', 'Correct-Horse-7')
    before = len(smtp)
    page.get_by_role('button', name='Отправить ссылку ещё раз').click()
    expect(page.get_by_text('Мы отправили вам новую ссылку')).to_be_visible()
    shot(page, '01-link-sent-again')
    deadline = time.monotonic() + 10
    while len(smtp) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    mail = message_from_bytes(smtp[-1])
    assert mail['To'] == 'kira@example.com'
    link = re.search(r'/account/verify\?token=\w+',
        mail.get_payload(decode=True).decode()).group(0)
    page.goto(portal['url'] + link)
    expect(page.get_by_text('Почта подтверждена')).to_be_visible()
    page.goto(portal['url'] + '/account')
    expect(page.get_by_role('heading', name='Мои записи')).to_be_visible()
    expect(page.get_by_role('button', name='Отправить ссылку ещё раз')).to_have_count(0)


def test_studio_cards_with_pictures(phone_page, portal, shot):
    page = phone_page
    page.goto(portal['url'] + '/studios')
    card = page.locator('article.studio').first
    expect(card.get_by_text('A loft with big windows.')).to_be_visible()
    expect(card.get_by_role('link', name='+7 495 120-45-67')).to_have_attribute(
        'href', 'tel:+74951204567')
    expect(card.get_by_text(re.compile(r'Часы работы: Пн–Вс'))).to_be_visible()
    cover = card.locator('img.cover')
    cover.scroll_into_view_if_needed()
    # The phone picks a version from the srcset, sharp at its 2x pixels.
    source, needed = cover.evaluate(
        'img => new Promise(resolve => { const done = () => resolve('
        '[img.currentSrc, img.clientWidth * devicePixelRatio]); '
        'img.complete ? done() : img.addEventListener("load", done, '
        '{once: true}); })')
    assert int(re.search(r'\?w=(\d+)$', source).group(1)) >= needed
    rooms = card.locator('ul.rooms img')
    assert rooms.count() >= 1
    shot(page, '01-studio-card')
    assert page.evaluate('document.documentElement.scrollWidth') <= 390


def test_proof_of_work_on_phone(browser, portal, shot):
    """A browser's fourth hold within the hour first proves some work
    (conftest: proof_after_device = 3): the page solves the challenge in a
    Web Worker by itself and posts the form again, on to the details."""
    # Without the service worker, whose fetches page.route cannot hold.
    context = browser.new_context(
        viewport={'width': 390, 'height': 844}, locale='ru-RU',
        is_mobile=True, has_touch=True, service_workers='block')
    context.set_default_timeout(15000)
    page = context.new_page()
    url = (f"{portal['url']}/book?service={portal['service']}"
        f"&photographer=any&studio={portal['studio']}")
    page.goto(url)
    page.locator('td.free a').last.click()
    times = page.url
    for index in range(3):
        page.goto(times)
        page.locator('button.time').nth(index).click()
        expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    workers = []
    page.route('**/static/altcha-worker.js', lambda route: workers.append(route))
    page.goto(times)
    page.locator('button.time').nth(3).click()
    expect(page.get_by_role('heading', name='Минутку')).to_be_visible()
    expect(page.get_by_text('Браузер проверяет, что вы не робот')).to_be_visible()
    deadline = time.monotonic() + 10
    while not workers and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert workers, "the page started no worker"
    shot(page, '01-proof-of-work')
    # The worker may start: it solves, and the page posts the form again.
    with page.expect_request(lambda r: r.method == 'POST'
            and 'altcha=' in (r.post_data or '')):
        workers[0].continue_()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    shot(page, '02-held-after-proof')
    context.close()
