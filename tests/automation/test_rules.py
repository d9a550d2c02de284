"""Rules fire on real changes made through the services, after commit, in order, and a chain of
rules firing each other stops at the loop guard with a logged stop."""

import pytest

from automation.models import RuleRun
from automation.services import MAX_DEPTH
from conversations import services
from conversations.models import Conversation
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import LabelFactory

from .conftest import make_rule

pytestmark = pytest.mark.django_db(transaction=True)


def label_names(conversation_id: int) -> set[str]:
    return set(Conversation.objects.get(pk=conversation_id).labels.values_list("name", flat=True))


def test_a_customer_message_about_a_refund_is_labelled_and_assigned_after_commit(inbox, contact):
    LabelFactory(name="billing")
    agent = AgentProfileFactory(display_name="Bea", user__username="bea").user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    rule = make_rule(
        "Refunds to Bea",
        "message_received",
        conditions=[("message_text", "matches", r"\brefunds?\b"), ("inbox", "is", inbox.name)],
        actions=[("add_label", "billing"), ("assign_agent", "bea")],
    )

    message = services.message_receive(inbox=inbox, contact=contact, body="I want a REFUND please")

    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert label_names(conversation.pk) == {"billing"}
    assert conversation.assignee_id == agent.pk
    run = RuleRun.objects.get(conversation=conversation)
    assert (run.rule_id, run.outcome, run.trigger, run.depth) == (rule.pk, "applied", "message_received", 0)
    assert run.actions == ["Add label: billing", "Assign to agent (username): bea"]


def test_a_message_that_does_not_match_leaves_no_trace(inbox, contact):
    LabelFactory(name="billing")
    make_rule(
        "Refunds",
        "message_received",
        conditions=[("message_text", "contains", "refund")],
        actions=[("add_label", "billing")],
    )

    message = services.message_receive(inbox=inbox, contact=contact, body="Where is my parcel?")

    assert label_names(message.conversation_id) == set()
    assert not RuleRun.objects.exists()


def test_an_agents_reply_is_not_a_message_received(conversation, agent):
    LabelFactory(name="billing")
    make_rule(
        "Refunds",
        "message_received",
        conditions=[("message_text", "contains", "refund")],
        actions=[("add_label", "billing")],
    )

    services.message_post_reply(conversation=conversation, agent=agent, body="Your refund is on its way")

    assert label_names(conversation.pk) == set()


def test_rules_run_in_their_order_so_the_last_one_has_the_last_word(inbox, contact):
    # Saved first but ordered second: its priority is the one that stays.
    low = make_rule(
        "Gold is low",
        "message_received",
        position=2,
        conditions=[("contact_attribute", "is", "gold", "plan")],
        actions=[("set_priority", "low")],
    )
    urgent = make_rule(
        "Gold is urgent",
        "message_received",
        position=1,
        conditions=[("contact_attribute", "is", "gold", "plan")],
        actions=[("set_priority", "urgent")],
    )
    contact.custom_attributes = {"plan": "Gold"}
    contact.save()

    message = services.message_receive(inbox=inbox, contact=contact, body="Hello")

    assert Conversation.objects.get(pk=message.conversation_id).priority == Conversation.Priority.LOW
    runs = RuleRun.objects.filter(trigger="message_received").order_by("pk").values_list("rule_id", flat=True)
    assert list(runs) == [urgent.pk, low.pk]


def test_a_rule_reacts_to_another_rules_change_one_level_deeper(inbox, contact):
    LabelFactory(name="vip")
    make_rule(
        "Mark VIPs",
        "message_received",
        conditions=[("contact_attribute", "is", "gold", "plan")],
        actions=[("add_label", "vip")],
    )
    escalate = make_rule(
        "Escalate VIPs",
        "conversation_updated",
        conditions=[("label", "is", "vip")],
        actions=[("set_priority", "urgent")],
    )
    contact.custom_attributes = {"plan": "gold"}
    contact.save()

    message = services.message_receive(inbox=inbox, contact=contact, body="Hello")

    assert Conversation.objects.get(pk=message.conversation_id).priority == Conversation.Priority.URGENT
    first = RuleRun.objects.filter(rule=escalate).order_by("pk").first()
    assert (first.depth, first.trigger, first.outcome) == (1, "conversation_updated", "applied")


