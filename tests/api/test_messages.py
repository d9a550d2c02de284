"""Messages over the API: paging by seq, replies and notes (idempotent), channel refusals, retries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import InboxMembership
from conversations import services
from conversations.models import Message, OutboundDelivery
from tests.factories.agents import InboxMembershipFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory


@pytest.fixture
def thread(conversation):
    """`conversation` with seven messages from the customer: seq 1 to 7."""
    for n in range(1, 8):
        services.message_receive(
            inbox=conversation.inbox,
            contact=conversation.contact,
            conversation_id=conversation.pk,
            body=f"m{n}",
        )
    return conversation


def _seqs(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [message["seq"] for message in response.json()["results"]]


def test_messages_page_by_seq_both_ways(api, thread):
    url = f"/api/v1/conversations/{thread.pk}/messages"

    newest = api.get(url, {"limit": 3})
    assert _seqs(newest) == [5, 6, 7]
    assert newest.json()["has_more"] is True
    assert _seqs(api.get(url, {"before": 5, "limit": 3})) == [2, 3, 4]
    oldest = api.get(url, {"before": 2, "limit": 3})
    assert (_seqs(oldest), oldest.json()["has_more"]) == ([1], False)
    assert _seqs(api.get(url, {"after": 2, "limit": 3})) == [3, 4, 5]
    last = api.get(url, {"after": 5, "limit": 3})
    assert (_seqs(last), last.json()["has_more"]) == ([6, 7], False)


@pytest.mark.parametrize(
    "params", [{"after": 1, "before": 3}, {"limit": 0}, {"limit": 101}, {"after": -1}, {"before": "x"}]
)
def test_bad_paging_is_a_400(api, thread, params):
    assert api.get(f"/api/v1/conversations/{thread.pk}/messages", params).status_code == 400


def test_an_agent_replies(api, agent, thread):
    response = api.post(
        f"/api/v1/conversations/{thread.pk}/messages", {"body": "Hello!", "client_message_id": "c-1"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["seq"] == 8
    assert body["sender"] == {"kind": "agent", "agent_id": agent.pk, "name": "Ana"}
    assert (body["is_private"], body["delivery_status"], body["client_message_id"]) == (False, "sent", "c-1")
    thread.refresh_from_db()
    assert thread.last_seq == 8
    assert thread.waiting_since is None  # the service's bookkeeping ran


def test_a_private_note_is_stored_private(api, thread):
    response = api.post(f"/api/v1/conversations/{thread.pk}/messages", {"body": "VIP", "is_private": True})

    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["id"]).is_private is True


def test_a_replayed_client_message_id_creates_nothing(api, thread):
    url = f"/api/v1/conversations/{thread.pk}/messages"

    first = api.post(url, {"body": "Once", "client_message_id": "retry-me"})
    again = api.post(url, {"body": "Once", "client_message_id": "retry-me"})

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Message.objects.filter(client_message_id="retry-me").count() == 1


def test_a_client_message_id_of_another_conversation_is_refused(api, inbox, thread):
    elsewhere = ConversationFactory(inbox=inbox)
    api.post(f"/api/v1/conversations/{elsewhere.pk}/messages", {"body": "A", "client_message_id": "dup"})

    response = api.post(
        f"/api/v1/conversations/{thread.pk}/messages", {"body": "B", "client_message_id": "dup"}
    )

    assert response.status_code == 422
    assert "already in use" in response.json()["detail"]
    assert not Message.objects.filter(body="B").exists()


def test_a_whatsapp_reply_outside_the_window_is_refused_and_nothing_stored(client_for, agent):
    whatsapp = InboxFactory(name="WhatsApp", channel_type="whatsapp")
    InboxMembershipFactory(inbox=whatsapp, agent=agent)
    conversation = services.message_receive(inbox=whatsapp, contact=ContactFactory(), body="Hi").conversation
    Message.objects.filter(conversation=conversation).update(created_at=timezone.now() - timedelta(hours=25))
    api = client_for(agent)

    response = api.post(f"/api/v1/conversations/{conversation.pk}/messages", {"body": "Too late"})

    assert response.status_code == 422
    assert response.json()["code"] == "refused"
    assert "24 hours" in response.json()["detail"]
    assert not Message.objects.filter(body="Too late").exists()
    assert not OutboundDelivery.objects.exists()
    note = api.post(f"/api/v1/conversations/{conversation.pk}/messages", {"body": "Note", "is_private": True})
    assert note.status_code == 201


@pytest.mark.parametrize(
    "body", [{}, {"body": ""}, {"body": "x" * 20_001}, {"body": "hi", "is_private": "maybe"}]
)
def test_a_bad_message_is_a_400(api, thread, body):
    response = api.post(f"/api/v1/conversations/{thread.pk}/messages", body)

    assert response.status_code == 400
    assert Message.objects.filter(conversation=thread).count() == 7


@pytest.fixture
def failed_sms(agent, sms_inbox):
    InboxMembership.objects.create(inbox=sms_inbox, agent=agent)
    conversation = services.message_receive(inbox=sms_inbox, contact=ContactFactory(), body="Hi").conversation
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="Answer")
    OutboundDelivery.objects.filter(message=reply).update(state=OutboundDelivery.State.DEAD)
    return services.message_update_delivery_status(
        message_id=reply.pk, status="failed", error_code="30003", error="Unreachable"
    )


def test_a_failed_reply_is_sent_again(api, failed_sms):
    url = f"/api/v1/conversations/{failed_sms.conversation_id}/messages/{failed_sms.pk}/retry"

    response = api.post(url)

    assert response.status_code == 200
    assert (response.json()["delivery_status"], response.json()["error"]) == ("pending", "")
    assert OutboundDelivery.objects.get(message=failed_sms).state == OutboundDelivery.State.QUEUED
    assert api.post(url).json()["delivery_status"] == "pending"  # again: harmless


def test_a_retry_names_a_message_of_that_conversation(api, failed_sms, conversation):
    response = api.post(f"/api/v1/conversations/{conversation.pk}/messages/{failed_sms.pk}/retry")

    assert response.status_code == 404
    assert Message.objects.get(pk=failed_sms.pk).delivery_status == "failed"


def test_a_misspelt_field_is_refused_by_name_and_nothing_reaches_the_customer(api, thread):
    """`private` is not `is_private`: taken silently, the note would go to the customer."""
    response = api.post(
        f"/api/v1/conversations/{thread.pk}/messages", {"body": "Refund him", "private": True}
    )

    assert response.status_code == 400
    assert response.json()["field_errors"] == {
        "private": ["Unknown field: this request takes body, is_private, client_message_id."]
    }
    assert not Message.objects.filter(body="Refund him").exists()
