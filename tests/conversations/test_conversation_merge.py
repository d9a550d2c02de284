"""An agent merges two conversations of one customer: every message kept, in order, with its
delivery state and a gap-free seq; the merged-away conversation points to the survivor and sends
on whatever still names it; both histories say who merged what and when."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import events, services
from conversations.models import Contact, Conversation, LiveSession, Message, ReadMarker
from customer_clients.client_actions import history
from tests.factories.conversations import (
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    InboxFactory,
)

pytestmark = pytest.mark.django_db
Status = Conversation.Status


def said(conversation: Conversation, *bodies: str) -> list[Message]:
    return [
        services.message_receive(
            inbox=conversation.inbox, contact=conversation.contact, body=body, conversation_id=conversation.pk
        )
        for body in bodies
    ]


def two_conversations(inbox, contact, agent) -> tuple[Conversation, Conversation]:
    """The customer's first question, answered and resolved; then a second one, still open, one of
    whose replies failed to reach them."""
    first = ConversationFactory(inbox=inbox, contact=contact)
    said(first, "Where is my parcel?")
    services.message_post_reply(conversation=first, agent=agent, body="It ships today.")
    services.conversation_resolve(conversation=first, actor=agent)
    second = ConversationFactory(inbox=inbox, contact=contact)
    said(second, "And my refund?", "Hello?")
    failed = services.message_post_reply(conversation=second, agent=agent, body="Refunded on Monday.")
    Message.objects.filter(pk=failed.pk).update(delivery_status=Message.DeliveryStatus.FAILED)
    return first, second


def history_of(conversation: Conversation) -> list[tuple[int, str, str]]:
    return list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "body", "delivery_status")
    )


def test_the_merged_messages_follow_the_survivors_in_their_order_with_their_state(inbox, contact, agent):
    first, second = two_conversations(inbox, contact, agent)
    kept_before = history_of(first)
    moved_ids = list(Message.objects.filter(conversation=second).order_by("seq").values_list("pk", flat=True))
    moved_before = history_of(second)

    survivor = services.conversation_merge(keep=first, merge=second, actor=agent)

    after = history_of(survivor)
    assert after[: len(kept_before)] == kept_before  # nothing below the survivor's seq moved
    offset = len(kept_before)
    assert after[offset : offset + len(moved_before)] == [
        (seq + offset, body, status) for seq, body, status in moved_before
    ]
    assert [seq for seq, _, _ in after] == list(range(1, len(after) + 1))  # gap-free
    assert survivor.last_seq == len(after)
    assert (
        list(
            Message.objects.filter(conversation=survivor, seq__gt=offset)
            .order_by("seq")
            .values_list("pk", flat=True)
        )[: len(moved_ids)]
        == moved_ids
    )  # the same rows: ids, attachments, delivery records all kept
    assert (
        after[-1][1] == f"Ana merged conversation #{second.pk} into this one ({len(moved_before)} messages)"
    )


def test_the_merged_away_conversation_points_to_the_survivor_and_says_who_merged_it(inbox, contact, agent):
    first, second = two_conversations(inbox, contact, agent)
    services.conversation_merge(keep=first, merge=second, actor=agent)

    second.refresh_from_db()
    assert (second.merged_into_id, second.merged_by, second.status) == (first.pk, agent, Status.RESOLVED)
    assert second.merged_at is not None and second.assignee_id is None and second.waiting_since is None
    [line] = Message.objects.filter(conversation=second)
    assert (line.body, line.is_private) == (f"Ana merged this conversation into #{first.pk}", True)


def test_an_open_question_reopens_the_survivor_and_keeps_the_customer_waiting(inbox, contact, agent):
    first, second = two_conversations(inbox, contact, agent)
    waiting_since = Conversation.objects.get(pk=second.pk).waiting_since

    survivor = services.conversation_merge(keep=first, merge=second, actor=agent)

    assert survivor.status == Status.OPEN and survivor.resolved_at is None
    assert survivor.waiting_since == waiting_since
    assert survivor.reopen_count == 1


def test_read_positions_carry_over_into_the_moved_messages(inbox, contact, agent):
    first, second = two_conversations(inbox, contact, agent)
    offset = Conversation.objects.get(pk=first.pk).last_seq
    services.conversation_mark_read_by_contact(conversation=first, up_to_seq=offset)
    services.conversation_mark_read_by_contact(conversation=second, up_to_seq=2)
    first.refresh_from_db()
    services.conversation_mark_read_by_agent(conversation=first, agent=agent, up_to_seq=offset)
    read_of_second = ReadMarker.objects.get(conversation=second, agent=agent).last_read_seq  # their reply

    survivor = services.conversation_merge(keep=first, merge=second, actor=agent)

    assert survivor.contact_last_read_seq == offset + 2
    assert ReadMarker.objects.get(conversation=survivor, agent=agent).last_read_seq == offset + read_of_second
    assert not ReadMarker.objects.filter(conversation=second).exists()


def test_what_still_names_the_merged_away_conversation_lands_in_the_survivor(inbox, contact, agent):
    first, second = two_conversations(inbox, contact, agent)
    services.conversation_merge(keep=first, merge=second, actor=agent)

    late = services.message_receive(
        inbox=inbox, contact=contact, body="Still there?", conversation_id=second.pk
    )
    new = services.message_receive(inbox=inbox, contact=contact, body="One more thing")

    assert late.conversation_id == first.pk and new.conversation_id == first.pk
    with pytest.raises(ValidationError, match=f"merged into #{first.pk}"):
        services.message_post_reply(conversation=second, agent=agent, body="Sent to the wrong one")
    assert [c.pk for c in Conversation.objects.filter(contact=contact, merged_into__isnull=True)] == [
        first.pk
    ]


def test_a_conversation_merged_into_one_that_is_merged_later_points_to_the_last_survivor(
    inbox, contact, agent
):
    first, second = two_conversations(inbox, contact, agent)
    third = ConversationFactory(inbox=inbox, contact=contact)
    said(third, "A third thread")
    services.conversation_merge(keep=second, merge=third, actor=agent)
    services.conversation_merge(keep=first, merge=second, actor=agent)

    assert Conversation.objects.get(pk=third.pk).merged_into_id == first.pk
    assert (
        services.message_receive(
            inbox=inbox, contact=contact, body="Hi", conversation_id=third.pk
        ).conversation_id
        == first.pk
    )
    bodies = [body for _, body, _ in history_of(first)]
    assert (
        bodies.index("Where is my parcel?") < bodies.index("And my refund?") < bodies.index("A third thread")
    )


def test_conversations_of_two_contacts_merge_the_contacts_first(inbox, agent):
    kim, kim_again = ContactFactory(name="Kim", email=""), ContactFactory(name="", email="kim@example.com")
    first, second = (
        ConversationFactory(inbox=inbox, contact=kim),
        ConversationFactory(inbox=inbox, contact=kim_again),
    )
    said(first, "Hi from the phone")
    said(second, "Hi from the laptop")

    services.conversation_merge(keep=first, merge=second, actor=agent)

    assert not Contact.objects.filter(pk=kim_again.pk).exists()
    assert Contact.objects.get(pk=kim.pk).email == "kim@example.com"
    assert [body for _, body, _ in history_of(first)][:2] == ["Hi from the phone", "Hi from the laptop"]


@pytest.mark.parametrize(
    "case", ["itself", "another inbox", "already merged", "a live chat going", "two verified users"]
)
def test_a_merge_that_cannot_be_done_is_refused_and_changes_nothing(inbox, contact, agent, case):
    first, second = two_conversations(inbox, contact, agent)
    keep, merge = first, second
    if case == "itself":
        merge = first
    elif case == "another inbox":
        merge = ConversationFactory(inbox=InboxFactory(name="Other"), contact=contact)
        said(merge, "Elsewhere")
    elif case == "already merged":
        third = ConversationFactory(inbox=inbox, contact=contact)
        services.conversation_merge(keep=third, merge=second, actor=agent)
    elif case == "a live chat going":
        LiveSession.objects.filter(conversation=second).delete()  # its messaging stretch: a chat instead
        LiveSession.objects.create(
            conversation=second, inbox=inbox, opened_at=timezone.now(), last_activity_at=timezone.now()
        )
    elif case == "two verified users":
        Contact.objects.filter(pk=contact.pk).update(external_id="user-1")
        merge = ConversationFactory(inbox=inbox, contact=ContactFactory(external_id="user-2"))
        said(merge, "I am someone else")
    before = {c.pk: (c.last_seq, c.status, c.merged_into_id) for c in Conversation.objects.all()}
    messages_before = set(Message.objects.values_list("pk", "conversation_id", "seq"))

    with pytest.raises(ValidationError):
        services.conversation_merge(keep=keep, merge=merge, actor=agent)

    assert {c.pk: (c.last_seq, c.status, c.merged_into_id) for c in Conversation.objects.all()} == before
    assert set(Message.objects.values_list("pk", "conversation_id", "seq")) == messages_before


def test_the_customers_clients_hear_the_merge_and_resync_the_survivor_without_a_gap(
    inbox, contact, agent, listen, django_capture_on_commit_callbacks
):
    identity = ContactIdentityFactory(contact=contact, inbox=inbox)
    first, second = two_conversations(inbox, contact, agent)
    held = history(identity, conversation_id=first.pk, after_seq=0, before_seq=None, limit=100)
    last = max(message.seq for message in held.messages)
    customer = listen(events.contact_group(contact.pk, inbox.pk))

    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_merge(keep=first, merge=second, actor=agent)

    merged = next(event for event in customer.receive_all() if event["type"] == "conversation.merged")
    assert (merged["conversation_id"], merged["into_conversation_id"]) == (second.pk, first.pk)
    page = history(identity, conversation_id=first.pk, after_seq=last, before_seq=None, limit=100)
    public_moved = list(
        Message.objects.filter(conversation=first, seq__gt=last, is_private=False).order_by("seq")
    )
    assert [m.pk for m in page.messages] == [m.pk for m in public_moved]
    assert [m.body for m in page.messages] == ["And my refund?", "Hello?", "Refunded on Monday."]
    assert merged["into_seq"] == Conversation.objects.get(pk=first.pk).last_seq
    assert (
        history(identity, conversation_id=second.pk, after_seq=0, before_seq=None, limit=100).messages == []
    )
