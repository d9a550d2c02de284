"""A live-chat inbox in the browser: the visitor waits in the queue, an agent joins, the chat
ends, the transcript is offered, and the next message starts a new chat in the queue."""

import pytest
from playwright.sync_api import expect

from conversations import services
from conversations.models import Conversation, LiveSession
from tests.browser import test_widget as widget_journeys
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit  # the fixture, here with a live inbox


@pytest.fixture
def inbox(host_site):
    """A live inbox the host site may embed (overrides conftest.py's messaging one), whose agents
    take chats from the queue themselves."""
    return InboxFactory(name="Acme Live", mode="live", routing="manual", allowed_origins=host_site.origin)


def test_queue_then_an_agent_joins_then_the_visitor_ends_the_chat_and_gets_the_transcript(visit, inbox):
    agent = AgentProfileFactory(display_name="Ana", availability="online").user  # at work on this inbox
    InboxMembershipFactory(inbox=inbox, agent=agent)
    widget = visit()
    widget.open()
    widget.start_conversation()
    widget.send("Is the blue jacket in stock?")
    widget.expect_sent("Is the blue jacket in stock?")
    status = widget.ui.locator("#live-status")
    expect(status).to_have_text("You are number 1 in the queue")

    conversation = Conversation.objects.get(inbox=inbox)
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    expect(widget.ui.locator("#messages li", has_text="Ana joined the conversation")).to_be_visible()
    expect(status).to_have_text("")
    services.message_post_reply(conversation=conversation, agent=agent, body="Yes, in all sizes.")
    expect(widget.message("Yes, in all sizes.", "theirs")).to_have_count(1)

    widget.ui.locator("#end-chat").click()
    expect(status).to_have_text("You ended the chat.")  # not "when you left": they pressed End chat
    expect(widget.ui.locator("#end-chat")).to_be_hidden()
    transcript = widget.ui.locator("#transcript")
    expect(transcript).to_be_visible()
    transcript.locator("input").fill("kim@example.com")
    transcript.locator("button").click()
    expect(widget.ui.locator("#transcript-done")).to_have_text(
        "The transcript is on its way to kim@example.com."
    )
    assert LiveSession.objects.get(conversation=conversation).close_reason == "customer_ended"
    conversation.refresh_from_db()
    assert conversation.status == "resolved" and conversation.contact.email == "kim@example.com"

    widget.page.reload()  # the ended chat is still shown as ended, from the server's answer
    widget.open()
    widget.show_history()
    expect(status).to_have_text("You ended the chat.")
    expect(
        widget.ui.locator("#messages li", has_text="Chat ended. Write to start a new one.")
    ).to_be_visible()

    widget.send("One more thing: do you ship to Canada?")  # a new chat; the last one waited seconds
    expect(status).to_have_text("You are number 1 in the queue · about 1 min")
    assert LiveSession.objects.filter(conversation=conversation, closed_at__isnull=True).count() == 1
