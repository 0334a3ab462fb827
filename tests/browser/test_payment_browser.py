"""The pay step in a real Chromium, on a phone, against the fake Stripe and
YooKassa: their hosted pages call the portal's webhooks and send the browser
back to the return page. One seeded database (payment_portal) for all."""
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

TOKEN_RE = re.compile(r'/booking/([0-9a-f]{32})')


def use_gateway(world, kind):
    "Make kind the gateway new prepayments go through."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(world['database'], 0):
        Gateway = Pool().get('photo.payment.gateway')
        for gateway in Gateway.search([]):
            gateway.sequence = 1 if gateway.kind == kind else 10
            gateway.save()


def booking_state(world, token):
    "The booking of token as the database has it."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(world['database'], 0, readonly=True):
        booking, = Pool().get('photo.booking').search(
            [('token', '=', token)])
        return {
            'state': booking.state,
            'price': booking.price,
            'transactions': [
                (t.kind, t.state, t.amount,
                    t.invoice.state if t.invoice else None)
                for t in sorted(booking.transactions, key=lambda t: t.id)],
            }


def pick_time(page, world, photographer='anna'):
    """The first free time of the service with photographer, held: the
    details page is shown. Returns (day, time) as the picker shows them."""
    page.goto(f"{world['url']}/book?service={world['service']}"
        f"&photographer={world[photographer]}&studio={world['studio']}")
    expect(page.get_by_role(
            'heading', name='Выберите дату и время')).to_be_visible()
    if not page.locator('td.free a').count():
        page.get_by_role('link', name='Следующий месяц').click()
    page.locator('td.free a').first.click()
    expect(page.locator('button.time').first).to_be_visible()
    day = re.search(r'day=(\d{4}-\d\d-\d\d)', page.url).group(1)
    label = page.locator('button.time').first.inner_text()
    page.locator('button.time').first.click()
    expect(page.get_by_role('heading', name='Ваши данные')).to_be_visible()
    return day, label


def fill_details(page, email='pavel@example.com'):
    page.get_by_label('Имя').fill('Павел')
    page.get_by_label('Телефон').fill('+7 900 555-44-33')
    page.get_by_label('Эл. почта').fill(email)
    page.locator('input[name=consent]').check()


def token_of(page):
    return TOKEN_RE.search(page.url).group(1)


@pytest.mark.parametrize('kind', ['yookassa', 'stripe'])
def test_pay_on_phone(phone_page, payment_portal, shot, kind):
    """Details → the gateway's page → pay → back at the portal: confirmed by
    the payment itself, the invoice posted and paid. Stripe's webhooks are
    late: the return page reads the session from Stripe itself."""
    world, page = payment_portal, phone_page
    fake = world[kind]
    use_gateway(world, kind)
    fake.deliver = kind != 'stripe'
    try:
        pick_time(page, world)
        expect(page.get_by_text(
                'К оплате сейчас: 3\xa0000\xa0RUB')).to_be_visible()
        expect(page.get_by_text('предоплата 60 %')).to_be_visible()
        expect(page.get_by_text(re.compile(
                    'Полная стоимость 5\xa0000\xa0RUB; остаток, '
                    '2\xa0000\xa0RUB'))).to_be_visible()
        shot(page, '01-details')
        fill_details(page)
        page.get_by_role('button', name='Записаться').click()

        # Straight on to the gateway's own page
        title = 'YooMoney' if kind == 'yookassa' else 'Checkout'
        expect(page.get_by_role('heading', name=title)).to_be_visible()
        expect(page.locator('[data-amount]')).to_have_text('3000.00 RUB')
        shot(page, '02-gateway')
        # Back without paying: the pay page, with the amount and deadline
        page.go_back()
        expect(page.get_by_role(
                'heading', name='Оплатите запись')).to_be_visible()
        expect(page.locator('#amount-now')).to_have_text('3 000 RUB')
        expect(page.locator('#full-price')).to_have_text('5 000 RUB')
        expect(page.get_by_text('Оплатить до')).to_be_visible()
        shot(page, '03-back-unpaid')
        page.get_by_role('link', name='Оплатить 3 000 RUB').click()
        page.get_by_role('button', name='Pay').click()

        expect(page.get_by_role(
                'heading', name='Запись подтверждена')).to_be_visible()
        shot(page, '04-confirmed')
        state = booking_state(world, token_of(page))
        assert state['state'] == 'confirmed'
        assert state['transactions'] == [
            ('payment', 'succeeded', Decimal('3000.00'), 'paid')]
        assert page.evaluate(
            'document.documentElement.scrollWidth') <= 390

        if kind == 'stripe':
            assert fake.outbox and not fake.deliveries
            fake.flush()    # the webhooks, late: nothing happens twice
            assert booking_state(world, token_of(page)) == state
        assert {status for _, status in fake.deliveries} == {204}
    finally:
        fake.deliver = True
        fake.deliveries.clear()


