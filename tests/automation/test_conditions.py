"""Each condition, compiled as the rules index compiles it, against a real conversation's facts;
and the values each refuses, with the sentence the admin shows."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from automation.conditions import Facts, check_condition, compile_condition
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory, LabelFactory

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MONDAY_NIGHT = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


@pytest.fixture
def facts():
    inbox = InboxFactory(
        name="Support", channel_type="sms", timezone="UTC", business_hours={"mon": [["09:00", "17:00"]]}
    )
    contact = ContactFactory(language="pt", custom_attributes={"plan": "Gold", "seats": 12})
    agent = AgentProfileFactory(user__username="bea").user
    conversation = ConversationFactory(inbox=inbox, contact=contact, assignee=agent, priority=3)
    conversation.labels.add(LabelFactory(name="vip"))
    return Facts(
        conversation_id=conversation.pk, message_text="Hi, I need a Refund for order #123", now=MONDAY_NOON
    )


@pytest.mark.parametrize(
    ("field", "operator", "value", "attribute", "holds"),
    [
        ("inbox", "is", "support", "", True),
        ("inbox", "is_not", "Support", "", False),
        ("channel", "is", "sms", "", True),
        ("channel", "is_not", "sms", "", False),
        ("contact_attribute", "is", "gold", "plan", True),
        ("contact_attribute", "contains", "ol", "plan", True),
        ("contact_attribute", "matches", r"^\d+$", "seats", True),
        ("contact_attribute", "is", "gold", "missing", False),
        ("message_text", "contains", "refund", "", True),
        ("message_text", "not_contains", "refund", "", False),
        ("message_text", "matches", r"order #\d+", "", True),
        ("message_text", "matches", r"^refund", "", False),
        ("business_hours", "is", "open", "", True),
        ("business_hours", "is", "closed", "", False),
        ("label", "is", "VIP", "", True),
        ("label", "is_not", "vip", "", False),
        ("priority", "is", "high", "", True),
        ("priority", "at_least", "urgent", "", False),
        ("priority", "at_least", "medium", "", True),
        ("language", "is", "pt", "", True),
        ("language", "is_not", "pt-PT", "", False),  # primary subtags, as routing compares them
        ("assignee", "is", "bea", "", True),
        ("assignee", "is", "nobody", "", False),
    ],
)
def test_each_condition_reads_the_conversation(facts, field, operator, value, attribute, holds):
    assert compile_condition(field, operator, value, attribute)(facts) is holds


def test_business_hours_follow_the_inbox_schedule(facts):
    closed = compile_condition("business_hours", "is", "closed")
    facts.now = MONDAY_NIGHT
    assert closed(facts) is True


def test_unassigned_is_nobody():
    facts = Facts(conversation_id=ConversationFactory().pk)
    assert compile_condition("assignee", "is", "nobody")(facts) is True
    assert compile_condition("assignee", "is", "bea")(facts) is False


def test_conditions_read_the_conversation_once_and_the_text_not_at_all(facts, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert compile_condition("message_text", "contains", "refund")(facts) is True
    with django_assert_num_queries(1):
        for field, value, attribute in (("inbox", "support", ""), ("contact_attribute", "gold", "plan")):
            assert compile_condition(field, "is", value, attribute)(facts) is True


@pytest.mark.parametrize(
    ("field", "operator", "value", "attribute", "says"),
    [
        ("message_text", "matches", "(unclosed", "", "not a valid regular expression"),
        ("message_text", "at_least", "3", "", "Message text takes"),
        ("channel", "is", "pigeon", "", "Channel must be one of"),
        ("priority", "is", "sky-high", "", "Priority must be one of"),
        ("contact_attribute", "is", "gold", "", "Name the contact attribute"),
        ("business_hours", "is", "sometimes", "", '"open" or "closed"'),
        ("language", "is", "not a language!", "", "is not a language tag"),
        ("assignee", "is", "", "", "nobody"),
    ],
)
def test_a_condition_that_cannot_be_evaluated_is_refused_with_what_to_do(
    field, operator, value, attribute, says
):
    with pytest.raises(ValidationError) as refused:
        check_condition(field, operator, value, attribute)
    assert says in " ".join(refused.value.messages)
