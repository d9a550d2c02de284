"""README's screenshots, taken from the running demo so they show what a newcomer gets:

    make run                                   # in one terminal (serves http://127.0.0.1:8000)
    .venv/bin/python docs/screenshots/take.py  # in another; --url for another address

It signs in with the demo logins (README), drives the desk, the widget's frame and the admin with
Debian's Chromium (PARLEY_CHROMIUM for another), and writes docs/screenshots/*.png.
"""

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
PASSWORD = "parley-demo"  # noqa: S105 (the demo's published password: README, "Quick start")
CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")


def sign_in_to_desk(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/desk/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/desk/"))


def desk(page: Page, url: str, name: str) -> None:
    sign_in_to_desk(page, url, "ana")
    page.goto(f"{url}/desk/?view=all")
    expect(page.locator("#list .row").first).to_be_visible()
    not_now = page.get_by_role("button", name="Not now")  # the notifications offer, if asked
    if not_now.is_visible():
        not_now.click()
    page.locator("#list .row").first.click()
    expect(page.locator("#messages li").first).to_be_visible()
    page.wait_for_timeout(500)  # the socket's first patch
    page.screenshot(path=str(HERE / name))


def widget(page: Page, url: str) -> None:
    page.goto(f"{url}/widget/frame/?key=demo-help-chat")
    page.locator("#launcher").click()
    page.get_by_role("button", name="Send us a message").click()  # past the help center's articles
    box = page.locator("#composer")
    box.fill("Where is my parcel?")
    box.press("Enter")
    page.wait_for_timeout(3000)  # the answer bot's turn, from the demo's worker
    page.screenshot(path=str(HERE / "widget.png"))


def admin_inbox(page: Page, url: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{url}/admin/conversations/inbox/?channel_type__exact=sms")
    page.locator("#result_list tbody a").first.click()
    page.locator("fieldset", has_text="Channel settings").scroll_into_view_if_needed()
    page.screenshot(path=str(HERE / "admin-inbox.png"))  # its settings as fields, its members


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    url = parser.parse_args().url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        desk(browser.new_context(viewport={"width": 1280, "height": 800}).new_page(), url, "desk.png")
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        desk(phone.new_page(), url, "desk-phone.png")
        widget(browser.new_context(viewport={"width": 420, "height": 720}).new_page(), url)
        admin_inbox(browser.new_context(viewport={"width": 1280, "height": 900}).new_page(), url)
        browser.close()
    print(f"screenshots written to {HERE}")


if __name__ == "__main__":
    main()
