"""A service level about to breach: a running clock within its policy's warn_before of its
deadline is warned once, its desks hear `sla.warning`, and automation rules on "SLA about to
breach" run on it; a clock stopped in time or already past its deadline is not warned."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from automation.models import RuleRun
from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.models import Conversation
from reports.models import SlaClock, SlaPolicy
from reports.sla import sla_breaches_sweep
from reports.sla_warnings import sla_warnings_sweep
from tests.automation.conftest import make_rule
from tests.factories.conversations import ContactFactory, InboxFactory

MONDAY = datetime(2026, 6, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def inbox(db):
    return InboxFactory(name="Support")  # always open


@pytest.fixture
def policy(inbox):
    return SlaPolicy.objects.create(
        name="Standard", inbox=inbox, first_response=timedelta(minutes=30), warn_before=timedelta(minutes=10)
    )


def write(inbox):
    return services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello").conversation


def test_a_clock_near_its_deadline_is_warned_once_and_the_desks_hear_it(
    policy, inbox, agent, listen, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox)
        services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
        heard = listen(events.inbox_group(inbox.pk))
        clock.shift(timedelta(minutes=19))
        assert sla_warnings_sweep() == 0  # 11 minutes left: not yet
        clock.shift(timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert sla_warnings_sweep() == 1
        assert sla_warnings_sweep() == 0  # once
        clock.shift(timedelta(minutes=11))
        assert sla_breaches_sweep() == 1
        assert sla_warnings_sweep() == 0  # past its deadline: a breach, not a warning
    [warning] = [event for event in heard.receive_all() if event["type"] == EventType.SLA_WARNING]
    assert (warning["targets"], warning["assignee_id"]) == (["first_response"], agent.pk)
    assert warning["due_at"] == (MONDAY + timedelta(minutes=30)).isoformat()
    assert SlaClock.objects.get(conversation_id=conversation.pk).warned_at == MONDAY + timedelta(minutes=20)


def test_a_clock_stopped_in_time_is_never_warned(policy, inbox, agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox)
        clock.shift(timedelta(minutes=5))
        services.message_post_reply(conversation=conversation, agent=agent, body="Hi!")
        clock.shift(timedelta(minutes=20))
        assert sla_warnings_sweep() == 0


def test_a_policy_warns_a_positive_time_before_its_deadlines(inbox):
    policy = SlaPolicy(
        name="Odd", inbox=inbox, first_response=timedelta(minutes=30), warn_before=timedelta(0)
    )
    with pytest.raises(ValidationError, match="positive length of time before a deadline"):
        policy.full_clean()


@pytest.mark.django_db(transaction=True)
def test_a_rule_on_sla_about_to_breach_raises_the_priority():
    inbox = InboxFactory(name="Support")
    SlaPolicy.objects.create(
        name="Standard", inbox=inbox, first_response=timedelta(minutes=30), warn_before=timedelta(minutes=10)
    )
    rule = make_rule("Hurry", "sla_warning", actions=[("set_priority", "urgent")])
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox)
        clock.shift(timedelta(minutes=21))
        assert sla_warnings_sweep() == 1
    conversation = Conversation.objects.get(pk=conversation.pk)
    assert conversation.priority == Conversation.Priority.URGENT
    assert RuleRun.objects.get(conversation=conversation).rule_id == rule.pk
