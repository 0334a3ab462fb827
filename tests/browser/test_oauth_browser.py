"""Sign-in with Google and Apple on the portal, end to end in Chromium
through the fake providers (photo_oauth/tests/fake_oidc.py): a new client
signs up with Google (with the consent), signs in again with one click,
links Apple (form_post) in the cabinet; in Russian and in English."""
import uuid

import pytest
from playwright.sync_api import expect

from conftest import _create_database

OAUTH_DATABASE = 'oauthportal_' + uuid.uuid4().hex[:8]


@pytest.fixture(scope='session')
def oauth_world(portal):
    "A database with photo_oauth and the fake Google and Apple."
    from trytond import config
    from trytond.pool import Pool

    from trytond.modules.photo_oauth.tests.fake_oidc import FakeProviders

    _create_database(OAUTH_DATABASE, ('photo_portal', 'photo_oauth'))
    Pool(OAUTH_DATABASE).init()
    with FakeProviders() as fake:
        settings = fake.register_all(('google', 'apple'))
        if not config.has_section('photo_oauth'):
            config.add_section('photo_oauth')
        for key_, value in settings.items():
            config.set('photo_oauth', key_, value)
        # Apple's form post comes from the provider's origin.
        config.set('web', 'cors', fake.base_url)
        yield {**portal, 'fake': fake}
        for key_ in settings:
            config._config.remove_option('photo_oauth', key_)
        config._config.remove_option('web', 'cors')
        config._cache_clear()


@pytest.fixture
def oauth_portal(oauth_world):
    "The portal serving the photo_oauth database during one test."
    from trytond import config
    previous = config.get('photo_booking', 'portal_database')
    config.set('photo_booking', 'portal_database', OAUTH_DATABASE)
    yield oauth_world
    config.set('photo_booking', 'portal_database', previous)


def test_sign_in_with_google(phone_page, oauth_portal, shot):
    """Sign in with Google: a new account after the consent, the linked
    accounts in the cabinet, Google again in one click, Apple linked"""
    page, url = phone_page, oauth_portal['url']
    oauth_portal['fake'].person = {'sub': '4242', 'email': 'nina@gmail.test',
        'email_verified': True, 'name': "Нина Новикова"}
    page.goto(f"{url}/account/login")
    google = page.get_by_role('link', name='Войти через Google')
    expect(google).to_be_visible()
    expect(page.get_by_role('link', name='Войти через Apple')).to_be_visible()
    shot(page, '1-sign-in-page')

    google.click()
    # The fake Google consents at once and sends the visitor back.
    expect(page.get_by_role('heading', name='Регистрация')).to_be_visible()
    expect(page.get_by_text('nina@gmail.test')).to_be_visible()
    expect(page.get_by_label('Имя')).to_have_value("Нина Новикова")
    page.get_by_label('Телефон').fill('+7 900 123-45-67')
    page.get_by_role('button', name='Создать аккаунт').click()
    expect(page.get_by_role('alert')).to_be_visible()   # consent missing
    page.locator('input[name=consent]').check()
    shot(page, '2-consent')
    page.get_by_role('button', name='Создать аккаунт').click()

    expect(page.get_by_role('heading', name='Мои записи')).to_be_visible()
    accounts = page.locator('#sign-in-accounts')
    expect(accounts).to_contain_text('Google')
    expect(accounts).to_contain_text('nina@gmail.test')
    expect(accounts.get_by_role('link', name='Привязать Apple')) \
        .to_be_visible()
    accounts.scroll_into_view_if_needed()
    shot(page, '3-cabinet-linked-google')

    # Out and in again: Google signs the client in at once.
    page.get_by_role('button', name='Выйти').click()
    page.goto(f"{url}/account/login")
    page.get_by_role('link', name='Войти через Google').click()
    expect(page.get_by_role('heading', name='Мои записи')).to_be_visible()

    # Apple answers with a form post (response_mode=form_post).
    oauth_portal['fake'].person = {'sub': 'apple-77',
        'email': 'relay@privaterelay.appleid.test', 'email_verified': True,
        'name': "Nina N"}
    page.locator('#sign-in-accounts').get_by_role(
        'link', name='Привязать Apple').click()
    expect(page.get_by_role('status')).to_contain_text('привязан')
    expect(page.locator('#sign-in-accounts')).to_contain_text(
        'relay@privaterelay.appleid.test')
    expect(page.get_by_role('button', name='Отвязать Google')).to_be_visible()
    page.locator('#sign-in-accounts').scroll_into_view_if_needed()
    shot(page, '4-cabinet-google-and-apple')
    # No horizontal scrolling on the phone.
    assert page.evaluate(
        'document.documentElement.scrollWidth <= window.innerWidth')


def test_sign_in_page_in_english(desktop_page, oauth_portal, shot):
    "The sign-in page's providers in English"
    page = desktop_page
    page.goto(f"{oauth_portal['url']}/account/login?lang=en")
    expect(page.get_by_role('link', name='Sign in with Google')) \
        .to_be_visible()
    expect(page.get_by_role('link', name='Sign in with Apple')) \
        .to_be_visible()
    shot(page, 'sign-in-page-en')
