"""Conversations over the API: the filtered list, one conversation, status, priority, labels, assignment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Message
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, TeamFactory
from tests.factories.conversations import ConversationFactory, LabelFactory

Status = Conversation.Status


@pytest.fixture
def colleague(inbox):
    profile = AgentProfileFactory(display_name="Bo")
    InboxMembershipFactory(inbox=inbox, agent=profile.user)
    return profile.user


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_is_newest_activity_first_in_cursor_pages(api, inbox):
    now = timezone.now()
    rows = [ConversationFactory(inbox=inbox, last_activity_at=now - timedelta(minutes=n)) for n in range(5)]

    first = api.get("/api/v1/conversations", {"page_size": 3}).json()
    second = api.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [row.pk for row in rows[:3]]
    assert [row["id"] for row in second["results"]] == [row.pk for row in rows[3:]]
    assert second["next"] is None


def test_the_list_filters_by_inbox_status_assignee_and_label(api, agent, colleague, inbox):
    mine = ConversationFactory(inbox=inbox, assignee=agent)
    theirs = ConversationFactory(inbox=inbox, assignee=colleague, status=Status.PENDING)
    nobodys = ConversationFactory(inbox=inbox)
    refund = LabelFactory(name="refund")
    nobodys.labels.add(refund)

    assert _ids(api.get("/api/v1/conversations", {"assignee": "me"})) == [mine.pk]
    assert _ids(api.get("/api/v1/conversations", {"assignee": "none"})) == [nobodys.pk]
    assert _ids(api.get("/api/v1/conversations", {"assignee": colleague.pk})) == [theirs.pk]
    assert _ids(api.get("/api/v1/conversations", {"status": "pending"})) == [theirs.pk]
    assert _ids(api.get("/api/v1/conversations", {"label": refund.pk})) == [nobodys.pk]
    assert len(_ids(api.get("/api/v1/conversations", {"inbox": inbox.pk}))) == 3


@pytest.mark.parametrize(
    "params", [{"status": "closed"}, {"assignee": "someone"}, {"inbox": "x"}, {"label": "-1"}]
)
def test_a_bad_filter_is_a_400(api, params):
    response = api.get("/api/v1/conversations", params)

    assert response.status_code == 400
    assert list(response.json()["field_errors"]) == list(params)


def test_a_conversation_is_read_with_its_people_and_labels(api, agent, conversation):
    conversation.labels.add(LabelFactory(name="vip"))
    conversation.assignee = agent
    conversation.save()

    body = api.get(f"/api/v1/conversations/{conversation.pk}").json()

    assert body["id"] == conversation.pk
    assert body["inbox"] == {
        "id": conversation.inbox_id,
        "name": conversation.inbox.name,
        "channel_type": "web_widget",
    }
    assert body["contact"]["id"] == conversation.contact_id
    assert body["assignee"] == {"id": agent.pk, "name": "Ana"}
    assert [label["name"] for label in body["labels"]] == ["vip"]
    assert body["status"] == "open"
    assert body["priority"] == 0


@pytest.mark.parametrize("status", ["resolved", "pending", "open"])
def test_status_changes_go_through_the_services(api, conversation, status):
    if status == "open":
        Conversation.objects.filter(pk=conversation.pk).update(status=Status.RESOLVED)

    response = api.patch(f"/api/v1/conversations/{conversation.pk}", {"status": status})

    assert response.status_code == 200
    assert response.json()["status"] == status
    activity = Message.objects.filter(conversation=conversation, sender_kind="system").last()
    assert activity is not None and "Ana" in activity.body  # the service wrote the activity line


def test_a_snooze_needs_a_future_time(api, conversation):
    url = f"/api/v1/conversations/{conversation.pk}"
    until = timezone.now() + timedelta(hours=4)

    assert api.patch(url, {"status": "snoozed"}).status_code == 400
    assert api.patch(url, {"status": "snoozed", "snoozed_until": "2001-01-01T00:00:00Z"}).status_code == 400
    assert api.patch(url, {"snoozed_until": until.isoformat()}).status_code == 400
    response = api.patch(url, {"status": "snoozed", "snoozed_until": until.isoformat()})

    assert response.status_code == 200
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (Status.SNOOZED, until)


def test_priority_and_labels_are_set_together(api, conversation):
    refund, vip = LabelFactory(name="refund"), LabelFactory(name="vip")

    response = api.patch(
        f"/api/v1/conversations/{conversation.pk}", {"priority": 3, "label_ids": [refund.pk, vip.pk]}
    )

    assert response.status_code == 200
    assert response.json()["priority"] == 3
    assert sorted(label["name"] for label in response.json()["labels"]) == ["refund", "vip"]
    cleared = api.patch(f"/api/v1/conversations/{conversation.pk}", {"label_ids": []})
    assert cleared.json()["labels"] == []


def test_an_unknown_label_changes_nothing(api, conversation):
    refund = LabelFactory(name="refund")

    response = api.patch(
        f"/api/v1/conversations/{conversation.pk}", {"status": "resolved", "label_ids": [refund.pk, 99999]}
    )

    assert response.status_code == 400
    assert response.json()["field_errors"] == {"label_ids": ["No such label: 99999."]}
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert not conversation.labels.exists()


def test_assignment_to_a_member_and_to_nobody(api, colleague, conversation):
    url = f"/api/v1/conversations/{conversation.pk}/assignment"

    given = api.post(url, {"assignee_id": colleague.pk})
    assert given.status_code == 200
    assert given.json()["assignee"] == {"id": colleague.pk, "name": "Bo"}

    taken_back = api.post(url, {"assignee_id": None})
    assert taken_back.status_code == 200
    assert taken_back.json()["assignee"] is None


def test_assignment_sets_and_clears_the_team(api, agent, conversation):
    team = TeamFactory()
    url = f"/api/v1/conversations/{conversation.pk}/assignment"

    assert api.post(url, {"assignee_id": agent.pk, "team_id": team.pk}).json()["team_id"] == team.pk
    assert api.post(url, {"assignee_id": agent.pk}).json()["team_id"] == team.pk  # left out: kept
    assert api.post(url, {"assignee_id": agent.pk, "team_id": None}).json()["team_id"] is None


def test_assignment_to_someone_outside_the_inbox_is_refused(api, conversation, other_inbox):
    outsider = other_inbox.memberships.get().agent

    response = api.post(f"/api/v1/conversations/{conversation.pk}/assignment", {"assignee_id": outsider.pk})

    assert response.status_code == 422
    assert "not a member" in response.json()["detail"]
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


@pytest.mark.parametrize("body", [{"assignee_id": 999999}, {"assignee_id": None, "team_id": 999999}, {}])
def test_assignment_to_no_such_agent_or_team_is_a_400(api, conversation, body):
    response = api.post(f"/api/v1/conversations/{conversation.pk}/assignment", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_list_row_shows_what_is_unread_and_the_last_words(api, agent, conversation):
    for body in ("Hello?", "Anyone there?"):
        services.message_receive(
            inbox=conversation.inbox, contact=conversation.contact, conversation_id=conversation.pk, body=body
        )

    row = api.get("/api/v1/conversations").json()["results"][0]
    assert (row["unread_count"], row["preview"]) == (2, "Anyone there?")

    services.message_post_reply(conversation=conversation, agent=agent, body="Yes!")
    row = api.get("/api/v1/conversations").json()["results"][0]
    assert (row["unread_count"], row["preview"]) == (0, "Yes!")
