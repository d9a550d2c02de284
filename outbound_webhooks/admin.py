"""The admin of webhooks: a door like any view. Subscriptions are edited here (and every process
told, through services.subscriptions_changed); everything else is a service call per record."""

import json
import uuid

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from conversations.admin.actions import apply_each, report_outcome
from conversations.admin.permissions import ReadOnlyAdminMixin

from . import services
from .models import PING, EventType, WebhookAttempt, WebhookDelivery, WebhookSubscription

ERROR_PREVIEW = 80


class SubscriptionForm(forms.ModelForm):
    # A URL typed without a scheme is https: webhooks carry customers' messages.
    url = forms.URLField(max_length=2000, assume_scheme="https", widget=forms.URLInput(attrs={"size": 80}))
    event_types = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "event_types", "inboxes")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = (
        "name",
        "url",
        "events",
        "inbox_filter",
        "state",
        "failing_since",
        "consecutive_failures",
        "deliveries",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    filter_horizontal = ("inboxes",)
    readonly_fields = (
        "secret",
        "previous_secret_expires_at",
        "is_active",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "consecutive_failures",
        "created_at",
        "updated_at",
    )
    actions = ("send_ping", "rotate_secret", "enable", "disable")

    def get_fieldsets(self, request: HttpRequest, obj: WebhookSubscription | None = None):
        endpoint = ("name", "url")
        if obj is None:  # the secret is made on save; a default shown here would not be the one kept
            return ((None, {"fields": (*endpoint, "event_types", "inboxes")}),)
        return (
            (None, {"fields": (*endpoint, "secret", "previous_secret_expires_at")}),
            ("Events", {"fields": ("event_types", "inboxes")}),
            (
                "State",
                {
                    "fields": (
                        "is_active",
                        "disabled_reason",
                        "disabled_at",
                        "failing_since",
                        "consecutive_failures",
                        "created_at",
                        "updated_at",
                    )
                },
            ),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        return super().get_queryset(request).prefetch_related("inboxes")

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.subscriptions_changed()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)
        services.subscriptions_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        services.subscriptions_changed()

    @admin.display(description="events")
    def events(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.event_types)

    @admin.display(description="inboxes")
    def inbox_filter(self, subscription: WebhookSubscription) -> str:
        return ", ".join(inbox.name for inbox in subscription.inboxes.all()) or "All inboxes"

    @admin.display(description="state", ordering="is_active")
    def state(self, subscription: WebhookSubscription) -> str:
        if subscription.is_active:
            return "Active"
        return format_html(
            "<strong>Disabled</strong>: {}", subscription.disabled_reason or "by an administrator"
        )

    @admin.display(description="deliveries")
    def deliveries(self, subscription: WebhookSubscription) -> str:
        url = reverse("admin:outbound_webhooks_webhookdelivery_changelist")
        return format_html('<a href="{}?subscription__id__exact={}">log</a>', url, subscription.pk)

    @admin.action(description="Send a test ping event", permissions=["change"])
    def send_ping(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        outcome = apply_each(queryset, lambda sub: bool(services.subscription_send_ping(subscription=sub)))
        report_outcome(self, request, outcome, done="Ping queued", skipped="Not pinged")

    @admin.action(
        description="Rotate the signing secret (the old one signs too for 24 h)", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        outcome = apply_each(
            queryset, lambda sub: bool(services.subscription_rotate_secret(subscription=sub))
        )
        report_outcome(self, request, outcome, done="New secret", skipped="Unchanged")

    @admin.action(description="Re-enable", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        def enable(subscription: WebhookSubscription) -> bool:
            was_active = subscription.is_active
            return services.subscription_enable(subscription=subscription).is_active and not was_active

        outcome = apply_each(queryset, enable)
        report_outcome(self, request, outcome, done="Re-enabled", skipped="Already active")

    @admin.action(description="Disable", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        reason = f"Disabled by {request.user.get_username()}."

        def disable(subscription: WebhookSubscription) -> bool:
            was_active = subscription.is_active
            return (
                was_active
                and not services.subscription_disable(subscription=subscription, reason=reason).is_active
            )

        outcome = apply_each(queryset, disable)
        report_outcome(self, request, outcome, done="Disabled", skipped="Already disabled")


class EventTypeFilter(admin.SimpleListFilter):
    """The known types as choices: Django's default would read them with a DISTINCT over the log."""

    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*((value, value) for value in EventType.values), (PING, PING)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]
    ) -> QuerySet[WebhookDelivery]:
        return queryset.filter(event_type=self.value()) if self.value() else queryset


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = (
        "number",
        "started_at",
        "finished_at",
        "duration_ms",
        "status_code",
        "error",
        "response_excerpt",
    )
    readonly_fields = fields
    ordering = ("number",)
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: what each subscription was sent, how each attempt went; replay from here."""

    list_display = (
        "id",
        "subscription",
        "event_type",
        "state",
        "attempts",
        "last_status_code",
        "error_preview",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "subscription", EventTypeFilter)
    search_help_text = "A delivery id, or a conversation id."
    ordering = ("-created_at",)
    show_full_result_count = False  # a second count(*) over the whole log on each filter
    fields = (
        "id",
        "subscription",
        "event_type",
        "conversation_id",
        "state",
        "attempts",
        "first_attempt_at",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "payload_json",
    )
    readonly_fields = fields
    inlines = (WebhookAttemptInline,)
    actions = ("replay",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("subscription")  # lists and change page

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return ("id",)  # shows the search box; get_search_results does the work

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery], search_term: str
    ) -> tuple[QuerySet[WebhookDelivery], bool]:
        """Exact ids only, so each search uses an index."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(conversation_id=int(term)), False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("outbound_webhooks.change_webhookdelivery")

    @admin.display(description="last error")
    def error_preview(self, delivery: WebhookDelivery) -> str:
        error = delivery.last_error
        return error if len(error) <= ERROR_PREVIEW else f"{error[: ERROR_PREVIEW - 1]}…"

    @admin.display(description="payload")
    def payload_json(self, delivery: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(delivery.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Replay (same delivery id, new attempts)", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        def replay(delivery: WebhookDelivery) -> bool:
            if delivery.state not in (WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED):
                return False
            return services.delivery_replay(delivery=delivery).state == WebhookDelivery.State.PENDING

        outcome = apply_each(queryset, replay)
        report_outcome(self, request, outcome, done="Queued again", skipped="Still on its way, left alone")
