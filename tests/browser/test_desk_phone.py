"""The agent desk on a phone (390 x 844, touch): one pane at a time (the list, a conversation, its
customer) with a Back control and the browser's Back, controls big enough for a thumb, and no page
that scrolls sideways. Screenshots of the three panes go to test-artifacts/desk-phone-*.png.

The desktop layout above tablet width is pinned by tests/browser/test_desk.py."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from conversations import services
from conversations.models import Conversation
from tests.browser.accessibility import assert_accessible
from tests.browser.test_desk import customer_writes, new_agent, open_desk  # noqa: F401 (a fixture)
from tests.factories.conversations import ContactFactory, InboxFactory, LabelFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "bypass_csp": True,  # for the injected accessibility check (tests/browser/accessibility.py)
}
THUMB = 44  # px: the smallest touch target (WCAG 2.5.5, Apple's and Google's guidelines)
REPLY = "Sorry to hear that, Maya! Zippers are covered for two years: a new slider kit is on its way."


@pytest.fixture
def inbox(host_site):
    """The widget inbox, routed by hand (routing has its own tests)."""
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin, routing="manual")


def start(inbox, name: str, lines: list[str], **contact) -> Conversation:
    person = ContactFactory(name=name, **contact)
    for line in lines:
        message = customer_writes(inbox, person, line)
    return message.conversation


def sideways_scroll(page: Page) -> int:
    """How far the page scrolls sideways (0 when it fits the phone's width)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


def assert_thumb_sized(locator: Locator, what: str) -> None:
    box = None
    for _ in range(20):  # a list refresh may swap the element out between finding and measuring it
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        if box is not None:
            break
        locator.page.wait_for_timeout(50)
    assert box is not None, f"{what} is not laid out"
    assert box["width"] >= THUMB and box["height"] >= THUMB, f"{what} is {box['width']}x{box['height']} px"


def assert_fits(page: Page, where: str) -> None:
    overflow = sideways_scroll(page)
    assert overflow <= 0, f"the desk scrolls sideways by {overflow}px on a phone ({where})"
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390


def test_an_agent_answers_a_customer_from_a_phone_one_pane_at_a_time(open_desk, inbox, artifacts):  # noqa: F811
    ana = new_agent("Ana", inbox)
    warranty = LabelFactory(name="warranty")
    start(inbox, "Lena Fischer", ["Do you ship to Norway? And how long does it take to Oslo?"])
    start(inbox, "Tomás Rivera", ["Which stove fits inside the Trailhead cookset?"])
    maya = start(
        inbox,
        "Maya Lindqvist",
        [
            "Hi! The zipper on my Trailhead 2 tent door broke on the second night 😕",
            "I bought it in March, order A-10442. Is that covered?",
        ],
        email="maya@example.com",
        custom_attributes={"plan": "Outdoor Club", "orders": 7},
    )
    services.conversation_assign(conversation=maya, assignee=ana, actor=ana)
    services.conversation_update(conversation=maya, actor=ana, labels=[warranty])

    desk = open_desk(ana, **PHONE)
    page = desk.page
    list_pane, conversation_pane = page.locator(".list-pane"), page.locator(".conversation-pane")
    thread, customer = page.locator("#thread"), page.locator("aside.customer")
    not_now = page.locator("#notify-offer-off")  # the one-time offer of desktop notifications
    if not_now.count():
        not_now.tap()
        expect(not_now).to_be_hidden()

    # The list, alone, as wide as the phone.
    expect(desk.rows).to_have_count(3)
    expect(list_pane).to_be_in_viewport()
    expect(conversation_pane).to_be_hidden()
    assert list_pane.bounding_box()["width"] == 390
    assert_fits(page, "the list")
    assert_thumb_sized(desk.row(maya).locator("a"), "a conversation's row")
    assert_thumb_sized(page.locator("#search"), "the search box")
    assert_thumb_sized(page.locator(".tab").first, "a view tab")
    menu = page.locator("#topbar-menu")
    assert_thumb_sized(menu, "the top bar's menu button")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()  # folded into the menu
    page.wait_for_timeout(300)  # the list's debounced refresh after sign-in
    page.screenshot(path=str(artifacts / "desk-phone-list.png"))
    assert_accessible(page, "the desk's list on a phone")

    # A tap opens the conversation, alone, with the composer at the bottom of the screen.
    desk.row(maya).locator("a").tap()
    expect(thread).to_have_attribute("data-conversation-id", str(maya.pk))
    expect(page).to_have_url(re.compile(rf"\?c={maya.pk}$"))
    expect(list_pane).to_be_hidden()
    expect(customer).to_be_hidden()
    expect(desk.message("I bought it in March, order A-10442. Is that covered?")).to_be_in_viewport()
    back = page.locator("#conv-header .pane-back")
    for control, what in (
        (back, "the Back control"),
        (page.locator("#customer-toggle"), "the Customer control"),
        (page.locator("#resolve"), "Resolve"),
        (page.locator("#assignee"), "the assignee"),
        (page.locator("#send"), "Send"),
        (desk.composer, "the composer"),
    ):
        expect(control).to_be_in_viewport()
        assert_thumb_sized(control, what)
    composer_box = page.locator("#composer").bounding_box()
    assert 844 - (composer_box["y"] + composer_box["height"]) <= 24, "the composer is not at the bottom"
    assert_fits(page, "a conversation")

    desk.composer.tap()
    desk.composer.fill(REPLY)
    page.locator("#send").tap()
    expect(desk.composer).to_have_value("")
    expect(desk.message(REPLY)).to_be_in_viewport()
    assert_fits(page, "a conversation after a reply")
    # The on-screen keyboard takes the lower half (desk.html asks the browser to resize the page for it).
    page.set_viewport_size({"width": 390, "height": 430})
    for control in (desk.composer, page.locator("#send"), page.locator("#conv-header .pane-back")):
        expect(control).to_be_in_viewport()
    expect(desk.message(REPLY)).to_be_in_viewport()  # the newest message stays above the keyboard
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)  # the read marker's list refresh
    page.screenshot(path=str(artifacts / "desk-phone-conversation.png"))
    assert_accessible(page, "a conversation on a phone")

    # The customer, alone; Back returns to the conversation as it was.
    page.locator("#customer-toggle").tap()
    expect(customer).to_be_in_viewport()
    expect(customer).to_contain_text("Outdoor Club")
    expect(customer).to_contain_text("maya@example.com")
    expect(thread).to_be_hidden()
    expect(list_pane).to_be_hidden()
    assert customer.bounding_box()["width"] == 390
    customer_back = customer.locator(".pane-back")
    assert_thumb_sized(customer_back, "the customer pane's Back control")
    assert_fits(page, "the customer")
    page.screenshot(path=str(artifacts / "desk-phone-customer.png"))
    assert_accessible(page, "the customer pane on a phone")

    customer_back.tap()
    expect(thread).to_be_in_viewport()
    expect(customer).to_be_hidden()
    expect(desk.message(REPLY)).to_be_in_viewport()
    desk.composer.fill("a draft the customer pane must not lose")

    # Back to the list; the browser's Back and Forward walk the same panes.
    back.tap()
    expect(list_pane).to_be_in_viewport()
    expect(conversation_pane).to_be_hidden()
    expect(page).not_to_have_url(re.compile(r"[?&]c="))
    page.go_forward()
    expect(thread).to_be_in_viewport()
    expect(list_pane).to_be_hidden()
    expect(desk.composer).to_have_value("a draft the customer pane must not lose")
    page.go_back()
    expect(list_pane).to_be_in_viewport()
    expect(conversation_pane).to_be_hidden()
    assert_fits(page, "the list again")

    # Sign out is in the top bar's menu, on screen, and signs out.
    menu.tap()
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_in_viewport()
    assert_thumb_sized(sign_out, "Sign out")
    assert_fits(page, "the open menu")
    page.screenshot(path=str(artifacts / "desk-phone-menu.png"))
    assert_accessible(page, "the top bar's menu on a phone")
    sign_out.tap()
    expect(page).to_have_url(re.compile(r"/desk/login/"))


def test_a_conversation_linked_to_opens_alone_and_back_leads_to_the_list(open_desk, inbox, parley):  # noqa: F811
    ana = new_agent("Ana", inbox)
    kim = start(inbox, "Kim Ode", ["Is the lantern waterproof?"])
    desk = open_desk(ana, **PHONE)
    page = desk.page
    page.goto(f"{parley.http}/desk/?view=all&c={kim.pk}")  # a notification's link, say
    expect(desk.thread).to_have_attribute("data-conversation-id", str(kim.pk))
    expect(page.locator(".list-pane")).to_be_hidden()
    expect(desk.message("Is the lantern waterproof?")).to_be_in_viewport()
    page.locator("#conv-header .pane-back").tap()
    expect(page.locator(".list-pane")).to_be_in_viewport()
    expect(desk.row(kim)).to_be_in_viewport()
    expect(page.locator(".conversation-pane")).to_be_hidden()
    assert_fits(page, "the list after a link")
