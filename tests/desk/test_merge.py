"""Merging from the desk's header: the customer's other conversations offered, a number for any
other, the merged-away conversation's header saying where its messages went, refusals shown
where the agent acted."""

import pytest

from conversations import services
from conversations.models import Conversation, Message
from tests.factories.agents import InboxMembershipFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def customer_writes(inbox, contact, body: str) -> Conversation:
    conversation = services.message_receive(inbox=inbox, contact=contact, body=body).conversation
    services.conversation_resolve(conversation=conversation, actor=None)
    return conversation


def test_the_header_offers_the_customers_other_conversations_and_merges_into_the_one_picked(
    desk_client, inbox, agent
):
    contact = ContactFactory(name="Kim")
    older = customer_writes(inbox, contact, "My order is late")
    newer = ConversationFactory(inbox=inbox, contact=contact)
    services.message_receive(inbox=inbox, contact=contact, body="Any news?", conversation_id=newer.pk)
    stranger = customer_writes(inbox, ContactFactory(name="Lee"), "Not Kim")

    header = desk_client.get(f"/desk/c/{newer.pk}/header/").content.decode()
    assert f'name="into" value="{older.pk}"' in header
    assert f'name="into" value="{stranger.pk}"' not in header  # another customer's: only by its number

    merged = desk_client.post(f"/desk/c/{newer.pk}/act/merge/", {"into": older.pk})

    assert merged.status_code == 200
    html = merged.content.decode()
    assert (
        'id="merged-note"' in html and f"#{older.pk}</a>" in html and "Ana merged this conversation" in html
    )
    assert [m.body for m in Message.objects.filter(conversation=older, is_private=False).order_by("seq")] == [
        "My order is late",
        "Any news?",
    ]
    older_header = desk_client.get(f"/desk/c/{older.pk}/header/").content.decode()
    assert f'name="into" value="{newer.pk}"' not in older_header  # merged away: no longer a target


@pytest.mark.parametrize(
    ("into", "words"),
    [("", "Pick the conversation"), ("999999", "no conversation #999999"), ("other inbox", "two inboxes")],
)
def test_a_merge_the_desk_cannot_do_is_refused_where_the_agent_acted(desk_client, inbox, agent, into, words):
    contact = ContactFactory()
    conversation = customer_writes(inbox, contact, "Hello")
    if into == "other inbox":
        other = InboxFactory(name="Other")
        InboxMembershipFactory(inbox=other, agent=agent)
        into = str(customer_writes(other, contact, "Elsewhere").pk)

    response = desk_client.post(f"/desk/c/{conversation.pk}/act/merge/", {"into_number": into})

    assert response.status_code == 422 and response["Content-Type"].startswith("text/plain")
    assert words in response.content.decode()
    assert Conversation.objects.get(pk=conversation.pk).merged_into_id is None


def test_an_agent_cannot_merge_into_a_conversation_outside_their_inboxes(desk_client, inbox, agent):
    contact = ContactFactory()
    mine = customer_writes(inbox, contact, "Hello")
    theirs = customer_writes(InboxFactory(name="Not mine"), contact, "Hidden")

    response = desk_client.post(f"/desk/c/{mine.pk}/act/merge/", {"into_number": f"#{theirs.pk}"})

    assert response.status_code == 422 and f"no conversation #{theirs.pk}" in response.content.decode()
    assert Conversation.objects.get(pk=mine.pk).merged_into_id is None
    assert list(
        Message.objects.filter(conversation=theirs, is_private=False).values_list("body", flat=True)
    ) == ["Hidden"]
