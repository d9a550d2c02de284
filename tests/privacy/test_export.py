"""Exporting a person (privacy.services.export_contact): a ZIP of JSON and files, every public
message and attachment of theirs, never a private note."""

import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.actors import Actor
from audit.models import Action, AuditEntry
from conversations import services
from conversations.models import Message
from conversations.refusals import Refused
from privacy.services import erase_contact, export_contact

pytestmark = pytest.mark.django_db


def read_archive(archive) -> zipfile.ZipFile:
    return zipfile.ZipFile(archive.file)


def test_the_archive_holds_every_public_message_and_file_and_no_private_note(person):
    archive = read_archive(export_contact(contact=person.contact, actor=Actor.administrator(person.agent)))

    conversations = json.loads(archive.read("conversations.json"))
    exported = {(c["id"], m["seq"]): m["body"] for c in conversations for m in c["messages"]}
    public = Message.objects.filter(conversation__contact=person.contact, is_private=False)
    assert exported == {(m.conversation_id, m.seq): m.body for m in public}
    assert len(exported) >= 3
    assert not any("sounded upset" in body for body in exported.values())
    files = [
        a
        for c in conversations
        for m in c["messages"]
        for a in m["attachments"]
        if a["file_name"] == person.file_name
    ]
    assert archive.read(files[0]["path"]) == person.file_content
    contact = json.loads(archive.read("contact.json"))
    assert (contact["name"], contact["phone"]) == ("Zebulon Quixwright", "+14155550199")
    assert json.loads(archive.read("identities.json"))[0]["source_id"] == "+14155550199"
    assert json.loads(archive.read("csat.json"))[0]["comment"] == "Zebulon says the wait was awful-93kq"
    assert {fact["kind"] for fact in json.loads(archive.read("facts.json"))} >= {"created", "message"}
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["counts"] == {"conversations": 2, "messages": len(exported), "attachments": 1}
    assert "Private notes" in manifest["excluded"]


def test_an_export_is_recorded_in_the_audit_log_without_the_persons_name(person):
    export_contact(contact=person.contact, actor=Actor.administrator(person.agent))

    entry = AuditEntry.objects.get(action=Action.CONTACT_EXPORTED)
    assert (entry.target_id, entry.actor_id) == (str(person.contact.pk), str(person.agent.pk))
    assert "Quixwright" not in entry.target_label


def test_an_erased_contact_has_nothing_left_to_export(person):
    erase_contact(contact=person.contact, actor=Actor.administrator(person.agent))

    with pytest.raises(Refused) as refused:
        export_contact(contact=person.contact, actor=Actor.administrator(person.agent))
    assert refused.value.code == "contact_erased"


def export_queries(person) -> int:
    with CaptureQueriesContext(connection) as queries:
        export_contact(contact=person.contact, actor=Actor.administrator(person.agent)).file.close()
    return len(queries)


def test_the_export_costs_the_same_queries_however_many_messages_and_files(person):
    conversation = person.conversations[1]
    before = export_queries(person)
    for number in range(5):
        services.message_receive(
            inbox=conversation.inbox,
            contact=person.contact,
            conversation_id=conversation.pk,
            body=f"More words {number}",
            attachments=[
                services.AttachmentInput(mime_type="text/plain", file_name=f"{number}.txt", content=b"x")
            ],
        )
        services.message_post_reply(conversation=conversation, agent=person.agent, body=f"Reply {number}")

    assert export_queries(person) == before
