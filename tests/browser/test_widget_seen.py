"""The visitor sees "Seen" once an agent has read what they wrote: under their latest message an
agent has read, live and after a reload, and never before anyone read it. A screenshot goes to
test-artifacts/."""

import pytest
from playwright.sync_api import expect

from conversations import services
from conversations.models import Conversation
from tests.browser import test_widget as widget_journeys

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit


def seen_under(widget, text: str):
    return widget.message(text, "mine").locator(".meta", has_text="Seen")


def test_the_visitor_sees_seen_under_what_an_agent_has_read(visit, inbox, agent, artifacts):
    widget = visit()
    widget.open()
    widget.start_conversation()
    widget.send("Is the blue tent in stock?")
    widget.expect_sent("Is the blue tent in stock?")
    widget.send("Size 3, please.")
    widget.expect_sent("Size 3, please.")
    conversation = Conversation.objects.get(inbox=inbox)
    page = widget.page
    page.wait_for_timeout(300)
    expect(widget.ui.locator("#messages .meta", has_text="Seen")).to_have_count(0)  # nobody read it yet

    services.conversation_mark_read_by_agent(conversation=conversation, agent=agent, up_to_seq=1)
    expect(seen_under(widget, "Is the blue tent in stock?")).to_have_count(1)
    services.conversation_mark_read_by_agent(conversation=conversation, agent=agent, up_to_seq=2)
    expect(seen_under(widget, "Size 3, please.")).to_have_count(1)
    expect(seen_under(widget, "Is the blue tent in stock?")).to_have_count(0)  # said once, at the latest
    widget.panel.screenshot(path=artifacts / "widget-seen.png")

    page.reload()
    page.wait_for_function("() => window.Parley && window.Parley.loaded")
    page.evaluate("() => window.Parley.open()")
    widget.show_history()
    expect(seen_under(widget, "Size 3, please.")).to_have_count(1)
    expect(widget.ui.locator("#messages .meta", has_text="Seen")).to_have_count(1)
