"""The outbox admin: each outgoing message's delivery and every try at it, and the retry action
(message_retry_delivery per message) that the message and outbox lists share."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .. import services
from ..models import DeliveryAttempt, Message, OutboundDelivery
from .actions import apply_each, report_outcome
from .columns import admin_link
from .permissions import ReadOnlyAdminMixin


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


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Every try at handing the message over, as it was recorded before and after the call."""

    model = DeliveryAttempt
    fields = ("number", "started_at", "finished_at", "outcome", "provider_message_id", "error_code", "error")
    readonly_fields = fields
    extra = 0


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
