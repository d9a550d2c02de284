"""Parley's pages through axe-core (tests/browser/accessibility.py) in a real browser: the desk and its
login page, the widget's frame closed and open, the help center, and the admin. Each check runs
against WCAG 2.x A and AA and fails on any serious or critical violation, naming the rule, the
element and what is wrong with it.

Every browser context here bypasses Content-Security-Policy: the widget's frame forbids inline
scripts, and axe is injected as one. The desk, the widget and the help center follow the system's
colour scheme, so each is checked light and dark.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from conversations import services
from conversations.models import Conversation
from tests.browser import test_desk as desk_journeys
from tests.browser import test_help_center as help_center_journeys
from tests.browser import test_widget as widget_journeys
from tests.browser.accessibility import Exemption, assert_accessible, serious_violations
from tests.browser.test_desk import PASSWORD, customer_writes, new_agent
from tests.browser.test_help_center import DESKTOP_CHROME
from tests.factories.conversations import ContactFactory, LabelFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # an agent's desk, signed in through the login page
visit = widget_journeys.visit  # the visitor: the host page with the widget
article = help_center_journeys.article  # a published article in the Acme Bank help center

NO_CSP = {"bypass_csp": True}
REPLY = "Yes, zippers are covered for two years."


def test_the_check_names_what_is_wrong_and_exempts_only_what_it_is_told(chromium):
    page = chromium.new_page()  # its own context, closed with it
    page.set_content(
        '<!doctype html><html lang="en"><title>Check</title><main><h1>Check</h1>'
        '<button id="bare"></button><p id="faint" style="color: #bbb">Hard to read</p></main></html>'
    )
    found = serious_violations(page)
    assert {(violation.rule, *violation.targets) for violation in found} == {
        ("button-name", "#bare"),
        ("color-contrast", "#faint"),
    }
    assert '<button id="bare"></button>' in str(next(v for v in found if v.rule == "button-name"))

    exempt = Exemption(rule="button-name", target="#bare", reason="the check's own example")
    left = serious_violations(page, exemptions=[exempt])
    assert [violation.rule for violation in left] == ["color-contrast"]
    with pytest.raises(AssertionError, match="no longer needed"):
        serious_violations(page, exemptions=[Exemption(rule="label", target="#bare", reason="outlived")])
    page.close()


def test_the_desk_login_page_is_accessible(new_context, parley):
    page = new_context(**NO_CSP).new_page()
    page.goto(f"{parley.http}/desk/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    assert_accessible(page, "the desk's login page")
    page.emulate_media(color_scheme="dark")
    assert_accessible(page, "the desk's login page, dark")


def test_the_desk_list_conversation_customer_pane_and_settings_menu_are_accessible(open_desk, inbox):
    ana = new_agent("Ana", inbox)
    maya = ContactFactory(name="Maya Lindqvist", custom_attributes={"plan": "Outdoor Club", "orders": 7})
    conversation = customer_writes(inbox, maya, "My tent's zipper broke. Is that covered?").conversation
    customer_writes(inbox, ContactFactory(name="Noah Berg"), "Can I change my delivery address?")
    services.conversation_update(conversation=conversation, actor=ana, labels=[LabelFactory(name="warranty")])
    services.conversation_assign(conversation=conversation, assignee=ana, actor=ana)
    services.message_post_reply(conversation=conversation, agent=ana, body=REPLY)

    desk = open_desk(ana, **NO_CSP)
    expect(desk.rows).to_have_count(2)
    assert_accessible(desk.page, "the desk's conversation list")

    desk.open(conversation)
    expect(desk.message(REPLY)).to_be_visible()
    expect(desk.page.locator("aside.customer")).to_contain_text("Outdoor Club")
    assert_accessible(desk.page, "the desk with a conversation, its messages and the customer pane open")

    desk.page.locator("#me details.notify summary").click()
    expect(desk.page.locator("#notify-sound")).to_be_visible()
    assert_accessible(desk.page, "the desk with the agent's settings menu open")
    desk.page.emulate_media(color_scheme="dark")
    assert_accessible(desk.page, "the desk with a conversation and the settings menu open, dark")

    desk.page.locator("#shortcuts-open").click()
    expect(desk.page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert_accessible(desk.page, "the desk's keyboard shortcuts, dark")


def test_the_widget_closed_and_open_with_messages_is_accessible(visit, inbox):
    widget = visit(**NO_CSP)
    expect(widget.launcher).to_be_visible()
    assert_accessible(widget.frame, "the widget's closed launcher")

    widget.open()
    widget.start_conversation()
    widget.send("Hello, is the Trailhead 2 tent in stock?")
    widget.expect_sent("Hello, is the Trailhead 2 tent in stock?")
    conversation = Conversation.objects.get(inbox=inbox)
    agent = new_agent("Ana", inbox)
    services.message_post_reply(conversation=conversation, agent=agent, body="It is! Shall I reserve one?")
    expect(widget.message("It is! Shall I reserve one?", "theirs")).to_be_visible()
    assert_accessible(widget.frame, "the widget's open panel with messages")
    widget.page.emulate_media(color_scheme="dark")
    assert_accessible(widget.frame, "the widget's open panel with messages, dark")


def test_the_help_center_home_search_and_an_article_are_accessible(new_context, parley, article):
    page = new_context(user_agent=DESKTOP_CHROME, **NO_CSP).new_page()
    page.goto(f"{parley.http}/help/acme-bank/en/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    assert_accessible(page, "the help center's home")

    page.get_by_role("searchbox", name="Search the help center").fill("still waiting for my card")
    page.keyboard.press("Enter")
    expect(page.locator(".hc-results li").first).to_contain_text(article.title)
    assert_accessible(page, "the help center's search results")

    page.goto(f"{parley.http}/help/acme-bank/en/articles/{article.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
    assert_accessible(page, "a help center article")
    page.emulate_media(color_scheme="dark")
    assert_accessible(page, "a help center article, dark")


def test_the_admin_login_index_inbox_form_and_a_changelist_are_accessible(new_context, parley, inbox):
    """Django's stock admin markup is checked too: what it got wrong is fixed in our overrides
    (static/parley_admin/admin.css); an Exemption is for what no override can reach."""
    get_user_model().objects.create_superuser("root", "root@acme.example", PASSWORD)
    customer_writes(inbox, ContactFactory(name="Maya Lindqvist"), "Is the tent in stock?")
    page = new_context(**NO_CSP).new_page()
    page.goto(f"{parley.http}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    assert_accessible(page, "the admin's login page")

    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert_accessible(page, "the admin's index")

    page.goto(f"{parley.http}/admin/conversations/inbox/{inbox.pk}/change/")
    expect(page.locator("#inbox_form")).to_be_visible()
    assert_accessible(page, "the admin's inbox form")

    page.goto(f"{parley.http}/admin/conversations/conversation/")
    expect(page.locator("#result_list")).to_be_visible()
    assert_accessible(page, "the admin's conversation list")
