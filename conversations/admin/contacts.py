"""The contacts admin: customers with their identities on each inbox and their conversations."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import Contact, ContactIdentity, Conversation
from .columns import related_count
from .fields import FORM_FIELDS
from .permissions import DeletesWholeThreadsMixin, ReadOnlyAdminMixin


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
        "display_name",
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
    readonly_fields = ("visitor_context", "last_seen_at", "created_at", "updated_at")
    inlines = (ContactIdentityInline, ContactConversationInline)
    formfield_overrides = FORM_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contact]:
        return (
            super()
            .get_queryset(request)
            .annotate(conversation_count=related_count(Conversation.objects.all(), "contact"))
        )

    @admin.display(description="name", ordering="name")
    def display_name(self, contact: Contact) -> str:
        """As the desk shows it: a contact who gave no name is their friendly name, not a blank."""
        return contact.display_name

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
