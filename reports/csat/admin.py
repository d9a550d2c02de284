"""The survey in the admin: its settings inline on each inbox's page, and the surveys themselves,
read-only (only the survey's services write them).

The inbox admin belongs to the core (and agents extends it); the core never imports reports, so the
settings join that page from here, by extending whichever inbox admin is registered, as agents
does. Admin's autodiscovery imports apps in INSTALLED_APPS order, reports after both.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from conversations.admin.columns import admin_link
from conversations.admin.permissions import ReadOnlyAdminMixin
from conversations.models import Inbox, MessageTemplate
from reports.models import CsatSettings, CsatSurvey


class CsatSettingsInline(admin.StackedInline):
    model = CsatSettings
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = "satisfaction survey (CSAT)"
    verbose_name_plural = "satisfaction survey (CSAT)"
    fields = (
        "enabled",
        "question",
        "number_hint",
        "ask_comment",
        "comment_prompt",
        "no_comment_title",
        "thanks",
        "whatsapp_template",
    )

    def get_formset(self, request: HttpRequest, obj: Inbox | None = None, **kwargs):
        """Only this inbox's approved templates can ask past WhatsApp's window."""
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("whatsapp_template")
        if field is not None:
            field.queryset = (
                MessageTemplate.objects.filter(inbox=obj, status__iexact="APPROVED")
                if obj is not None
                else MessageTemplate.objects.none()
            )
        return formset


registered = type(admin.site.get_model_admin(Inbox))


class CsatInboxAdmin(registered):
    inlines = (*registered.inlines, CsatSettingsInline)


admin.site.unregister(Inbox)
admin.site.register(Inbox, CsatInboxAdmin)


@admin.register(CsatSurvey)
class CsatSurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every survey, sent or not (and why not), its rating and the customer's comment."""

    list_display = ("conversation_link", "inbox", "agent", "state", "rating", "short_comment", "resolved_at")
    list_filter = ("state", "rating", "inbox")
    list_select_related = ("inbox", "agent", "conversation")
    search_fields = ("comment",)
    date_hierarchy = "resolved_at"
    fields = (
        "conversation_link",
        "inbox",
        "agent",
        "team",
        "resolved_at",
        "state",
        "skip_reason",
        "sent_at",
        "rating",
        "rated_at",
        "comment",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CsatSurvey]:
        return super().get_queryset(request).select_related("team")

    @admin.display(description="conversation")
    def conversation_link(self, survey: CsatSurvey) -> str:
        return admin_link(survey.conversation, f"#{survey.conversation_id}")

    @admin.display(description="comment")
    def short_comment(self, survey: CsatSurvey) -> str:
        return survey.comment if len(survey.comment) <= 80 else survey.comment[:79] + "…"
