"""The inboxes admin: each channel's settings in the groups the `Inbox` model keeps, and the
message templates its provider approved."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from .. import registry
from ..models import Conversation, Inbox, MessageTemplate
from .columns import OPEN_STATUSES, related_count
from .fields import FORM_FIELDS
from .hours_fields import HOURS_FIELDS
from .inbox_form import InboxForm, inbox_form_for, setting_field_names
from .permissions import ReadOnlyAdminMixin

PASTE_STYLE = '"white-space: pre-wrap; overflow-wrap: anywhere"'  # a long tag wraps, whole


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    form = InboxForm
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
    readonly_fields = ("public_key", "identity_secret", "created_at", "connect")
    fieldsets = (
        (None, {"fields": ("name", "channel_type", "mode", "is_active", "public_key", "created_at")}),
        ("Connect", {"fields": ("connect",), "description": "What to paste where, for this channel."}),
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
                "fields": ("timezone", *HOURS_FIELDS, "holidays_lines", "reply_time"),
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

    def get_form(self, request: HttpRequest, obj: Inbox | None = None, change: bool = False, **kwargs):
        kwargs["form"] = inbox_form_for(self._channel_type(request, obj))
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Inbox | None = None):
        named = setting_field_names(self._channel_type(request, obj))
        if not named:
            return self.fieldsets
        settings = ("Channel settings", {"fields": (*named, "config")})
        return (*self.fieldsets[:-1], settings)

    @staticmethod
    def _channel_type(request: HttpRequest, obj: Inbox | None) -> str | None:
        return obj.channel_type if obj is not None else request.POST.get("channel_type")

    @admin.display(description="what to paste")
    def connect(self, inbox: Inbox) -> str:
        if inbox.pk is None:
            return "Save the inbox to see what to paste where."
        steps = registry.setup_guide(inbox)
        if not steps:
            return "Nothing to paste for this channel."
        return format_html(
            '<dl class="setup-guide">{}</dl>',
            format_html_join(
                "",
                f"<dt>{{}}</dt><dd><pre style={PASTE_STYLE}><code>{{}}</code></pre></dd>",
                ((what, text) for what, text in steps),
            ),
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


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Templates as the provider approved them; synced hourly and from the desk's picker."""

    list_display = ("name", "language", "inbox", "status", "category", "synced_at")
    list_filter = ("inbox", "status", "language")
    list_select_related = ("inbox",)
    search_fields = ("name", "body")
