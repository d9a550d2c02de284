"""The live sessions admin: the synchronous stretches of conversations, read-only."""

from django.contrib import admin

from ..models import LiveSession
from .permissions import ReadOnlyAdminMixin


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