def test_rules_that_fire_each_other_stop_at_the_loop_guard_and_say_so(conversation):
    LabelFactory(name="ping")
    LabelFactory(name="pong")
    # Each undoes the other: without the guard they would swap labels for ever.
    make_rule(
        "Ping to pong",
        "conversation_updated",
        conditions=[("label", "is", "ping")],
        actions=[("remove_label", "ping"), ("add_label", "pong")],
    )
    make_rule(
        "Pong to ping",
        "conversation_updated",
        conditions=[("label", "is", "pong")],
        actions=[("remove_label", "pong"), ("add_label", "ping")],
    )

    services.conversation_update(
        conversation=conversation, actor=None, add_labels=[LabelFactory(name="ping")]
    )

    runs = list(RuleRun.objects.filter(conversation=conversation).order_by("pk"))
    assert [run.depth for run in runs] == list(range(MAX_DEPTH + 1))
    assert [run.outcome for run in runs] == ["applied"] * MAX_DEPTH + ["stopped"]
    assert "loop guard" in runs[-1].detail
    # Depth 0 turned ping into pong, 1 back to ping, 2 to pong; the stopped one changed nothing.
    assert label_names(conversation.pk) == {"pong"}


def test_a_rule_whose_action_is_refused_changes_nothing_and_logs_why(conversation):
    LabelFactory(name="billing")
    outsider = AgentProfileFactory(user__username="outsider").user  # not a member of the inbox
    make_rule(
        "Bad assignment",
        "conversation_updated",
        conditions=[("label", "is", "billing")],
        actions=[("set_priority", "high"), ("assign_agent", "outsider")],
    )

    services.conversation_update(
        conversation=conversation, actor=None, add_labels=[LabelFactory(name="billing")]
    )

    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.NONE  # the first action rolled back too
    assert conversation.assignee_id is None
    run = RuleRun.objects.get(conversation=conversation)
    assert run.outcome == "failed" and str(outsider) in run.detail


def test_resolving_fires_the_resolved_rules_and_an_inactive_rule_never_runs(conversation):
    LabelFactory(name="done")
    LabelFactory(name="never")
    make_rule("Tag resolved", "conversation_resolved", actions=[("add_label", "done")])
    make_rule("Switched off", "conversation_resolved", actions=[("add_label", "never")], is_active=False)

    services.conversation_resolve(conversation=conversation, actor=None)

    assert label_names(conversation.pk) == {"done"}


def test_a_rolled_back_change_fires_nothing(conversation):
    from django.db import transaction

    LabelFactory(name="done")
    make_rule("Tag resolved", "conversation_resolved", actions=[("add_label", "done")])

    with pytest.raises(RuntimeError), transaction.atomic():
        services.conversation_resolve(conversation=conversation, actor=None)
        raise RuntimeError("the caller failed after the resolve")

    assert label_names(conversation.pk) == set()
    assert not RuleRun.objects.exists()


def test_a_new_conversation_on_a_channel_gets_the_rules_of_conversation_created(sms_inbox, contact):
    LabelFactory(name="sms")
    make_rule(
        "Label SMS",
        "conversation_created",
        conditions=[("channel", "is", "sms"), ("business_hours", "is", "open")],  # no hours: always open
        actions=[("add_label", "sms")],
    )

    message = services.message_receive(inbox=sms_inbox, contact=contact, body="Hi", provider_message_id="SM1")

    assert label_names(message.conversation_id) == {"sms"}
    assert RuleRun.objects.get().trigger == "conversation_created"
