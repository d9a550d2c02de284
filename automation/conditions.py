"""A rule's conditions: which operators each field takes, what values are valid, and each
condition compiled once into a predicate (when the rules are loaded, not per message: a pattern is
compiled once, a name lowered once).

A predicate reads `Facts`: the conversation with its inbox, contact and assignee (one query), the
message's text when the event is a message, and the labels only if some condition asks for them.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations import hours
from conversations.languages import language_code
from conversations.models import ChannelType, Conversation, Label

from .actions import PRIORITIES
from .models import ConditionField, Operator

MAX_PATTERN_LENGTH = 300
NOBODY = "nobody"

OPERATORS: dict[str, tuple[str, ...]] = {
    ConditionField.INBOX: (Operator.IS, Operator.IS_NOT),
    ConditionField.CHANNEL: (Operator.IS, Operator.IS_NOT),
    ConditionField.CONTACT_ATTRIBUTE: (
        Operator.IS,
        Operator.IS_NOT,
        Operator.CONTAINS,
        Operator.NOT_CONTAINS,
        Operator.MATCHES,
    ),
    ConditionField.MESSAGE_TEXT: (Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.MATCHES, Operator.IS),
    ConditionField.BUSINESS_HOURS: (Operator.IS,),
    ConditionField.LABEL: (Operator.IS, Operator.IS_NOT),
    ConditionField.PRIORITY: (Operator.IS, Operator.IS_NOT, Operator.AT_LEAST),
    ConditionField.LANGUAGE: (Operator.IS, Operator.IS_NOT),
    ConditionField.ASSIGNEE: (Operator.IS, Operator.IS_NOT),
}


@dataclass(frozen=True)
class InboxFacts:
    """What conditions read of the inbox (conversations.hours reads the last three)."""

    name: str
    channel_type: str
    timezone: str
    business_hours: object
    holidays: object


@dataclass(frozen=True)
class ConversationFacts:
    """The columns conditions read, in one narrow query: building a whole Conversation with its
    inbox, contact and assignee cost more in the ORM than all 50 rules' predicates."""

    pk: int
    priority: int
    assignee_id: int | None
    assignee_username: str | None
    inbox_id: int
    inbox: InboxFacts
    contact_attributes: dict
    contact_language: str


SNAPSHOT_FIELDS = (
    "pk",
    "priority",
    "assignee_id",
    "assignee__username",
    "inbox_id",
    "inbox__name",
    "inbox__channel_type",
    "inbox__timezone",
    "inbox__business_hours",
    "inbox__holidays",
    "contact__custom_attributes",
    "contact__language",
)


@cache
def snapshot_sql() -> str:
    """The SQL of the snapshot's query, compiled by the ORM once per process: compiling it on
    each message cost more than the query itself."""
    query = Conversation.objects.filter(pk=0).values_list(*SNAPSHOT_FIELDS).query
    sql, params = query.sql_with_params()
    if list(params) != [0]:
        raise RuntimeError("the conversation snapshot's query must take the conversation's id alone")
    return sql


def _json(value: object) -> object:
    """A JSON column as read by a bare cursor (text under psycopg 3 with Django's loaders)."""
    return json.loads(value) if isinstance(value, str) else value


class Facts:
    """What conditions read about one conversation at one event. The conversation is read only
    when a condition first asks for it, and the rules index tests the message's text first:
    rules that a message's text already rules out cost it no query at all."""

    def __init__(self, *, conversation_id: int, message_text: str = "", now: datetime | None = None) -> None:
        self.conversation_id = conversation_id
        self.message_text = message_text
        self.now = now or timezone.now()

    @cached_property
    def conversation(self) -> ConversationFacts:
        """Raises Conversation.DoesNotExist when it is gone."""
        with connection.cursor() as cursor:
            cursor.execute(snapshot_sql(), [self.conversation_id])
            row = cursor.fetchone()
        if row is None:
            raise Conversation.DoesNotExist(f"No conversation {self.conversation_id}.")
        (
            pk,
            priority,
            assignee_id,
            username,
            inbox_id,
            name,
            channel,
            zone,
            hours_,
            holidays,
            attributes,
            lang,
        ) = row
        return ConversationFacts(
            pk=pk,
            priority=priority,
            assignee_id=assignee_id,
            assignee_username=username,
            inbox_id=inbox_id,
            inbox=InboxFacts(name, channel, zone, _json(hours_), _json(holidays)),
            contact_attributes=_json(attributes) or {},
            contact_language=lang or "",
        )

    @cached_property
    def label_names(self) -> frozenset[str]:
        names = Label.objects.filter(conversations=self.conversation_id).values_list("name", flat=True)
        return frozenset(name.lower() for name in names)


def cost(field_name: str) -> int:
    """The order a rule tests its conditions in: what the event itself carries first."""
    return 0 if field_name == ConditionField.MESSAGE_TEXT else 1


Predicate = Callable[[Facts], bool]


def check_condition(field_name: str, operator: str, value: str, attribute: str = "") -> None:
    """Refuse (ValidationError) a condition that could never be evaluated as written."""
    compile_condition(field_name, operator, value, attribute)


