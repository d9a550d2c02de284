"""Export and erase through the REST API and the admin: who may, what they get, what is recorded."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.actors import ActorKind
from audit.models import Action, AuditEntry
from conversations.models import Contact, Conversation
from privacy.models import ContactErasure
from tests.factories.agents import UserFactory

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", is_superuser=True, is_staff=True)


def test_an_administrator_exports_a_contact_as_a_zip_through_the_api(person, boss):
    response = api_as(boss).get(f"/api/v1/contacts/{person.contact.pk}/export")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("contact.json"))["email"] == "zebulon.quixwright@privacy-test.example"
    entry = AuditEntry.objects.get(action=Action.CONTACT_EXPORTED)
    assert (entry.actor_kind, entry.actor_id) == (ActorKind.API_KEY, str(boss.pk))


def test_an_agent_may_neither_export_nor_erase_a_contact_of_their_own_inbox(person):
    api = api_as(person.agent)

    assert api.get(f"/api/v1/contacts/{person.contact.pk}/export").status_code == 403
    assert api.post(f"/api/v1/contacts/{person.contact.pk}/erase").status_code == 403
    assert Contact.objects.get(pk=person.contact.pk).name == "Zebulon Quixwright"
    assert not AuditEntry.objects.filter(action__in=[Action.CONTACT_EXPORTED, Action.CONTACT_ERASED]).exists()


def test_an_administrator_erases_a_contact_through_the_api_once(person, boss):
    api = api_as(boss)

    first = api.post(f"/api/v1/contacts/{person.contact.pk}/erase")
    again = api.post(f"/api/v1/contacts/{person.contact.pk}/erase")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["conversations"] == 2
    assert Contact.objects.get(pk=person.contact.pk).name == ""
    assert AuditEntry.objects.filter(action=Action.CONTACT_ERASED).count() == 1


def test_the_api_answers_an_unknown_contact_404_and_a_refusal_422(person, boss):
    api = api_as(boss)
    Conversation.objects.filter(pk=person.conversations[1].pk).update(status=Conversation.Status.OPEN)

    assert api.post("/api/v1/contacts/999999/erase").status_code == 404
    assert api.get("/api/v1/contacts/999999/export").status_code == 404
    refused = api.post(f"/api/v1/contacts/{person.contact.pk}/erase")
    assert refused.status_code == 422
    assert refused.json()["code"] == "conversation_not_resolved"


def test_the_admin_contact_page_exports_and_erases(person, admin_client):
    change_url = reverse("admin:conversations_contact_change", args=[person.contact.pk])
    export_url = reverse("admin:privacy_contact_export", args=[person.contact.pk])
    erase_url = reverse("admin:privacy_contact_erase", args=[person.contact.pk])

    page = admin_client.get(change_url).content.decode()
    assert export_url in page and erase_url in page
    exported = admin_client.get(export_url)
    assert exported.status_code == 200
    assert (
        "conversations.json" in zipfile.ZipFile(io.BytesIO(b"".join(exported.streaming_content))).namelist()
    )
    assert b"cannot be undone" in admin_client.get(erase_url).content
    assert admin_client.post(erase_url).status_code == 302

    assert ContactErasure.objects.filter(contact=person.contact).exists()
    assert (
        AuditEntry.objects.filter(action=Action.CONTACT_ERASED, actor_kind=ActorKind.ADMINISTRATOR).count()
        == 1
    )


def test_staff_without_the_right_to_delete_contacts_cannot_erase_in_the_admin(person, client):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)

    response = client.post(reverse("admin:privacy_contact_erase", args=[person.contact.pk]))

    assert response.status_code == 403
    assert not ContactErasure.objects.exists()
