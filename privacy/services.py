"""Export and erase one contact: the business rules every door calls (the admin, the REST API,
the widget), each recorded in the audit log with who asked (docs/privacy.md).

    archive = export_contact(contact=contact, actor=Actor.administrator(user), request=request)
    erasure = erase_contact(contact=contact, actor=Actor.api_key(user), request=request)
"""

from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.actors import Actor, Target
from audit.models import Action
from audit.services import record
from conversations.models import Contact, Conversation
from conversations.refusals import Refused
from conversations.services.locks import lock_contact

from .erasure import delete_files, erase_rows
from .export import build_archive
from .models import ContactErasure


@dataclass(frozen=True)
class ContactArchive:
    file: IO[bytes]  # a rewound temporary file; whoever sends it closes it
    file_name: str


def export_contact(*, contact: Contact, actor: Actor, request: HttpRequest | None = None) -> ContactArchive:
    """Everything Parley holds about `contact` as a ZIP of JSON files and their attachments
    (privacy.export). An erased contact's export is refused: nothing of theirs is left to give."""
    if ContactErasure.objects.filter(contact=contact).exists():
        raise Refused("contact_erased", "This contact was erased: there is nothing of theirs left to export.")
    exported_at = timezone.now()
    archive = build_archive(contact, exported_at=exported_at)
    record(actor=actor, action=Action.CONTACT_EXPORTED, target=Target.of(contact), request=request)
    return ContactArchive(file=archive, file_name=f"contact-{contact.pk}-{exported_at:%Y%m%d-%H%M%S}.zip")


def erase_contact(*, contact: Contact, actor: Actor, request: HttpRequest | None = None) -> ContactErasure:
    """Erase `contact`: their name, addresses, identities, message texts, emails, attachments,
    CSAT comments and the raw provider payloads that carried them, in one transaction; the files
    leave storage after it commits. The rows the reports count stay (privacy.erasure), so report
    totals for any period are the same before and after.

    Refused (code `conversation_not_resolved`) while any of their conversations is not resolved:
    a conversation in progress may still receive their messages; resolve it first. Idempotent: a
    second erase of the same contact changes nothing and returns the first erasure.
    """
    with transaction.atomic():
        # The core's lock order (conversations.services.locks): the contact, then its
        # conversations by id. A message arriving meanwhile waits, and is stored after the erasure.
        lock_contact(contact.pk)
        contact = Contact.objects.get(pk=contact.pk)
        list(
            Conversation.objects.filter(contact=contact).order_by("pk").select_for_update().values_list("pk")
        )
        existing = ContactErasure.objects.filter(contact=contact).first()
        if existing is not None:
            return existing
        unresolved = Conversation.objects.filter(contact=contact).exclude(status=Conversation.Status.RESOLVED)
        if unresolved.exists():
            raise Refused(
                "conversation_not_resolved",
                f"This contact has {unresolved.count()} conversation(s) not yet resolved: resolve them, "
                "then erase.",
            )
        erased = erase_rows(contact)
        erasure = ContactErasure.objects.create(
            contact=contact,
            erased_at=timezone.now(),
            conversations=erased.conversations,
            messages=erased.messages,
            files=len(erased.file_names),
        )
        record(
            actor=actor,
            action=Action.CONTACT_ERASED,
            target=Target.of(contact),
            details={
                "conversations": erased.conversations,
                "messages": erased.messages,
                "files": len(erased.file_names),
            },
            request=request,
        )
        transaction.on_commit(lambda: delete_files(erased.file_names))
    return erasure
