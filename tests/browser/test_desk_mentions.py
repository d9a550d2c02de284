"""Mentions and desktop notifications in the desk (issue 21, point 3), in Chromium: Ana mentions
Ben in a private note; Ben's desk, in a browser profile of his own, shows the unread badge live
(and in his second tab), lists the mention in the top bar's panel, opens the conversation at the
note, and the badge goes back to 0 everywhere. The first sign-in offers desktop notifications:
Ana turns them on (the browser is asked from her click), Ben says "Not now" and is not asked
again, then switches them on for mentions in his settings.

Desktop notifications are observed at the browser's API: the profile is granted the permission and
an init script wraps window.Notification to record what the page constructs (the page's own code
runs unchanged). A screenshot goes to test-artifacts/desk-mentions.png.
"""

import re

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import BrowserContext, Page, expect

from agents.models import AgentProfile, Mention
from conversations.models import Conversation, Message
from tests.browser.test_desk import Desk, customer_writes, new_agent, open_desk  # noqa: F401 (a fixture)
from tests.browser.test_widget import wait_until
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

NOTE = "@ben can you check the refund for order A-10442? The customer paid twice."

# What the page asks of the browser's Notification API, recorded; the real API still does the work.
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.notificationsShown = [];
  window.permissionAsks = 0;
  class Recorded extends Real {
    constructor(title, options) {
      window.notificationsShown.push({ title: title, body: (options && options.body) || "" });
      super(title, options);
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => {
    window.permissionAsks += 1;
    return Real.requestPermission(...args);
  };
  window.Notification = Recorded;
})();
"""


def recording(desk: Desk) -> Desk:
    """The desk again, reloaded with the Notification API recorded from the page's first script."""
    desk.page.context.add_init_script(RECORD_NOTIFICATIONS)
    settled(desk)
    return desk


def settled(desk: Desk) -> None:
    """Reloaded, connected, and done with what the socket's hello fetches (the top bar's #me is
    swapped anew, which would close a menu opened meanwhile)."""
    desk.page.reload()
    desk.expect_online()
    desk.page.wait_for_load_state("networkidle")


def shown(page: Page) -> list[dict]:
    return page.evaluate("() => window.notificationsShown")


def grant_notifications(context: BrowserContext, origin: str) -> None:
    context.grant_permissions(["notifications"], origin=origin)


@pytest.fixture
def inbox(host_site):
    return InboxFactory(name="Acme Support", routing="manual")


def agent_desk(open_desk, agent: AbstractBaseUser) -> Desk:  # noqa: F811
    return recording(open_desk(agent))


