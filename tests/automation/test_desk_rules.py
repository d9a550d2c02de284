"""Administrators and supervisors write automation rules in the desk's settings (/desk/rules/): a
rule saved there runs on the next event in this process (the index recompiled), a row that could
not run is refused above the form with what was typed kept and nothing stored, an edit replaces
the rows, a delete forgets the rule, each write leaves an audit entry, and a plain agent finds no
such page."""

import pytest
from django.urls import reverse

from agents.models import AgentProfile
from audit.models import Action, AuditEntry
from automation.index import rule_index
from automation.models import Rule, RuleAction, RuleCondition
from conversations import services
from conversations.models import Conversation
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import LabelFactory

from .conftest import make_rule

pytestmark = pytest.mark.django_db

CONDITION_ROWS, ACTION_ROWS = 6, 8


@pytest.fixture
def supervisor(db):
    return AgentProfileFactory(
        display_name="Sam", user__username="sam", role=AgentProfile.Role.SUPERVISOR
    ).user


@pytest.fixture
def settings_client(client, supervisor):
    client.force_login(supervisor)
    return client


def rule_form(
    name: str = "Refunds to billing",
    trigger: str = "message_received",
    *,
    conditions: tuple[tuple[str, ...], ...] = (),
    actions: tuple[tuple[str, str], ...] = (),
    active: bool = True,
    position: int = 0,
) -> dict[str, str]:
    """The form as the page posts it; `conditions`: (field, operator, value[, attribute])."""
    data = {"name": name, "trigger": trigger, "position": str(position)}
    if active:
        data["is_active"] = "on"
    for prefix, rows in (("conditions", CONDITION_ROWS), ("actions", ACTION_ROWS)):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(rows),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": str(rows),
            f"{prefix}-MAX_NUM_FORMS": str(rows),
        }
    for number, (field, operator, value, *attribute) in enumerate(conditions):
        data |= {
            f"conditions-{number}-field": field,
            f"conditions-{number}-operator": operator,
            f"conditions-{number}-value": value,
            f"conditions-{number}-attribute": (attribute or [""])[0],
        }
    for number, (kind, argument) in enumerate(actions):
        data |= {f"actions-{number}-kind": kind, f"actions-{number}-argument": argument}
    return data


def rule_entries():
    """The audit log's entries about rules (a sign-in writes its own)."""
    return AuditEntry.objects.filter(action__startswith="automation_rule.")


def rows_of(rule: Rule) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]]]:
    conditions = [(row.field, row.operator, row.value, row.attribute) for row in rule.conditions.all()]
    return conditions, [(row.kind, row.argument) for row in rule.actions.all()]


@pytest.mark.django_db(transaction=True)
def test_a_rule_written_in_the_desk_runs_on_the_next_customer_message(
    settings_client, supervisor, inbox, contact
):
    LabelFactory(name="billing")
    assert rule_index.rules_for("message_received") == ()  # this process has compiled no rules

    answer = settings_client.post(
        reverse("desk:rule-new"),
        rule_form(conditions=[("message_text", "contains", "refund")], actions=[("add_label", "billing")]),
    )

    assert answer.status_code == 302 and answer["Location"] == reverse("desk:rules")
    rule = Rule.objects.get(name="Refunds to billing")
    assert (rule.trigger, rule.is_active, rule.position) == ("message_received", True, 0)
    assert rows_of(rule) == ([("message_text", "contains", "refund", "")], [("add_label", "billing")])
    message = services.message_receive(inbox=inbox, contact=contact, body="Can I get a refund?")
    labels = Conversation.objects.get(pk=message.conversation_id).labels.values_list("name", flat=True)
    assert list(labels) == ["billing"]
    listed = settings_client.get(reverse("desk:rules")).content.decode()
    assert "Refunds to billing" in listed and "Message received from the customer" in listed


@pytest.mark.parametrize(
    ("conditions", "actions", "says"),
    [
        (
            [("message_text", "matches", "(refund")],
            [("add_label", "billing")],
            "Condition 1: &#x27;(refund&#x27; is not a valid regular expression",
        ),
        (
            [("message_text", "contains", "refund")],
            [("add_label", "billing"), ("assign_agent", "nobody-here")],
            "Action 2: No active agent has the username &#x27;nobody-here&#x27;.",
        ),
        (
            [("message_text", "contains", "refund")],
            [],
            "Add at least one action: a rule without one would do nothing.",
        ),
    ],
)
def test_a_rule_that_could_not_run_is_refused_above_the_form_and_nothing_changes(
    settings_client, conditions, actions, says
):
    LabelFactory(name="billing")
    rule = make_rule(
        "Old name", "conversation_created", conditions=[("channel", "is", "sms")], actions=[("resolve", "")]
    )

    answer = settings_client.post(
        reverse("desk:rule", args=[rule.pk]),
        rule_form("Typed name", conditions=conditions, actions=actions, position=4),
    )

    page = answer.content.decode()
    assert answer.status_code == 422
    assert 'role="alert"' in page and says in page
    assert 'value="Typed name"' in page and 'value="4"' in page
    assert f'value="{conditions[0][2]}"' in page
    rule.refresh_from_db()
    assert (rule.name, rule.trigger, rule.position) == ("Old name", "conversation_created", 0)
    assert rows_of(rule) == ([("channel", "is", "sms", "")], [("resolve", "")])
    assert not rule_entries().exists()


def test_a_new_rule_refused_stores_nothing(settings_client):
    answer = settings_client.post(
        reverse("desk:rule-new"), rule_form(actions=[("assign_agent", "nobody-here")])
    )
    assert answer.status_code == 422
    assert not Rule.objects.exists() and not RuleAction.objects.exists()


