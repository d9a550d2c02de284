"""The help center inside the widget, in a real browser: a visitor searches from the widget's home,
reads an article without leaving the widget, comes back, and is offered an article while they
write a question, before they send it. Fixtures: tests/browser/conftest.py; screenshots of the
home, the reader and the suggestions go to test-artifacts/.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_widget import Widget
from tests.knowledge.factories import PortalFactory, indexed_article

pytestmark = [pytest.mark.django_db(transaction=True)]

CARD_BODY = """Cards usually arrive **within five working days**.

## Track your card

1. Open the app.
2. Go to *Cards* and pick the new one.

Still nothing after ten days? [Order a replacement](https://bank.example/replace).

<img src=x onerror="window.__xss=1">
"""


@pytest.fixture
def help_center(inbox):
    portal = PortalFactory(name="Acme Help", slug="acme")
    portal.inboxes.add(inbox)
    card = indexed_article(
        portal=portal,
        slug="card-not-arrived",
        title="Your new card has not arrived",
        description="When a card takes longer than a week, and how to track it.",
        questions=("I am still waiting on my card", "My card never came"),
        body=CARD_BODY,
        view_count=40,
    )
    indexed_article(
        portal=portal,
        title="Change your PIN",
        description="Pick a new PIN in the app or at any cash machine.",
        questions=("How do I change my PIN?",),
        view_count=12,
    )
    indexed_article(
        portal=portal,
        title="Freeze a lost card",
        description="Freeze it at once in the app; unfreeze it when it turns up.",
        questions=("I lost my card",),
        view_count=25,
    )
    return card


def test_a_visitor_finds_and_reads_an_answer_inside_the_widget_and_is_offered_one_while_writing(
    new_context, host_site, inbox, help_center, artifacts
):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(host_site.url(inbox.public_key))
    widget = Widget(page)
    widget.open()
    ui = widget.ui

    # Home: the search card, with the most read articles before anything is typed.
    search = ui.get_by_role("searchbox", name="Search our help center")
    expect(ui.get_by_role("heading", name="Search for answers")).to_be_visible()
    results = ui.locator("#help-results .article")
    expect(results.first).to_contain_text("Your new card has not arrived")
    expect(results).to_have_count(3)
    widget.iframe.screenshot(path=str(artifacts / "widget-help-home.png"))

    # Results as the visitor types; the count is announced.
    search.press_sequentially("card never came", delay=30)
    expect(ui.locator("#help-status")).to_have_text(re.compile(r"Articles found: \d"))
    found = results.filter(has_text="Your new card has not arrived")
    expect(results.first).to_have_text(re.compile("Your new card has not arrived"))

    # The article opens inside the widget, its title focused, its HTML drawn and inert.
    found.click()
    reader = ui.locator("#reader")
    expect(reader).to_be_visible()
    expect(ui.locator("#home")).to_be_hidden()
    expect(ui.locator("#reader-title")).to_be_focused()
    expect(reader.locator("strong")).to_have_text("within five working days")
    expect(reader.get_by_role("heading", name="Track your card")).to_be_visible()
    external = reader.get_by_role("link", name="Order a replacement")
    expect(external).to_have_attribute("target", "_blank")
    help_link = ui.get_by_role("link", name="Open in help center")
    expect(help_link).to_have_attribute("href", re.compile(r"/help/acme/en/articles/card-not-arrived/$"))
    expect(help_link).to_have_attribute("target", "_blank")
    expect(ui.locator("#back")).to_have_accessible_name("Back")
    widget.iframe.screenshot(path=str(artifacts / "widget-help-reader.png"))
    assert widget.frame.evaluate("window.__xss") is None

    # Back: the home as it was, focus on the result that opened the article.
    ui.locator("#back").click()
    expect(reader).to_be_hidden()
    expect(search).to_have_value("card never came")
    expect(found).to_be_focused()

    # Writing a question: an article is suggested before the visitor sends anything.
    ui.locator("#new-conversation").click()
    expect(widget.composer).to_be_visible()
    widget.composer.press_sequentially("Hi, my new card never arrived", delay=20)
    suggestions = ui.locator("#suggestions")
    expect(suggestions).to_be_visible()
    suggested = suggestions.locator(".article")
    expect(suggested.first).to_contain_text("Your new card has not arrived")
    assert suggested.count() <= 3
    expect(ui.locator("#suggestions-status")).to_have_text(re.compile(r"Suggested articles: \d"))
    widget.iframe.screenshot(path=str(artifacts / "widget-help-suggestions.png"))

    # Read from the composer, and back to the draft, unsent; then the suggestions dismissed.
    suggested.first.click()
    expect(ui.locator("#reader-title")).to_be_focused()
    ui.locator("#back").click()
    expect(widget.composer).to_have_value("Hi, my new card never arrived")
    expect(suggested.first).to_be_focused()
    ui.get_by_role("button", name="Hide suggestions").click()
    expect(suggestions).to_be_hidden()
    expect(widget.composer).to_be_focused()
    expect(widget.messages).to_have_count(0)  # nothing was sent on the visitor's behalf
