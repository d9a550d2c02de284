"""An agent's own macros (/desk/macros/): the list beside the shared ones, a form to write one
(a name and its steps), and delete. Writing goes through automation.services.personal_macro_save;
a refusal comes back above the form with everything typed still in it."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from automation import selectors, services
from automation.models import ActionKind, Macro

from ..view_helpers import desk_view

MAX_STEPS = 8
STEP_KINDS = [("", "—")] + [
    (value, label) for value, label in ActionKind.choices if value != ActionKind.SEND_WEBHOOK
]


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=STEP_KINDS, required=False, label=gettext_lazy("Step"))
    argument = forms.CharField(required=False, label=gettext_lazy("Value"), max_length=2000)


StepFormSet = forms.formset_factory(StepForm, extra=0, min_num=MAX_STEPS, max_num=MAX_STEPS)


@require_GET
@desk_view
def macro_list(request: HttpRequest) -> HttpResponse:
    macros = list(selectors.macros_for_agent(request.user))
    return render(
        request,
        "desk/macros/list.html",
        {
            "own": [macro for macro in macros if macro.owner_id == request.user.pk],
            "shared": [macro for macro in macros if macro.owner_id is None],
        },
    )


@require_http_methods(["GET", "POST"])
@desk_view
def macro_edit(request: HttpRequest, macro_id: int | None = None) -> HttpResponse:
    macro = _own_macro(request, macro_id) if macro_id is not None else None
    if request.method == "POST":
        name = request.POST.get("name", "")
        steps = StepFormSet(request.POST)
        if steps.is_valid():
            chosen = [(step["kind"], step["argument"]) for step in steps.cleaned_data if step.get("kind")]
            try:
                services.personal_macro_save(owner=request.user, name=name, steps=chosen, macro=macro)
            except ValidationError as error:
                return _form(request, macro, name, steps, error.messages, status=422)
            messages.success(request, _("Saved: the macro is in every conversation's Macros menu."))
            return redirect("desk:my-macros")
        return _form(request, macro, name, steps, [_("Choose each step from the list.")], status=422)
    initial = (
        [{"kind": step.kind, "argument": step.argument} for step in macro.actions.all()] if macro else []
    )
    return _form(request, macro, macro.name if macro else "", StepFormSet(initial=initial), [])


@require_POST
@desk_view
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    macro = _own_macro(request, macro_id)
    name = macro.name
    macro.delete()
    messages.success(request, _("Deleted “%(name)s”.") % {"name": name})
    return redirect("desk:my-macros")


def _own_macro(request: HttpRequest, macro_id: int) -> Macro:
    macro = selectors.macro_for_agent(request.user, macro_id)
    if macro is None or macro.owner_id != request.user.pk:
        raise Http404("Not one of your macros.")
    return macro


def _form(
    request: HttpRequest, macro: Macro | None, name: str, steps, refusals: list[str], *, status: int = 200
) -> HttpResponse:
    context = {"macro": macro, "name": name, "steps": steps, "refusals": refusals}
    return render(request, "desk/macros/edit.html", context, status=status)
