"""Reads the desk needs: a conversation's automation log, the macros an agent may apply, and the
rules its settings list and edit."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from .models import Macro, Rule, RuleRun

LOG_LIMIT = 20


def rule_runs_for_conversation(conversation_id: int, *, limit: int = LOG_LIMIT) -> list[RuleRun]:
    """The newest runs first; one query."""
    return list(RuleRun.objects.filter(conversation_id=conversation_id).order_by("-at", "-pk")[:limit])


def macros_for_agent(agent: AbstractBaseUser) -> QuerySet[Macro]:
    """Shared macros and the agent's own, with their actions (two queries)."""
    return (
        Macro.objects.filter(Q(owner=None) | Q(owner=agent))
        .prefetch_related("actions")
        .order_by("name", "pk")
    )


def macro_for_agent(agent: AbstractBaseUser, macro_id: int) -> Macro | None:
    return macros_for_agent(agent).filter(pk=macro_id).first()


def rules_for_settings() -> QuerySet[Rule]:
    """Every rule in the order they run, each with its number of conditions and actions (one
    query)."""
    return Rule.objects.annotate(
        condition_count=Count("conditions", distinct=True), action_count=Count("actions", distinct=True)
    ).order_by("position", "pk")


def rule_with_rows(rule_id: int) -> Rule | None:
    """The rule with its conditions and actions, in order (three queries), or None."""
    return Rule.objects.prefetch_related("conditions", "actions").filter(pk=rule_id).first()
