"""The live floor: what it says about waiting customers, agents' load and service levels at risk,
who may see it, a constant number of queries, and its socket telling the page of a change."""

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone

from config.asgi import application
from conversations import services
from conversations.models import Conversation
from reports.floor import floor
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(clock):
    live, mail = InboxFactory(name="Live", mode="live"), InboxFactory(name="Mail")
    ana = AgentProfileFactory(
        display_name="Ana", availability="online", live_capacity=3, messaging_capacity=25
    )
    supervisor = AgentProfileFactory(display_name="Sam", role="supervisor").user
    for inbox in (live, mail):
        InboxMembershipFactory(inbox=inbox, agent=ana.user)
    first = services.message_receive(inbox=mail, contact=ContactFactory(), body="Hello").conversation
    clock.advance(minutes=7)
    services.message_receive(inbox=mail, contact=ContactFactory(), body="Anyone?")
    chat = services.message_receive(inbox=live, contact=ContactFactory(), body="Hi").conversation
    services.conversation_assign(conversation=chat, assignee=ana.user, actor=ana.user)
    services.conversation_assign(conversation=first, assignee=ana.user, actor=ana.user)
    return {"live": live, "mail": mail, "ana": ana, "supervisor": supervisor, "first": first}


def test_the_floor_counts_who_waits_and_who_carries_what(shop, clock):
    now = clock.now()
    Conversation.objects.filter(pk=shop["first"].pk).update(sla_due_at=now + timedelta(minutes=10))
    seen = floor(now)
    by_inbox = {row.inbox.name: row for row in seen.inboxes}
    assert (by_inbox["Mail"].waiting, by_inbox["Live"].waiting) == (2, 1)
    assert by_inbox["Mail"].longest_since == now - timedelta(minutes=7)
    assert seen.waiting == 3 and seen.longest_since == now - timedelta(minutes=7)
    [ana] = seen.agents
    assert (ana.live, ana.messaging) == (1, 1)
    assert round(ana.live_share, 3) == 0.333
    assert [c.pk for c in seen.at_risk] == [shop["first"].pk]


def test_only_supervisors_see_the_floor(client, shop):
    client.force_login(shop["ana"].user)
    assert client.get(reverse("reports:floor")).status_code == 403
    client.force_login(shop["supervisor"])
    response = client.get(reverse("reports:floor"))
    assert response.status_code == 200
    assert "Customers waiting" in response.content.decode()


def test_the_floor_reads_a_fixed_number_of_queries(client, shop, django_assert_max_num_queries):
    client.force_login(shop["supervisor"])
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("reports:floor-live"))
    for _ in range(10):
        conversation = services.message_receive(
            inbox=shop["mail"], contact=ContactFactory(), body="Hi"
        ).conversation
        Conversation.objects.filter(pk=conversation.pk).update(sla_due_at=timezone.now())
    AgentProfileFactory(availability="online")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("reports:floor-live"))


def test_the_floor_socket_says_when_something_changed_and_refuses_agents(transactional_db, shop):
    def cookie_of(user) -> bytes:
        browser = DjangoClient()
        browser.force_login(user)
        return f"sessionid={browser.cookies['sessionid'].value}".encode()

    supervisor, agent = cookie_of(shop["supervisor"]), cookie_of(shop["ana"].user)

    def socket(cookie: bytes) -> WebsocketCommunicator:
        headers = [(b"origin", b"http://testserver"), (b"cookie", cookie)]
        return WebsocketCommunicator(application, "/ws/v1/floor/", headers=headers)

    def customer_writes() -> None:
        services.message_receive(inbox=shop["mail"], contact=ContactFactory(), body="Me too")

    async def journey():
        refused = socket(agent)
        await refused.connect(timeout=5)
        closed = await refused.receive_output(timeout=5)
        watching = socket(supervisor)
        assert (await watching.connect(timeout=5))[0]
        assert json.loads((await watching.receive_output(timeout=5))["text"]) == {"type": "floor.changed"}
        await database_sync_to_async(customer_writes)()
        changed = json.loads((await watching.receive_output(timeout=5))["text"])
        await watching.disconnect()
        return changed, closed

    changed, closed = asyncio.run(journey())
    assert changed == {"type": "floor.changed"}
    assert closed == {"type": "websocket.close", "code": 4001}
