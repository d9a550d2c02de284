"""Assignments and merges are in the log with who did them: an agent at the desk, an API key, or
Parley itself (routing), written in the change's own transaction."""

import pytest
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agents.presence import agent_desk_connected
from audit.actors import Actor, ActorKind
from audit.context import acting_as
from audit.models import Action
from conversations import services
from conversations.models import Conversation
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(inbox):
    profile = AgentProfileFactory(display_name="Bo")
    InboxMembershipFactory(inbox=inbox, agent=profile.user)
    return profile.user


def test_an_assignment_at_the_desk_names_the_agent_the_assignee_and_where_from(
    client, agent, colleague, conversation, entries
):
    client.force_login(agent)

    response = client.post(f"/desk/c/{conversation.pk}/act/assign/", {"assignee": colleague.pk})
    assert response.status_code == 200

    [entry] = entries(action=Action.CONVERSATION_ASSIGNED)
    assert (entry.actor_kind, entry.actor_id) == (ActorKind.AGENT, str(agent.pk))
    assert (entry.target_type, entry.target_id) == ("conversations.conversation", str(conversation.pk))
    assert entry.details == {
        "inbox_id": conversation.inbox_id,
        "assignee_id": colleague.pk,
        "assignee": "Bo",
        "team_id": None,
    }
    assert entry.ip == "127.0.0.1"


def test_an_assignment_through_the_api_is_the_agents_api_key(agent, colleague, conversation, entries):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")

    response = api.post(f"/api/v1/conversations/{conversation.pk}/assignment", {"assignee_id": colleague.pk})
    assert response.status_code == 200

    [entry] = entries(action=Action.CONVERSATION_ASSIGNED)
    assert (entry.actor_kind, entry.actor_id) == (ActorKind.API_KEY, str(agent.pk))
    assert entry.actor_label == f"API key of Ana ({agent.username})"


def test_routing_assigns_as_parley_itself(inbox, agent, entries, django_capture_on_commit_callbacks):
    agent_desk_connected(agent=agent, channel_name="desk.ana")
    with django_capture_on_commit_callbacks(execute=True):  # routing runs once the message commits
        received = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello")

    assert Conversation.objects.get(pk=received.conversation_id).assignee_id == agent.pk
    [entry] = entries(action=Action.CONVERSATION_ASSIGNED)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (ActorKind.SYSTEM, "", "Parley")
    assert entry.details["assignee_id"] == agent.pk


def test_a_merge_at_the_desk_names_who_merged_what_into_what(client, agent, inbox, entries):
    contact = ContactFactory()
    survivor = ConversationFactory(inbox=inbox, contact=contact)
    merged = ConversationFactory(inbox=inbox, contact=contact)
    client.force_login(agent)

    response = client.post(f"/desk/c/{merged.pk}/act/merge/", {"into": survivor.pk})
    assert response.status_code == 200

    [entry] = entries(action=Action.CONVERSATION_MERGED)
    assert (entry.actor_kind, entry.actor_id, entry.ip) == (ActorKind.AGENT, str(agent.pk), "127.0.0.1")
    assert entry.target_id == str(merged.pk)
    assert entry.details == {"inbox_id": inbox.pk, "into_conversation_id": survivor.pk}


def test_an_assignment_rolled_back_leaves_no_entry(agent, colleague, conversation, entries):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.conversation_assign(conversation=conversation, assignee=colleague, actor=agent)
        raise RuntimeError("the caller's transaction fails")

    assert entries(action=Action.CONVERSATION_ASSIGNED) == []


def test_a_contact_merge_at_the_desk_and_through_the_api_names_who_and_keeps_no_personal_data(
    client, agent, inbox, conversation, entries
):
    desk_merged = ContactFactory(name="Kim Doe")
    ConversationFactory(inbox=inbox, contact=desk_merged)
    client.force_login(agent)
    response = client.post(f"/desk/c/{conversation.pk}/contact/merge/", {"contact": desk_merged.pk})
    assert response.status_code == 200

    api_merged = ContactFactory(name="Lee Roe")
    ConversationFactory(inbox=inbox, contact=api_merged)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    response = api.post(f"/api/v1/contacts/{conversation.contact_id}/merge", {"merge_id": api_merged.pk})
    assert response.status_code == 200

    at_desk, through_api = entries(action=Action.CONTACT_MERGED)
    assert (at_desk.actor_kind, through_api.actor_kind) == (ActorKind.AGENT, ActorKind.API_KEY)
    assert at_desk.details == {"merged_contact_id": desk_merged.pk}
    assert through_api.details == {"merged_contact_id": api_merged.pk}
    assert {at_desk.target_label, through_api.target_label} == {f"Contact #{conversation.contact_id}"}


def test_what_an_automation_rule_changes_is_recorded_as_the_rules(colleague, conversation, entries):
    with acting_as(Actor.automation_rule(7, "VIP chats to Bo")):
        services.conversation_assign(conversation=conversation, assignee=colleague, actor=None)
    services.conversation_assign(conversation=conversation, assignee=None, actor=None)  # after: Parley's

    by_rule, by_parley = entries(action=Action.CONVERSATION_ASSIGNED)
    assert (by_rule.actor_kind, by_rule.actor_id, by_rule.actor_label) == (
        ActorKind.AUTOMATION_RULE,
        "7",
        "VIP chats to Bo",
    )
    assert by_parley.actor_kind == ActorKind.SYSTEM
