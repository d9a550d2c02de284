"""A conversation breaches its first-response target and the desk marks it (issue 18's acceptance
journey, the service-level half): a policy of a few seconds on the inbox, a customer who writes,
an agent's desk in Chromium. The row counts down, beat's sweep (run here, as beat would) records
the miss, the desk hears `sla.breached` and the row turns red; the *Breaching soon* sort lists it.
A screenshot goes to test-artifacts/sla-desk-breached.png."""

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from reports.models import Fact, SlaPolicy
from reports.sla import sla_breaches_sweep
from tests.browser.test_desk import customer_writes, new_agent, open_desk  # noqa: F401 (a fixture)
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
TARGET_SECONDS = 4


def test_a_first_response_breach_turns_the_row_red(open_desk, artifacts):  # noqa: F811
    inbox = InboxFactory(name="Acme Support", routing="manual")
    SlaPolicy.objects.create(name="Fast", inbox=inbox, first_response=timedelta(seconds=TARGET_SECONDS))
    agent = new_agent("Ana", inbox)
    conversation = customer_writes(inbox, ContactFactory(name="Casey"), "My order never came").conversation
    desk = open_desk(agent)
    row = desk.page.locator(f'#list .row[data-conversation-id="{conversation.pk}"]')
    badge = row.locator(".sla")
    expect(badge).to_have_class("sla soon")  # seconds away: amber
    expect(badge).to_have_text("SLA 1m")

    time.sleep(TARGET_SECONDS + 0.5)
    assert sla_breaches_sweep() == 1  # beat's sweep, as it runs every 30 seconds
    expect(badge).to_have_class("sla breached")  # the desk heard sla.breached and fetched the list again
    expect(badge).to_have_text("SLA missed")
    assert Fact.objects.filter(kind="sla_missed", conversation_id=conversation.pk).count() == 1
    desk.page.screenshot(path=str(artifacts / "sla-desk-breached.png"))

    desk.page.select_option('select[name="sort"]', "breaching")
    expect(desk.page.locator("#list .row")).to_have_count(1)
    expect(desk.page.locator("#list .row .sla.breached")).to_have_count(1)
