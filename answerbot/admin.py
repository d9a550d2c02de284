"""The answer bot's admin: each inbox's bot settings; its episodes, read-only (only the bot's turns
write them); and the "Self-service report" page, which shows answerbot.metrics for a period."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.text import Truncator

from conversations.admin.permissions import ReadOnlyAdminMixin
from conversations.models import ChannelType, Inbox
from knowledge.search import answer_threshold

from . import metrics
from .grouping import QuestionGroup
from .models import AnswerBot, Episode

REPORT_URL_NAME = "answerbot_self_service_report"
REPORT_PERMISSION = "answerbot.view_episode"  # the report is made of episodes
PERIODS = ((7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"))
DEFAULT_DAYS = 7
ARTICLE_TITLE_MAX = 200  # knowledge.services.MAX_TITLE


class AnswerBotForm(forms.ModelForm):
    class Meta:
        model = AnswerBot
        fields = (
            "inbox",
            "enabled",
            "name",
            "portal",
            "confidence_threshold",
            "offer_choice_up_front",
            "person_words",
            "generative",
        )

    def clean_confidence_threshold(self) -> float:
        threshold = self.cleaned_data["confidence_threshold"]
        if threshold < 0:
            raise forms.ValidationError("The threshold is 0 (the shipped one) or more.")
        return threshold

    def clean(self) -> dict:
        cleaned = super().clean()
        portal = cleaned.get("portal")
        inbox = cleaned.get("inbox") or getattr(self.instance, "inbox", None)
        if portal is not None and inbox is not None and not portal.inboxes.filter(pk=inbox.pk).exists():
            self.add_error(
                "portal",
                f'The help center "{portal}" is not linked to the inbox "{inbox}": link them on the '
                "portal's page first, or leave this empty to use the inbox's first help center.",
            )
        return cleaned


@admin.register(AnswerBot)
class AnswerBotAdmin(admin.ModelAdmin):
    form = AnswerBotForm
    list_display = (
        "inbox",
        "enabled",
        "name",
        "portal",
        "threshold",
        "offer_choice_up_front",
        "generative",
        "updated_at",
    )
    list_filter = ("enabled", "generative", "offer_choice_up_front", "inbox__channel_type")
    list_select_related = ("inbox", "portal")
    search_fields = ("name", "inbox__name")
    fieldsets = (
        (None, {"fields": ("inbox", "enabled", "name", "portal")}),
        ("How it answers", {"fields": ("confidence_threshold", "offer_choice_up_front", "generative")}),
        ("Handing off", {"fields": ("person_words",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: AnswerBot | None = None) -> tuple[str, ...]:
        return ("inbox",) if obj is not None else ()  # a bot belongs to its inbox; make another instead

    @admin.display(description="threshold", ordering="confidence_threshold")
    def threshold(self, bot: AnswerBot) -> str:
        if bot.confidence_threshold:
            return f"{bot.confidence_threshold:.2f}"
        return f"shipped ({answer_threshold():.2f})"

    def get_urls(self) -> list:
        report = path("report/", self.admin_site.admin_view(self.report_view), name=REPORT_URL_NAME)
        return [report, *super().get_urls()]

    def report_view(self, request: HttpRequest) -> TemplateResponse:
        """The self-service report for the period and filters chosen (GET: days, inbox, channel)."""
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied
        picker = ReportPicker(request.GET or None)
        chosen = picker.cleaned_data if picker.is_valid() else {}
        days = chosen.get("days") or DEFAULT_DAYS
        inbox = chosen.get("inbox")
        period = metrics.Period.last_days(days)
        report = metrics.self_service_report(
            period=period, inbox_id=inbox.pk if inbox else None, channel_type=chosen.get("channel") or None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Self-service report",
            "opts": self.model._meta,
            "picker": picker if picker.is_bound else ReportPicker(initial={"days": DEFAULT_DAYS}),
            "days": days,
            "report": report,
            "suggestions": [(group, _write_article_url(request, group)) for group in report.unanswered],
        }
        return TemplateResponse(request, "admin/answerbot/self_service_report.html", context)


class ReportPicker(forms.Form):
    days = forms.TypedChoiceField(choices=PERIODS, coerce=int, required=False, label="Period")
    inbox = forms.ModelChoiceField(
        queryset=Inbox.objects.order_by("name"), required=False, empty_label="All inboxes"
    )
    channel = forms.ChoiceField(choices=(("", "All channels"), *ChannelType.choices), required=False)


def _write_article_url(request: HttpRequest, group: QuestionGroup) -> str | None:
    """The knowledge admin's add-article page with the group's question as the title (the admin
    fills a form field from a GET parameter of its name); None for who may not add articles."""
    if not request.user.has_perm("knowledge.add_article"):
        return None
    try:
        url = reverse("admin:knowledge_article_add")
    except NoReverseMatch:
        return None
    title = Truncator(group.representative).chars(ARTICLE_TITLE_MAX)
    return f"{url}?{urlencode({'title': title})}"


@admin.register(Episode)
class EpisodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "inbox",
        "channel_type",
        "contact",
        "outcome",
        "handoff_reason",
        "question_start",
        "top_score",
        "ended_at",
    )
    list_filter = ("outcome", "handoff_reason", "inbox", "channel_type", "started_at")
    list_select_related = ("inbox", "contact")
    search_fields = ("question",)
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    fields = (
        "conversation",
        "inbox",
        "contact",
        "channel_type",
        "state",
        "outcome",
        "handoff_reason",
        "question",
        "offered_article_ids",
        "top_score",
        "handled_seq",
        "started_at",
        "last_turn_at",
        "ended_at",
    )

    @admin.display(description="question", ordering="question")
    def question_start(self, episode: Episode) -> str:
        return Truncator(episode.question).chars(80) or "-"


def _list_the_report_with_the_bot(site: admin.AdminSite) -> None:
    """The admin's index and sidebar list models, and the report is a page: it is added to the
    answer bot's app as a row of its own, for whoever may read episodes."""
    listed = site.get_app_list
    if getattr(listed, "lists_self_service_report", False):
        return

    def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        app_list = listed(request, app_label)
        if not request.user.has_perm(REPORT_PERMISSION):
            return app_list
        for app in app_list:
            if app["app_label"] == Episode._meta.app_label:
                app["models"].append(
                    {
                        "name": "Self-service report",
                        "object_name": "SelfServiceReport",
                        "admin_url": reverse(f"admin:{REPORT_URL_NAME}", current_app=site.name),
                        "add_url": None,
                        "view_only": True,
                        "perms": {"view": True},
                    }
                )
                app["models"].sort(key=lambda model: model["name"])
        return app_list

    get_app_list.lists_self_service_report = True
    site.get_app_list = get_app_list


_list_the_report_with_the_bot(admin.site)
