"""Automation benchmark: what 50 rules add to each customer message (issue 22: p95 <= 5 ms added
per message with 50 rules).

A customer message through the real ingest service `message_receive`, on the one-statement path
(its conversation named), timed from the call to its return, which includes the transaction's
commit and so every on-commit callback: automation's rules run there, in the same process
(automation/subscriber.py, automation/services.py). Three ways, in alternating blocks of BLOCK
messages (rules switched through the admin's own path, `rules_changed`, and a warm-up message
after each switch left out), so a machine whose load drifts weighs on all alike:
- baseline: no active rule (the subscriber's index says so without a query);
- text rules: 50 active "message received" rules of 3 conditions (channel, inbox, a pattern on
  the text), none matching: the text is tested first and rules it out, so no query;
- conversation rules: 50 rules of 3 conditions (channel, inbox, a contact attribute), none
  matching: every rule is evaluated in full, on the conversation read once (one query).
Neither set matches, so the figures are the cost of evaluating 50 rules, not of what a rule then
does. Also timed: `rules_run` alone for each set.

Checks: no rule ran while none matched (no RuleRun), and a message that matches one rule makes it
run once (the rules were really listening).

`--smoke`: 4 blocks of 10 messages each way.
"""

import sys
import time
import uuid

from automation.models import Rule, RuleAction, RuleCondition, RuleRun
from automation.services import rules_changed, rules_run
from bench.measure import quantiles
from bench.scale import scaled
from conversations import services
from conversations.models import ChannelType, Contact, Conversation, Inbox, Label

RULES = 50
BLOCKS = scaled(20, 4)
BLOCK = scaled(50, 10)
CONVERSATIONS = 20
TARGET_ADDED_P95_MS = 5.0


def log(*parts: object) -> None:
    print("[automation]", *parts, file=sys.stderr, flush=True)


def run() -> dict:
    inbox = Inbox.objects.create(name="Bench support", channel_type=ChannelType.WEB_WIDGET)
    conversations = _conversations(inbox)
    Label.objects.get_or_create(name="bench-matched")
    rule_sets = {
        "text_rules": _rules(inbox, "text", ("message_text", "matches", r"\bnever-{number}\b", "")),
        "conversation_rules": _rules(
            inbox, "attribute", ("contact_attribute", "is", "platinum-{number}", "plan")
        ),
    }
    times: dict[str, list[float]] = {"without_rules": [], **{name: [] for name in rule_sets}}
    for block in range(BLOCKS):
        for name, measured in times.items():
            _switch(rule_sets, name)
            _message(conversations[0], "warm-up after the switch")
            for number in range(BLOCK):
                measured.append(
                    _message(conversations[number % len(conversations)], "Where is my order #12345?")
                )
        log(
            f"block {block + 1}/{BLOCKS}: p95 "
            + ", ".join(f"{k} {quantiles(v)['p95_ms']} ms" for k, v in times.items())
        )
    alone = {}
    for name in rule_sets:
        _switch(rule_sets, name)
        alone[name] = _evaluation_alone(conversations[0])
    ran_unmatched = RuleRun.objects.count()
    _switch(rule_sets, "text_rules")
    _message(conversations[1], "this one says never-7 and matches the seventh rule")
    matched_runs = list(RuleRun.objects.values_list("rule__name", "outcome"))
    base = quantiles(times["without_rules"])
    report = {"rules": RULES, "conditions_per_rule": 3, "messages_each_way": len(times["without_rules"])}
    report["without_rules"] = base
    for name in rule_sets:
        figures = quantiles(times[name])
        added_p95 = round(figures["p95_ms"] - base["p95_ms"], 2)
        report[name] = {
            **figures,
            "added_p50_ms": round(figures["p50_ms"] - base["p50_ms"], 2),
            "added_p95_ms": added_p95,
            "p95_ratio": round(figures["p95_ms"] / base["p95_ms"], 2) if base["p95_ms"] else None,
            "rules_run_alone": alone[name],
        }
    report["target_added_p95_ms"] = TARGET_ADDED_P95_MS
    report["met"] = {name: report[name]["added_p95_ms"] <= TARGET_ADDED_P95_MS for name in rule_sets}
    report["checks"] = {
        "no rule ran while none matched": ran_unmatched == 0,
        "a matching message ran its one rule once": matched_runs == [("text 7", "applied")],
    }
    return report


def _conversations(inbox: Inbox) -> list[Conversation]:
    made = []
    for number in range(CONVERSATIONS):
        contact = Contact.objects.create(name=f"Bench customer {number}", custom_attributes={"plan": "gold"})
        message = services.message_receive(inbox=inbox, contact=contact, body="Hello")
        made.append(Conversation.objects.get(pk=message.conversation_id))
    return made


def _rules(inbox: Inbox, name: str, last: tuple[str, str, str, str]) -> list[Rule]:
    """Fifty inactive rules whose first two conditions hold and whose `last` does not (but for
    "never-N" in a text)."""
    rules = []
    field, operator, value, attribute = last
    for number in range(RULES):
        rule = Rule.objects.create(
            name=f"{name} {number}", trigger="message_received", position=number, is_active=False
        )
        conditions = [
            ("channel", "is", ChannelType.WEB_WIDGET, ""),
            ("inbox", "is", inbox.name, ""),
            (field, operator, value.format(number=number), attribute),
        ]
        RuleCondition.objects.bulk_create(
            RuleCondition(rule=rule, field=f, operator=o, value=v, attribute=a, position=index)
            for index, (f, o, v, a) in enumerate(conditions)
        )
        RuleAction.objects.create(rule=rule, kind="add_label", argument="bench-matched")
        rules.append(rule)
    return rules


def _switch(rule_sets: dict[str, list[Rule]], active: str) -> None:
    """Only the set named `active` on (none for any other name)."""
    for name, rules in rule_sets.items():
        Rule.objects.filter(pk__in=[rule.pk for rule in rules]).update(is_active=name == active)
    rules_changed()


def _message(conversation: Conversation, body: str) -> float:
    started = time.perf_counter()
    services.message_receive(
        inbox=conversation.inbox,
        contact=conversation.contact,
        conversation_id=conversation.pk,
        body=body,
        client_message_id=uuid.uuid4().hex,
    )
    return (time.perf_counter() - started) * 1000


def _evaluation_alone(conversation: Conversation) -> dict:
    times = []
    for _ in range(BLOCKS * BLOCK):
        started = time.perf_counter()
        rules_run(
            trigger="message_received", conversation_id=conversation.pk, message_text="Where is my order?"
        )
        times.append((time.perf_counter() - started) * 1000)
    return quantiles(times)
