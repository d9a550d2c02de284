"""Help articles in a real browser (the desk's /desk/kb/ and its composer): an agent writes an
article while its preview follows, publishes it, and links it in a reply to a customer, once with
the composer's Article picker and once by typing "/kb" and words. Screenshots of the editor with its
preview and of the picker go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from conversations import services
from conversations.models import Message
from knowledge.models import Article
from tests.browser import test_desk as desk_journeys
from tests.browser.test_desk import Desk, new_agent
from tests.factories.conversations import ContactFactory, InboxFactory
from tests.knowledge.factories import CategoryFactory, PortalFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # the fixture: an agent's desk, signed in through the login page

LINK = re.compile(r"^Reset your password: https?://[^ ]+/help/acme/en/articles/reset-your-password/$")


@pytest.fixture
def inbox(host_site):
    """A widget inbox routed by hand: the agent takes the conversation themselves."""
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin, routing="manual")


def test_an_agent_writes_an_article_with_a_preview_publishes_it_and_links_it_in_a_reply(
    open_desk, parley, inbox, artifacts
):
    portal = PortalFactory(name="Acme Help", slug="acme")
    portal.inboxes.add(inbox)
    CategoryFactory(portal=portal, locale="en", name="Your account")
    ana = new_agent("Ana", inbox)
    asked = services.message_receive(
        inbox=inbox,
        contact=ContactFactory(name="Grace Hopper"),
        body="I can't log in, how do I reset my password?",
    )
    desk = open_desk(ana)
    page = desk.page

    # --- writing, with the preview following the text ---
    page.get_by_role("link", name="Help articles").click()
    page.get_by_role("link", name="New article").click()
    expect(page.get_by_role("heading", name="New article")).to_be_visible()
    page.get_by_label("Title").fill("Reset your password")
    page.get_by_label("Description").fill("Get back into your account in two minutes.")
    page.get_by_label("Category").select_option(label="Your account")
    page.get_by_label("Questions it answers").fill("I forgot my password\nHow do I get back into my account?")
    body = page.locator("#article-body")
    body.fill(
        "Open **Settings**, choose *Security*, then **Reset password**.\n\n"
        "## If the email does not arrive\n\n- Check your spam folder\n- Wait five minutes, then ask again\n\n"
        "<script>alert('x')</script>"
    )
    body.press("End")
    body.press_sequentially("\n\nStill stuck? Write to us.")  # typed as a person does: debounced previews
    preview = page.locator("#preview")
    expect(preview.locator(".preview-title")).to_have_text("Reset your password")
    expect(preview.locator("h3")).to_have_text("If the email does not arrive")  # one level down
    expect(preview.locator("li")).to_have_count(2)
    expect(preview).to_contain_text("Still stuck? Write to us.")
    expect(preview).to_contain_text("<script>alert('x')</script>")  # shown as text, never run
    expect(preview.locator("script")).to_have_count(0)
    page.screenshot(path=str(artifacts / "desk-kb-editor.png"))

    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash")).to_contain_text("Published")
    expect(page.locator("#article-status")).to_have_text("Published")
    expect(page.locator("#public-link")).to_have_attribute(
        "href", re.compile(r"/help/acme/en/articles/reset-your-password/$")
    )
    article = Article.objects.get(title="Reset your password")
    assert article.status == Article.Status.PUBLISHED and article.questions.count() == 2

    # --- the link, in a reply: the Article picker inserts it at the cursor ---
    page.goto(f"{parley.http}/desk/?view=all")
    desk = Desk(page)
    desk.expect_online()
    conversation = asked.conversation
    desk.open(conversation)
    desk.write("Hi Grace! This explains it: ")
    page.locator("#article-open").click()
    expect(page.locator("#article-search")).to_be_focused()
    page.locator("#article-search").press_sequentially("forgot my password")
    first = page.locator("#article-results [data-insert]").first
    expect(first).to_contain_text("Reset your password")
    expect(first).to_have_attribute("aria-selected", "true")
    page.screenshot(path=str(artifacts / "desk-kb-link-picker.png"))
    link = first.get_attribute("data-insert")
    assert LINK.match(link), link
    page.locator("#article-search").press("Enter")
    expect(page.locator("#article-picker")).to_be_hidden()
    expect(desk.composer).to_have_value("Hi Grace! This explains it: " + link)
    expect(desk.composer).to_be_focused()
    desk.composer.press("Enter")
    expect(desk.composer).to_have_value("")
    expect(desk.message("Hi Grace! This explains it: " + link)).to_be_visible()

    # --- and by typing "/kb" and words: the link replaces them ---
    desk.write("/kb reset password")
    expect(page.locator("#article-results [data-insert]").first).to_contain_text("Reset your password")
    desk.composer.press("Enter")  # chooses the article; it does not send "/kb reset password"
    expect(desk.composer).to_have_value(link)
    assert not Message.objects.filter(body__startswith="/kb").exists()
    desk.composer.press("Enter")
    expect(desk.message(link)).to_be_visible()
    replies = list(
        Message.objects.filter(conversation=conversation, sender_kind="agent").values_list("body", flat=True)
    )
    assert replies == ["Hi Grace! This explains it: " + link, link]
