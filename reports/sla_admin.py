"""Service-level policies in the admin, and the clocks they ran (read-only: the services own them)."""

from django.contrib import admin

from .models import SlaClock, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "inbox",
        "priority",
        "label",
        "first_response",
        "next_response",
        "resolution",
        "is_active",
    )
    list_filter = ("is_active", "inbox", "priority")
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            "Applies to",
            {
                "fields": ("inbox", "priority", "label"),
                "description": "Leave a criterion empty to match any. When several active policies apply, "
                "the one that sets the most criteria wins.",
            },
        ),
        (
            "Targets, in the inbox's business hours",
            {
                "fields": ("first_response", "next_response", "resolution"),
                "description": "As hours:minutes:seconds, e.g. 00:30:00 for 30 minutes, 1 08:00:00 for a day "
                "and 8 hours. A deadline is fixed when its clock starts; changing a target affects clocks "
                "started afterwards.",
            },
        ),
        (
            "About to breach",
            {
                "fields": ("warn_before",),
                "description": "In wall-clock time before a deadline: the assignee is told, and automation "
                "rules on “Service level about to breach” run.",
            },
        ),
    )


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ("conversation_id", "target", "policy", "started_at", "due_at", "stopped_at", "outcome")
    list_filter = ("target", "outcome")
    search_fields = ("=conversation_id",)
    date_hierarchy = "due_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
