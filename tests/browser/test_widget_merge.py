"""An agent merges the conversation a visitor is looking at into their other one: the widget
follows it there and shows both conversations' messages, in order, with no gap and none twice,
live and after a reload. A screenshot goes to test-artifacts/."""

import pytest
from playwright.sync_api import expect

from conversations import services
from conversations.models import Conversation, Inbox, Message
from tests.browser import test_widget as widget_journeys

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit


def public_bodies(conversation_id: int) -> list[str]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, is_private=False)
        .order_by("seq")
        .values_list("body", flat=True)
    )


def test_the_widget_follows_its_conversation_into_the_one_it_was_merged_into(visit, inbox, agent, artifacts):
    inbox.reopen_policy = Inbox.ReopenPolicy.START_NEW
    inbox.save(update_fields=["reopen_policy"])
    widget = visit()
    widget.open()
    widget.start_conversation()
    widget.send("Where is my parcel?")
    widget.expect_sent("Where is my parcel?")
    first = Conversation.objects.get(inbox=inbox)
    services.message_post_reply(conversation=first, agent=agent, body="It ships today.")
    expect(widget.message("It ships today.", "theirs")).to_have_count(1)
    services.conversation_resolve(conversation=first, actor=agent)
    # The same customer again, from another tab: a second conversation, which the widget lists.
    second = services.message_receive(inbox=inbox, contact=first.contact, body="And my refund?").conversation
    assert second.pk != first.pk
    services.message_post_reply(conversation=second, agent=agent, body="Refunded on Monday.")
    widget.send("Thanks!")  # still in the first one's thread, which reopens
    widget.expect_sent("Thanks!")

    services.conversation_merge(keep=second, merge=first, actor=agent)

    expected = public_bodies(second.pk)
    assert expected == [
        *("And my refund?", "Refunded on Monday."),  # the survivor's own, then the merged one's
        *("Where is my parcel?", "It ships today.", "Thanks!"),
    ]
    for body in expected:
        expect(widget.message(body)).to_have_count(1)  # each once, in the thread it moved to
    expect(widget.messages).to_have_count(len(expected))
    seqs = widget.seqs()
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    widget.page.screenshot(path=artifacts / "widget-after-merge.png")

    widget.send("One more thing")  # goes to the survivor
    widget.expect_sent("One more thing")
    assert public_bodies(second.pk)[-1] == "One more thing"

    widget.page.reload()
    widget.page.wait_for_function("() => window.Parley && window.Parley.loaded")
    widget.page.evaluate("() => window.Parley.open()")
    widget.show_history()
    expect(widget.messages).to_have_count(len(expected) + 1)
    expect(widget.conversations).to_have_count(0)  # one conversation: its thread, no list
