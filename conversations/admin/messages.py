"""The messages admin: every message and attachment, read-only, with a retry for failed sends;
and what a mail carried beyond its text (its subject, copies, quote and HTML), read-only too."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import Attachment, Message, MessageEmail, OutboundDelivery
from .columns import admin_link
from .delivery import RetryDeliveryMixin
from .fields import FORM_FIELDS
from .permissions import ReadOnlyAdminMixin


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = ("file", "remote_url", "file_name", "mime_type", "byte_size", "width", "height", "created_at")
    readonly_fields = ("created_at",)
    formfield_overrides = FORM_FIELDS


@admin.register(MessageEmail)
class MessageEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("message", "subject", "from_address", "automatic")
    list_select_related = ("message",)
    search_fields = ("subject", "from_address")
    formfield_overrides = FORM_FIELDS


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


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "file_name", "mime_type", "byte_size", "message", "created_at")
    list_filter = ("mime_type",)
    list_select_related = ("message",)
    search_fields = ("file_name", "remote_url")
    formfield_overrides = FORM_FIELDS
