"""The admin for the core records: a door like any view, so every change of state goes through a
service (conversations.services) and nothing here may write `seq`, `last_seq` or a message.

Assignment and inbox membership belong to the agents app, which extends the conversation and
inbox admins registered here (agents/admin.py); this module imports nothing of agents'.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, JSONField, Model, OuterRef, QuerySet, Subquery, URLField
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .admin_fields import StorableJSONFormField
from .models import (
    Attachment,
    Contact,
    ContactIdentity,
    Conversation,
    DeliveryAttempt,
    Inbox,
    Label,
    LiveSession,
    Message,
    MessageTemplate,
    OutboundDelivery,
    ReadMarker,
)

INLINE_MESSAGE_LIMIT = 200
OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)


# Links typed without a scheme are web addresses: https, as Django 6 will assume.
# Every admin's form fields: links are https unless typed otherwise, JSON goes through the boundary.
FORM_FIELDS = {URLField: {"assume_scheme": "https"}, JSONField: {"form_class": StorableJSONFormField}}


def related_count(related: QuerySet, to_outer: str) -> Coalesce:
    """Count related rows per listed row in one correlated subquery: no query per row, and two
    counts on one row do not multiply each other's joins."""
    counted = (
        related.filter(**{to_outer: OuterRef("pk")})
        .order_by()
        .values(to_outer)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def admin_link(record: Model | None, text: str = "") -> str:
    if record is None:
        return "-"
    opts = record._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(record))


@dataclass
class ActionOutcome:
    """What a bulk action did, one service call per selected record."""

    changed: int = 0
    unchanged: int = 0
    failures: list[str] = field(default_factory=list)


def apply_each(records: QuerySet, change: Callable[[Model], bool]) -> ActionOutcome:
    """Call `change` (one service call, its own transaction) per record, in primary-key order so
    locks are always taken in the same order; one refusal does not undo the others."""
    outcome = ActionOutcome()
    for record in records.order_by("pk"):
        try:
            changed = change(record)
        except ValidationError as error:
            outcome.failures.append(f"#{record.pk}: {' '.join(error.messages)}")
            continue
        if changed:
            outcome.changed += 1
        else:
            outcome.unchanged += 1
    return outcome


def report_outcome(
    model_admin: admin.ModelAdmin, request: HttpRequest, outcome: ActionOutcome, *, done: str, skipped: str
) -> None:
    """Tell the administrator how many records changed, how many were left alone, and why any failed."""

    def counted(number: int) -> str:
        return f"{number} {model_ngettext(model_admin.model, number)}"

    if outcome.changed:
        model_admin.message_user(request, f"{done}: {counted(outcome.changed)}.", messages.SUCCESS)
    if outcome.unchanged:
        model_admin.message_user(request, f"{skipped}: {counted(outcome.unchanged)}.", messages.INFO)
    if outcome.failures:
        model_admin.message_user(
            request,
            f"Failed for {counted(len(outcome.failures))}: " + "; ".join(outcome.failures),
            messages.ERROR,
        )


