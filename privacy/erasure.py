"""Every place Parley keeps something of one contact, and how each is erased (docs/privacy.md has
the same list as a table). The rows the reports count stay: the contact, their conversations,
their messages (blanked), their CSAT surveys (rating kept, comment gone) and the fact log (which
holds ids and scalars only). Everything that names or quotes the person is deleted or blanked.

The edge apps' tables (provider webhook receipts, outbound webhook deliveries, the answer bot's
episodes, automation's rule runs, the mail sender windows) are reached by app label through
Django's app registry, not imported: privacy stands beside those apps (import-linter keeps the
edges independent of each other), and an app that is not installed simply has nothing to erase.

The caller holds a transaction; the attachment files are returned to be deleted after commit
(delete_files). Retention (privacy.retention) empties many conversations at once with the same
functions: each is a fixed number of set-based statements whatever the number of conversations.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Model, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat

from conversations.models import (
    Attachment,
    Contact,
    ContactIdentity,
    Conversation,
    DeliveryAttempt,
    Message,
    MessageEmail,
    OutboundDelivery,
)
from reports.models import CsatSurvey

# A needle shorter than this would match unrelated receipts (a two-digit "phone" typed by a
# tester): such values are never a provider's id for a person.
SHORTEST_NEEDLE = 5


@dataclass
class Erased:
    conversations: int = 0
    messages: int = 0
    file_names: list[str] = field(default_factory=list)


def personal_needles(contact: Contact) -> list[str]:
    """The values that identify the person in a provider's raw payload: every identity's source id,
    their phone (with and without "+": WhatsApp writes it bare), their email."""
    values = set(ContactIdentity.objects.filter(contact=contact).values_list("source_id", flat=True))
    values |= {contact.email, contact.phone, contact.phone.lstrip("+")}
    return sorted(value for value in values if len(value) >= SHORTEST_NEEDLE)


# What blanking leaves of a message and of a contact: the rows stay, nothing in them names anyone.
MESSAGE_BLANKS = {
    "body": "",
    "client_message_id": None,
    "provider_message_id": None,
    "provider_error": "",
    "template": None,
    "actions": [],
}
CONTACT_BLANKS = {
    "name": "",
    "email": "",
    "phone": "",
    "avatar_url": "",
    "external_id": "",
    "language": "",
    "custom_attributes": {},
    "visitor_context": {},
    "last_seen_at": None,
}


def erase_rows(contact: Contact) -> Erased:
    """Blank or delete every value of the contact's; keep the rows the reports count."""
    conversations = Conversation.objects.filter(contact=contact)
    conversation_ids = list(conversations.values_list("pk", flat=True))
    needles = personal_needles(contact)
    inbox_ids = set(conversations.values_list("inbox_id", flat=True)) | set(
        ContactIdentity.objects.filter(contact=contact).values_list("inbox_id", flat=True)
    )
    if (receipt := _edge_model("channels_in", "WebhookReceipt")) is not None:
        # Any event on their inboxes that names the person (delivery statuses carry the number).
        _text_contains_any(
            receipt.objects.filter(inbox_id__in=inbox_ids), ["raw_body", "event"], needles
        ).delete()
    if (window := _edge_model("channels_in", "MailSenderWindow")) is not None and needles:
        window.objects.filter(inbox_id__in=inbox_ids, address__in=[n.lower() for n in needles]).delete()
    if (episode := _edge_model("answerbot", "Episode")) is not None:
        episode.objects.filter(contact=contact).update(question="")
    anonymise_admin_log(contact, conversation_ids)
    erased = empty_conversations(conversation_ids)
    ContactIdentity.objects.filter(contact=contact).delete()
    Contact.objects.filter(pk=contact.pk).update(**CONTACT_BLANKS)
    return erased


def id_array(ids: Iterable[int], sql_type: str = "bigint") -> RawSQL | list:
    """`ids` for a `field__in=` lookup as one array parameter on Postgres: a list is one
    placeholder per id, which Django builds and psycopg converts one by one (a third of a
    500-conversation batch's time went there). Elsewhere (the embedded SQLite of `make run`,
    which has no arrays) the plain list."""
    if connection.vendor != "postgresql":
        return list(ids)
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (list(ids),))  # noqa: S611 (a fixed type name)


