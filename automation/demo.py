"""The demo's automation (`manage.py seed_automation`, run by `make run` after seed_demo): a rule
that sends refund questions to billing, and two shared macros an agent can try from any
conversation's header. Idempotent: what exists under these names is left as it is."""

from .actions import check_action
from .models import Macro, MacroAction, Rule, RuleAction, RuleCondition, Trigger
from .services import rules_changed

DEMO_RULE = "Refund questions to billing (demo)"
DEMO_MACROS = {
    "Billing hand-off (demo)": [
        ("add_label", "billing"),
        ("set_priority", "high"),
        ("add_note", "Handed to billing: they answer refunds and invoices within a working day."),
    ],
    "Waiting on the customer (demo)": [
        ("send_message", "Thanks! I will wait for your reply and pick this up as soon as it comes."),
        ("snooze", "1440"),
    ],
}


def seed_automation() -> tuple[bool, int]:
    """(whether the rule was created, how many macros were)."""
    rule_created = False
    if not Rule.objects.filter(name=DEMO_RULE).exists():
        rule = Rule.objects.create(name=DEMO_RULE, trigger=Trigger.MESSAGE_RECEIVED)
        RuleCondition.objects.create(
            rule=rule, field="message_text", operator="matches", value=r"\brefunds?\b"
        )
        for position, (kind, argument) in enumerate([("add_label", "billing"), ("set_priority", "medium")]):
            check_action(kind, argument)  # the demo's labels exist: refuse loudly if they ever do not
            RuleAction.objects.create(rule=rule, kind=kind, argument=argument, position=position)
        rules_changed()
        rule_created = True
    macros = 0
    for name, steps in DEMO_MACROS.items():
        if Macro.objects.filter(name=name, owner=None).exists():
            continue
        macro = Macro.objects.create(name=name)
        for position, (kind, argument) in enumerate(steps):
            check_action(kind, argument)
            MacroAction.objects.create(macro=macro, kind=kind, argument=argument, position=position)
        macros += 1
    return rule_created, macros