def compile_condition(field_name: str, operator: str, value: str, attribute: str = "") -> Predicate:
    if field_name not in OPERATORS:
        raise ValidationError(
            _("Unknown condition %(name)r: choose one from the list.") % {"name": field_name}
        )
    if operator not in OPERATORS[field_name]:
        allowed = ", ".join(Operator(op).label for op in OPERATORS[field_name])
        raise ValidationError(
            _("%(field)s takes: %(operators)s.")
            % {"field": ConditionField(field_name).label, "operators": allowed}
        )
    value = value.strip()
    test = _TESTS[field_name](operator, value, attribute.strip())
    if operator in (Operator.IS_NOT, Operator.NOT_CONTAINS):
        return lambda facts: not test(facts)
    return test


def _text_test(operator: str, value: str) -> Callable[[str], bool]:
    """contains / is (either negated by the caller) or matches, case-insensitive."""
    if operator == Operator.MATCHES:
        if len(value) > MAX_PATTERN_LENGTH:
            raise ValidationError(
                _("Keep the pattern under %(most)s characters.") % {"most": MAX_PATTERN_LENGTH}
            )
        try:
            pattern = re.compile(value, re.IGNORECASE)
        except re.error as error:
            raise ValidationError(
                _("%(pattern)r is not a valid regular expression: %(error)s.")
                % {"pattern": value, "error": error}
            ) from None
        return lambda text: pattern.search(text) is not None
    if not value:
        raise ValidationError(_("Give the text to look for."))
    needle = value.casefold()
    if operator == Operator.IS:
        return lambda text: text.strip().casefold() == needle
    return lambda text: needle in text.casefold()


def _inbox(operator: str, value: str, attribute: str) -> Predicate:
    if not value:
        raise ValidationError(_("Give the inbox's name or number."))
    name = value.casefold()
    return lambda facts: (
        facts.conversation.inbox.name.casefold() == name or str(facts.conversation.inbox_id) == value
    )


def _channel(operator: str, value: str, attribute: str) -> Predicate:
    if value not in ChannelType.values:
        raise ValidationError(
            _("Channel must be one of: %(choices)s.") % {"choices": ", ".join(ChannelType.values)}
        )
    return lambda facts: facts.conversation.inbox.channel_type == value


def _contact_attribute(operator: str, value: str, attribute: str) -> Predicate:
    if not attribute:
        raise ValidationError(_("Name the contact attribute to test (e.g. plan)."))
    test = _text_test(_positive(operator), value)
    return lambda facts: test(str(facts.conversation.contact_attributes.get(attribute, "")))


def _message_text(operator: str, value: str, attribute: str) -> Predicate:
    test = _text_test(_positive(operator), value)
    return lambda facts: test(facts.message_text)


def _business_hours(operator: str, value: str, attribute: str) -> Predicate:
    wanted = value.lower()
    if wanted not in ("open", "closed"):
        raise ValidationError(_('Business hours is "open" or "closed".'))
    return lambda facts: hours.is_open(facts.conversation.inbox, facts.now) == (wanted == "open")


def _label(operator: str, value: str, attribute: str) -> Predicate:
    if not value:
        raise ValidationError(_("Give the label's name."))
    name = value.lower()
    return lambda facts: name in facts.label_names


def _priority(operator: str, value: str, attribute: str) -> Predicate:
    level = PRIORITIES.get(value.lower())
    if level is None:
        raise ValidationError(_("Priority must be one of: %(choices)s.") % {"choices": ", ".join(PRIORITIES)})
    if operator == Operator.AT_LEAST:
        return lambda facts: facts.conversation.priority >= level
    return lambda facts: facts.conversation.priority == level


def _language(operator: str, value: str, attribute: str) -> Predicate:
    code = language_code(value)  # refuses what is not a language tag
    if not code:
        raise ValidationError(_("Give a language, e.g. en or pt-BR."))

    def test(facts: Facts) -> bool:
        try:
            return language_code(facts.conversation.contact_language) == code
        except ValidationError:
            return False

    return test


def _assignee(operator: str, value: str, attribute: str) -> Predicate:
    if not value:
        raise ValidationError(
            _('Give an agent\'s username, or "%(nobody)s" for unassigned.') % {"nobody": NOBODY}
        )
    if value.lower() == NOBODY:
        return lambda facts: facts.conversation.assignee_id is None
    return lambda facts: facts.conversation.assignee_username == value


def _positive(operator: str) -> str:
    """The test a negated operator negates (compile_condition applies the negation)."""
    return {Operator.IS_NOT: Operator.IS, Operator.NOT_CONTAINS: Operator.CONTAINS}.get(operator, operator)


_TESTS: dict[str, Callable[[str, str, str], Predicate]] = {
    ConditionField.INBOX: _inbox,
    ConditionField.CHANNEL: _channel,
    ConditionField.CONTACT_ATTRIBUTE: _contact_attribute,
    ConditionField.MESSAGE_TEXT: _message_text,
    ConditionField.BUSINESS_HOURS: _business_hours,
    ConditionField.LABEL: _label,
    ConditionField.PRIORITY: _priority,
    ConditionField.LANGUAGE: _language,
    ConditionField.ASSIGNEE: _assignee,
}
