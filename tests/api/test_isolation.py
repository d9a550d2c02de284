"""An agent reaches only the inboxes they work; admins all. What lies elsewhere is not found (404),
never forbidden: a 403 would tell the agent it exists."""

import pytest

from conversations import services
from conversations.models import Contact, Conversation, Message
from tests.factories.conversations import ContactFactory, ContactIdentityFactory, LabelFactory


@pytest.fixture
def hidden_message(other_conversation):
    return services.message_receive(
        inbox=other_conversation.inbox,
        contact=other_conversation.contact,
        conversation_id=other_conversation.pk,
        body="secret",
    )


def test_another_inbox_conversation_is_not_found_by_any_door(api, other_conversation, hidden_message):
    conversation_url = f"/api/v1/conversations/{other_conversation.pk}"
    doors = [
        api.get(conversation_url),
        api.patch(conversation_url, {"status": "resolved"}),
        api.post(f"{conversation_url}/assignment", {"assignee_id": None}),
        api.get(f"{conversation_url}/messages"),
        api.post(f"{conversation_url}/messages", {"body": "hello"}),
        api.post(f"{conversation_url}/messages/{hidden_message.pk}/retry"),
    ]

    assert [door.status_code for door in doors] == [404] * len(doors)
    assert {door.json()["code"] for door in doors} == {"not_found"}
    other_conversation.refresh_from_db()
    assert other_conversation.status == Conversation.Status.OPEN
    assert Message.objects.filter(conversation=other_conversation).count() == 1


def test_another_inbox_contact_is_not_found_by_any_door(api, other_conversation, conversation):
    hidden = other_conversation.contact
    contact_url = f"/api/v1/contacts/{hidden.pk}"
    doors = [
        api.get(contact_url),
        api.patch(contact_url, {"name": "Renamed"}),
        api.get(f"{contact_url}/identities"),
        api.get(f"{contact_url}/merge-suggestions"),
        api.post(f"{contact_url}/merge", {"merge_id": conversation.contact_id}),
        api.post(f"/api/v1/contacts/{conversation.contact_id}/merge", {"merge_id": hidden.pk}),
    ]

    assert [door.status_code for door in doors] == [404] * len(doors)
    hidden.refresh_from_db()
    assert hidden.name == "Hidden Person"
    assert Contact.objects.filter(pk=hidden.pk).exists()


def test_lists_hold_only_the_agents_inboxes(api, inbox, conversation, other_conversation):
    conversations = api.get("/api/v1/conversations").json()["results"]
    contacts = api.get("/api/v1/contacts").json()["results"]
    inboxes = api.get("/api/v1/inboxes").json()["results"]

    assert [row["id"] for row in conversations] == [conversation.pk]
    assert [row["id"] for row in contacts] == [conversation.contact_id]
    assert [row["id"] for row in inboxes] == [inbox.pk]
    filtered = api.get("/api/v1/conversations", {"inbox": other_conversation.inbox_id}).json()
    assert filtered["results"] == []


def test_identities_and_suggestions_leave_out_other_inboxes(api, conversation, other_inbox):
    contact = conversation.contact
    ContactIdentityFactory(contact=contact, inbox=conversation.inbox, source_id="visible")
    ContactIdentityFactory(contact=contact, inbox=other_inbox, source_id="+14155550100")
    twin_elsewhere = ContactFactory(email=contact.email)
    ContactIdentityFactory(contact=twin_elsewhere, inbox=other_inbox)

    identities = api.get(f"/api/v1/contacts/{contact.pk}/identities").json()
    suggestions = api.get(f"/api/v1/contacts/{contact.pk}/merge-suggestions").json()

    assert [identity["source_id"] for identity in identities] == ["visible"]
    assert suggestions == []


def test_a_contact_cannot_be_created_on_another_inbox(api, other_inbox):
    response = api.post("/api/v1/contacts", {"inbox_id": other_inbox.pk, "name": "Sneaky"})

    assert response.status_code == 400
    assert "inbox_id" in response.json()["field_errors"]
    assert not Contact.objects.filter(name="Sneaky").exists()


def test_an_admin_reaches_every_inbox(client_for, admin_user, conversation, other_conversation):
    admin = client_for(admin_user)
    LabelFactory(name="vip")

    listed = admin.get("/api/v1/conversations").json()["results"]
    changed = admin.patch(f"/api/v1/conversations/{other_conversation.pk}", {"status": "pending"})

    assert {row["id"] for row in listed} == {conversation.pk, other_conversation.pk}
    assert changed.status_code == 200
    assert changed.json()["status"] == "pending"
    assert admin.get(f"/api/v1/contacts/{other_conversation.contact_id}").status_code == 200
