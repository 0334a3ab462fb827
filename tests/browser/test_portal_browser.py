"The client portal in a real Chromium: phone first, then desktop."
import json
import re

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


def test_guest_books_on_phone(phone_page, portal, shot, smtp):
    page = phone_page
    start_booking(page, portal, shot)
    page.get_by_role('link', name=re.compile('Любой свободный')).click()
    # The only studio is chosen at once.
    pick_first_day(page, shot)
    expect(page.get_by_text('Europe/Moscow').first).to_be_visible()
    time_label = page.locator('button.time').first.inner_text()
    page.locator('button.time').first.click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    shot(page, '06-details')
    # Server-side validation: nothing filled in.
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_text('Укажите корректный адрес почты.')).to_be_visible()
    shot(page, '07-details-errors')
    page.get_by_label('Имя').fill('<script>alert(1)</script> Анна')
    page.get_by_label('Телефон').fill('+7 900 123-45-67')
    page.get_by_label('Эл. почта').fill('anna@example.com')
    page.get_by_label('Комментарий').fill('Возьму с собой собаку')
    page.locator('input[name=consent]').check()
    dialogs = []
    page.on('dialog', lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    page.get_by_role('button', name='Записаться').click()
    expect(page.get_by_role('heading', name='Запись подтверждена')).to_be_visible()
    expect(page.get_by_text(f'{time_label} (Europe/Moscow)')).to_be_visible()
    expect(page.get_by_role('link', name='Скачать .ics')).to_be_visible()
    google = page.get_by_role('link', name='Добавить в Google Календарь')
    assert 'calendar.google.com' in google.get_attribute('href')
    shot(page, '08-confirmed')
    with page.expect_download() as download:
        page.get_by_role('link', name='Скачать .ics').click()
    assert download.value.suggested_filename.endswith('.ics')
    assert not dialogs
    # Phone layout: nothing wider than the screen.
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 390


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
    assert page.get_by_role('img', name='Anna Lens').evaluate(
        'img => img.complete ? img.naturalWidth : new Promise(resolve => '
        'img.addEventListener("load", () => resolve(img.naturalWidth), '
        '{once: true}))') == 192
    expect(page.get_by_text('5\u202f000 RUB').first).to_be_visible()
    expect(page.get_by_role('link', name='Show on the map')).to_be_visible()
    shot(page, '01-home')
    page.get_by_role('link', name='Find the nearest studio').click()
    page.get_by_label('City').fill('Moscow')
    page.get_by_role('button', name='Search').click()
    expect(page.get_by_text(re.compile(r'km away'))).to_be_visible()
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
    page.goto(portal['url'] + '/account/signup')
    page.get_by_label('Имя').fill(name)
    page.get_by_label('Телефон').fill('+7 900 765-43-21')
    page.get_by_label('Эл. почта').fill(email)
    page.get_by_label('Пароль').fill('Correct-Horse-7')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Регистрация').click()
    expect(page.get_by_text(f'Мы отправили письмо на {email}')).to_be_visible()
    page.goto(portal['url']
        + mailed_link(email, r'/account/verify\?token=\w+'))
    log_in(page, email, 'Correct-Horse-7')


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
    old = re.search(r'\d\d\.\d\d\.\d{4} \d\d:\d\d \(Europe/Moscow\)',
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
    new = f'{day.group(3)}.{day.group(2)}.{day.group(1)} {new_time} (Europe/Moscow)'
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
    expect(page.get_by_text(f'{time_label} (Europe/Moscow)')).to_be_visible()
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
    expect(telegram).to_be_checked()
    shot(page, '01-profile')
    telegram.uncheck()
    page.get_by_role('button', name='Сохранить').click()
    expect(page.get_by_text('Профиль сохранён.')).to_be_visible()
    shot(page, '02-saved')
    page.get_by_role('link', name='Профиль').click()
    expect(page.get_by_label('Напоминания о записях на почту')).to_be_checked()
    expect(page.get_by_label('Сообщения о записях в Telegram')).not_to_be_checked()
    shot(page, '03-profile-again')
    page.get_by_role('link', name='Мои записи').click()
    with page.expect_download() as download:
        page.get_by_role('link', name='Скачать мои данные').click()
    with open(download.value.path(), encoding='utf-8') as file:
        data = json.load(file)
    assert data['account']['notifications'] == {
        'email_reminders': True, 'telegram_notifications': False}
    assert page.evaluate('document.documentElement.scrollWidth') <= 390
