from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from conversations.admin.actions import apply_each, report_outcome

from .models import MailboxCursor, WebhookReceipt
from .receipts import receipt_apply_again

ERROR_PREVIEW = 120
State = WebhookReceipt.State


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(admin.ModelAdmin):
    """What providers sent, as it arrived: applied, pending, or failed with the reason; a failed
    one is applied again from here once its cause is fixed."""

    list_display = (
        "key",
        "provider",
        "inbox",
        "state",
        "attempts",
        "error_preview",
        "note",
        "received_at",
        "processed_at",
    )
    list_filter = ("state", "provider", "inbox")
    list_select_related = ("inbox",)
    search_fields = ("key", "raw_body")
    readonly_fields = [field.name for field in WebhookReceipt._meta.fields]
    actions = ("apply_again",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookReceipt | None = None) -> bool:
        return False

    def has_apply_again_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels_in.change_webhookreceipt")

    @admin.display(description="last error")
    def error_preview(self, receipt: WebhookReceipt) -> str:
        error = receipt.last_error
        return error if len(error) <= ERROR_PREVIEW else f"{error[: ERROR_PREVIEW - 1]}…"

    @admin.action(
        description="Apply again (failed or pending; the tries start over)", permissions=["apply_again"]
    )
    def apply_again(self, request: HttpRequest, queryset: QuerySet[WebhookReceipt]) -> None:
        def apply_again(receipt: WebhookReceipt) -> bool:
            if receipt.state == State.APPLIED:
                return False
            outcome = receipt_apply_again(receipt_id=receipt.pk)
            if outcome.state == State.FAILED:
                raise ValidationError(f"failed again: {outcome.last_error}")
            if outcome.state == State.PENDING:
                raise ValidationError(f"still pending, the sweep tries again: {outcome.last_error or 'busy'}")
            return True

        outcome = apply_each(queryset, apply_again)
        report_outcome(self, request, outcome, done="Applied", skipped="Applied already, left alone")


@admin.register(MailboxCursor)
class MailboxCursorAdmin(admin.ModelAdmin):
    """How far each email inbox's mailbox has been read, and why its last poll failed, if it did.
    Read-only: the poller alone moves a cursor (channels_in/email/imap.py)."""

    list_display = ("inbox", "folder", "uid_validity", "last_uid", "polled_at", "last_error")
    list_select_related = ("inbox",)
    readonly_fields = ("inbox", "folder", "uid_validity", "last_uid", "polled_at", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
