"""The desk's settings for automation rules (/desk/rules/), for administrators and supervisors:
the list in the order rules run, a form to write one (its trigger, then rows of conditions and of
actions, chosen from lists, never JSON), and delete. Writing goes through
automation.services.rule_save; a refusal comes back above the form with everything typed still
in it. Anyone else gets a 404, as for a page that is not there."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents.selectors import sees_all_reports
from automation import selectors, services
from automation.models import ActionKind, ConditionField, Operator, Rule, Trigger

from ..view_helpers import desk_view

CONDITION_ROWS = 6
ACTION_ROWS = 8
NONE_CHOSEN = [("", "—")]


class RuleForm(forms.Form):
    name = forms.CharField(required=False, max_length=120, label=gettext_lazy("Name"))
    trigger = forms.ChoiceField(choices=Trigger.choices, label=gettext_lazy("When"))
    is_active = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Active"))
    position = forms.IntegerField(min_value=0, initial=0, label=gettext_lazy("Position"))


class ConditionRowForm(forms.Form):
    field = forms.ChoiceField(choices=NONE_CHOSEN + ConditionField.choices, required=False)
    attribute = forms.CharField(required=False, max_length=100)
    operator = forms.ChoiceField(choices=Operator.choices, required=False)
    value = forms.CharField(required=False, max_length=500)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("field") and (cleaned.get("attribute") or cleaned.get("value")):
            raise ValidationError("A condition with a value needs its field.")  # not dropped unseen
        return cleaned


class ActionRowForm(forms.Form):
    kind = forms.ChoiceField(choices=NONE_CHOSEN + ActionKind.choices, required=False)
    argument = forms.CharField(required=False, max_length=2000)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("kind") and cleaned.get("argument"):
            raise ValidationError("An action with a value needs its kind.")  # not dropped unseen
        return cleaned


ConditionFormSet = forms.formset_factory(
    ConditionRowForm, extra=0, min_num=CONDITION_ROWS, max_num=CONDITION_ROWS
)
ActionFormSet = forms.formset_factory(ActionRowForm, extra=0, min_num=ACTION_ROWS, max_num=ACTION_ROWS)


def settings_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A desk view for administrators and supervisors; a 404 for anyone else."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sees_all_reports(request.user):
            raise Http404("Administrators and supervisors only.")
        return view(request, *args, **kwargs)

    return desk_view(checked)


@require_GET
@settings_view
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/rules/list.html", {"rules": list(selectors.rules_for_settings())})


@require_http_methods(["GET", "POST"])
@settings_view
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = _rule_or_404(rule_id) if rule_id is not None else None
    if request.method == "POST":
        return _save(request, rule)
    if rule is None:
        return _form(request, None, RuleForm(), ConditionFormSet(prefix="conditions"), _action_rows(rule))
    fields = {
        "name": rule.name,
        "trigger": rule.trigger,
        "is_active": rule.is_active,
        "position": rule.position,
    }
    conditions = [
        {"field": row.field, "attribute": row.attribute, "operator": row.operator, "value": row.value}
        for row in rule.conditions.all()
    ]
    return _form(
        request,
        rule,
        RuleForm(initial=fields),
        ConditionFormSet(prefix="conditions", initial=conditions),
        _action_rows(rule),
    )


@require_POST
@settings_view
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_or_404(rule_id)
    name = rule.name
    services.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Deleted “%(name)s”.") % {"name": name})
    return redirect("desk:rules")


def _save(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    form = RuleForm(request.POST)
    conditions = ConditionFormSet(request.POST, prefix="conditions")
    actions = ActionFormSet(request.POST, prefix="actions")
    if not (form.is_valid() and conditions.is_valid() and actions.is_valid()):
        refusal = _(
            "Choose the trigger and each row's field from its list, and give the position as a whole number."
        )
        return _form(request, rule, form, conditions, actions, [refusal], status=422)
    chosen_conditions = [
        (row["field"], row["attribute"], row["operator"], row["value"])
        for row in conditions.cleaned_data
        if row.get("field")
    ]
    chosen_actions = [(row["kind"], row["argument"]) for row in actions.cleaned_data if row.get("kind")]
    try:
        services.rule_save(
            actor=request.user,
            name=form.cleaned_data["name"],
            trigger=form.cleaned_data["trigger"],
            is_active=form.cleaned_data["is_active"],
            position=form.cleaned_data["position"],
            conditions=chosen_conditions,
            actions=chosen_actions,
            rule=rule,
        )
    except ValidationError as error:
        return _form(request, rule, form, conditions, actions, error.messages, status=422)
    if form.cleaned_data["is_active"]:
        messages.success(request, _("Saved: the rule runs from now on."))
    else:
        messages.success(request, _("Saved, switched off: it runs once you tick Active."))
    return redirect("desk:rules")


def _action_rows(rule: Rule | None) -> forms.BaseFormSet:
    initial = [{"kind": row.kind, "argument": row.argument} for row in rule.actions.all()] if rule else []
    return ActionFormSet(prefix="actions", initial=initial)


def _rule_or_404(rule_id: int) -> Rule:
    rule = selectors.rule_with_rows(rule_id)
    if rule is None:
        raise Http404("No such rule.")
    return rule


def _form(
    request: HttpRequest,
    rule: Rule | None,
    form: RuleForm,
    conditions: forms.BaseFormSet,
    actions: forms.BaseFormSet,
    refusals: list[str] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {
        "rule": rule,
        "form": form,
        "conditions": conditions,
        "actions": actions,
        "refusals": refusals or [],
    }
    return render(request, "desk/rules/edit.html", context, status=status)
