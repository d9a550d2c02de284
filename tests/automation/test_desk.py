"""The desk shows what rules did to a conversation, and a macro's steps before the agent applies
it from the conversation's header."""

import pytest
from django.urls import reverse

from automation.models import RuleRun
from conversations.models import Conversation
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import LabelFactory

from .conftest import make_macro, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def test_the_customer_panel_loads_the_automation_log(desk_client, conversation):
    rule = make_rule("Tag refunds", "message_received", actions=[("resolve", "")])
    RuleRun.objects.create(
        conversation=conversation,
        rule=rule,
        rule_name=rule.name,
        trigger="message_received",
        outcome="applied",
        actions=["Resolve"],
    )
    RuleRun.objects.create(
        conversation=conversation,
        rule=rule,
        rule_name="Ping",
        trigger="conversation_updated",
        outcome="stopped",
        detail="Not run: the loop guard.",
        depth=3,
    )

    pane = desk_client.get(reverse("desk:conversation", args=[conversation.pk])).content.decode()
    assert reverse("desk:automation-log", args=[conversation.pk]) in pane

    log = desk_client.get(reverse("desk:automation-log", args=[conversation.pk])).content.decode()
    assert "Tag refunds" in log and "Resolve" in log
    assert "stopped by the loop guard" in log and "Not run: the loop guard." in log


def test_the_log_of_a_conversation_outside_the_agents_inboxes_is_not_found(client, conversation):
    stranger = AgentProfileFactory().user  # a member of no inbox
    client.force_login(stranger)
    assert client.get(reverse("desk:automation-log", args=[conversation.pk])).status_code == 404


def test_the_macro_menu_shows_each_step_before_it_runs(desk_client, conversation, agent):
    LabelFactory(name="billing")
    make_macro("Billing hand-off", [("add_label", "billing"), ("set_priority", "high")])

    header = desk_client.get(reverse("desk:header", args=[conversation.pk])).content.decode()
    assert reverse("desk:macros", args=[conversation.pk]) in header
    menu = desk_client.get(reverse("desk:macros", args=[conversation.pk])).content.decode()

    assert "Billing hand-off" in menu
    assert "Add label: billing" in menu and "Set priority: high" in menu
    conversation.refresh_from_db()
    assert not conversation.labels.exists()  # showing it applied nothing


def test_applying_a_macro_from_the_header_does_every_step(desk_client, conversation):
    LabelFactory(name="billing")
    macro = make_macro("Billing hand-off", [("add_label", "billing"), ("set_priority", "high")])

    response = desk_client.post(reverse("desk:macro-apply", args=[conversation.pk, macro.pk]))

    assert response.status_code == 200
    conversation = Conversation.objects.get(pk=conversation.pk)
    assert conversation.priority == Conversation.Priority.HIGH
    assert list(conversation.labels.values_list("name", flat=True)) == ["billing"]


def test_a_refused_macro_answers_with_the_sentence_and_changes_nothing(desk_client, conversation):
    LabelFactory(name="billing")
    AgentProfileFactory(user__username="outsider")
    macro = make_macro("Half good", [("add_label", "billing"), ("assign_agent", "outsider")])

    response = desk_client.post(reverse("desk:macro-apply", args=[conversation.pk, macro.pk]))

    assert response.status_code == 422
    assert "not a member" in response.content.decode()
    assert not Conversation.objects.get(pk=conversation.pk).labels.exists()


def test_another_agents_personal_macro_cannot_be_applied(desk_client, conversation):
    macro = make_macro("Theirs", [("resolve", "")], owner=AgentProfileFactory().user)
    response = desk_client.post(reverse("desk:macro-apply", args=[conversation.pk, macro.pk]))
    assert response.status_code == 404


def count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_log_and_the_macro_menu_cost_the_same_queries_however_long(desk_client, conversation):
    rule = make_rule("Tag", "message_received", actions=[("resolve", "")])
    log_url = reverse("desk:automation-log", args=[conversation.pk])
    menu_url = reverse("desk:macros", args=[conversation.pk])
    counts = []
    for rows in (2, 12):
        for number in range(rows - RuleRun.objects.count()):
            RuleRun.objects.create(
                conversation=conversation,
                rule=rule,
                rule_name=f"r{number}",
                trigger="message_received",
                outcome="applied",
                actions=["Resolve"],
            )
            make_macro(f"m{rows}-{number}", [("resolve", ""), ("set_priority", "high")])
        counts.append((count_queries(desk_client, log_url), count_queries(desk_client, menu_url)))
    assert counts[0] == counts[1]
