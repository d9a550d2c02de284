"""A macro applies every action or none, through the real database; shared and personal macros."""

import pytest
from django.core.exceptions import ValidationError

from automation.selectors import macros_for_agent
from automation.services import macro_apply
from conversations.models import Conversation, Message
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import LabelFactory

from .conftest import make_macro

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_macro_applies_all_its_actions_in_order(conversation, agent):
    LabelFactory(name="billing")
    macro = make_macro(
        "Billing hand-off",
        [
            ("add_label", "billing"),
            ("set_priority", "high"),
            ("add_note", "Sent to billing"),
            ("send_message", "Billing will write to you today."),
            ("snooze", "60"),
        ],
    )

    lines = macro_apply(macro=macro, conversation=conversation, agent=agent)

    conversation = Conversation.objects.get(pk=conversation.pk)
    assert list(conversation.labels.values_list("name", flat=True)) == ["billing"]
    assert conversation.priority == Conversation.Priority.HIGH
    assert conversation.status == Conversation.Status.SNOOZED
    said = Message.objects.filter(conversation=conversation, sender_agent=agent).order_by("seq")
    assert [(m.body, m.is_private) for m in said] == [
        ("Sent to billing", True),
        ("Billing will write to you today.", False),
    ]
    assert len(lines) == 5


def test_a_macro_with_one_refused_action_changes_nothing(conversation, agent):
    LabelFactory(name="billing")
    AgentProfileFactory(user__username="outsider")  # not a member of the conversation's inbox
    macro = make_macro(
        "Half good",
        [("add_label", "billing"), ("add_note", "Escalating"), ("assign_agent", "outsider")],
    )
    seq_before = conversation.last_seq

    with pytest.raises(ValidationError, match="not a member"):
        macro_apply(macro=macro, conversation=conversation, agent=agent)

    conversation = Conversation.objects.get(pk=conversation.pk)
    assert not conversation.labels.exists()
    assert conversation.assignee_id is None
    assert conversation.last_seq == seq_before
    assert not Message.objects.filter(conversation=conversation).exists()


def test_an_agent_sees_shared_macros_and_their_own_only(agent):
    other = AgentProfileFactory().user
    make_macro("Shared", [("resolve", "")])
    make_macro("Mine", [("resolve", "")], owner=agent)
    make_macro("Theirs", [("resolve", "")], owner=other)

    assert [macro.name for macro in macros_for_agent(agent)] == ["Mine", "Shared"]
