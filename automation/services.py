"""All writes of automation: running a trigger's rules on a conversation (after the change that
fired them committed), applying a macro, writing a rule from the desk's settings, and telling
every process the rules changed.

Rules run in order; each matching rule's actions are one transaction, all or none, through the
core's and agents' services, so what they change is announced after commit like any agent's
change, and can fire rules in turn. That chain is bounded: a rule's actions run one level deeper
than what fired it, and at MAX_DEPTH a matching rule is not run but logged as stopped by the loop
guard. Every rule that matched leaves a RuleRun (applied, failed, or stopped); rules that did not
match leave nothing, so the log stays as small as what automation did.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actors import Target
from audit.context import actor_in_request
from audit.models import Action as AuditAction
from audit.services import record
from conversations.models import Conversation

from .actions import Action, check_action, perform_action
from .conditions import Facts, check_condition
from .index import CompiledRule, rule_index
from .models import ActionKind, Macro, MacroAction, Rule, RuleAction, RuleCondition, RuleRun, Trigger

ConditionRow = tuple[str, str, str, str]  # field, attribute, operator, value
ActionRow = tuple[str, str]  # kind, argument

MAX_DEPTH = 3  # a change by a rule's action fired by a rule's action fired by a rule's action: stop

logger = logging.getLogger(__name__)
_depth: ContextVar[int] = ContextVar("automation_depth", default=0)


def current_depth() -> int:
    """How many rules deep the change being made now is (0: a person's, a customer's, a sweep's)."""
    return _depth.get()


def rules_wanted(trigger: str) -> bool:
    """Whether any active rule listens to `trigger` (this process's copy: no query)."""
    return bool(rule_index.rules_for(trigger))


def rules_changed() -> None:
    """Call after writing rules (the admin's form, rule_save): this process recompiles at once,
    the others once the change commits."""
    rule_index.announce_change()


def rules_run(*, trigger: str, conversation_id: int, message_text: str = "", depth: int = 0) -> list[RuleRun]:
    """Run the rules of `trigger` on the conversation, in order. Outside any transaction (an
    on-commit callback): each matching rule commits on its own. Returns the runs logged.

    Every rule is tested against the conversation as it was when they started: a rule that
    reacts to another's change hears of it through that change's own event, one level deeper
    (testing it here too would run it twice)."""
    rules = rule_index.rules_for(trigger)
    if not rules:
        return []
    facts = Facts(conversation_id=conversation_id, message_text=message_text)
    runs: list[RuleRun] = []
    for rule in rules:
        try:
            if not rule.holds(facts):
                continue
        except Conversation.DoesNotExist:
            return runs
        if depth >= MAX_DEPTH:
            runs.append(
                _log(rule, conversation_id, trigger, depth, RuleRun.Outcome.STOPPED, detail=_guard_note())
            )
            continue
        runs.append(_apply(rule, conversation_id, trigger, depth))
    return runs


def macro_apply(*, macro: Macro, conversation: Conversation, agent: AbstractBaseUser) -> list[str]:
    """Apply every action of the macro to the conversation as `agent`, in order, in one
    transaction: all of them or, when one is refused (ValidationError, raised to the caller), none.
    What they change is announced once it commits. Returns one line per action done."""
    actions = [Action(row.kind, row.argument) for row in macro.actions.all()]
    if not actions:
        raise ValidationError(_("This macro has no actions yet."))
    with transaction.atomic():
        return [perform_action(action, conversation=conversation, actor=agent) for action in actions]


def personal_macro_save(
    *, owner: AbstractBaseUser, name: str, steps: list[tuple[str, str]], macro: Macro | None = None
) -> Macro:
    """Create or rewrite `owner`'s own macro: its name and its steps, in order, all or nothing.
    Refused (ValidationError, naming the step) for an empty name or no step, a step that could not
    run as written (actions.check_action) and a webhook step, which only a rule sends."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the macro a name."))
    if not steps:
        raise ValidationError(_("Add at least one step."))
    for number, (kind, argument) in enumerate(steps, start=1):
        if kind == ActionKind.SEND_WEBHOOK:
            raise ValidationError(
                _("Step %(number)s: only an automation rule sends webhooks.") % {"number": number}
            )
        try:
            check_action(kind, argument)
        except ValidationError as error:
            raise ValidationError(
                _("Step %(number)s: %(refusal)s") % {"number": number, "refusal": " ".join(error.messages)}
            ) from None
    if macro is not None and macro.owner_id != owner.pk:
        raise ValidationError(
            _("Only its owner changes a personal macro; shared ones are edited in the admin.")
        )
    with transaction.atomic():
        if macro is None:
            macro = Macro.objects.create(name=name, owner=owner)
        else:
            macro.name = name
            macro.save(update_fields=["name"])
            macro.actions.all().delete()
        MacroAction.objects.bulk_create(
            MacroAction(macro=macro, kind=kind, argument=argument.strip(), position=position)
            for position, (kind, argument) in enumerate(steps)
        )
    return macro


def rule_save(
    *,
    actor: AbstractBaseUser,
    name: str,
    trigger: str,
    is_active: bool,
    position: int,
    conditions: list[ConditionRow],
    actions: list[ActionRow],
    rule: Rule | None = None,
) -> Rule:
    """Create `rule` or rewrite it whole: its fields, and its conditions and actions replaced by
    these rows, in order. Every row is checked before anything is written (the admin's checks,
    conditions.check_condition and actions.check_action), so a refusal (ValidationError, naming
    the row) saves nothing. One transaction with its audit entry; every process recompiles the
    rules once it commits."""
    name = name.strip()
    _check_rule(name, trigger, position, conditions, actions)
    with transaction.atomic():
        if rule is None:
            rule = Rule.objects.create(name=name, trigger=trigger, is_active=is_active, position=position)
            audited = AuditAction.RULE_ADDED
        else:
            rule = Rule.objects.select_for_update().get(pk=rule.pk)
            rule.name, rule.trigger, rule.is_active, rule.position = name, trigger, is_active, position
            rule.save()
            rule.conditions.all().delete()
            rule.actions.all().delete()
            audited = AuditAction.RULE_CHANGED
        RuleCondition.objects.bulk_create(
            RuleCondition(
                rule=rule,
                field=field,
                attribute=attribute.strip(),
                operator=operator,
                value=value.strip(),
                position=number,
            )
            for number, (field, attribute, operator, value) in enumerate(conditions)
        )
        RuleAction.objects.bulk_create(
            RuleAction(rule=rule, kind=kind, argument=argument.strip(), position=number)
            for number, (kind, argument) in enumerate(actions)
        )
        _audit(actor, audited, rule, {"conditions": len(conditions), "actions": len(actions)})
        rules_changed()
    return rule


def rule_delete(*, actor: AbstractBaseUser, rule: Rule) -> None:
    """Delete the rule with its rows (its runs stay in the conversations' logs, under its name),
    recorded in the audit log; every process forgets it once that commits."""
    with transaction.atomic():
        _audit(actor, AuditAction.RULE_DELETED, rule, {})
        rule.delete()
        rules_changed()


def _check_rule(
    name: str, trigger: str, position: int, conditions: list[ConditionRow], actions: list[ActionRow]
) -> None:
    if not name:
        raise ValidationError(_("Give the rule a name."))
    if trigger not in Trigger.values:
        raise ValidationError(_("Choose when the rule runs from the list."))
    if position < 0:
        raise ValidationError(_("The position is a whole number, 0 or more."))
    if not actions:
        raise ValidationError(_("Add at least one action: a rule without one would do nothing."))
    for number, (field, attribute, operator, value) in enumerate(conditions, start=1):
        try:
            check_condition(field, operator, value.strip(), attribute.strip())
        except ValidationError as error:
            raise ValidationError(
                _("Condition %(number)s: %(refusal)s")
                % {"number": number, "refusal": " ".join(error.messages)}
            ) from None
    for number, (kind, argument) in enumerate(actions, start=1):
        try:
            check_action(kind, argument)
        except ValidationError as error:
            raise ValidationError(
                _("Action %(number)s: %(refusal)s") % {"number": number, "refusal": " ".join(error.messages)}
            ) from None


def _audit(actor: AbstractBaseUser, action: AuditAction, rule: Rule, counts: dict[str, int]) -> None:
    who, origin = actor_in_request(actor)
    details = {"trigger": rule.trigger, "is_active": rule.is_active, "position": rule.position, **counts}
    record(actor=who, action=action, target=Target.of(rule), details=details, origin=origin)


def _apply(rule: CompiledRule, conversation_id: int, trigger: str, depth: int) -> RuleRun:
    try:
        with _deeper(depth), transaction.atomic():
            conversation = Conversation.objects.select_related("inbox").get(pk=conversation_id)
            lines = [
                perform_action(action, conversation=conversation, actor=None, rule=(rule.rule_id, rule.name))
                for action in rule.actions
            ]
            return _log(rule, conversation_id, trigger, depth, RuleRun.Outcome.APPLIED, actions=lines)
    except (ValidationError, ObjectDoesNotExist) as error:
        detail = " ".join(getattr(error, "messages", [str(error)]))
    except Exception as error:  # a bug must not cost the other rules their turn
        logger.exception("automation rule %s failed on conversation %s", rule.rule_id, conversation_id)
        detail = f"Failed: {type(error).__name__}"
    return _log(rule, conversation_id, trigger, depth, RuleRun.Outcome.FAILED, detail=detail)


@contextmanager
def _deeper(depth: int) -> Iterator[None]:
    """What the actions change fires rules one level deeper (read by the subscriber, inside the
    actions' transaction)."""
    token = _depth.set(depth + 1)
    try:
        yield
    finally:
        _depth.reset(token)


def _log(
    rule: CompiledRule,
    conversation_id: int,
    trigger: str,
    depth: int,
    outcome: str,
    *,
    actions: list[str] | None = None,
    detail: str = "",
) -> RuleRun:
    return RuleRun.objects.create(
        conversation_id=conversation_id,
        rule_id=rule.rule_id,
        rule_name=rule.name[:120],
        trigger=trigger,
        outcome=outcome,
        actions=actions or [],
        detail=detail[:500],
        depth=depth,
    )


def _guard_note() -> str:
    return (
        f"Not run: rules were already {MAX_DEPTH} deep on this conversation, each firing the next "
        "(the loop guard). Check for rules that undo each other."
    )
