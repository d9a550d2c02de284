import pytest

from automation.index import rule_index
from automation.models import Macro, MacroAction, Rule, RuleAction, RuleCondition
from automation.services import rules_changed


@pytest.fixture(autouse=True)
def fresh_rule_index():
    """Each test's rules are rolled back with it; this process's compiled copy must forget them."""
    rule_index.announce_change()
    yield
    rule_index.announce_change()


def make_rule(name, trigger, *, conditions=(), actions=(), position=0, is_active=True) -> Rule:
    """A rule with its rows, as the admin's form saves it; `conditions`: (field, operator, value[,
    attribute]); `actions`: (kind, argument)."""
    rule = Rule.objects.create(name=name, trigger=trigger, position=position, is_active=is_active)
    for index, (field, operator, value, *attribute) in enumerate(conditions):
        RuleCondition.objects.create(
            rule=rule,
            field=field,
            operator=operator,
            value=value,
            attribute=(attribute or [""])[0],
            position=index,
        )
    for index, (kind, argument) in enumerate(actions):
        RuleAction.objects.create(rule=rule, kind=kind, argument=argument, position=index)
    rules_changed()
    return rule


def make_macro(name, actions, *, owner=None) -> Macro:
    macro = Macro.objects.create(name=name, owner=owner)
    for index, (kind, argument) in enumerate(actions):
        MacroAction.objects.create(macro=macro, kind=kind, argument=argument, position=index)
    return macro
