"""The desk in the agent's language, in the browser (issue 21, point 9): the page and what its
scripts write (the connection state, the presence line) speak the language the agent chose, and
choosing another from the top bar reloads the desk in it. Screenshot:
test-artifacts/desk-language-fr.png."""

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile
from tests.browser import test_desk as desk_journeys
from tests.browser.test_desk import customer_writes, new_agent
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk


def test_an_agent_works_in_french_then_switches_the_desk_to_spanish(open_desk, artifacts):
    inbox = InboxFactory(name="Site web")
    agent = new_agent("Chloe", inbox)
    AgentProfile.objects.filter(user=agent).update(desk_language="fr")
    conversation = customer_writes(
        inbox, ContactFactory(name="Léa Martin"), "Bonjour, ma commande ?"
    ).conversation

    desk = open_desk(agent, locale="en-US")  # her choice, not the browser's
    page = desk.page
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#connection")).to_have_text("En ligne")  # written by the desk's script
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    desk.open(conversation)
    expect(page.locator("#messages")).to_contain_text("Bonjour, ma commande ?")
    page.screenshot(path=str(artifacts / "desk-language-fr.png"))

    page.locator("details.language summary").click()
    page.get_by_label("Langue du bureau").select_option("es")
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert AgentProfile.objects.get(user=agent).desk_language == "es"


def test_a_supervisor_reads_the_reports_and_the_live_floor_in_portuguese(open_desk, parley):
    inbox = InboxFactory(name="Loja")
    supervisor = new_agent("Rita", inbox)
    AgentProfile.objects.filter(user=supervisor).update(desk_language="pt", role=AgentProfile.Role.SUPERVISOR)
    customer_writes(inbox, ContactFactory(name="João Silva"), "Olá!")

    page = open_desk(supervisor).page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{parley.http}/desk/reports/")
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    expect(page.get_by_role("link", name="Conversas")).to_be_visible()
    page.goto(f"{parley.http}/desk/reports/floor/")
    expect(page.locator("#floor-status")).to_have_text("em direto")  # written by its script, once live
    assert errors == []
