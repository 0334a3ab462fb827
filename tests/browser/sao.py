"""sao, the back office under /admin/, driven by Playwright: signing in and
waiting until it is idle. Shared by the browser tests and
bench.chat_browser (no pytest, no trytond here)."""
from playwright.sync_api import Error as PlaywrightError

# Whether sao has nothing left to do: no request out but the bus's long
# poll (where the bus is open), no "Processing".
IDLE = """() => window.jQuery && !jQuery('#processing').is(':visible')
    && jQuery.active === (window.Sao && Sao.Bus.request
        && Sao.Bus.request.state() === 'pending' ? 1 : 0)"""


def wait_idle(page, timeout=15000):
    page.wait_for_function(IDLE, timeout=timeout, polling=50)
    # A reply may start the next request (the list after its view)
    page.wait_for_timeout(50)
    page.wait_for_function(IDLE, timeout=timeout, polling=50)


def dialogs(page):
    "The texts of sao's open dialogs (an error, a warning)."
    return page.evaluate("""() => jQuery('.modal:visible').map(
        function() { return jQuery(this).text().trim().slice(0, 300); })
        .get()""")


def login(page, url, database, user, password, code=None, menu=True):
    """Sign in to sao at url as user of database; code(), when given, is
    the code of their authenticator app, typed when sao asks for it
    (photo_auth). With menu, wait for the main window."""
    page.goto(f"{url}/admin/#{database}")
    page.locator('#login').fill(user)
    password_input = page.locator('input[type=password]:visible')
    # sao may take an Enter typed while it is still starting for nothing
    # (seen once on a loaded machine): the login is asked again, a few times.
    for attempt in range(3):
        page.locator('#login').press('Enter')
        try:
            password_input.wait_for(timeout=15000)
            break
        except PlaywrightError:
            if not page.locator('#login').is_visible():
                raise AssertionError(f"no password asked for {user}: "
                    f"{list(getattr(page, 'errors', []))} {dialogs(page)}")
    else:
        raise AssertionError(f"no password asked for {user} after three "
            f"tries: {list(getattr(page, 'errors', []))} {dialogs(page)}")
    password_input.fill(password)
    password_input.press('Enter')
    if code:
        # sao asks for the code of the authenticator app
        code_input = page.locator('input[name=totp_code]:visible')
        code_input.wait_for(timeout=15000)
        code_input.fill(code())
        code_input.press('Enter')
    if menu:
        page.locator('#menu .treeview').wait_for()
        wait_idle(page)
