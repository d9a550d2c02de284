"""Adding or taking off one label (the desk's bulk "Add label" / "Remove label", issue 21): the
change is made to the labels as they are under the conversation's lock, so a label another agent
set meanwhile is kept, and it is announced once, only when something changed."""

import pytest

from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.models import Conversation
from tests.factories.conversations import ConversationFactory, LabelFactory


@pytest.mark.django_db(transaction=True)
def test_a_label_added_or_removed_keeps_the_labels_set_meanwhile(listen):
    conversation = ConversationFactory()
    vip, refund, bug = LabelFactory(name="vip"), LabelFactory(name="refund"), LabelFactory(name="bug")
    read_earlier = Conversation.objects.prefetch_related("labels").get(pk=conversation.pk)
    services.conversation_update(conversation=conversation, actor=None, labels=[refund])  # meanwhile
    agents = listen(events.inbox_group(conversation.inbox_id))

    services.conversation_update(conversation=read_earlier, actor=None, add_labels=[vip])
    assert set(conversation.labels.all()) == {refund, vip}
    services.conversation_update(conversation=read_earlier, actor=None, remove_labels=[refund])
    assert set(conversation.labels.all()) == {vip}
    services.conversation_update(conversation=read_earlier, actor=None, remove_labels=[bug])  # not on it

    received = agents.receive_all()
    assert [(event["type"], event["label_ids"]) for event in received] == [
        (EventType.CONVERSATION_UPDATED, sorted([refund.pk, vip.pk])),
        (EventType.CONVERSATION_UPDATED, [vip.pk]),
    ]
