"""Mentions (agents.services): a private note that names agents as @username records a Mention for
each agent who works its inbox, in the note's own transaction, and tells each of them after commit;
reading mentions changes only the reader's, and tells all their desks the new unread count."""

import pytest
from django.core.exceptions import ValidationError

from agents.models import Mention
from agents.presence import agent_group
from agents.selectors import agent_mentions, mention_unread_count
from agents.services import mentions_mark_read, reply_post
from conversations import services
from conversations.models import Message
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db


def colleague(username: str, *inboxes, **profile) -> object:
    user = AgentProfileFactory(display_name=username.title(), user__username=username, **profile).user
    for inbox in inboxes:
        InboxMembershipFactory(inbox=inbox, agent=user)
    return user


def customer_writes(inbox):
    return services.message_receive(
        inbox=inbox, contact=ContactFactory(), body="Where is my order?"
    ).conversation


def note(conversation, author, body: str, **extra) -> Message:
    return reply_post(conversation=conversation, agent=author, body=body, is_private=True, **extra)


def test_a_note_records_a_mention_for_each_named_agent_of_the_inbox_and_not_for_others(inbox, agent):
    ben = colleague("ben", inbox)
    supervisor = colleague("sue", role="supervisor")  # works every inbox without a membership
    outsider = colleague("cy", InboxFactory())  # works another inbox only
    gone = colleague("dee", inbox)
    gone.is_active = False
    gone.save()
    conversation = customer_writes(inbox)
    written = note(
        conversation, agent, f"@ben @SUE @cy @dee @{agent.username} @nobody please look at the refund"
    )
    mentioned = {mention.agent for mention in Mention.objects.filter(message=written)}
    assert mentioned == {ben, supervisor}  # not the outsider, the deactivated, the author or a stranger
    assert {m.author for m in Mention.objects.all()} == {agent}
    assert outsider not in mentioned


def test_only_a_private_note_mentions_anyone(inbox, agent):
    colleague("ben", inbox)
    conversation = customer_writes(inbox)
    reply_post(conversation=conversation, agent=agent, body="@ben will call you back", is_private=False)
    assert not Mention.objects.exists()


def test_a_replayed_note_records_and_announces_nothing_again(
    inbox, agent, listen, django_capture_on_commit_callbacks
):
    ben = colleague("ben", inbox)
    conversation = customer_writes(inbox)
    to_ben = listen(agent_group(ben.pk))
    with django_capture_on_commit_callbacks(execute=True):
        first = note(conversation, agent, "@ben refund?", client_message_id="note-1")
    with django_capture_on_commit_callbacks(execute=True):
        again = note(conversation, agent, "@ben refund?", client_message_id="note-1")
    assert first.pk == again.pk
    assert Mention.objects.filter(agent=ben).count() == 1
    [told] = to_ben.receive_all()
    assert told["type"] == "agent.mentioned" and told["unread"] == 1


def test_the_mention_is_announced_after_commit_with_the_unread_count(
    inbox, agent, listen, django_capture_on_commit_callbacks
):
    ben = colleague("ben", inbox)
    conversation = customer_writes(inbox)
    to_ben = listen(agent_group(ben.pk))
    with django_capture_on_commit_callbacks() as pending:
        written = note(conversation, agent, "@ben first")
        assert Mention.objects.filter(agent=ben).count() == 1  # written with the note
    assert to_ben.receive_all() == []  # nothing before commit
    for callback in pending:
        callback()
    [told] = to_ben.receive_all()
    mention = Mention.objects.get(agent=ben)
    assert told == {
        "type": "agent.mentioned",
        "conversation_id": conversation.pk,
        "message_id": written.pk,
        "mention_id": mention.pk,
        "by": "Ana",
        "excerpt": "@ben first",
        "unread": 1,
        "published_at": told["published_at"],
    }


def test_a_refused_note_records_no_mention(inbox, agent):
    colleague("ben", inbox)
    conversation = customer_writes(inbox)
    with pytest.raises(ValidationError):
        note(conversation, agent, "")  # nothing to say
    assert not Mention.objects.exists()


def test_reading_a_mention_marks_only_the_readers_own_and_counts_what_is_left(
    inbox, agent, listen, django_capture_on_commit_callbacks
):
    ben, cy = colleague("ben", inbox), colleague("cy", inbox)
    conversation = customer_writes(inbox)
    for n in range(3):
        note(conversation, agent, f"@ben @cy look {n}")
    bens = list(agent_mentions(ben))
    assert [m.message.body for m in bens] == ["@ben @cy look 2", "@ben @cy look 1", "@ben @cy look 0"]
    assert mention_unread_count(ben) == 3
    cys_first = Mention.objects.filter(agent=cy).first()
    to_ben = listen(agent_group(ben.pk))
    with django_capture_on_commit_callbacks(execute=True):
        left = mentions_mark_read(agent=ben, mention_ids=[bens[0].pk, cys_first.pk])
    assert left == 2 == mention_unread_count(ben)
    assert mention_unread_count(cy) == 3  # another agent's mention is left alone
    [told] = to_ben.receive_all()
    assert (told["type"], told["mention_ids"], told["unread"]) == (
        "agent.mentions_read",
        [bens[0].pk, cys_first.pk],
        2,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert mentions_mark_read(agent=ben) == 0
    [told] = to_ben.receive_all()
    assert (told["mention_ids"], told["unread"]) == (None, 0)
    with django_capture_on_commit_callbacks(execute=True):
        mentions_mark_read(agent=ben)  # nothing left to read: nothing to tell
    assert to_ben.receive_all() == []


def test_mentions_in_an_inbox_the_agent_left_are_neither_listed_nor_counted(inbox, agent):
    ben = colleague("ben", inbox)
    note(customer_writes(inbox), agent, "@ben look")
    assert mention_unread_count(ben) == 1
    ben.inbox_memberships.all().delete()
    assert mention_unread_count(ben) == 0
    assert list(agent_mentions(ben)) == []
