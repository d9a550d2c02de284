"""One contact's data as a ZIP of JSON files and their attachments (docs/privacy.md lists the
files). Built into a temporary file, message by message and file by file, so a contact with years
of conversations never sits whole in memory.

What is not in it: private notes and agent-only activity lines (the business's own working
notes about the conversation, not the person's data as they gave or received it), and other
people's personal details beyond an agent's display name.
"""

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from conversations.models import Attachment, Contact, ContactIdentity, Conversation, Message
from reports.models import CsatSurvey, Fact

FORMAT = "parley.contact-export"
VERSION = 1
EXCLUDED = (
    "Private notes and agent-only activity lines are not included: they are the business's own "
    "working notes, never shown to the customer."
)
MESSAGES_PER_QUERY = 500


def _json(value: Any) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def contact_record(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "avatar_url": contact.avatar_url,
        "external_id": contact.external_id,
        "language": contact.language,
        "custom_attributes": contact.custom_attributes,
        "visitor_context": contact.visitor_context,
        "last_seen_at": contact.last_seen_at,
        "created_at": contact.created_at,
    }


def _identities(contact: Contact) -> list[dict[str, Any]]:
    identities = ContactIdentity.objects.filter(contact=contact).select_related("inbox").order_by("pk")
    return [
        {
            "inbox": identity.inbox.name,
            "channel_type": identity.inbox.channel_type,
            "source_id": identity.source_id,
            "created_at": identity.created_at,
        }
        for identity in identities
    ]


def _attachment_path(attachment: Attachment, message: Message) -> str:
    name = (attachment.file_name or attachment.file.name.rsplit("/", 1)[-1] or "file").replace("/", "_")
    return f"attachments/{message.conversation_id}/{message.seq}-{attachment.pk}-{name}"


def _message_record(message: Message) -> dict[str, Any]:
    email = message.email if hasattr(message, "email") else None  # no MessageEmail row: not a mail
    sender_name = ""
    if message.sender_kind == Message.SenderKind.AGENT and message.sender_agent is not None:
        profile = getattr(message.sender_agent, "agent_profile", None)
        sender_name = (profile.display_name if profile else "") or message.sender_agent.get_short_name()
    record = {
        "seq": message.seq,
        "sender": message.sender_kind,
        "sender_name": sender_name,
        "content_type": message.content_type,
        "body": message.body,
        "created_at": message.created_at,
        "delivery_status": message.delivery_status,
        "attachments": [
            {
                "file_name": attachment.file_name,
                "mime_type": attachment.mime_type,
                "byte_size": attachment.byte_size,
                "path": _attachment_path(attachment, message) if attachment.file else None,
                "remote_url": attachment.remote_url,
            }
            for attachment in message.attachments.all()
        ],
    }
    if email is not None:
        record["email"] = {
            "subject": email.subject,
            "from": email.from_address,
            "to": email.to,
            "cc": email.cc,
        }
    return record


def _public_messages(conversation: Conversation) -> Iterator[Message]:
    messages = (
        Message.objects.filter(conversation=conversation, is_private=False)
        .select_related("sender_agent__agent_profile", "email")
        .prefetch_related("attachments")
        .order_by("seq")
    )
    return messages.iterator(chunk_size=MESSAGES_PER_QUERY)


def _write_conversations(archive: zipfile.ZipFile, contact: Contact) -> tuple[int, int, int]:
    """conversations.json, written one conversation at a time, with each attachment's file. The
    JSON goes to a temporary file first (a ZIP takes one entry at a time, and the files are
    copied in between), then into the archive."""
    counts = [0, 0, 0]
    conversations = Conversation.objects.filter(contact=contact).select_related("inbox").order_by("pk")
    with tempfile.TemporaryFile() as out:
        out.write(b"[")
        for index, conversation in enumerate(conversations.iterator()):
            messages = []
            for message in _public_messages(conversation):
                messages.append(_message_record(message))
                counts[1] += 1
                for attachment in message.attachments.all():
                    if attachment.file:
                        counts[2] += _copy_file(archive, attachment, _attachment_path(attachment, message))
            record = {
                "id": conversation.pk,
                "inbox": conversation.inbox.name,
                "channel_type": conversation.inbox.channel_type,
                "status": conversation.status,
                "created_at": conversation.created_at,
                "resolved_at": conversation.resolved_at,
                "messages": messages,
            }
            out.write((b"," if index else b"") + _json(record))
            counts[0] += 1
        out.write(b"]")
        out.seek(0)
        with archive.open("conversations.json", "w", force_zip64=True) as target:
            shutil.copyfileobj(out, target)
    return counts[0], counts[1], counts[2]


def _copy_file(archive: zipfile.ZipFile, attachment: Attachment, path: str) -> int:
    """Copies a stored file into the archive in chunks; a file missing from storage is listed in
    the JSON but not copied (0)."""
    try:
        source = default_storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        return 0
    with source, archive.open(path, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target)
    return 1


def _csat(contact: Contact) -> list[dict[str, Any]]:
    surveys = CsatSurvey.objects.filter(conversation__contact=contact, rating__isnull=False).order_by("pk")
    return [
        {
            "conversation_id": survey.conversation_id,
            "rating": survey.rating,
            "comment": survey.comment,
            "rated_at": survey.rated_at,
        }
        for survey in surveys
    ]


def _facts(contact: Contact) -> Iterator[dict[str, Any]]:
    ids = Conversation.objects.filter(contact=contact).values("pk")
    facts = Fact.objects.filter(conversation_id__in=ids).order_by("at", "id")
    for fact in facts.iterator(chunk_size=MESSAGES_PER_QUERY):
        yield {"at": fact.at, "kind": fact.kind, "conversation_id": fact.conversation_id, "data": fact.data}


def build_archive(contact: Contact, *, exported_at: datetime | None = None) -> IO[bytes]:
    """The archive in a temporary file, rewound: the caller streams it and closes it."""
    exported_at = exported_at or timezone.now()
    target = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the caller, who closes it)
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("contact.json", _json(contact_record(contact)))
            archive.writestr("identities.json", _json(_identities(contact)))
            conversations, messages, files = _write_conversations(archive, contact)
            archive.writestr("csat.json", _json(_csat(contact)))
            with archive.open("facts.json", "w") as out:
                out.write(b"[")
                for index, fact in enumerate(_facts(contact)):
                    out.write((b"," if index else b"") + _json(fact))
                out.write(b"]")
            archive.writestr(
                "manifest.json",
                _json(
                    {
                        "format": FORMAT,
                        "version": VERSION,
                        "contact_id": contact.pk,
                        "exported_at": exported_at,
                        "files": [
                            "contact.json",
                            "identities.json",
                            "conversations.json",
                            "csat.json",
                            "facts.json",
                        ],
                        "counts": {
                            "conversations": conversations,
                            "messages": messages,
                            "attachments": files,
                        },
                        "excluded": EXCLUDED,
                    }
                ),
            )
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target
