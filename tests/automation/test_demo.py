"""`make run`'s automation: the demo rule labels a refund question, the shared macros are there
for every agent, and seeding again adds nothing."""

import pytest
from django.core.management import call_command

from automation.demo import DEMO_MACROS, DEMO_RULE
from automation.models import Macro, Rule, RuleRun
from automation.selectors import macros_for_agent
from conversations import services
from conversations.models import Conversation
from tests.factories.conversations import LabelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_rule_and_macros_are_seeded_once_and_work(inbox, contact, agent):
    LabelFactory(name="billing")
    call_command("seed_automation")
    call_command("seed_automation")
    assert Rule.objects.filter(name=DEMO_RULE).count() == 1
    assert {macro.name for macro in macros_for_agent(agent)} == set(DEMO_MACROS)
    assert Macro.objects.count() == len(DEMO_MACROS)

    message = services.message_receive(inbox=inbox, contact=contact, body="Can I get a refund?")

    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert set(conversation.labels.values_list("name", flat=True)) == {"billing"}
    assert RuleRun.objects.get(conversation=conversation).outcome == RuleRun.Outcome.APPLIED
