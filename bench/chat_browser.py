"""Chat delivery latency measured in the browsers: the client on the
portal's conversation page (a 390x844 phone) and the photographer in sao
with the booking's form and chat panel open, two contexts of one Chromium.

    .venv/bin/python -m bench.chat_browser [--messages 50] [--quick]

PostgreSQL, gunicorn with 2 workers of 8 threads serving the portal and sao
(under /admin/), Tryton's bus open (`[bus] allow_subscribe`, photo_chat's
ChatBus on LISTEN/NOTIFY): the deployment the README describes.

Each message is typed, then sent by a click; a click listener on the sender's
page notes the instant of the click, a MutationObserver on the receiver's
page the instant its text first shows, both as `performance.timeOrigin +
performance.now()` (the same clock for both pages of one browser). The
latency is their difference: sending, the server, the way back (sao's bus
long poll; the portal's poll every 500 ms) and drawing. Between messages a
random pause of up to 0.5 s, so that sends fall anywhere in the poll's
period. Every message must arrive, the one sent.
"""
import argparse
import os
import random
import time
import uuid

from bench.chat import PASSWORD, STAFF_PASSWORD, make_world, server_environ
from bench.common import (
    ROOT, add_quick_option, database, http_server, percentile, progress,
    sized, summary, verdict)
# The browser tests' sign-in to sao (bench.common puts tests/ on the path)
from browser.sao import login as sao_login

GOAL_MS = 1000
MESSAGES = sized(50, 5)
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run']

# The instant a click on the send button happens (capture: before the
# page's own handlers), and the first instant each text shows.
CLOCKS = """(send) => {
    const now = () => performance.timeOrigin + performance.now();
    window.benchSent = null;
    window.benchSeen = {};
    document.addEventListener('click', (event) => {
        if (event.target.closest(send)) {
            window.benchSent = now();
        }
    }, true);
    new MutationObserver(() => {
        const at = now();
        for (const node of document.querySelectorAll(
                '.chat-text, .chat-content')) {
            const text = node.textContent;
            if (text.startsWith('bench ') && !(text in window.benchSeen)) {
                window.benchSeen[text] = at;
            }
        }
    }).observe(document.body,
        {childList: true, subtree: true, characterData: true});
}"""
PORTAL_SEND = '#chat-form button'
SAO_SEND = '.chat button[type=submit]'
SAO_TEXT = '.chat textarea'


def open_chat(page, booking):
    "The booking's form and its chat panel; waits for its bus long poll."
    page.evaluate("""async (id) => Sao.Tab.create({model: 'photo.booking',
        res_id: id, mode: ['form'], context: {}, name: 'Booking'})""",
        booking)
    page.locator('button#chat:visible').click()
    page.locator(f'{SAO_TEXT}:visible').wait_for()
    page.wait_for_function("""() => Sao.Bus.listening && Sao.Bus.request
        && Sao.Bus.request.state() === 'pending'
        && Object.keys(Sao.Bus.channel_actions).some(
            (c) => c.startsWith('chat:'))""")


def warm_up(url):
    """Each worker loads the database's pool at its first request (seconds
    on a busy machine): not in the first message's latency."""
    import concurrent.futures
    import urllib.request

    def get(_):
        with urllib.request.urlopen(f"{url}/account/login", timeout=120):
            pass
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(get, range(16)))


def send(sender, receiver, fill, click, text):
    """Type text in sender, click send; the latency (s) until receiver
    shows it, by the pages' clock."""
    fill(text)
    click()
    receiver.wait_for_function("(text) => text in window.benchSeen", arg=text,
        timeout=10000, polling=50)
    sent = sender.evaluate("window.benchSent")
    seen = receiver.evaluate("(text) => window.benchSeen[text]", text)
    return (seen - sent) / 1000


def run(url, database, world, count):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        phone_context = browser.new_context(
            viewport={'width': 390, 'height': 844}, is_mobile=True,
            has_touch=True, locale='ru-RU')
        sao_context = browser.new_context(
            viewport={'width': 1440, 'height': 900}, locale='en-GB')
        for context in [phone_context, sao_context]:
            context.set_default_timeout(30000)
        client, anna = phone_context.new_page(), sao_context.new_page()

        client.goto(f"{url}/account/login")
        client.get_by_label('Эл. почта').fill('maria@example.com')
        client.get_by_label('Пароль').fill(PASSWORD)
        client.get_by_role('button', name='Войти').click()
        client.get_by_role('heading', name='Мои записи').wait_for()
        client.goto(f"{url}/account/booking/{world['token']}/chat")
        client.locator('#chat-form textarea').wait_for()
        client.evaluate(CLOCKS, PORTAL_SEND)

        # No second factor on this database
        sao_login(anna, url, database, world['anna'], STAFF_PASSWORD)
        open_chat(anna, world['booking'])
        anna.evaluate(CLOCKS, SAO_SEND)

        ways = {
            "client -> photographer (portal page, sao's bus)": (
                client, anna,
                client.locator('#chat-form textarea').fill,
                client.locator(PORTAL_SEND).click),
            "photographer -> client (sao's panel, page poll 500 ms)": (
                anna, client,
                anna.locator(f'{SAO_TEXT}:visible').fill,
                anna.locator(f'{SAO_SEND}:visible').click),
            }
        latencies = {label: [] for label in ways}
        # Alternating, as a conversation goes: each way sees the other's
        # load and the same moments of the machine.
        for i in range(count):
            for label, (sender, receiver, fill, click) in ways.items():
                text = f"bench {i} {uuid.uuid4().hex[:8]}"
                latencies[label].append(
                    send(sender, receiver, fill, click, text))
                time.sleep(random.uniform(0, 0.5))
        # Both sides show the whole conversation, in order
        expected = 2 * count
        shown = client.locator('.chat-text').count()
        assert shown >= expected, f"the client's page shows {shown}"
        browser.close()
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_quick_option(parser)
    parser.add_argument('--messages', type=int, default=MESSAGES,
        help="messages each way")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} is missing")
    progress(f"load average {os.getloadavg()[0]:.2f} "
        f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
        f"on {os.cpu_count()} CPUs")
    with database(modules=('photo_portal', 'photo_chat')) as db:
        world = make_world(db)
        os.environ.update({
                **server_environ(db),
                'TRYTOND_BUS__CLASS':
                    'trytond.modules.photo_chat.bus.ChatBus',
                'TRYTOND_WEB__ROOT': os.path.join(ROOT, 'var', 'www'),
                'TRYTOND_WSGI_MIDDLEWARE__SAO':
                    'trytond.modules.photo_portal.wsgi.SaoUnderAdmin',
                })
        with http_server(db, options=(
                '--threads', '8', '--graceful-timeout', '1')) as api:
            url = f'http://127.0.0.1:{api.port}'
            warm_up(url)
            progress(f"{args.messages} messages each way, in Chromium")
            latencies = run(url, db.name, world, args.messages)
            for label, samples in latencies.items():
                progress(f"{label}: {summary(samples)}")
                verdict(f"chat in browsers, {label} p95",
                    percentile(samples, 0.95), goal=GOAL_MS)
    progress(f"load average {os.getloadavg()[0]:.2f} "
        f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == '__main__':
    main()
