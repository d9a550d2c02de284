"""Contacts over the API: search, read, create, correct, identities, merge and its suggestions."""

import pytest

from conversations.models import Contact, ContactIdentity, Conversation
from tests.factories.conversations import ContactFactory, ContactIdentityFactory, ConversationFactory


@pytest.fixture
def contacts(inbox):
    """Three contacts with a conversation each in the agent's inbox."""
    people = [
        ContactFactory(name="Ada Lovelace", email="ada@example.com", phone="+14155550100"),
        ContactFactory(name="Grace Hopper", email="grace@navy.example", phone=""),
        ContactFactory(name="Alan Turing", email="alan@example.org", phone="+442079460958"),
    ]
    for person in people:
        ConversationFactory(inbox=inbox, contact=person)
    return people


def test_contacts_are_listed_by_name_in_numbered_pages(api, contacts):
    first = api.get("/api/v1/contacts", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert first["count"] == 3
    assert [row["name"] for row in first["results"]] == ["Ada Lovelace", "Alan Turing"]
    assert [row["name"] for row in second["results"]] == ["Grace Hopper"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [("grace", ["Grace Hopper"]), ("example.org", ["Alan Turing"]), ("555", ["Ada Lovelace"]), ("", None)],
)
def test_contacts_are_searched_by_name_email_or_phone(api, contacts, q, expected):
    names = [row["name"] for row in api.get("/api/v1/contacts", {"q": q}).json()["results"]]

    assert names == (expected or ["Ada Lovelace", "Alan Turing", "Grace Hopper"])


def test_a_contact_is_read_whole(api, contacts):
    ada = contacts[0]

    body = api.get(f"/api/v1/contacts/{ada.pk}").json()

    assert body["id"] == ada.pk
    assert body["email"] == "ada@example.com"
    assert body["custom_attributes"] == {}
    assert api.get("/api/v1/contacts/999999").status_code == 404


def test_a_contact_is_created_on_an_inbox_the_agent_works(api, inbox):
    response = api.post(
        "/api/v1/contacts",
        {
            "inbox_id": inbox.pk,
            "source_id": "+14155550123",
            "name": "New Person",
            "email": "new@example.com",
            "phone": "+1 (415) 555-0123",
            "language": "pt-BR",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["phone"], body["language"]) == ("New Person", "+14155550123", "pt")
    identity = ContactIdentity.objects.get(contact_id=body["id"])
    assert (identity.inbox_id, identity.source_id) == (inbox.pk, "+14155550123")
    assert api.get(f"/api/v1/contacts/{body['id']}").status_code == 200  # visible by its identity


def test_a_contact_without_source_id_gets_an_opaque_one(api, inbox):
    response = api.post("/api/v1/contacts", {"inbox_id": inbox.pk, "name": "Walk-in"})

    assert response.status_code == 201
    assert ContactIdentity.objects.get(contact_id=response.json()["id"]).source_id.startswith("api-")


def test_a_known_identity_is_a_conflict(api, inbox):
    ContactIdentityFactory(inbox=inbox, source_id="visitor-1")

    response = api.post("/api/v1/contacts", {"inbox_id": inbox.pk, "source_id": "visitor-1"})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "06 12 34 56 78"),
        ("email", "not-an-email"),
        ("language", "english please"),
        ("name", "x" * 201),
    ],
)
def test_bad_details_are_refused_naming_the_field(api, inbox, field, value):
    response = api.post("/api/v1/contacts", {"inbox_id": inbox.pk, field: value})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["field_errors"]) == [field]
    assert Contact.objects.count() == 0


def test_an_edit_changes_what_is_given_and_keeps_the_rest(api, contacts):
    ada = contacts[0]

    response = api.patch(f"/api/v1/contacts/{ada.pk}", {"name": "Ada King", "phone": ""})

    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.name, ada.email, ada.phone) == ("Ada King", "ada@example.com", "")


def test_a_bad_edit_changes_nothing(api, contacts):
    ada = contacts[0]

    response = api.patch(f"/api/v1/contacts/{ada.pk}", {"name": "Ada King", "phone": "12"})

    assert response.status_code == 400
    assert response.json()["field_errors"] == {
        "phone": [
            "That phone number does not look right: write it with its country code, like +44 20 7946 0958."
        ]
    }
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"


def test_identities_are_listed(api, contacts, inbox):
    ContactIdentityFactory(contact=contacts[0], inbox=inbox, source_id="visitor-ada")

    response = api.get(f"/api/v1/contacts/{contacts[0].pk}/identities")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": ContactIdentity.objects.get().pk,
            "inbox_id": inbox.pk,
            "inbox_name": inbox.name,
            "source_id": "visitor-ada",
            "created_at": response.json()[0]["created_at"],
        }
    ]


def test_a_merge_folds_the_other_contact_in(api, contacts, inbox):
    ada, _, alan = contacts
    alan_conversation = Conversation.objects.get(contact=alan)

    response = api.post(f"/api/v1/contacts/{ada.pk}/merge", {"merge_id": alan.pk})

    assert response.status_code == 200
    assert response.json()["id"] == ada.pk
    assert not Contact.objects.filter(pk=alan.pk).exists()
    alan_conversation.refresh_from_db()
    assert alan_conversation.contact_id == ada.pk


@pytest.mark.parametrize("same", [True, False], ids=["itself", "two verified users"])
def test_a_merge_the_core_refuses_is_422(api, contacts, same):
    ada, grace, _ = contacts
    if not same:
        Contact.objects.filter(pk=ada.pk).update(external_id="user-1")
        Contact.objects.filter(pk=grace.pk).update(external_id="user-2")

    response = api.post(f"/api/v1/contacts/{ada.pk}/merge", {"merge_id": ada.pk if same else grace.pk})

    assert response.status_code == 422
    assert response.json()["code"] == "refused"
    assert Contact.objects.count() == 3


def test_merge_suggestions_share_an_email_or_phone(api, contacts, inbox):
    ada = contacts[0]
    twin = ContactFactory(name="A. Lovelace", email="ADA@example.com")
    ConversationFactory(inbox=inbox, contact=twin)

    response = api.get(f"/api/v1/contacts/{ada.pk}/merge-suggestions")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [twin.pk]
