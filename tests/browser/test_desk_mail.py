"""A mail in the desk, in a real browser against the live Daphne: its subject and copies shown,
its quoted history folded away, and its HTML, shown as sent, inert: no script runs, nothing
loads from elsewhere until the agent asks for remote images (a tracking pixel says when and where
a mail was read). A screenshot goes to test-artifacts/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from channels_in.email.receiving import mail_receive
from tests.browser import test_desk as desk_journeys
from tests.browser.test_desk import new_agent
from tests.factories.conversations import InboxFactory
from tests.fixtures import fixture_bytes

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk
GIF = (  # a 1x1 transparent GIF: what a tracking pixel is
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def test_a_mail_with_script_and_tracking_images_is_inert_until_the_agent_asks(open_desk, parley):
    inbox = InboxFactory(name="Mail", channel_type="email", config={"address": "support@parley.example"})
    promo = mail_receive(inbox=inbox, raw=fixture_bytes("email/html_tracking.eml")).message
    reply = mail_receive(inbox=inbox, raw=fixture_bytes("email/gmail_reply.eml")).message
    desk = open_desk(new_agent("Sam", inbox))
    page = desk.page
    elsewhere, dialogs = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.context.route(
        "https://t.shop.example/**",
        lambda route: (
            elsewhere.append(route.request.url),
            route.fulfill(status=200, body=GIF, content_type="image/gif"),
        ),
    )
    page.context.route(
        "https://evil.example/**", lambda route: (elsewhere.append(route.request.url), route.abort())
    )

    desk.open(reply.conversation)  # a reply: the new part shown, the rest folded away
    entry = page.locator(f"#m-{reply.pk}")
    expect(entry.locator(".mail-subject")).to_have_text("Re: [#42] My order has not arrived")
    expect(entry.locator(".body")).to_have_text("Thanks, it arrived this morning — all good!")
    expect(entry.locator(".mail-cc")).to_have_text("Cc: bob@example.net")
    expect(entry.locator(".mail-quoted pre")).to_be_hidden()
    entry.get_by_text("Show quoted text").click()
    expect(entry.locator(".mail-quoted pre")).to_contain_text("your parcel left our warehouse today")

    desk.open(promo.conversation)
    entry = page.locator(f"#m-{promo.pk}")
    expect(entry.locator(".mail-subject")).to_have_text("🎉 Weekly deals")
    entry.get_by_text("Show the mail as sent").click()
    frame = page.frame_locator(f"iframe[name='mail-{promo.pk}']")
    expect(frame.locator("h1")).to_have_text("Deals")
    expect(frame.locator("a", has_text="See deals")).to_have_attribute("href", "https://shop.example/deals")
    assert frame.locator("script").count() == 0
    page.wait_for_timeout(500)  # time for anything that would load or run to do so
    assert (elsewhere, dialogs) == ([], [])

    entry.get_by_text("Load remote images").click()  # the agent asks
    expect(frame.locator("img[src^='https://t.shop.example/']")).to_have_count(1)
    page.wait_for_timeout(300)
    assert elsewhere == ["https://t.shop.example/open.gif?u=jane"] and dialogs == []

    artifacts = Path("test-artifacts")
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=artifacts / "desk-mail-as-sent.png", full_page=True)


def test_a_photo_pasted_into_a_mail_shows_where_the_customer_put_it(open_desk, parley, settings):
    settings.MEDIA_ROOT = parley.env["MEDIA_ROOT"]  # the photo stored where the server reads it
    inbox = InboxFactory(name="Mail", channel_type="email", config={"address": "support@parley.example"})
    mail = mail_receive(inbox=inbox, raw=fixture_bytes("email/inline_image.eml")).message
    desk = open_desk(new_agent("Sam", inbox))
    desk.open(mail.conversation)
    entry = desk.page.locator(f"#m-{mail.pk}")
    entry.get_by_text("Show the mail as sent").click()
    frame = desk.page.frame_locator(f"iframe[name='mail-{mail.pk}']")

    photo = frame.locator("img[alt='photo.png']")
    expect(photo).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    desk.page.frame(name=f"mail-{mail.pk}").wait_for_function(  # decoded and drawn, under its policy
        "() => document.querySelector(\"img[alt='photo.png']\").naturalWidth === 40"
    )
    expect(frame.locator("img[alt='a missing picture']")).not_to_have_attribute("src", re.compile("."))
    Path("test-artifacts").mkdir(exist_ok=True)
    entry.screenshot(path=Path("test-artifacts") / "desk-mail-inline-image.png")
