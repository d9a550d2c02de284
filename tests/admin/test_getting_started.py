"""The admin home walks a new team through setting up until Parley has an inbox, an agent who
works it and a first message from a customer; then it steps aside (issue 21, point 7)."""

import pytest
from django.urls import reverse

from conversations import services
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db


def checklist(admin_client) -> str:
    page = admin_client.get(reverse("admin:index")).content.decode()
    start = page.find('id="getting-started"')
    return page[start : page.find("</section>", start)] if start >= 0 else ""


def test_the_checklist_ticks_each_step_and_goes_once_all_are_done(admin_client):
    blank = checklist(admin_client)
    assert blank.count('data-done="false"') == 3
    assert reverse("admin:conversations_inbox_add") in blank

    inbox = InboxFactory(name="Website")
    assert checklist(admin_client).count('data-done="true"') == 1
    connect_it = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    assert connect_it in checklist(admin_client)
    InboxMembershipFactory(inbox=inbox, agent=AgentProfileFactory().user)
    assert checklist(admin_client).count('data-done="true"') == 2

    services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello?")
    assert checklist(admin_client) == ""  # all done: the home is the admin's again
