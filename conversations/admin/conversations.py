"""The conversations admin: status moves through the actions (services), the thread shows
read-only, and labels and read positions are listed beside them."""

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .. import services
from ..models import Conversation, Label, Message, ReadMarker
from .actions import apply_each, report_outcome
from .columns import admin_link, related_count
from .permissions import DeletesWholeThreadsMixin, ReadOnlyAdminMixin

INLINE_MESSAGE_LIMIT = 200


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


@admin.register(ReadMarker)
class ReadMarkerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "agent", "last_read_seq", "updated_at")
    list_select_related = ("conversation__contact", "conversation__inbox", "agent")
    search_fields = ("agent__username",)
