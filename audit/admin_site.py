"""Every admin change is audited, in every app's admin, with no admin class having to ask.

`audit.admin_config.AuditedAdminConfig` replaces "django.contrib.admin" in INSTALLED_APPS
(Django's documented way to swap the default site), and its site gives every ModelAdmin
registered on it the mixin below: Django's own, other apps', and any added later. The mixin writes
an entry wherever Django writes its LogEntry (add, change, delete, bulk delete), in the same
transaction, plus one per admin action run (an action that shows a form first is recorded when it
acts).
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .actors import Actor, Target
from .context import origin_of
from .models import Action
from .services import record, record_many

# The first ids of a bulk action, kept in its entry; the count says how many there were.
IDS_KEPT = 100


class AuditedAdminMixin:
    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        logged = super().log_addition(request, obj, message)
        _record_one(request, Action.ADMIN_ADDED, obj, message)
        return logged

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        logged = super().log_change(request, obj, message)
        _record_one(request, Action.ADMIN_CHANGED, obj, message)
        return logged

    def log_deletions(self, request: HttpRequest, queryset: QuerySet | list) -> Any:
        logged = super().log_deletions(request, queryset)
        actor = Actor.administrator(request.user)
        record_many(
            {
                "actor": actor,
                "action": Action.ADMIN_DELETED,
                "target": Target.of(obj),
                "origin": origin_of(request),
            }
            for obj in queryset
        )
        return logged

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        action = request.POST.get("action", "")
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        every_row = request.POST.get("select_across") == "1"  # "select all N": the whole filtered list
        rows = queryset.count() if every_row else len(selected)  # before the action changes the list
        response = super().response_action(request, queryset)
        acted = response is not None and not isinstance(response, TemplateResponse)  # not a form
        if acted and (selected or every_row) and action != "delete_selected":  # deletions: one by one
            record(
                actor=Actor.administrator(request.user),
                action=Action.ADMIN_ACTION,
                target=Target.from_model(self.model, None, str(self.model._meta.verbose_name_plural)),
                details={
                    "action": action,
                    "count": rows,
                    "ids": [] if every_row else selected[:IDS_KEPT],
                },
                request=request,
            )
        return response


def _record_one(request: HttpRequest, action: Action, obj: Model, message: Any) -> None:
    record(
        actor=Actor.administrator(request.user),
        action=action,
        target=Target.of(obj),
        details={"changes": _changed_fields(message)},
        request=request,
    )


def _changed_fields(message: Any) -> list:
    """The names of what changed, from Django's structured change message; never the values
    (a secret, a customer's details)."""
    if not isinstance(message, list):
        return []
    names: list = []
    for part in message:
        for verb, about in part.items():
            if verb == "changed":
                names.extend(about.get("fields", []))
            elif isinstance(about, dict) and "name" in about:
                names.append(f"{verb} {about['name']}")
    return names


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: type | None = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (AuditedAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
