"""The admin's rows: a condition (field, operator, value) and an action (kind, argument), each
refused with a sentence that says what to fix (conditions.check_condition, actions.check_action)."""

from django import forms
from django.core.exceptions import ValidationError

from .actions import check_action
from .conditions import check_condition
from .models import ActionKind, MacroAction, RuleAction, RuleCondition


class RuleConditionForm(forms.ModelForm):
    class Meta:
        model = RuleCondition
        fields = ["field", "attribute", "operator", "value", "position"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            check_condition(
                cleaned["field"],
                cleaned["operator"],
                cleaned.get("value") or "",
                cleaned.get("attribute") or "",
            )
        except ValidationError as error:
            raise ValidationError({"value": error.messages}) from None
        return cleaned


class ActionForm(forms.ModelForm):
    """An action row, for rules and macros alike."""

    argument = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 50}),
        help_text="A username, a team, label or skill name, a priority, minutes, a saved reply's "
        "short code, the text to send, or a webhook's topic.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            check_action(cleaned["kind"], cleaned.get("argument") or "")
        except ValidationError as error:
            raise ValidationError({"argument": error.messages}) from None
        return cleaned


class RuleActionForm(ActionForm):
    class Meta:
        model = RuleAction
        fields = ["kind", "argument", "position"]


class MacroActionForm(ActionForm):
    class Meta:
        model = MacroAction
        fields = ["kind", "argument", "position"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind") == ActionKind.SEND_WEBHOOK:
            raise ValidationError({"kind": "Only an automation rule sends webhooks: choose another action."})
        return cleaned
