"""The desk's mentions: the top bar's badge, the panel's list (newest first, a fixed number of
queries), opening one and "Mark all read"; and the one-time offer of desktop notifications with
the two switches it turns on."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import AgentProfile, Mention
from agents.services import reply_post
from conversations import events, services
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ben(inbox):
    """The agent mentioned: signed in to the desk in these tests."""
    user = AgentProfileFactory(display_name="Ben", user__username="ben").user
    InboxMembershipFactory(inbox=inbox, agent=user)
    return user


@pytest.fixture
def ben_client(client, ben):
    client.force_login(ben)
    return client


def mention_ben(inbox, author, body="@ben can you check the refund?", contact_name="Maya"):
    conversation = services.message_receive(
        inbox=inbox, contact=ContactFactory(name=contact_name), body="Hello"
    ).conversation
    return reply_post(conversation=conversation, agent=author, body=body, is_private=True)


def queries(client, url, method="get", **data) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code in (200, 204), response.content[:500]
    return len(captured), response


def test_the_desk_shows_the_unread_mentions_in_the_top_bar(ben_client, inbox, agent):
    html = ben_client.get("/desk/").content.decode()
    assert 'aria-label="Mentions, 0 unread"' in html
    mention_ben(inbox, agent)
    mention_ben(inbox, agent)
    html = ben_client.get("/desk/").content.decode()
    assert 'aria-label="Mentions, 2 unread"' in html
    assert re.search(r'id="mentions-count"[^>]*data-unread="2"[^>]*>2</span>', html)
    assert json.loads(ben_client.get("/desk/mentions/unread/").content) == {"unread": 2}


def test_the_list_shows_who_where_what_and_when_newest_first(ben_client, inbox, agent):
    mention_ben(inbox, agent, "@ben older one", contact_name="Maya")
    newest = mention_ben(inbox, agent, "@ben the refund <b>now</b>", contact_name="Tom")
    html = ben_client.get("/desk/mentions/").content.decode()
    assert html.index("the refund") < html.index("older one")
    assert f"<strong>Ana</strong> in Tom · #{newest.conversation_id}" in html
    assert "@ben the refund &lt;b&gt;now&lt;/b&gt;" in html  # escaped
    assert f'data-message-id="{newest.pk}"' in html
    assert f'href="/desk/?c={newest.conversation_id}"' in html
    assert html.count('class="mention unread"') == 2
    assert "<time datetime=" in html


def test_the_list_costs_the_same_queries_for_1_or_12_mentions_by_several_authors(ben_client, inbox, agent):
    mention_ben(inbox, agent)
    few, _ = queries(ben_client, "/desk/mentions/")
    for n in range(11):
        author = AgentProfileFactory(display_name=f"Author {n}").user
        InboxMembershipFactory(inbox=inbox, agent=author)
        mention_ben(inbox, author, contact_name=f"Customer {n}")
    many, response = queries(ben_client, "/desk/mentions/")
    assert response.content.decode().count('class="mention unread"') == 12
    assert few == many


def test_opening_a_mention_marks_it_read_and_answers_the_new_count(ben_client, ben, inbox, agent):
    mention_ben(inbox, agent)
    mention_ben(inbox, agent)
    first = Mention.objects.filter(agent=ben).last()
    response = ben_client.post(f"/desk/mentions/{first.pk}/read/")
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"]) == {"parley:mentions": {"unread": 1}}
    first.refresh_from_db()
    assert first.read_at is not None
    html = ben_client.get("/desk/mentions/").content.decode()
    assert html.count('class="mention unread"') == 1 and html.count('class="mention"') == 1


def test_an_agent_cannot_read_another_agents_mention(client, ben, inbox, agent):
    mention_ben(inbox, agent)
    bens = Mention.objects.get(agent=ben)
    client.force_login(agent)
    client.post(f"/desk/mentions/{bens.pk}/read/")
    bens.refresh_from_db()
    assert bens.read_at is None


def test_mark_all_read_clears_the_badge_and_shows_the_list_read(ben_client, ben, inbox, agent):
    for _ in range(3):
        mention_ben(inbox, agent)
    response = ben_client.post("/desk/mentions/read/")
    html = response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"parley:mentions": {"unread": 0}}
    assert html.count('class="mention"') == 3 and 'class="mention unread"' not in html
    assert not Mention.objects.filter(agent=ben, read_at__isnull=True).exists()


def test_the_mentions_are_for_agents_only(client, db):
    assert client.get("/desk/mentions/").status_code == 302  # to the login page


# --- the offer of desktop notifications, and their switches ---


def test_the_desk_offers_desktop_notifications_until_the_agent_answers(ben_client, ben):
    assert (
        "Get desktop notifications for mentions and assignments?" in ben_client.get("/desk/").content.decode()
    )
    html = ben_client.post("/desk/me/notifications/offer/", {"answer": "off"}).content.decode()
    profile = AgentProfile.objects.get(user=ben)
    assert profile.notify_offer_answered
    assert (profile.notify_mentions, profile.notify_assignments) == (False, False)  # "Not now"
    assert 'data-notify-mentions="off"' in html
    assert 'id="notify-offer"' not in ben_client.get("/desk/").content.decode()


def test_turning_the_offer_on_turns_on_notifications_for_mentions_and_assignments(ben_client, ben):
    html = ben_client.post("/desk/me/notifications/offer/", {"answer": "on"}).content.decode()
    profile = AgentProfile.objects.get(user=ben)
    assert (profile.notify_offer_answered, profile.notify_mentions, profile.notify_assignments) == (True,) * 3
    assert 'data-notify-mentions="on" data-notify-assignments="on"' in html
    assert 'id="notify-offer"' not in ben_client.get("/desk/").content.decode()


def test_the_settings_switch_mentions_and_assignments_separately(ben_client, ben):
    html = ben_client.post("/desk/me/notifications/", {"notify_mentions": "on"}).content.decode()
    profile = AgentProfile.objects.get(user=ben)
    assert (profile.notify_mentions, profile.notify_assignments) == (True, False)
    assert 'id="notify-mentions" checked' in html and 'id="notify-assignments">' in html


def test_an_assignment_event_says_who_assigned_it_so_a_desk_notifies_only_of_others_doing(
    inbox, agent, ben, listen, django_capture_on_commit_callbacks
):
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    to_desks = listen(events.inbox_group(inbox.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_assign(conversation=conversation, assignee=ben, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_assign(conversation=conversation, assignee=agent, actor=None)  # routing
    assigned = [event for event in to_desks.receive_all() if event["type"] == "conversation.assigned"]
    assert [(e["assignee_id"], e["actor_id"]) for e in assigned] == [(ben.pk, agent.pk), (agent.pk, None)]
