from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import WebhookReceipt
from .receipts import receipt_apply


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(admin.ModelAdmin):
    """What providers sent, as it arrived: applied, or pending with the reason."""

    list_display = ("key", "provider", "inbox", "received_at", "processed_at", "attempts", "last_error")
    list_filter = ("provider", "inbox", ("processed_at", admin.EmptyFieldListFilter))
    list_select_related = ("inbox",)
    search_fields = ("key", "raw_body")
    readonly_fields = [field.name for field in WebhookReceipt._meta.fields]
    actions = ("apply_now",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookReceipt | None = None) -> bool:
        return False

    @admin.action(description="Apply the selected pending receipts now")
    def apply_now(self, request: HttpRequest, queryset: QuerySet[WebhookReceipt]) -> None:
        applied = sum(
            receipt_apply(pk)
            for pk in queryset.filter(processed_at__isnull=True).values_list("pk", flat=True)
        )
        self.message_user(request, f"Applied {applied} receipt(s).", messages.SUCCESS)
