"""Rules are built in the admin with forms (inline condition and action rows), and the form
refuses what could not run, with a sentence next to the row."""

import pytest
from django.urls import reverse

from automation.index import rule_index
from automation.models import Rule
from tests.factories.conversations import LabelFactory

pytestmark = pytest.mark.django_db

ADD = "admin:automation_rule_add"


def rule_form(conditions=(), actions=(), **rule) -> dict:
    """The add page's POST: the rule's fields and its two inline formsets."""
    data = {"name": "Refunds", "trigger": "message_received", "position": "0", "is_active": "on", **rule}
    for prefix, rows, names in (
        ("conditions", conditions, ("field", "operator", "value", "attribute")),
        ("actions", actions, ("kind", "argument")),
    ):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-position"] = str(index)
            data.update({f"{prefix}-{index}-{name}": value for name, value in zip(names, row, strict=False)})
    return data


def test_a_rule_saved_in_the_admin_is_compiled_at_once(admin_client):
    LabelFactory(name="billing")
    response = admin_client.post(
        reverse(ADD),
        rule_form(conditions=[("message_text", "contains", "refund")], actions=[("add_label", "billing")]),
    )
    assert response.status_code == 302, response.context["inline_admin_formsets"]
    rule = Rule.objects.get()
    assert [(c.field, c.operator, c.value) for c in rule.conditions.all()] == [
        ("message_text", "contains", "refund")
    ]
    assert [compiled.rule_id for compiled in rule_index.rules_for("message_received")] == [rule.pk]


@pytest.mark.parametrize(
    ("conditions", "actions", "says"),
    [
        ([("message_text", "matches", "(refund")], [("resolve", "")], "not a valid regular expression"),
        ([], [("assign_agent", "nobody-here")], "No active agent has the username"),
        ([], [("assign_team", "Night shift")], "No team is called"),
        ([], [("add_label", "unknown")], "No label is called"),
        ([], [("set_skill", "Klingon")], "No skill is called"),
        ([], [("snooze", "-30")], "must end in the future"),
        ([], [("snooze", "soon")], "number of minutes"),
        ([], [("set_priority", "asap")], "Priority must be one of"),
        ([], [("send_canned", "nope")], "No saved reply has the short code"),
        ([], [("send_message", "")], "needs a value"),
    ],
)
def test_the_admin_refuses_a_row_that_could_not_run(admin_client, conditions, actions, says):
    response = admin_client.post(reverse(ADD), rule_form(conditions=conditions, actions=actions))

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Rule.objects.exists()
