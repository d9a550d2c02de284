"""Every desk action the server refuses says so where the agent acted (issue 21, point 1): the
sentence in the refusal region of the composer, the menu, the header, the bulk bar or the customer
panel (role=alert, so a screen reader announces it), and what was typed stays. Each action is
driven through the page as an agent does it, against the live Daphne. The console stays free of
errors on a desk journey (point 10): htmx logged `htmx:sendAbort` whenever a new search replaced a
list fetch in flight, and a "Response Status Error Code 422" for every refusal. Screenshots of a
refusal go to test-artifacts/."""

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from agents.models import InboxMembership
from conversations.models import Conversation
from tests.browser import test_desk as desk_journeys
from tests.browser.test_desk import Desk, customer_writes, new_agent
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # the fixture: an agent's desk, signed in through the login page


@pytest.fixture
def inbox(host_site):
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin, routing="manual")


@pytest.fixture
def desk_on_a_conversation(open_desk, inbox) -> tuple[Desk, Conversation]:
    agent = new_agent("Ana", inbox)
    conversation = customer_writes(inbox, ContactFactory(name="Maya"), "My tent pole snapped").conversation
    desk = open_desk(agent)
    desk.open(conversation)
    return desk, conversation


def expect_refusal(region: Locator, words: str | re.Pattern) -> None:
    """Shown, announced (role=alert) and saying `words`."""
    expect(region).to_be_visible()
    expect(region).to_have_attribute("role", "alert")
    expect(region).to_contain_text(words)


def expect_page_banner_empty(page: Page) -> None:
    expect(page.locator("#desk-error")).to_be_empty()  # said where the agent acted, not at the top


def test_a_reply_with_a_text_file_is_refused_beside_the_composer_and_the_reply_stays(
    desk_on_a_conversation, artifacts
):
    desk, conversation = desk_on_a_conversation
    desk.write("Here are the instructions")
    desk.page.set_input_files(
        "#reply-file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"pole spec"}]
    )
    desk.page.locator("#send").click()

    region = desk.page.locator("#composer #composer-refusal")
    expect_refusal(region, "Files of type .txt cannot be sent here. Send an image")
    expect(desk.composer).to_have_value("Here are the instructions")
    expect_page_banner_empty(desk.page)
    desk.page.screenshot(path=str(artifacts / "desk-refusal-attachment.png"))
    assert not conversation.messages.filter(sender_kind="agent").exists()

    desk.page.set_input_files("#reply-file", files=[])  # the agent takes the file off and sends again
    desk.composer.press("Enter")
    expect(desk.composer).to_have_value("")
    expect(desk.message("Here are the instructions")).to_have_count(1)
    expect(region).to_be_hidden()  # the next attempt clears the old refusal


def test_a_reply_over_20000_characters_is_refused_and_kept_in_the_composer(desk_on_a_conversation):
    desk, conversation = desk_on_a_conversation
    too_long = "a" * 20_001
    desk.composer.fill(too_long)
    desk.composer.press("Enter")

    expect_refusal(
        desk.page.locator("#composer-refusal"),
        "A message can be at most 20,000 characters (20,001 now): shorten it or split it in two.",
    )
    expect(desk.composer).to_have_value(too_long)
    assert not conversation.messages.filter(sender_kind="agent").exists()


def test_an_empty_send_says_what_to_write(desk_on_a_conversation):
    desk, _ = desk_on_a_conversation
    desk.page.locator("#send").click()
    expect_refusal(desk.page.locator("#composer-refusal"), "A message needs text or an attachment.")


def open_menu(page: Page, name: str) -> Locator:
    menu = page.locator(f"#conv-header details.{name}")
    menu.locator("summary").click()
    return menu


def test_a_snooze_in_the_past_is_refused_inside_the_snooze_menu(desk_on_a_conversation, artifacts):
    desk, conversation = desk_on_a_conversation
    menu = open_menu(desk.page, "snooze")
    menu.locator("#snooze-until").fill("2020-01-01T10:00")
    menu.get_by_role("button", name="Snooze", exact=True).click()

    expect_refusal(menu.locator("#snooze-refusal"), "That time has passed: choose a time in the future")
    expect(menu.locator("#snooze-until")).to_have_value("2020-01-01T10:00")
    expect_page_banner_empty(desk.page)
    desk.page.screenshot(path=str(artifacts / "desk-refusal-snooze.png"))
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


def test_a_snooze_without_a_time_is_refused_by_the_browser_on_the_field(desk_on_a_conversation):
    """The field is required: the browser's own message, on the field (announced with it), and the
    request never leaves."""
    desk, conversation = desk_on_a_conversation
    menu = open_menu(desk.page, "snooze")
    asked: list[str] = []
    desk.page.on(
        "request", lambda request: asked.append(request.url) if "/act/snooze/" in request.url else None
    )
    menu.get_by_role("button", name="Snooze", exact=True).click()

    field = menu.locator("#snooze-until")
    expect(field).to_be_focused()
    desk.page.wait_for_timeout(500)
    assert asked == []
    assert field.evaluate("el => el.validationMessage")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


