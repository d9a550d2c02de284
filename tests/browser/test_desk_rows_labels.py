"""Issue 21 in a real browser against the live Daphne: a bulk "Add label" shows on the ticked rows
(point 5), on the acting agent's desk and, from the event alone, on another agent's; the header's
label menu and a bulk "Remove label" keep the rows current too, and what the desks drew reads as
the server renders the rows. The composer's SMS counter is empty again once a reply is sent, and
the header names a pending conversation in plain words (point 10). Screenshots go to
test-artifacts/."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversations import services
from conversations.models import Conversation
from tests.browser import test_desk as desk_journeys
from tests.browser.test_desk import customer_writes, new_agent
from tests.browser.test_desk_patching import Fetches, row_words, server_row
from tests.factories.conversations import ContactFactory, InboxFactory, LabelFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # the fixture: an agent's desk, signed in through the login page


@pytest.fixture
def inbox(host_site):
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin, routing="manual")


def chips(desk, conversation: Conversation) -> list[str]:
    return desk.row(conversation).locator(".labels .label").all_text_contents()


def drawn_as_served(page: Page, conversation: Conversation) -> bool:
    """Do the row's label chips on this page read as a fresh list renders them (same chips, same
    colours, same "+N")?"""
    return page.evaluate(
        """async (id) => {
          const html = await fetch("/desk/list/?view=all").then((r) => r.text());
          const fresh = document.createElement("template");
          fresh.innerHTML = html;
          const selector = ".row[data-conversation-id='" + id + "'] .labels";
          const served = fresh.content.querySelector(selector).outerHTML;
          return served === document.querySelector("#list " + selector).outerHTML;
        }""",
        conversation.pk,
    )


def test_a_bulk_add_label_shows_on_the_ticked_rows_and_the_rows_stay_current(open_desk, inbox, artifacts):
    ana, ben = new_agent("Ana", inbox), new_agent("Ben", inbox)
    vip = LabelFactory(name="vip", color="#dc2626")
    LabelFactory(name="refund", color="#2563eb")
    kim, lee, max_ = (
        customer_writes(inbox, ContactFactory(name=name), text).conversation
        for name, text in (
            ("Kim Park", "Is the stove in stock?"),
            ("Lee Chen", "Do you ship to Canada?"),
            ("Max Roy", "Where is my parcel?"),
        )
    )
    desk, other = open_desk(ana), open_desk(ben)
    expect(desk.rows).to_have_count(3)
    expect(other.rows).to_have_count(3)
    other.page.wait_for_timeout(600)  # the list fetch that followed the hello is done
    fetches = Fetches(other.page)

    # Ana ticks two rows and adds "vip": both rows show it, in its colour; the third does not.
    desk.row(kim).locator(".pick").check()
    desk.row(lee).locator(".pick").check()
    bulk = desk.page.locator("#bulk")
    bulk.get_by_label("Label to add or remove").select_option(label="vip")
    bulk.get_by_role("button", name="Add label").click()
    for conversation in (kim, lee):
        expect(desk.row(conversation).locator(".labels .label")).to_have_text(["vip"])
        expect(other.row(conversation).locator(".labels .label")).to_have_text(["vip"])
    assert chips(desk, max_) == [] and chips(other, max_) == []
    chip = desk.row(kim).locator(".labels .label")
    colour = chip.evaluate("el => getComputedStyle(el).getPropertyValue('--label-color').trim()")
    assert colour == vip.color

    # Ben's desk drew them from the events alone: no row, no list fetched.
    other.page.wait_for_timeout(500)
    assert fetches.take() == []

    # Ana opens Kim's conversation and ticks "refund" in the header: the row shows both labels.
    desk.open(kim)
    desk.page.locator("#conv-header details.labels summary").click()
    desk.page.locator("#conv-header details.labels").get_by_label("refund").check()
    expect(desk.page.locator("#conv-header .title .label")).to_have_text(["refund", "vip"])
    expect(desk.row(kim).locator(".labels .label")).to_have_text(["refund", "vip"])
    expect(other.row(kim).locator(".labels .label")).to_have_text(["refund", "vip"])
    desk.page.screenshot(path=artifacts / "desk-rows-labels.png")

    # A bulk "Remove label" takes "vip" off the ticked rows (the list was fetched again after the
    # first bulk action: nothing is ticked now).
    for conversation in (kim, lee, max_):  # Max has no "vip": nothing to take off
        desk.row(conversation).locator(".pick").check()
    expect(desk.page.locator("#bulk-count")).to_have_text("3 selected")
    bulk.get_by_label("Label to add or remove").select_option(label="vip")
    bulk.get_by_role("button", name="Remove label").click()
    expect(desk.row(kim).locator(".labels .label")).to_have_text(["refund"])
    expect(other.row(kim).locator(".labels .label")).to_have_text(["refund"])
    expect(desk.row(lee).locator(".labels .label")).to_have_count(0)
    expect(other.row(lee).locator(".labels .label")).to_have_count(0)
    for conversation in (kim, lee, max_):
        assert drawn_as_served(other.page, conversation)
        assert row_words(other.page, conversation) == server_row(other.page, conversation)
    other.page.screenshot(path=artifacts / "desk-rows-labels-other-agent.png")


def test_many_labels_show_the_first_three_and_count_the_rest_from_the_event(open_desk, inbox):
    ana = new_agent("Ana", inbox)
    conversation = customer_writes(inbox, ContactFactory(name="Kim Park"), "Hello").conversation
    labels = [LabelFactory(name=f"tag-{n}") for n in range(5)]
    desk = open_desk(ana)
    expect(desk.rows).to_have_count(1)
    desk.page.wait_for_timeout(600)
    services.conversation_update(conversation=conversation, actor=ana, labels=labels)
    expect(desk.row(conversation).locator(".labels .label")).to_have_text(["tag-0", "tag-1", "tag-2"])
    more = desk.row(conversation).locator(".labels .label-more")
    expect(more).to_have_text("+2")
    expect(more).to_have_attribute("title", "tag-3, tag-4")
    assert drawn_as_served(desk.page, conversation)


def test_the_sms_counter_is_empty_again_once_the_reply_is_sent(open_desk, sms_inbox, sms_sender, artifacts):
    ana = new_agent("Ana", sms_inbox)
    contact = ContactFactory(name="Noah Berg", phone="+4915112345678", email="")
    conversation = customer_writes(sms_inbox, contact, "Can I change my delivery address?").conversation
    desk = open_desk(ana)
    desk.open(conversation)
    hint = desk.page.locator("#length-hint")

    desk.write("Yes: reply with the new address.")
    expect(hint).to_have_text(re.compile(r"^32 characters · 1 SMS$"))
    desk.composer.press("Enter")
    expect(desk.composer).to_have_value("")
    expect(desk.message("Yes: reply with the new address.")).to_have_count(1)
    expect(hint).to_have_text("")
    desk.write("Hi")
    expect(hint).to_have_text("2 characters · 1 SMS")  # counts afresh

    # Pending, the header says so in plain words (not title-cased by its chip).
    desk.page.locator("#pending").click()
    expect(desk.page.locator("#conv-status")).to_have_text(
        "Pending: waiting on the customer", use_inner_text=True
    )
    desk.page.screenshot(path=artifacts / "desk-sms-counter-after-send.png")