def empty_conversations(conversation_ids: list[int]) -> Erased:
    """Blank or delete what the conversations' messages said, set-based (a fixed number of
    statements for any number of conversations): attachments (their files returned, to be deleted
    after commit), emails, provider errors, CSAT comments, message texts and ids, the raw provider
    payloads of their messages, outbound webhook deliveries about them, the bot's questions and
    the rule runs' lines. The rows the reports count stay."""
    erased = Erased(conversations=len(conversation_ids))
    erase_conversation_edges(conversation_ids)
    conversations = id_array(conversation_ids)  # one parameter for every statement below
    messages = Message.objects.filter(conversation_id__in=conversations)
    attachments = Attachment.objects.filter(message__conversation_id__in=conversations)
    erased.file_names = [name for name in attachments.values_list("file", flat=True) if name]
    attachments.delete()
    MessageEmail.objects.filter(message__conversation_id__in=conversations).delete()
    deliveries = OutboundDelivery.objects.filter(message__conversation_id__in=conversations)
    DeliveryAttempt.objects.filter(delivery__in=deliveries).update(error="", provider_message_id="")
    deliveries.update(last_error="")
    CsatSurvey.objects.filter(conversation_id__in=conversations).update(comment="")
    erased.messages = messages.update(**MESSAGE_BLANKS)
    return erased


def erase_conversation_edges(conversation_ids: list[int]) -> None:
    """The edge apps' rows about the conversations: the raw provider payloads of their messages
    (by the provider's message id, on their inboxes) and the outbound webhook deliveries about
    them deleted; the bot's questions and the rule runs' lines blanked."""
    conversations = id_array(conversation_ids)  # one parameter for every statement below
    messages = Message.objects.filter(conversation_id__in=conversations)
    if (receipt := _edge_model("channels_in", "WebhookReceipt")) is not None:
        # The messages' own raw payloads, keyed by the provider's message id, on their inboxes.
        provider_messages = messages.exclude(provider_message_id=None)
        receipt.objects.filter(
            inbox_id__in=provider_messages.values("inbox_id"),
            key__in=provider_messages.values("provider_message_id"),
        ).delete()
    if (delivery := _edge_model("outbound_webhooks", "WebhookDelivery")) is not None:
        delivery.objects.filter(conversation_id__in=conversations).delete()
    if (episode := _edge_model("answerbot", "Episode")) is not None:
        episode.objects.filter(conversation_id__in=conversations).update(question="")
    if (rule_run := _edge_model("automation", "RuleRun")) is not None:
        rule_run.objects.filter(conversation_id__in=conversations).update(detail="", actions=[])


def anonymise_admin_log(contact: Contact, conversation_ids: list[int]) -> None:
    """Django's admin history names what it changed by str(): a contact's name, an identity's
    phone. The entries stay (who changed what, when), named by model and id instead."""
    relabel_admin_log(Contact, [contact.pk])
    relabel_admin_log(
        ContactIdentity, ContactIdentity.objects.filter(contact=contact).values_list("pk", flat=True)
    )
    anonymise_conversations_admin_log(conversation_ids)


def anonymise_conversations_admin_log(conversation_ids: list[int]) -> None:
    """The admin history of the conversations and their attachments, named by model and id."""
    relabel_admin_log(Conversation, conversation_ids)
    relabel_admin_log(
        Attachment,
        Attachment.objects.filter(message__conversation_id__in=id_array(conversation_ids)).values_list(
            "pk", flat=True
        ),
    )


def relabel_admin_log(model: type[Model], ids: Iterable[int]) -> None:
    """The admin log's entries about `model`'s rows `ids` say "Contact #12" and no change message."""
    object_ids = [str(pk) for pk in ids]
    if not object_ids:
        return
    label = str(model._meta.verbose_name).capitalize()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=id_array(object_ids, "text")
    ).update(object_repr=Concat(Value(f"{label} #"), "object_id"), change_message="")


def delete_files(names: list[str]) -> None:
    """Delete stored files, after commit: a rollback must not leave rows pointing at deleted
    files. Through the storage API, so S3 media are deleted the same way."""
    for name in names:
        default_storage.delete(name)


def _edge_model(app_label: str, model_name: str) -> type[Model] | None:
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def _text_contains_any(queryset: QuerySet, fields: list[str], needles: list[str]) -> QuerySet:
    """Rows where any of `fields` (text or JSON, read as text) holds any needle."""
    if not needles:
        return queryset.none()
    queryset = queryset.annotate(**{f"{name}_as_text": Cast(name, TextField()) for name in fields})
    condition = Q()
    for name in fields:
        for needle in needles:
            condition |= Q(**{f"{name}_as_text__contains": needle})
    return queryset.filter(condition)
