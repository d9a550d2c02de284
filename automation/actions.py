"""What a rule or a macro can do, and the one place that does it: every action goes through the
core's and agents' services (which lock, write and announce after commit), so an action is
exactly what an agent doing the same in the desk would do.

An action's argument is text an administrator typed; `check_action` refuses one that names
nothing (an unknown agent, team, label, skill or saved reply), is out of range, or is empty, with
a sentence that says what to do. `perform_action` checks again (what it names may have gone since)
and raises ValidationError without changing anything when it cannot act.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agents import services as agent_services
from agents.models import CannedResponse, Skill, Team
from conversations import events, services
from conversations.event_types import EventType
from conversations.models import Conversation, Label

from .models import ActionKind

MAX_SNOOZE_MINUTES = 60 * 24 * 365
MAX_TOPIC_LENGTH = 100
PRIORITIES = {label.lower(): value for value, label in Conversation.Priority.choices}
NEEDS_NO_ARGUMENT = frozenset({ActionKind.RESOLVE})


@dataclass(frozen=True)
class Action:
    kind: str
    argument: str

    def describe(self) -> str:
        label = ActionKind(self.kind).label
        return label if self.kind in NEEDS_NO_ARGUMENT else f"{label}: {self.argument}"


def check_action(kind: str, argument: str) -> None:
    """Refuse (ValidationError) an action that could not run as written."""
    _target(kind, argument.strip())


def perform_action(
    action: Action,
    *,
    conversation: Conversation,
    actor: AbstractBaseUser | None,
    rule: tuple[int, str] | None = None,
) -> str:
    """Do `action` to the conversation as `actor` (None: Parley, for a rule: `rule` is its id and
    name); returns the line the log keeps. The caller owns the transaction (a rule's or macro's
    actions are all or none)."""
    argument = action.argument.strip()
    target = _target(action.kind, argument)
    kind = action.kind
    if kind == ActionKind.SEND_WEBHOOK:
        if rule is None:
            raise ValidationError(
                _("Only an automation rule sends webhooks: remove this step from the macro.")
            )
        _webhook(conversation, rule, topic=target)
    if kind == ActionKind.ASSIGN_AGENT:
        agent_services.conversation_assign_to_agent(conversation=conversation, assignee=target, actor=actor)
    elif kind == ActionKind.ASSIGN_TEAM:
        current = Conversation.objects.select_related("assignee").get(pk=conversation.pk)
        agent_services.conversation_assign_to_agent(
            conversation=conversation, assignee=current.assignee, actor=actor, team=target
        )
    elif kind == ActionKind.ADD_LABEL:
        services.conversation_update(conversation=conversation, actor=actor, add_labels=[target])
    elif kind == ActionKind.REMOVE_LABEL:
        services.conversation_update(conversation=conversation, actor=actor, remove_labels=[target])
    elif kind == ActionKind.SET_PRIORITY:
        services.conversation_update(conversation=conversation, actor=actor, priority=target)
    elif kind == ActionKind.SNOOZE:
        services.conversation_snooze(conversation=conversation, until=timezone.now() + target, actor=actor)
    elif kind == ActionKind.RESOLVE:
        services.conversation_resolve(conversation=conversation, actor=actor)
    elif kind in (ActionKind.SEND_MESSAGE, ActionKind.SEND_CANNED):
        body = target.content if kind == ActionKind.SEND_CANNED else target
        _say(conversation, actor, body, private=False)
    elif kind == ActionKind.ADD_NOTE:
        _say(conversation, actor, target, private=True)
    elif kind == ActionKind.SET_SKILL:
        services.conversation_set_skill(conversation=conversation, skill_id=target.pk, actor=actor)
    return action.describe()


def _webhook(conversation: Conversation, rule: tuple[int, str], *, topic: str) -> None:
    """The business's webhook subscriptions to automation.webhook hear it (outbound_webhooks'
    durable subscriber writes their deliveries in this transaction); no socket does."""
    rule_id, rule_name = rule
    events.hand_over_durably(
        events.conversation_event(
            EventType.AUTOMATION_WEBHOOK, conversation, rule_id=rule_id, rule_name=rule_name, topic=topic
        )
    )


def _say(conversation: Conversation, actor: AbstractBaseUser | None, body: str, *, private: bool) -> None:
    if actor is not None:  # a macro: the agent says it, as from the composer
        agent_services.reply_post(conversation=conversation, agent=actor, body=body, is_private=private)
    elif private:
        services.message_post_activity(conversation_id=conversation.pk, text=body)
    else:
        services.message_post_automatic(conversation_id=conversation.pk, body=body)


def _target(kind: str, argument: str):
    """What the argument names, or a refusal that says what to type instead."""
    if kind not in ActionKind.values:
        raise ValidationError(_("Unknown action %(kind)r: choose one from the list.") % {"kind": kind})
    if kind in NEEDS_NO_ARGUMENT:
        return None
    if not argument:
        raise ValidationError(
            _("%(action)s: this action needs a value.") % {"action": ActionKind(kind).label}
        )
    if kind == ActionKind.ASSIGN_AGENT:
        user = get_user_model().objects.filter(username=argument, is_active=True, is_staff=True).first()
        if user is None:
            raise ValidationError(_("No active agent has the username %(name)r.") % {"name": argument})
        return user
    if kind == ActionKind.ASSIGN_TEAM:
        return _named(
            Team.objects.filter(name__iexact=argument), _("No team is called %(name)r.") % {"name": argument}
        )
    if kind in (ActionKind.ADD_LABEL, ActionKind.REMOVE_LABEL):
        return _named(
            Label.objects.filter(name__iexact=argument),
            _("No label is called %(name)r.") % {"name": argument},
        )
    if kind == ActionKind.SET_SKILL:
        return _named(
            Skill.objects.filter(name__iexact=argument),
            _("No skill is called %(name)r.") % {"name": argument},
        )
    if kind == ActionKind.SEND_CANNED:
        return _named(
            CannedResponse.objects.filter(short_code=argument.lstrip("/")),
            _("No saved reply has the short code %(code)r.") % {"code": argument},
        )
    if kind == ActionKind.SET_PRIORITY:
        return _priority(argument)
    if kind == ActionKind.SNOOZE:
        return _snooze(argument)
    if kind == ActionKind.SEND_WEBHOOK and len(argument) > MAX_TOPIC_LENGTH:
        raise ValidationError(
            _("A webhook's topic is at most %(most)s characters.") % {"most": MAX_TOPIC_LENGTH}
        )
    return argument  # a message, a note, or a webhook's topic: its text


def _named(queryset, refusal: str):
    found = queryset.first()
    if found is None:
        raise ValidationError(refusal)
    return found


def _priority(argument: str) -> int:
    value = PRIORITIES.get(argument.lower())
    if value is None and argument.isdigit() and int(argument) in Conversation.Priority.values:
        value = int(argument)
    if value is None:
        raise ValidationError(_("Priority must be one of: %(choices)s.") % {"choices": ", ".join(PRIORITIES)})
    return value


def _snooze(argument: str) -> timedelta:
    try:
        minutes = int(argument)
    except ValueError:
        raise ValidationError(_("Snooze takes a number of minutes, e.g. 60.")) from None
    if minutes <= 0:
        raise ValidationError(_("A snooze must end in the future: give a number of minutes above 0."))
    if minutes > MAX_SNOOZE_MINUTES:
        raise ValidationError(_("Snooze for at most a year (525600 minutes)."))
    return timedelta(minutes=minutes)
