"""Rules and macros, edited as forms: a rule's conditions and actions are inline rows, each
checked as it is saved (forms.py). Saving a rule recompiles the rules in every process."""

from django.contrib import admin

from .forms import MacroActionForm, RuleActionForm, RuleConditionForm
from .models import Macro, MacroAction, Rule, RuleAction, RuleCondition, RuleRun
from .services import rules_changed


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    form = RuleConditionForm
    extra = 1
    verbose_name_plural = "Conditions (all must hold)"


class RuleActionInline(admin.TabularInline):
    model = RuleAction
    form = RuleActionForm
    extra = 1
    verbose_name_plural = "Actions (in order; all or none)"


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "position", "is_active", "updated_at"]
    list_editable = ["position", "is_active"]
    list_filter = ["trigger", "is_active"]
    search_fields = ["name"]
    inlines = [RuleConditionInline, RuleActionInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        rules_changed()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        rules_changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        rules_changed()

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        rules_changed()  # list_editable saves here without save_related


@admin.register(RuleRun)
class RuleRunAdmin(admin.ModelAdmin):
    list_display = ["at", "conversation_id", "rule_name", "trigger", "outcome", "depth"]
    list_filter = ["outcome", "trigger"]
    readonly_fields = [field.name for field in RuleRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MacroActionInline(admin.TabularInline):
    model = MacroAction
    form = MacroActionForm
    extra = 1
    verbose_name_plural = "Actions (in order; all or none)"


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "owner"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]
    inlines = [MacroActionInline]
