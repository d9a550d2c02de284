"""The reports pages through Django's test client on real rollups: who sees what, numbers that
agree between pages, their cards and their CSV, a constant number of queries however long the
period, and a clear word for a bad date."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from agents.presence import agent_desk_connected
from conversations import services
from reports import rollups
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

MONDAY = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
PERIOD = {"from": "2026-06-08", "to": "2026-06-10"}


@pytest.fixture
def account(db):
    """Two inboxes, two agents, a supervisor; four conversations over two days, rolled up."""
    email, chat = InboxFactory(name="Email-ish"), InboxFactory(name="Chat")
    ana, ben = (AgentProfileFactory(display_name=name).user for name in ("Ana", "Ben"))
    supervisor = AgentProfileFactory(display_name="Sam", role="supervisor").user
    for inbox in (email, chat):
        for user in (ana, ben):
            InboxMembershipFactory(inbox=inbox, agent=user)
    with time_machine.travel(MONDAY, tick=False) as clock:
        agent_desk_connected(agent=ana, channel_name="desk.ana")
        for inbox, agent, wait in ((email, ana, 5), (chat, ana, 10), (chat, ben, 20), (email, ben, 40)):
            conversation = services.message_receive(
                inbox=inbox, contact=ContactFactory(), body="Hi"
            ).conversation
            services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
            clock.shift(timedelta(minutes=wait))
            services.message_post_reply(conversation=conversation, agent=agent, body="Hello")
            services.conversation_resolve(conversation=conversation, actor=agent)
            clock.shift(timedelta(hours=12))
        rollups.catch_up()
    return {"ana": ana, "ben": ben, "supervisor": supervisor, "email": email, "chat": chat}


def page(client, name, **params):
    return client.get(reverse("reports:page", args=[name]), {**PERIOD, **params})


def table_values(html: str, table: str) -> dict[str, list[str]]:
    body = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return {
        key: re.findall(r'<td data-value="([^"]*)"', row)
        for key, row in re.findall(r'<tr data-key="([^"]*)"[^>]*>(.*?)</tr>', body, re.S)
    }


def csv_values(client, name: str, table: str) -> dict[str, list[str]]:
    response = page(client, name, export=table)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    return {row[0]: row[2:] for row in rows[1:]}


def test_pages_agree_with_each_other_and_with_their_csv(client, account):
    client.force_login(account["supervisor"])
    overview = page(client, "overview").content.decode()
    inboxes = page(client, "inboxes").content.decode()
    agents = page(client, "agents").content.decode()

    days = table_values(overview, "days")
    assert days == csv_values(client, "overview", "days")
    assert table_values(inboxes, "inboxes") == csv_values(client, "inboxes", "inboxes")
    assert table_values(agents, "agents") == csv_values(client, "agents", "agents")
    # Opened, resolved: the account's total is the sum of its inboxes, of its days, of its channels.
    total_opened, total_resolved = days["total"][0], days["total"][1]
    assert (total_opened, total_resolved) == ("4", "4")
    by_inbox = table_values(inboxes, "inboxes")
    assert sum(int(cells[0]) for cells in by_inbox.values()) == 4
    assert sum(int(cells[0]) for key, cells in days.items() if key != "total") == 4
    assert sum(int(cells[0]) for cells in table_values(inboxes, "channels").values()) == 4
    # First response: 5, 10, 20 and 40 minutes; the account's mean 18 min 45 s, Ana's 7 min 30 s.
    assert float(days["total"][3]) == 1125
    by_agent = table_values(agents, "agents")
    ana, ben = str(account["ana"].pk), str(account["ben"].pk)
    assert by_agent[ana][:3] == ["2", "2", "450"]  # handled, first responses, mean
    assert by_agent[ben][:3] == ["2", "2", "1800"]
    # The overview's card says what the table's total row says.
    assert 'data-figure="Avg first response"' in overview
    card = overview.split('data-figure="Avg first response"', 1)[1]
    assert re.search(r'data-value="([^"]*)"', card)[1] == "1125"


def test_an_agent_sees_only_their_own_figures(client, account):
    client.force_login(account["ana"])
    assert page(client, "overview").url.startswith(reverse("reports:page", args=["agents"]))
    rows = table_values(page(client, "agents").content.decode(), "agents")
    assert list(rows) == [str(account["ana"].pk)]
    assert list(csv_values(client, "agents", "agents")) == [str(account["ana"].pk)]


def test_reports_need_a_sign_in(client, account):
    response = page(client, "overview")
    assert response.status_code == 302 and "/desk/login/" in response.url


def test_a_bad_date_says_so_and_shows_the_default_period(client, account):
    client.force_login(account["supervisor"])
    response = page(client, "overview", **{"from": "yesterday"})
    assert response.status_code == 200
    assert "&quot;yesterday&quot; is not a date: write it as YYYY-MM-DD" in response.content.decode()
    assert page(client, "nonsense").status_code == 404


@pytest.mark.parametrize("name", ["overview", "agents", "inboxes", "teams", "labels", "csat", "sla", "bot"])
def test_every_page_reads_a_fixed_number_of_queries_whatever_the_period(
    client, account, name, django_assert_max_num_queries
):
    client.force_login(account["supervisor"])
    with django_assert_max_num_queries(12) as short:
        assert page(client, name).status_code == 200
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert page(client, name, **{"from": "2026-01-01"}).status_code == 200
