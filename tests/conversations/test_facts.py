"""Facts for reports, kept as things happen: reopen count, synchronous against asynchronous
replies, and a live session's queue wait, first response and handle time."""

from datetime import timedelta

from django.utils import timezone

from conversations import services
from conversations.models import Contact, Conversation, LiveSession
from tests.factories.conversations import ContactFactory, InboxFactory


def test_replies_count_as_synchronous_while_the_customer_is_there_and_asynchronous_after(inbox, agent):
    contact = ContactFactory()
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Hello, I'm here")
    Contact.objects.filter(pk=contact.pk).update(last_seen_at=timezone.now() - timedelta(minutes=30))
    services.message_post_reply(conversation=conversation, agent=agent, body="Following up by message")
    services.message_post_reply(conversation=conversation, agent=agent, body="Note", is_private=True)
    conversation.refresh_from_db()
    assert (conversation.sync_replies, conversation.async_replies) == (1, 1)


def test_reopens_are_counted_whoever_reopens(inbox, agent, contact):
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    services.conversation_resolve(conversation=conversation, actor=agent)
    services.message_receive(inbox=inbox, contact=contact, body="Me again")  # the customer reopens
    services.conversation_resolve(conversation=conversation, actor=agent)
    services.conversation_reopen(conversation=conversation, actor=agent)  # an agent reopens
    services.conversation_mark_pending(conversation=conversation, actor=agent)  # not a reopen
    conversation.refresh_from_db()
    assert conversation.reopen_count == 2


def test_a_live_session_keeps_its_queue_wait_first_response_and_handle_time(db, agent):
    live = InboxFactory(name="Live", mode="live")
    conversation = services.message_receive(inbox=live, contact=ContactFactory(), body="Hi").conversation
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    services.message_post_reply(conversation=conversation, agent=agent, body="Hi, Ana here")
    first = LiveSession.objects.get(conversation=conversation).first_response_at
    services.message_post_reply(conversation=conversation, agent=agent, body="Anything else?")
    services.live_session_end(
        conversation=conversation, reason=LiveSession.CloseReason.AGENT_ENDED, actor=agent
    )

    session = LiveSession.objects.get(conversation=conversation)
    assert session.opened_at <= session.assigned_at <= session.first_response_at == first <= session.closed_at
    conversation = Conversation.objects.get(pk=conversation.pk)
    assert conversation.sync_replies == 2  # the customer was in the chat
