"""An anonymous visitor, seen from the desk: they write from the widget on a business's page, with
a French browser in Paris behind a CDN that names their city, and the agent sees a friendly name
(not "Contact #N"), an avatar in the visitor's own colour, and in the customer panel the page they
are on, their browser's language, their time zone with the local time, and their city.
Screenshot: test-artifacts/desk-visitor-context.png. Fixtures: tests/browser/conftest.py."""

import re

import pytest
from playwright.sync_api import Route, expect

from conversations.contact_display import avatar_colour, friendly_name, initials
from conversations.models import Contact, Message
from tests.browser import test_desk as desk_journeys
from tests.browser.test_widget import Widget, wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # the agent's side: the desk, signed in

QUESTION = "Bonjour ! Ces chaussures existent-elles en 42 ?"


def as_a_cdn_in_paris(route: Route) -> None:
    """What Cloudflare adds to a request from Paris on its way to Parley."""
    route.continue_(headers={**route.request.headers, "cf-ipcity": "Paris", "cf-ipcountry": "FR"})


def rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


def test_the_desk_shows_an_anonymous_visitors_friendly_name_colour_page_language_and_time_zone(
    new_context, host_site, inbox, open_desk, artifacts
):
    ana = desk_journeys.new_agent("Ana", inbox)
    visitor = new_context(locale="fr-FR", timezone_id="Europe/Paris")
    visitor.route(re.compile(r"/widget/api/v1/session$"), as_a_cdn_in_paris)
    page = visitor.new_page()
    page.goto(host_site.url(inbox.public_key))
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    widget.launcher.click()  # "Ouvrir le chat": the widget speaks French to this browser
    expect(widget.panel).to_be_visible()
    widget.expect_online()
    widget.start_conversation()
    widget.send(QUESTION)
    widget.expect_sent(QUESTION)

    conversation = Message.objects.get(body=QUESTION).conversation
    contact = Contact.objects.get(pk=conversation.contact_id)
    assert (contact.name, contact.email) == ("", "")  # anonymous: nobody said who they are
    assert contact.visitor_context == {
        "page_url": host_site.url(inbox.public_key),
        "page_title": "Acme Outdoor",
        "language": "fr-FR",
        "time_zone": "Europe/Paris",
        "city": "Paris",
        "country": "FR",
    }
    name = friendly_name(contact.pk)

    desk = open_desk(ana, viewport={"width": 1440, "height": 900})
    row = desk.row(conversation)
    expect(row.locator(".who")).to_have_text(name)
    avatar = row.locator(".avatar")
    expect(avatar).to_have_text(initials(name))
    expect(avatar).to_have_css("background-color", rgb(avatar_colour(contact.pk)))
    expect(avatar).to_have_css("color", "rgb(255, 255, 255)")
    expect(desk.page.locator("#list")).not_to_contain_text("Contact #")

    desk.open(conversation)
    expect(desk.page.locator("#conv-header h2")).to_have_text(name)
    panel = desk.page.locator("aside.customer")
    expect(panel.locator(".contact-card h3")).to_have_text(name)
    expect(panel.locator(".contact-card .avatar")).to_have_css(
        "background-color", rgb(avatar_colour(contact.pk))
    )
    context_line = panel.locator("#visitor-context")
    expect(context_line).to_contain_text("Browsing Acme Outdoor")
    expect(context_line).to_contain_text(re.compile(r"Europe/Paris \(\d\d:\d\d local\)"))
    expect(context_line).to_contain_text("fr-FR")
    expect(context_line).to_contain_text("Paris, FR")
    expect(context_line.get_by_role("link", name="Acme Outdoor")).to_have_attribute(
        "href", host_site.url(inbox.public_key)
    )
    desk.page.mouse.move(0, 0)
    desk.page.screenshot(path=str(artifacts / "desk-visitor-context.png"))

    # A name given later takes over: the desk shows it at its next look.
    page.evaluate("() => window.Parley.setAttributes({name: 'Léa Martin'})")
    wait_until(lambda: Contact.objects.get(pk=contact.pk).name == "Léa Martin", page=page)
    desk.page.reload()
    expect(desk.row(conversation).locator(".who")).to_have_text("Léa Martin")
    expect(desk.row(conversation).locator(".avatar")).to_have_text("LM")