class ReadOnlyAdminMixin:
    """For records only services write: listed and inspected, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeletesWholeThreadsMixin:
    """Deleting a contact or a conversation takes the whole thread with it, which leaves every
    surviving conversation's `seq` gap-free. The read-only admins refuse deletion one by one, and
    Django would read that refusal as a veto on the cascade too; here only the real model
    permission counts for the records listed in `cascades`."""

    cascades: tuple[type[Model], ...] = (
        Message,
        Attachment,
        OutboundDelivery,
        DeliveryAttempt,
        LiveSession,
        ReadMarker,
    )

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        permitted = {
            str(model._meta.verbose_name)
            for model in self.cascades
            if request.user.has_perm(f"{model._meta.app_label}.delete_{model._meta.model_name}")
        }
        return deleted, counts, perms_needed - permitted, protected


class ContactIdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ("inbox", "source_id", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("inbox",)


class ContactConversationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Conversation
    fields = ("inbox", "status", "assignee", "priority", "last_activity_at")
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return super().get_queryset(request).select_related("inbox", "assignee")


@admin.register(Contact)
class ContactAdmin(DeletesWholeThreadsMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "email",
        "phone",
        "external_id",
        "conversation_count",
        "last_seen_at",
        "created_at",
    )
    search_fields = ("name", "email", "phone", "external_id", "identities__source_id")
    show_full_result_count = False  # a second count(*) over every contact on each search
    list_filter = ("identities__inbox__channel_type", "last_seen_at")
    readonly_fields = ("last_seen_at", "created_at", "updated_at")
    inlines = (ContactIdentityInline, ContactConversationInline)
    formfield_overrides = FORM_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return (
            super()
            .get_queryset(request)
            .annotate(conversation_count=related_count(Conversation.objects.all(), "contact"))
        )

    @admin.display(description="conversations", ordering="conversation_count")
    def conversation_count(self, contact: Contact) -> int:
        return contact.conversation_count


@admin.register(ContactIdentity)
class ContactIdentityAdmin(admin.ModelAdmin):
    list_display = ("source_id", "contact", "inbox", "created_at")
    list_filter = ("inbox__channel_type", "inbox")
    list_select_related = ("contact", "inbox")
    search_fields = ("source_id", "contact__name", "contact__email", "contact__phone")
    autocomplete_fields = ("contact", "inbox")


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    formfield_overrides = FORM_FIELDS
    list_display = (
        "name",
        "channel_type",
        "mode",
        "public_key",
        "reopen_policy",
        "session_timeout",
        "open_conversation_count",
        "is_active",
    )
    list_filter = ("channel_type", "mode", "is_active")
    search_fields = ("name", "public_key")
    readonly_fields = ("public_key", "identity_secret", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "channel_type", "mode", "is_active", "public_key", "created_at")}),
        (
            "Behaviour",
            {
                "fields": (
                    "routing",
                    "match_language",
                    "fairness_cap",
                    "fairness_window",
                    "reopen_policy",
                    "session_timeout",
                    "greeting",
                    "auto_resolve_after",
                    "auto_resolve_message",
                )
            },
        ),
        (
            "Business hours",
            {
                "fields": ("timezone", "business_hours", "holidays", "reply_time"),
                "description": "Outside these hours the widget says when you are back; inside them, "
                "with nobody online, it promises the reply time.",
            },
        ),
        (
            "Widget security",
            {
                "fields": ("allowed_origins", "require_identity", "identity_secret"),
                "description": "The identity secret signs your users' ids on your server (HMAC-SHA256, "
                "docs/protocol.md); never put it in a page.",
            },
        ),
        ("Channel settings", {"fields": ("config",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Inbox]:
        open_conversations = Conversation.objects.filter(status__in=OPEN_STATUSES)
        return (
            super()
            .get_queryset(request)
            .annotate(open_conversation_count=related_count(open_conversations, "inbox"))
        )

    @admin.display(description="open conversations", ordering="open_conversation_count")
    def open_conversation_count(self, inbox: Inbox) -> int:
        return inbox.open_conversation_count


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "swatch", "description", "conversation_count")
    search_fields = ("name", "description")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Label]:
        return (
            super()
            .get_queryset(request)
            .annotate(conversation_count=related_count(Conversation.labels.through.objects.all(), "label"))
        )

    @admin.display(description="colour")
    def swatch(self, label: Label) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{}"></span> {}',
            label.color,
            label.color,
        )

    @admin.display(description="conversations", ordering="conversation_count")
    def conversation_count(self, label: Label) -> int:
        return label.conversation_count


class LatestMessagesFormSet(BaseInlineFormSet):
    """Only the newest messages: a conversation may hold thousands (the Message admin lists all)."""

    def __init__(self, *args, instance: Conversation | None = None, queryset=None, **kwargs) -> None:
        if instance is not None and instance.pk and queryset is not None:
            queryset = queryset.filter(seq__gt=instance.last_seq - INLINE_MESSAGE_LIMIT)
        super().__init__(*args, instance=instance, queryset=queryset, **kwargs)


class MessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The thread, read-only: messages are written by services, which number them (`seq`)."""

    model = Message
    formset = LatestMessagesFormSet
    verbose_name_plural = f"messages (the latest {INLINE_MESSAGE_LIMIT})"
    fields = (
        "seq",
        "created_at",
        "sender_kind",
        "sender_agent",
        "is_private",
        "content_type",
        "body",
        "delivery_status",
        "provider_error",
    )
    ordering = ("seq",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("sender_agent")


@admin.register(Conversation)
class ConversationAdmin(DeletesWholeThreadsMixin, admin.ModelAdmin):
    """Conversations: status moves only through the actions (services); the form edits priority and
    labels, and shows the service-owned fields read-only so `seq` can never be broken here."""

    list_display = (
        "id",
        "contact",
        "inbox_with_channel",
        "status",
        "assignee",
        "team",
        "priority",
        "label_names",
        "last_activity_at",
        "waiting_since",
    )
    list_display_links = ("id", "contact")
    list_filter = ("status", "inbox", "inbox__channel_type", "assignee", "team", "priority", "labels")
    list_select_related = ("contact", "inbox", "assignee", "team")
    search_fields = ("id__exact", "contact__name", "contact__email", "contact__phone")
    show_full_result_count = False  # a second count(*) over every conversation on each filter
    autocomplete_fields = ("labels",)
    # Fields a plain form save may write; everything else is owned by services (or by agents' admin).
    editable_fields = ("priority", "labels")
    readonly_fields = (
        "contact_link",
        "inbox_with_channel",
        "status",
        "snoozed_until",
        "assignee",
        "team",
        "skill",
        "last_seq",
        "contact_last_read_seq",
        "last_activity_at",
        "waiting_since",
        "first_reply_at",
        "resolved_at",
        "created_at",
        "message_list_link",
    )
    fieldsets = (
        (None, {"fields": ("contact_link", "inbox_with_channel", "status", "snoozed_until")}),
        ("Routing", {"fields": ("assignee", "team", "skill", "priority", "labels")}),
        (
            "Timeline (kept by the services)",
            {
                "fields": (
                    "last_seq",
                    "contact_last_read_seq",
                    "last_activity_at",
                    "waiting_since",
                    "first_reply_at",
                    "resolved_at",
                    "created_at",
                    "message_list_link",
                )
            },
        ),
    )
    inlines = (MessageInline,)
    actions = ("resolve_selected", "reopen_selected")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return super().get_queryset(request).prefetch_related("labels")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A conversation starts with a message, which only message_receive stores.
        return False

    def save_model(self, request: HttpRequest, obj: Conversation, form, change: bool) -> None:
        # Never a form save: it would write back a `last_seq` read before a concurrent message.
        # Priority and labels go through the service, which announces them to open desks.
        changed = {
            name: form.cleaned_data[name] for name in form.changed_data if name in self.editable_fields
        }
        if changed:
            services.conversation_update(conversation=obj, actor=request.user, **changed)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Labels were saved by conversation_update above; only inlines remain (form.save_m2m is skipped).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description="inbox", ordering="inbox__name")
    def inbox_with_channel(self, conversation: Conversation) -> str:
        return f"{conversation.inbox.name} ({conversation.inbox.get_channel_type_display()})"

    @admin.display(description="labels")
    def label_names(self, conversation: Conversation) -> str:
        return ", ".join(label.name for label in conversation.labels.all()) or "-"

    @admin.display(description="contact")
    def contact_link(self, conversation: Conversation) -> str:
        return admin_link(conversation.contact)

    @admin.display(description="all messages")
    def message_list_link(self, conversation: Conversation) -> str:
        url = reverse("admin:conversations_message_changelist")
        return format_html(
            '<a href="{}?conversation__id__exact={}">{} messages</a>',
            url,
            conversation.pk,
            conversation.last_seq,
        )

    @admin.action(description="Resolve selected conversations", permissions=["change"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        def resolve(conversation: Conversation) -> bool:
            previous = conversation.status
            return (
                services.conversation_resolve(conversation=conversation, actor=request.user).status
                != previous
            )

        outcome = apply_each(queryset, resolve)
        report_outcome(self, request, outcome, done="Resolved", skipped="Already resolved")

    @admin.action(description="Reopen selected conversations", permissions=["change"])
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        def reopen(conversation: Conversation) -> bool:
            previous = conversation.status
            return (
                services.conversation_reopen(conversation=conversation, actor=request.user).status != previous
            )

        outcome = apply_each(queryset, reopen)
        report_outcome(self, request, outcome, done="Reopened", skipped="Already open")


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = ("file", "remote_url", "file_name", "mime_type", "byte_size", "width", "height", "created_at")
    readonly_fields = ("created_at",)
    formfield_overrides = FORM_FIELDS


class RetryDeliveryMixin:
    """The retry action for lists whose rows name a message: message_retry_delivery per message."""

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("conversations.change_message")

    def retry_messages(self, request: HttpRequest, message_ids: list[int]) -> None:
        def retry(message: Message) -> bool:
            if message.delivery_status != Message.DeliveryStatus.FAILED:
                return False
            retried = services.message_retry_delivery(message_id=message.pk)
            return retried.delivery_status == Message.DeliveryStatus.PENDING

        outcome = apply_each(Message.objects.filter(pk__in=message_ids), retry)
        report_outcome(self, request, outcome, done="Queued again", skipped="Not failed, left alone")


@admin.register(Message)
class MessageAdmin(RetryDeliveryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "conversation_link",
        "seq",
        "inbox",
        "sender_kind",
        "sender_agent",
        "is_private",
        "content_type",
        "body_preview",
        "delivery_status",
        "provider_error",
        "created_at",
    )
    list_filter = ("delivery_status", "sender_kind", "content_type", "is_private", "inbox")
    list_select_related = ("conversation__contact", "inbox", "sender_agent")
    search_fields = ("body", "provider_message_id")
    ordering = ("-created_at",)
    show_full_result_count = False  # a second count(*) over every message on each filter
    readonly_fields = ("conversation_link", "outbound_state")
    inlines = (AttachmentInline,)
    actions = ("retry_delivery",)

    @admin.display(description="conversation", ordering="conversation")
    def conversation_link(self, message: Message) -> str:
        return admin_link(message.conversation, f"#{message.conversation_id} {message.conversation.contact}")

    @admin.display(description="body")
    def body_preview(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else f"{message.body[:79]}…"

    @admin.display(description="outbound delivery")
    def outbound_state(self, message: Message) -> str:
        delivery = OutboundDelivery.objects.filter(message=message).first()
        if delivery is None:
            return "-"
        return admin_link(delivery, f"{delivery.get_state_display()} after {delivery.attempts} attempt(s)")

    @admin.action(description="Retry delivery of failed messages", permissions=["retry"])
    def retry_delivery(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        self.retry_messages(request, list(queryset.values_list("pk", flat=True)))


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Every try at handing the message over, as it was recorded before and after the call."""

    model = DeliveryAttempt
    fields = ("number", "started_at", "finished_at", "outcome", "provider_message_id", "error_code", "error")
    readonly_fields = fields
    extra = 0


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Templates as the provider approved them; synced hourly and from the desk's picker."""

    list_display = ("name", "language", "inbox", "status", "category", "synced_at")
    list_filter = ("inbox", "status", "language")
    list_select_related = ("inbox",)
    search_fields = ("name", "body")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every try at every send, for tracing one provider's trouble across messages."""

    list_display = ("delivery", "number", "started_at", "finished_at", "outcome", "error_code", "error")
    list_filter = ("outcome", "delivery__message__inbox__channel_type")
    list_select_related = ("delivery",)
    search_fields = ("provider_message_id", "error")
    ordering = ("-started_at",)


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(RetryDeliveryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: what is queued, in flight, accepted, or dead (the dead-letter view)."""

    list_display = (
        "message_link",
        "conversation_link",
        "channel",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "updated_at",
    )
    list_filter = ("state", "message__inbox__channel_type", "message__inbox")
    list_select_related = ("message__conversation__contact", "message__inbox")
    search_fields = ("last_error", "message__body")
    ordering = ("-updated_at",)
    readonly_fields = ("message_link", "conversation_link")
    actions = ("retry_delivery",)
    inlines = (DeliveryAttemptInline,)

    @admin.display(description="message", ordering="message")
    def message_link(self, delivery: OutboundDelivery) -> str:
        return admin_link(delivery.message, f"message {delivery.message_id}")

    @admin.display(description="conversation")
    def conversation_link(self, delivery: OutboundDelivery) -> str:
        conversation = delivery.message.conversation
        return admin_link(conversation, f"#{conversation.pk} {conversation.contact}")

    @admin.display(description="channel")
    def channel(self, delivery: OutboundDelivery) -> str:
        inbox = delivery.message.inbox
        return f"{inbox.name} ({inbox.get_channel_type_display()})"

    @admin.action(description="Retry delivery of failed messages", permissions=["retry"])
    def retry_delivery(self, request: HttpRequest, queryset: QuerySet[OutboundDelivery]) -> None:
        self.retry_messages(request, list(queryset.values_list("message_id", flat=True)))


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "file_name", "mime_type", "byte_size", "message", "created_at")
    list_filter = ("mime_type",)
    list_select_related = ("message",)
    search_fields = ("file_name", "remote_url")
    formfield_overrides = FORM_FIELDS


@admin.register(LiveSession)
class LiveSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "conversation",
        "agent",
        "opened_at",
        "last_activity_at",
        "closed_at",
        "close_reason",
    )
    list_filter = (("closed_at", admin.EmptyFieldListFilter), "close_reason", "conversation__inbox")
    list_select_related = ("conversation__contact", "conversation__inbox", "agent")
    search_fields = ("conversation__contact__name", "conversation__contact__email")


@admin.register(ReadMarker)
class ReadMarkerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "agent", "last_read_seq", "updated_at")
    list_select_related = ("conversation__contact", "conversation__inbox", "agent")
    search_fields = ("agent__username",)
