"""An identified customer downloads their own data from the widget (POST /widget/api/v1/export):
the archive an administrator would get, recorded in the audit log; an anonymous visitor is refused."""

import io
import json
import zipfile

import pytest

from audit.models import Action, AuditEntry
from conversations import services
from customer_clients.visitors import identity_hash
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def inbox(media_root):
    return InboxFactory(name="Acme Support", allowed_origins=SHOP)


def open_session(client, inbox, external_id: str = "") -> str:
    body = {"public_key": inbox.public_key}
    if external_id:
        body |= {"user_id": external_id, "user_hash": identity_hash(inbox, external_id)}
    answer = client.post("/widget/api/v1/session", json.dumps(body), content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()["resume_token"]


def export(client, inbox, resume_token: str):
    body = {"public_key": inbox.public_key, "resume_token": resume_token}
    return client.post(
        "/widget/api/v1/export", json.dumps(body), content_type="application/json", HTTP_ORIGIN=SHOP
    )


def test_an_identified_customer_downloads_their_own_archive(client, inbox):
    token = open_session(client, inbox, external_id="user-8812")
    contact = inbox.identities.get().contact
    services.message_receive(inbox=inbox, contact=contact, body="Where is order 5531?")

    answer = export(client, inbox, token)

    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    messages = json.loads(archive.read("conversations.json"))[0]["messages"]
    assert [m["body"] for m in messages] == ["Where is order 5531?"]
    entry = AuditEntry.objects.get(action=Action.CONTACT_EXPORTED)
    assert entry.target_id == str(contact.pk)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (
        "customer",
        str(contact.pk),
        f"Contact #{contact.pk}",
    )


def test_an_anonymous_visitor_cannot_export(client, inbox):
    token = open_session(client, inbox)

    answer = export(client, inbox, token)

    assert answer.status_code == 403
    assert answer.json()["error"] == "identity_required"
    assert not AuditEntry.objects.filter(action=Action.CONTACT_EXPORTED).exists()


def test_a_bad_token_is_refused(client, inbox):
    assert export(client, inbox, "not-a-token").status_code == 401


def test_a_body_that_is_not_json_or_a_get_is_answered_not_crashed(client, inbox):
    not_json = client.post("/widget/api/v1/export", b"\x00{", content_type="application/json")
    got = client.get("/widget/api/v1/export")

    assert (not_json.status_code, got.status_code) == (400, 405)