def test_a_merge_into_a_conversation_that_does_not_exist_is_refused_in_the_merge_menu(desk_on_a_conversation):
    desk, conversation = desk_on_a_conversation
    menu = open_menu(desk.page, "merge")
    menu.locator("#merge-into-number").fill("999999")
    desk.page.once("dialog", lambda dialog: dialog.accept())
    menu.get_by_role("button", name="Merge into it").click()

    expect_refusal(menu.locator("#merge-refusal"), "There is no conversation #999999 in your inboxes.")
    expect(menu.locator("#merge-into-number")).to_have_value("999999")
    conversation.refresh_from_db()
    assert conversation.merged_into_id is None


@pytest.fixture
def outsider():
    """An agent who works another inbox only."""
    return new_agent("Olek", InboxFactory(name="Billing"))


def test_assigning_to_an_agent_outside_the_inbox_is_refused_under_the_header(
    outsider, desk_on_a_conversation
):
    desk, conversation = desk_on_a_conversation
    desk.assignee.select_option(str(outsider.pk))

    expect_refusal(
        desk.page.locator("#thread > #header-refusal"), "is not a member of the inbox Acme Support"
    )
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_an_action_on_a_conversation_no_longer_in_the_agents_inboxes_says_what_to_do(
    desk_on_a_conversation,
):
    desk, conversation = desk_on_a_conversation
    InboxMembership.objects.filter(inbox=conversation.inbox).delete()
    desk.page.locator("#resolve").click()

    expect_refusal(
        desk.page.locator("#header-refusal"), "That did not work (404): reload the desk and try again."
    )


def test_typing_in_a_conversation_no_longer_in_the_agents_inboxes_is_refused_at_the_composer(
    desk_on_a_conversation,
):
    desk, conversation = desk_on_a_conversation
    InboxMembership.objects.filter(inbox=conversation.inbox).delete()
    desk.write("Let me check")  # the desk socket announces the typing; the server refuses it

    expect_refusal(
        desk.page.locator("#composer-refusal"),
        "This conversation is no longer in your inboxes: reload the desk for the ones you work.",
    )
    expect(desk.composer).to_have_value("Let me check")


def test_a_bulk_assignment_the_inbox_refuses_is_said_in_the_bulk_bar(outsider, desk_on_a_conversation):
    desk, conversation = desk_on_a_conversation
    desk.page.wait_for_load_state("networkidle")  # a list fetch landing now would untick the row
    desk.row(conversation).locator(".pick").check()
    bulk = desk.page.locator("#bulk")
    bulk.get_by_label("Assign the ticked conversations to").select_option(str(outsider.pk))
    bulk.get_by_role("button", name="Assign", exact=True).click()

    expect_refusal(bulk.locator("#bulk-refusal"), "is not a member of the inbox Acme Support")
    expect_page_banner_empty(desk.page)


def customer_panel(desk: Desk) -> Locator:
    toggle = desk.page.locator("#customer-toggle")
    if toggle.is_visible():
        toggle.click()
    return desk.page.locator("#customer-panel")


def test_a_contact_edit_with_a_national_phone_number_is_refused_in_the_form(desk_on_a_conversation):
    desk, conversation = desk_on_a_conversation
    panel = customer_panel(desk)
    panel.locator("summary", has_text="Edit details").click()
    panel.get_by_label("Phone").fill("06 12 34 56 78")
    panel.get_by_role("button", name="Save").click()

    expect_refusal(panel.locator("form #contact-refusal"), "write it with its country code")
    expect(panel.get_by_label("Phone")).to_have_value("06 12 34 56 78")
    conversation.contact.refresh_from_db()
    assert conversation.contact.phone == ""


def test_merging_two_verified_users_is_refused_in_the_same_person_card(open_desk, inbox):
    agent = new_agent("Ana", inbox)
    maya = ContactFactory(name="Maya", external_id="u-1", email="maya@example.com")
    other = ContactFactory(name="Maya Other", external_id="u-2", email="maya@example.com")
    customer_writes(inbox, other, "Hi, it's me again")
    conversation = customer_writes(inbox, maya, "Hello").conversation
    desk = open_desk(agent)
    desk.open(conversation)
    panel = customer_panel(desk)
    desk.page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Maya Other").click()

    expect_refusal(panel.locator("#contact-merge-refusal"), "they are two people")


def test_a_desk_journey_logs_no_console_error(desk_on_a_conversation):
    desk, _ = desk_on_a_conversation
    page = desk.page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    def slow_list(route) -> None:  # a busy server: the next search is typed while the last is on its way
        page.wait_for_timeout(900)
        with contextlib.suppress(PlaywrightError):  # a fetch the page gave up meanwhile
            route.continue_()

    page.route(re.compile(r"/desk/list/\?"), slow_list)
    search = page.locator("#search")
    search.press_sequentially("tent")
    page.wait_for_timeout(450)  # past the 300 ms pause: a fetch leaves
    search.press_sequentially(" pole")
    page.wait_for_timeout(450)
    search.fill("")
    expect(desk.row(desk_on_a_conversation[1])).to_be_visible()
    page.unroute(re.compile(r"/desk/list/\?"))
    page.locator("#send").click()  # a refusal is an answer, not an error
    expect(page.locator("#composer-refusal")).not_to_be_empty()
    desk.send("Thanks, a new pole is on its way")
    page.wait_for_timeout(1500)  # whatever the last fetches log

    # Chromium itself notes every 4xx answer; the refusal's 422 is the one expected.
    refusal_status = "the server responded with a status of 422"
    assert [error for error in errors if refusal_status not in error] == []
