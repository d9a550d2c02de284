"""Automation rules in a real browser (the desk's /desk/rules/): a supervisor goes from the desk's
menu to the rules, writes one with rows chosen from lists, is told above the form what to fix
when an action could not run (what they typed still there), fixes it and finds the rule listed.
Screenshots of the refused form and of the list go to test-artifacts/desk-rules-*.png."""

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile
from agents.services import agent_create
from automation.models import Rule
from tests.browser import test_desk as desk_journeys
from tests.browser.accessibility import assert_accessible
from tests.browser.test_desk import PASSWORD
from tests.factories.conversations import LabelFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # the fixture: an agent's desk, signed in through the login page


def test_a_supervisor_writes_a_rule_from_the_desk_and_finds_it_listed(open_desk, artifacts):
    LabelFactory(name="billing")
    sam = agent_create(
        username="sam",
        email="sam@acme.example",
        password=PASSWORD,
        display_name="Sam",
        role=AgentProfile.Role.SUPERVISOR,
    )
    page = open_desk(sam, bypass_csp=True).page
    page.get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", name="Automation rules")).to_be_visible()
    page.get_by_role("link", name="New rule").click()

    page.get_by_label("Name").fill("Refunds to billing")
    page.get_by_label("When").select_option(label="Message received from the customer")
    page.get_by_label("Condition 1", exact=True).select_option(label="Message text")
    page.get_by_label("Operator of condition 1").select_option(label="contains")
    page.get_by_label("Value of condition 1").fill("refund")
    page.get_by_label("Action 1", exact=True).select_option(label="Add label")
    page.get_by_label("Value of action 1").fill("billing")
    page.get_by_label("Action 2", exact=True).select_option(label="Assign to agent (username)")
    page.get_by_label("Value of action 2").fill("nobody-here")
    page.get_by_role("button", name="Save").click()

    refusal = page.get_by_role("alert")
    expect(refusal).to_have_text("Action 2: No active agent has the username 'nobody-here'.")
    expect(page.get_by_label("Value of condition 1")).to_have_value("refund")
    expect(page.get_by_label("Name")).to_have_value("Refunds to billing")
    assert not Rule.objects.exists()
    assert_accessible(page, "the refused rule form")
    page.screenshot(path=str(artifacts / "desk-rules-refused.png"), full_page=True)

    page.get_by_label("Action 2", exact=True).select_option(label="—")
    page.get_by_label("Value of action 2").fill("")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Saved: the rule runs from now on.")
    row = page.locator("#rule-list tbody tr").filter(has_text="Refunds to billing")
    expect(row).to_contain_text("Message received from the customer")
    expect(row.locator("td.num")).to_have_text(["0", "1", "1"])  # position, conditions, actions
    assert [(action.kind, action.argument) for action in Rule.objects.get().actions.all()] == [
        ("add_label", "billing")
    ]
    assert_accessible(page, "the rules list")
    page.screenshot(path=str(artifacts / "desk-rules-list.png"), full_page=True)
