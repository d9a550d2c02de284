"""The admin for the people who answer: agents (Django's user with a profile, inboxes and teams on one
page), teams, inbox membership, canned responses; and assignment on the conversation admin, which
belongs here because only agents.services knows who may work an inbox."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from conversations import services
from conversations.admin.actions import apply_each, report_outcome
from conversations.admin.columns import OPEN_STATUSES, related_count
from conversations.admin.conversations import ConversationAdmin
from conversations.admin.fields import FORM_FIELDS
from conversations.admin.inboxes import InboxAdmin
from conversations.admin.permissions import DeletesWholeThreadsMixin
from conversations.models import Conversation, Inbox, ReadMarker

from .forms import AgentChangeForm, AgentCreationForm, ConversationRoutingForm
from .models import (
    AgentConnection,
    AgentProfile,
    CannedResponse,
    InboxMembership,
    Mention,
    RoutingDecision,
    SavedFilter,
    Skill,
    Team,
)
from .services import agent_signed_out, conversation_assign_to_agent

User = get_user_model()


class AgentConversationAdmin(ConversationAdmin):
    """The core conversation admin plus assignment, always through conversation_assign_to_agent."""

    form = ConversationRoutingForm
    autocomplete_fields = ("assignee", "team", "skill", "labels")
    readonly_fields = tuple(
        name for name in ConversationAdmin.readonly_fields if name not in ("assignee", "team", "skill")
    )
    list_select_related = (*ConversationAdmin.list_select_related, "assignee__agent_profile")
    list_display = tuple(
        "assignee_name" if name == "assignee" else name for name in ConversationAdmin.list_display
    )
    actions = (*ConversationAdmin.actions, "assign_to_me")

    def save_model(self, request: HttpRequest, obj: Conversation, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "skill" in form.changed_data:
            skill = form.cleaned_data["skill"]
            services.conversation_set_skill(
                conversation=obj, skill_id=skill.pk if skill else None, actor=request.user
            )
        if not {"assignee", "team"} & set(form.changed_data):
            return
        try:
            conversation_assign_to_agent(
                conversation=obj,
                assignee=form.cleaned_data["assignee"],
                actor=request.user,
                team=form.cleaned_data["team"],
            )
        except ValidationError as error:  # membership changed after the form was checked
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.display(description="assignee", ordering="assignee__username")
    def assignee_name(self, conversation: Conversation) -> str:
        if conversation.assignee is None:
            return "-"
        profile = getattr(conversation.assignee, "agent_profile", None)
        return profile.name if profile else conversation.assignee.get_username()

    @admin.action(description="Assign selected conversations to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        def assign(conversation: Conversation) -> bool:
            previous = conversation.assignee_id
            assigned = conversation_assign_to_agent(
                conversation=conversation, assignee=request.user, actor=request.user
            )
            return assigned.assignee_id != previous

        outcome = apply_each(queryset, assign)
        report_outcome(self, request, outcome, done="Assigned to you", skipped="Already yours")


class InboxMembershipForInboxInline(admin.TabularInline):
    model = InboxMembership
    fk_name = "inbox"
    extra = 0
    fields = ("agent", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("agent",)
    verbose_name_plural = "agents who work this inbox"


class AgentInboxAdmin(InboxAdmin):
    list_display = (*InboxAdmin.list_display[:-1], "member_count", InboxAdmin.list_display[-1])
    inlines = (*InboxAdmin.inlines, InboxMembershipForInboxInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Inbox]:
        members = related_count(InboxMembership.objects.all(), "inbox")
        return super().get_queryset(request).annotate(member_count=members)

    @admin.display(description="agents", ordering="member_count")
    def member_count(self, inbox: Inbox) -> int:
        return inbox.member_count


admin.site.unregister(Conversation)
admin.site.register(Conversation, AgentConversationAdmin)
admin.site.unregister(Inbox)
admin.site.register(Inbox, AgentInboxAdmin)


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    max_num = 1
    fields = (
        "display_name",
        "role",
        "avatar_url",
        "availability",
        "live_capacity",
        "messaging_capacity",
        "skills",
        "languages",
        "last_seen_at",
    )
    readonly_fields = ("last_seen_at",)
    filter_horizontal = ("skills",)
    verbose_name_plural = "agent profile"
    formfield_overrides = FORM_FIELDS


class InboxMembershipForAgentInline(admin.TabularInline):
    model = InboxMembership
    fk_name = "agent"
    extra = 1
    fields = ("inbox", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("inbox",)
    verbose_name_plural = "inboxes this agent works"


admin.site.unregister(User)


@admin.register(User)
class AgentUserAdmin(DeletesWholeThreadsMixin, UserAdmin):
    """Users are agents: one page for the login, the profile, inboxes and teams. Deactivate rather
    than delete an agent who leaves: deletion blanks the sender of every message they wrote."""

    cascades = (ReadMarker,)

    form = AgentChangeForm
    add_form = AgentCreationForm
    inlines = (AgentProfileInline, InboxMembershipForAgentInline)
    list_display = (
        "username",
        "agent_profile__display_name",
        "email",
        "agent_profile__availability",
        "agent_profile__role",
        "is_admin",
        "is_active",
    )
    list_select_related = ("agent_profile",)
    list_filter = (
        "teams",
        "agent_profile__availability",
        "agent_profile__role",
        "is_superuser",
        "is_staff",
        "is_active",
    )
    search_fields = (*UserAdmin.search_fields, "agent_profile__display_name")
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("Agent", {"fields": ("email", "first_name", "last_name", "teams")}),
    )
    fieldsets = (
        *UserAdmin.fieldsets[:2],
        ("Teams", {"fields": ("teams",)}),
        *UserAdmin.fieldsets[2:],
    )

    @admin.display(description="admin", boolean=True, ordering="is_superuser")
    def is_admin(self, user) -> bool:
        return user.is_superuser

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if not change:
            obj.is_staff = True  # everyone created here is an agent who signs in to the desk
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            agent_signed_out(agent_id=obj.pk)  # their open desks close now, not at the next check

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        user.teams.set(form.cleaned_data["teams"])
        # After the inline: a blank profile form saves nothing, yet every agent needs a profile.
        AgentProfile.objects.get_or_create(user=user)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "role",
        "availability",
        "live_capacity",
        "messaging_capacity",
        "last_seen_at",
    )
    list_filter = ("role", "availability")
    list_select_related = ("user",)
    search_fields = ("display_name", "user__username", "user__email")
    autocomplete_fields = ("user",)
    readonly_fields = ("last_seen_at",)
    filter_horizontal = ("skills",)
    formfield_overrides = FORM_FIELDS


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    """What conversations may need of whoever answers them; routing matches them to agents' skills."""

    list_display = ("name", "description")
    search_fields = ("name", "description")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "member_count", "open_conversation_count")
    search_fields = ("name", "description")
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        open_conversations = Conversation.objects.filter(status__in=OPEN_STATUSES)
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=related_count(Team.members.through.objects.all(), "team"),
                open_conversation_count=related_count(open_conversations, "team"),
            )
        )

    @admin.display(description="members", ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count

    @admin.display(description="open conversations", ordering="open_conversation_count")
    def open_conversation_count(self, team: Team) -> int:
        return team.open_conversation_count


@admin.register(InboxMembership)
class InboxMembershipAdmin(admin.ModelAdmin):
    list_display = ("agent", "inbox", "created_at")
    list_filter = ("inbox",)
    list_select_related = ("agent", "inbox")
    search_fields = ("agent__username", "agent__agent_profile__display_name", "inbox__name")
    autocomplete_fields = ("agent", "inbox")


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("short_code", "content_preview", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("short_code", "content")
    autocomplete_fields = ("created_by",)
    readonly_fields = ("created_at",)

    @admin.display(description="content")
    def content_preview(self, response: CannedResponse) -> str:
        return response.content if len(response.content) <= 80 else f"{response.content[:79]}…"

    def save_model(self, request: HttpRequest, obj: CannedResponse, form, change: bool) -> None:
        if not change and obj.created_by is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AgentConnection)
class AgentConnectionAdmin(admin.ModelAdmin):
    """Open desk tabs, the source of presence. Read-only: the sockets own these rows."""

    list_display = ("agent", "connected_at", "last_seen_at", "last_active_at")
    list_select_related = ("agent",)
    search_fields = ("agent__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AgentConnection | None = None) -> bool:
        return False


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    """What routing gave to whom, and when: the fairness cap counts these. Read-only: routing owns them."""

    list_display = ("routed_at", "conversation", "inbox", "agent")
    list_filter = ("inbox",)
    list_select_related = ("inbox", "agent")
    date_hierarchy = "routed_at"
    search_fields = ("agent__username", "agent__agent_profile__display_name", "conversation__id__exact")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RoutingDecision | None = None) -> bool:
        return False


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    """Agents' named list views (made in the desk); here to look at or remove."""

    list_display = ("name", "agent", "query", "created_at")
    list_select_related = ("agent",)
    search_fields = ("name", "agent__username")
    readonly_fields = ("created_at",)


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    """Who was mentioned in which note, and whether they read it: the desk's mentions inbox.
    Read-only: notes make them and the agent's desk reads them."""

    list_display = ("created_at", "agent", "author", "message", "read_at")
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    list_select_related = ("agent", "author", "message")
    date_hierarchy = "created_at"
    search_fields = ("agent__username", "agent__agent_profile__display_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Mention | None = None) -> bool:
        return False