def test_a_mention_reaches_the_badge_live_and_opens_at_the_note(open_desk, inbox, parley, artifacts):  # noqa: F811
    ana, ben = new_agent("Ana", inbox), new_agent("Ben", inbox)
    refund = customer_writes(
        inbox, ContactFactory(name="Maya Lindqvist"), "I was charged twice!"
    ).conversation
    stove = customer_writes(inbox, ContactFactory(name="Tomás Rivera"), "Which stove fits?").conversation

    # Ana's first sign-in: the desk offers desktop notifications; "Turn on" asks the browser.
    desk_a = agent_desk(open_desk, ana)
    offer_a = desk_a.page.locator("#notify-offer")
    expect(offer_a).to_contain_text("Get desktop notifications for mentions and assignments?")
    offer_a.get_by_role("button", name="Turn on").click()
    expect(offer_a).to_have_count(0)
    assert desk_a.page.evaluate("() => window.permissionAsks") == 1  # from her click
    expect(desk_a.page.locator("#me")).to_have_attribute("data-notify-assignments", "on")
    profile = AgentProfile.objects.get(user=ana)
    assert (profile.notify_offer_answered, profile.notify_mentions, profile.notify_assignments) == (True,) * 3
    grant_notifications(desk_a.page.context, parley.http)  # what her "Allow" in the browser's prompt does

    # Ben's first sign-in: "Not now" puts the offer away for good.
    desk_b = agent_desk(open_desk, ben)
    offer_b = desk_b.page.locator("#notify-offer")
    expect(offer_b).to_be_visible()
    offer_b.get_by_role("button", name="Not now").click()
    expect(offer_b).to_have_count(0)
    assert desk_b.page.evaluate("() => window.permissionAsks") == 0  # not asked: he said not now
    settled(desk_b)
    expect(desk_b.page.locator("#notify-offer")).to_have_count(0)
    # Later he switches desktop notifications on for mentions, in his settings.
    grant_notifications(desk_b.page.context, parley.http)
    desk_b.page.locator("details.notify summary").click()
    desk_b.page.get_by_label("Desktop notifications for mentions").check()
    expect(desk_b.page.locator("#me")).to_have_attribute("data-notify-mentions", "on")
    expect(desk_b.page.locator("#me")).to_have_attribute("data-notify-assignments", "off")
    desk_b.page.keyboard.press("Escape")

    badge_b = desk_b.page.locator("#mentions-count")
    button_b = desk_b.page.get_by_role("button", name=re.compile(r"^Mentions, \d+ unread$"))
    expect(button_b).to_have_attribute("aria-label", "Mentions, 0 unread")
    expect(badge_b).to_be_hidden()
    second_tab = desk_b.page.context.new_page()  # Ben's other tab
    second_tab.goto(f"{parley.http}/desk/")
    expect(second_tab.locator("#connection")).to_have_attribute("data-state", "online")

    # Ana mentions Ben in a private note.
    desk_a.open(refund)
    desk_a.private.check()
    desk_a.send(NOTE)
    expect(desk_a.message(NOTE)).to_have_count(1)
    note = Message.objects.get(body=NOTE)

    # Ben's badge says 1 at once, in both tabs, and tells a screen reader; the desktop shows it.
    expect(badge_b).to_have_text("1")
    expect(badge_b).to_be_visible()
    expect(button_b).to_have_attribute("aria-label", "Mentions, 1 unread")
    expect(desk_b.page.locator("#mentions-live")).to_have_text("Mentions, 1 unread")
    expect(desk_b.page.locator("#mentions-live")).to_have_attribute("aria-live", "polite")
    expect(second_tab.locator("#mentions-count")).to_have_text("1")
    wait_until(lambda: len(shown(desk_b.page)) == 1, page=desk_b.page)
    [notification] = shown(desk_b.page)
    assert notification["title"] == "Ana mentioned you" and "refund for order A-10442" in notification["body"]
    assert shown(desk_a.page) == []  # the author is not told of her own note

    # The panel lists it: who, where, what, when.
    button_b.click()
    panel = desk_b.page.locator("#mentions-panel")
    expect(button_b).to_have_attribute("aria-expanded", "true")
    item = panel.locator(f"a[data-mention='{Mention.objects.get(agent=ben).pk}']")
    expect(item).to_contain_text("Ana")
    expect(item).to_contain_text("Maya Lindqvist")
    expect(item).to_contain_text("refund for order A-10442")
    expect(item.locator("time")).to_be_visible()
    desk_b.page.screenshot(path=str(artifacts / "desk-mentions.png"))

    # Opening it opens the conversation at the note and reads it: 0 in both tabs.
    item.click()
    expect(panel).to_be_hidden()
    expect(desk_b.thread).to_have_attribute("data-conversation-id", str(refund.pk))
    at_note = desk_b.page.locator(f"#m-{note.pk}")
    expect(at_note).to_have_class(re.compile(r"\bmentioned\b"))
    expect(at_note).to_be_in_viewport()
    expect(button_b).to_have_attribute("aria-label", "Mentions, 0 unread")
    expect(badge_b).to_be_hidden()
    expect(second_tab.locator("#mentions-count")).to_be_hidden()
    wait_until(lambda: not Mention.objects.filter(agent=ben, read_at__isnull=True).exists(), page=desk_b.page)

    # Ben gives Ana the other conversation: her desktop says so (she switched assignments on).
    desk_b.open(stove)
    desk_b.assignee.select_option(str(ana.pk))
    wait_until(lambda: Conversation.objects.get(pk=stove.pk).assignee_id == ana.pk, page=desk_b.page)
    wait_until(lambda: any(n["title"] == "Assigned to you" for n in shown(desk_a.page)), page=desk_a.page)
    assert [n["body"] for n in shown(desk_a.page)] == [f"Conversation #{stove.pk} was assigned to you."]
    assert len(shown(desk_b.page)) == 1  # Ben's own assignment tells Ben nothing
