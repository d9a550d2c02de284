"""One row of the desk's list (/desk/list/<id>/), what a desk fetches when an event says a
conversation changed: the row as the list shows it under the same filters, where it goes (the row
it goes below, in X-Row-After), or nothing once it has left the list."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Label
from tests.factories.conversations import ContactFactory

pytestmark = pytest.mark.django_db

ROW_IDS = re.compile(r'data-conversation-id="(\d+)"')


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def conversations(inbox, agent) -> list[Conversation]:
    """Six conversations, apart in activity, wait, priority and service-level deadline."""
    now = timezone.now()
    made = []
    for n in range(6):
        received = services.message_receive(inbox=inbox, contact=ContactFactory(), body=f"customer {n}")
        conversation = received.conversation
        Conversation.objects.filter(pk=conversation.pk).update(
            last_activity_at=now - timedelta(minutes=(n * 7) % 6),
            waiting_since=now - timedelta(minutes=(n * 5) % 6),
            priority=n % 3,
            sla_due_at=now + timedelta(minutes=(n * 11) % 6),
        )
        made.append(conversation)
    return made


def listed(desk_client, **query) -> list[int]:
    return [int(pk) for pk in ROW_IDS.findall(desk_client.get("/desk/list/", query).content.decode())]


@pytest.mark.parametrize("sort", ["activity", "waiting", "priority", "breaching"])
def test_each_row_says_the_row_it_goes_below_in_the_lists_own_order(desk_client, conversations, sort):
    order = listed(desk_client, view="all", sort=sort)
    assert sorted(order) == sorted(c.pk for c in conversations)
    for place, pk in enumerate(order):
        response = desk_client.get(f"/desk/list/{pk}/", {"view": "all", "sort": sort})
        assert ROW_IDS.findall(response.content.decode()) == [str(pk)]
        assert response["X-Row-After"] == (str(order[place - 1]) if place else "")


def test_a_row_that_left_the_list_comes_back_empty(desk_client, conversations, agent):
    gone = conversations[0]
    services.conversation_assign(conversation=gone, assignee=agent, actor=agent)
    response = desk_client.get(f"/desk/list/{gone.pk}/", {"view": "unassigned"})
    assert response.status_code == 200
    assert ROW_IDS.findall(response.content.decode()) == []
    assert "X-Row-After" not in response
    assert "Nothing here" not in response.content.decode()  # a row, not a list: no empty notice
    mine = desk_client.get(f"/desk/list/{gone.pk}/", {"view": "mine"})
    assert ROW_IDS.findall(mine.content.decode()) == [str(gone.pk)]


def test_a_row_shows_what_the_list_shows_for_it(desk_client, conversations):
    pk = conversations[2].pk
    in_list = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    alone = desk_client.get(f"/desk/list/{pk}/", {"view": "all"}).content.decode()
    row = re.compile(rf'<li class="row[^"]*" data-conversation-id="{pk}".*?</li>', re.S)
    assert row.search(alone).group(0) == row.search(in_list).group(0)


def test_what_strangers_typed_is_shown_as_text_in_a_row(desk_client, inbox, agent):
    """A row is drawn in Python (desk/views/row_html.py), not by the template's autoescape: every
    value a customer or an agent chose is escaped, in the text and in the attributes."""
    hostile = "<img src=x onerror=alert(1)> & \"quoted\" 'single'"
    received = services.message_receive(inbox=inbox, contact=ContactFactory(name=hostile), body=hostile)
    label = Label.objects.create(name="<b>VIP</b> & co", color="#ff0000")
    services.conversation_update(conversation=received.conversation, actor=agent, labels=[label])
    agent.agent_profile.display_name = hostile
    agent.agent_profile.save()
    Conversation.objects.filter(pk=received.conversation.pk).update(assignee=agent)
    html = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    escaped = "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#x27;single&#x27;"
    assert "<img src=x" not in html and "<b>" not in html
    assert f'<span class="who">{escaped}</span>' in html
    assert f'aria-label="Select {escaped}"' in html
    assert ">&lt;b&gt;VIP&lt;/b&gt; &amp; co</span>" in html  # the label chip
    assert f'title="Assigned to {escaped}"' in html
    assert f'<span class="preview">{escaped}</span>' in html
