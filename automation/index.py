"""Every active rule, compiled once per process and per rules version (conversations.process_copy):
a message pays for its rules' predicates, never for reading or compiling them. A change saved in
the admin reaches this process at once and the others within about a second."""

import logging
from dataclasses import dataclass

from conversations.process_copy import ProcessCopy

from .actions import Action
from .conditions import Facts, Predicate, compile_condition, cost

GENERATION_KEY = "automation:rules:generation"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompiledRule:
    rule_id: int
    name: str
    trigger: str
    predicates: tuple[Predicate, ...]
    actions: tuple[Action, ...]

    def holds(self, facts: Facts) -> bool:
        return all(predicate(facts) for predicate in self.predicates)


def _load() -> dict[str, tuple[CompiledRule, ...]]:
    """The active rules by trigger, in order, in two queries (rules, then their rows)."""
    from .models import Rule

    by_trigger: dict[str, list[CompiledRule]] = {}
    for rule in Rule.objects.filter(is_active=True).prefetch_related("conditions", "actions"):
        try:
            predicates = tuple(
                compile_condition(row.field, row.operator, row.value, row.attribute)
                for row in sorted(rule.conditions.all(), key=lambda row: cost(row.field))
            )
        except Exception:
            # A row written around the form (a shell, a migration): the rule waits until it is fixed.
            logger.warning("automation rule %s has a condition that does not compile; skipped", rule.pk)
            continue
        actions = tuple(Action(row.kind, row.argument) for row in rule.actions.all())
        compiled = CompiledRule(rule.pk, rule.name, rule.trigger, predicates, actions)
        by_trigger.setdefault(rule.trigger, []).append(compiled)
    return {trigger: tuple(rules) for trigger, rules in by_trigger.items()}


class RuleIndex:
    def __init__(self) -> None:
        self._rules = ProcessCopy(GENERATION_KEY, _load)

    def rules_for(self, trigger: str) -> tuple[CompiledRule, ...]:
        return self._rules.get().get(trigger, ())

    def announce_change(self) -> None:
        self._rules.announce_change()


rule_index = RuleIndex()
