"""The client's conversation with the studio on a phone: messages the
photographer writes in the back office appear without a reload."""
import statistics
import time

from playwright.sync_api import expect

from conftest import CHAT_PASSWORD
from test_portal_browser import log_in


def staff_post(world, text):
    "Anna writes in sao's chat panel (ir.chat.channel.post as her)."
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(world['database'], 0) as transaction:
        with transaction.set_user(world['anna']):
            Pool().get('ir.chat.channel').post(
                f"photo.booking,{world['booking']}", text, 'public')
        transaction.commit()


def test_chat_on_phone(phone_page, chat_portal, shot):
    """Unread badge in the cabinet, the conversation, a reply sent, and
    each photographer's message shown within 1 s (latencies printed)"""
    page = phone_page
    page.goto(f"{chat_portal['url']}/account/login")
    log_in(page, 'maria@example.com', CHAT_PASSWORD)
    staff_post(chat_portal, "Здравствуйте! Возьмите <b>шляпу</b>.")
    page.reload()
    link = page.get_by_role('link', name='Сообщения')
    expect(page.locator('.chat-link .badge')).to_have_text('1')
    shot(page, '1-cabinet-badge')
    link.click()
    expect(page.get_by_role('heading', name='Переписка со студией')) \
        .to_be_visible()
    expect(page.locator('.chat-text')).to_have_text(
        ["Здравствуйте! Возьмите <b>шляпу</b>."])

    page.get_by_label('Ваше сообщение').fill("Хорошо, до завтра!")
    page.get_by_role('button', name='Отправить').click()
    expect(page.locator('.chat-message.mine .chat-text')).to_have_text(
        "Хорошо, до завтра!")
    expect(page.get_by_label('Ваше сообщение')).to_have_value('')

    latencies = []
    for i in range(10):
        text = f"Сообщение {i}"
        sent = time.monotonic()
        staff_post(chat_portal, text)
        expect(page.locator('.chat-text', has_text=text)).to_be_visible(
            timeout=5000)
        latencies.append(time.monotonic() - sent)
    latencies.sort()
    print(f"\nchat delivery, staff post -> phone page: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms over {len(latencies)}")
    # No horizontal scrolling on the phone.
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, '2-conversation')
    page.goto(f"{chat_portal['url']}/account")
    expect(page.locator('.chat-link .badge')).to_have_count(0)


def test_chat_files_and_links_on_phone(phone_page, chat_portal, shot, tmp_path):
    """The client sends a photo and sees it in the conversation; a web
    page renamed .jpg is refused with the reason; a link from the studio
    opens safely"""
    import io

    from PIL import Image
    page = phone_page
    page.goto(f"{chat_portal['url']}/account/login")
    log_in(page, 'maria@example.com', CHAT_PASSWORD)
    staff_post(chat_portal, "Наш зал: https://example.com/hall")
    page.goto(f"{chat_portal['url']}/account")
    page.get_by_role('link', name='Сообщения').click()
    link = page.get_by_role('link', name='https://example.com/hall')
    expect(link).to_have_attribute('rel', 'noopener nofollow ugc')

    photo = tmp_path / 'look.jpg'
    picture = io.BytesIO()
    Image.new('RGB', (640, 480), (70, 130, 180)).save(picture, 'JPEG')
    photo.write_bytes(picture.getvalue())
    page.get_by_label('Ваше сообщение').fill("Мой образ")
    page.get_by_label('Фото или PDF (до 10 МБ)').set_input_files(str(photo))
    page.get_by_role('button', name='Отправить').click()
    mine = page.locator('.chat-message.mine').last
    expect(mine.locator('.chat-text')).to_have_text("Мой образ")
    expect(mine.locator('img')).to_be_visible()
    assert mine.locator('img').evaluate('i => i.naturalWidth') == 640
    expect(mine.locator('a[download]')).to_have_text('look.jpg')

    fake = tmp_path / 'photo.jpg'
    fake.write_bytes(b'<html><script>alert(1)</script></html>')
    page.get_by_label('Фото или PDF (до 10 МБ)').set_input_files(str(fake))
    page.get_by_role('button', name='Отправить').click()
    expect(page.locator('#chat-error')).to_have_text(
        "Отправить можно только фотографии (JPEG, PNG, WebP) "
        "и документы PDF.")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, '1-photo-sent-fake-refused')