def test_a_choice_not_in_the_lists_is_refused_with_a_sentence(settings_client):
    answer = settings_client.post(reverse("desk:rule-new"), rule_form(trigger="whenever"))
    assert answer.status_code == 422
    assert "Choose the trigger and each row" in answer.content.decode()
    assert not Rule.objects.exists()


def test_a_value_typed_in_a_row_without_its_field_is_refused_not_dropped(settings_client):
    data = rule_form(actions=[("resolve", "")])
    data["conditions-2-value"] = "refund"  # its field left at "—"
    answer = settings_client.post(reverse("desk:rule-new"), data)
    assert answer.status_code == 422
    assert 'value="refund"' in answer.content.decode()
    assert not Rule.objects.exists()


def test_an_edit_replaces_the_rows_and_is_audited(settings_client, supervisor):
    LabelFactory(name="billing")
    LabelFactory(name="vip")
    rule = make_rule(
        "Billing",
        "message_received",
        conditions=[("message_text", "contains", "invoice"), ("priority", "at_least", "high")],
        actions=[("add_label", "billing"), ("set_priority", "urgent")],
    )
    page = settings_client.get(reverse("desk:rule", args=[rule.pk])).content.decode()
    assert 'value="invoice"' in page and 'value="urgent"' in page

    answer = settings_client.post(
        reverse("desk:rule", args=[rule.pk]),
        rule_form(
            "Billing, VIPs",
            "conversation_created",
            conditions=[("contact_attribute", "is", "gold", "plan")],
            actions=[("add_label", "vip")],
            active=False,
            position=3,
        ),
    )

    assert answer.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.trigger, rule.is_active, rule.position) == (
        "Billing, VIPs",
        "conversation_created",
        False,
        3,
    )
    assert rows_of(rule) == ([("contact_attribute", "is", "gold", "plan")], [("add_label", "vip")])
    assert RuleCondition.objects.count() == 1 and RuleAction.objects.count() == 1
    [entry] = rule_entries()
    assert (entry.action, entry.actor_kind, entry.actor_id) == (
        Action.RULE_CHANGED,
        "agent",
        str(supervisor.pk),
    )
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "automation.rule",
        str(rule.pk),
        "Billing, VIPs",
    )
    assert entry.details == {
        "trigger": "conversation_created",
        "is_active": False,
        "position": 3,
        "conditions": 1,
        "actions": 1,
    }


def test_a_new_rule_is_audited_as_added_by_the_supervisor(settings_client, supervisor):
    settings_client.post(reverse("desk:rule-new"), rule_form("Close SMS", actions=[("resolve", "")]))
    rule = Rule.objects.get()
    [entry] = rule_entries()
    assert (entry.action, entry.actor_kind, entry.actor_label) == (Action.RULE_ADDED, "agent", "Sam (sam)")
    assert (entry.target_id, entry.details["actions"], entry.details["conditions"]) == (str(rule.pk), 1, 0)
    assert entry.ip == "127.0.0.1"


def test_a_deleted_rule_is_gone_from_the_index_and_audited(settings_client, supervisor):
    rule = make_rule("Close", "conversation_created", actions=[("resolve", "")])
    assert len(rule_index.rules_for("conversation_created")) == 1

    answer = settings_client.post(reverse("desk:rule-delete", args=[rule.pk]))

    assert answer.status_code == 302
    assert not Rule.objects.exists() and not RuleAction.objects.exists()
    assert rule_index.rules_for("conversation_created") == ()
    [entry] = rule_entries()
    assert (entry.action, entry.target_id, entry.target_label) == (Action.RULE_DELETED, str(rule.pk), "Close")
    assert settings_client.get(reverse("desk:rule-delete", args=[rule.pk])).status_code == 405
    assert settings_client.post(reverse("desk:rule-delete", args=[rule.pk])).status_code == 404


def test_a_plain_agent_finds_no_rules_pages_and_no_link(client, agent):
    rule = make_rule("Close", "conversation_created", actions=[("resolve", "")])
    client.force_login(agent)
    for url in (reverse("desk:rules"), reverse("desk:rule-new"), reverse("desk:rule", args=[rule.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("desk:rule-new"), rule_form(actions=[("resolve", "")])).status_code == 404
    assert client.post(reverse("desk:rule-delete", args=[rule.pk])).status_code == 404
    assert Rule.objects.count() == 1
    assert 'id="rules-link"' not in client.get(reverse("desk:my-macros")).content.decode()
    assert 'id="rules-link"' not in client.get(reverse("desk:desk")).content.decode()


def test_a_supervisor_and_an_administrator_find_the_link(settings_client, admin_user, client):
    assert 'id="rules-link"' in settings_client.get(reverse("desk:my-macros")).content.decode()
    assert 'id="rules-link"' in settings_client.get(reverse("desk:desk")).content.decode()
    client.force_login(admin_user)
    assert client.get(reverse("desk:rules")).status_code == 200


def test_the_list_costs_the_same_queries_for_one_rule_or_many(
    settings_client, django_assert_num_queries, django_assert_max_num_queries
):
    make_rule("One", "conversation_created", actions=[("resolve", "")])
    with django_assert_max_num_queries(6) as one:
        settings_client.get(reverse("desk:rules"))
    for number in range(6):
        make_rule(
            f"More {number}",
            "message_received",
            conditions=[("message_text", "contains", "x"), ("channel", "is", "sms")],
            actions=[("resolve", ""), ("set_priority", "low")],
            position=10 + number,
        )
    with django_assert_num_queries(len(one.captured_queries)):
        page = settings_client.get(reverse("desk:rules")).content.decode()
    assert page.count('class="num">2</td>') == 12  # six rules, two conditions and two actions each