@pytest.mark.parametrize('kind', ['stripe', 'yookassa'])
def test_cancel_at_gateway_frees_time(phone_page, payment_portal, shot, kind):
    "Cancel on the gateway's page: the time shows as free again"
    world, page = payment_portal, phone_page
    use_gateway(world, kind)
    day, label = pick_time(page, world, photographer='bob')
    fill_details(page)
    page.get_by_role('button', name='Записаться').click()
    page.get_by_role('button', name='Cancel').click()

    expect(page.get_by_role(
            'heading', name='Оплата отменена')).to_be_visible()
    expect(page.get_by_text('время освобождено')).to_be_visible()
    shot(page, '01-cancelled')
    state = booking_state(world, token_of(page))
    assert state['state'] == 'cancelled'
    assert [t[:2] for t in state['transactions']] == [
        ('payment', 'cancelled')]

    page.get_by_role('link', name='Выбрать другое время').click()
    assert f'day={day}' in page.url
    expect(page.get_by_role('button', name=label, exact=True)).to_be_visible()
    shot(page, '02-time-free-again')


def test_promo_code_lowers_the_amount(phone_page, payment_portal, shot):
    "A wrong code is refused in place; a promo code lowers what is charged"
    world, page = payment_portal, phone_page
    use_gateway(world, 'yookassa')
    pick_time(page, world)
    code = page.get_by_label('Промокод или код сертификата')
    code.fill('WRONG')
    with page.expect_response(lambda r: r.url.endswith('/code')) as answer:
        page.get_by_role('button', name='Применить').click()
    assert answer.value.status == 400
    expect(page.locator('#code-error')).to_be_visible()
    expect(page.get_by_text('К оплате сейчас: 3\xa0000\xa0RUB')).to_be_visible()
    shot(page, '01-wrong-code')

    page.get_by_label('Промокод или код сертификата').fill('spring')
    page.get_by_role('button', name='Применить').click()

    expect(page.get_by_text('Код SPRING применён: −10 %')).to_be_visible()
    expect(page.get_by_text('К оплате сейчас: 2\xa0700\xa0RUB')).to_be_visible()
    expect(page.locator('.summary .price')).to_have_text('4\xa0500\xa0RUB')
    shot(page, '02-code-applied')
    fill_details(page)
    page.get_by_role('button', name='Записаться').click()
    expect(page.locator('[data-amount]')).to_have_text('2700.00 RUB')
    page.get_by_role('button', name='Pay').click()
    expect(page.get_by_role(
            'heading', name='Запись подтверждена')).to_be_visible()
    state = booking_state(world, token_of(page))
    assert state['price'] == Decimal('4500.00')
    assert state['transactions'] == [
        ('payment', 'succeeded', Decimal('2700.00'), 'paid')]


def test_cabinet_payments_and_refund(
        phone_page, payment_portal, shot, mailed_link):
    """The cabinet lists the payment with its 54-FZ receipt and, after a
    late cancellation, the refund of what the fee leaves"""
    world, page = payment_portal, phone_page
    use_gateway(world, 'yookassa')
    page.goto(world['url'] + '/account/signup')
    page.get_by_label('Имя').fill('Ирина')
    page.get_by_label('Телефон').fill('+7 900 222-33-44')
    page.get_by_label('Эл. почта').fill('irina@example.com')
    page.get_by_label('Пароль').fill('Correct-Horse-7-Battery')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Регистрация').click()
    page.goto(world['url'] + mailed_link(
            'irina@example.com', r'/account/verify\?token=\w+'))
    page.get_by_label('Эл. почта').fill('irina@example.com')
    page.get_by_label('Пароль').fill('Correct-Horse-7-Battery')
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_role('heading', name='Мои записи')).to_be_visible()

    # The first free time: cancelling it is late (within 24 hours)
    pick_time(page, world, photographer='bob')
    page.locator('input[name=consent]').check()
    page.get_by_role('button', name='Записаться').click()
    page.get_by_role('button', name='Pay').click()
    expect(page.get_by_role(
            'heading', name='Запись подтверждена')).to_be_visible()

    page.goto(world['url'] + '/account')
    payments = page.locator('section.payments')
    expect(payments.get_by_text('Оплаты и возвраты')).to_be_visible()
    expect(payments.locator('li.payment')).to_contain_text('3\xa0000\xa0RUB')
    expect(payments.locator('li.payment')).to_contain_text('Получена')
    expect(payments.locator('li.payment')).to_contain_text('YooKassa')
    expect(payments.locator('li.payment')).to_contain_text('(Москва)')
    expect(payments.locator('.receipt')).to_contain_text(
        '3000.00 RUB — Частичная предоплата')
    shot(page, '01-cabinet-paid')

    page.get_by_role('link', name='Отменить').click()
    expect(page.get_by_text(
            'Отмена сейчас стоит 2\xa0500\xa0RUB.')).to_be_visible()
    page.get_by_role('button', name='Да, отменить запись').click()
    expect(page.get_by_text('Запись отменена.')).to_be_visible()

    refund = page.locator('section.payments li.refund')
    expect(refund).to_contain_text('500 RUB')
    expect(refund).to_contain_text('Выполнен')
    shot(page, '02-cabinet-refund')
