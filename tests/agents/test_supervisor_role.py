"""The supervisor role: an agent who is a member of no inbox yet sees and works every inbox in the
desk, the REST API and the desk socket, exactly as an administrator does there, and gets no right
in the Django admin from it. A plain agent still sees only their own inboxes.

Everything runs on the real database and channel layer: the supervisor is made by the service the
admin and the demo use (agents.services.agent_create), the desk and the API are asked over HTTP, the
socket through the real ASGI application.
"""

import asyncio
import json
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.test import Client as DjangoClient
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agents.models import AgentProfile, InboxMembership
from agents.presence import inbox_has_someone_online
from agents.selectors import sees_all_reports, sees_every_inbox
from agents.services import agent_create, conversation_assign_to_agent
from config.asgi import application
from conversations import services
from conversations.event_catalogue import EventType
from conversations.models import Conversation
from tests.admin.formdata import form_data
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import ContactFactory, InboxFactory

Role = AgentProfile.Role


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """The service sets a real password; PBKDF2's deliberate slowness is not what is under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_inbox(db):
    """An inbox `agent` does not work, with an agent of its own."""
    other = InboxFactory(name="Other")
    InboxMembershipFactory(inbox=other, agent=AgentProfileFactory(display_name="Olu").user)
    return other


@pytest.fixture
def supervisor(db):
    return agent_create(
        username="sam",
        email="sam@example.com",
        password="a-long-desk-passphrase",
        display_name="Sam",
        role=Role.SUPERVISOR,
    )


def customer_writes(inbox, name: str) -> Conversation:
    message = services.message_receive(inbox=inbox, contact=ContactFactory(name=name), body="Hello")
    return message.conversation


@pytest.fixture
def ours(inbox, agent) -> Conversation:
    return customer_writes(inbox, "Ours Person")


@pytest.fixture
def theirs(other_inbox) -> Conversation:
    return customer_writes(other_inbox, "Theirs Person")


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def listed_ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-conversation-id="(\d+)"', html)}


# --- the role itself ---


def test_a_supervisor_is_made_by_the_service_as_a_staff_agent_of_no_inbox_and_no_admin(supervisor):
    profile = AgentProfile.objects.get(user=supervisor)
    assert (profile.role, profile.display_name) == (Role.SUPERVISOR, "Sam")
    assert supervisor.is_staff and not supervisor.is_superuser
    assert not InboxMembership.objects.filter(agent=supervisor).exists()
    assert supervisor.check_password("a-long-desk-passphrase")
    assert sees_every_inbox(supervisor) and sees_all_reports(supervisor)


def test_an_agent_is_the_default_role_and_sees_neither_every_inbox_nor_every_report(agent, db):
    made = agent_create(username="ines", email="ines@example.com", password="a-long-desk-passphrase")
    assert AgentProfile.objects.get(user=made).role == Role.AGENT
    for plain in (made, agent):
        assert not sees_every_inbox(plain) and not sees_all_reports(plain)
    admin = UserFactory(username="boss", is_superuser=True)  # an administrator needs no profile
    assert sees_every_inbox(admin) and sees_all_reports(admin)


def test_an_unknown_role_is_refused_and_nothing_is_written(db):
    with pytest.raises(ValidationError, match="'boss' is not a role"):
        agent_create(username="eve", email="eve@example.com", password="a-long-desk-passphrase", role="boss")
    assert not AgentProfile.objects.filter(user__username="eve").exists()


# --- the desk ---


def test_the_desk_lists_every_inboxs_conversations_for_a_supervisor_and_only_theirs_for_an_agent(
    client, supervisor, agent, ours, theirs
):
    client.force_login(supervisor)
    supervised = client.get("/desk/list/", {"view": "all", "status": "all"}).content.decode()
    assert listed_ids(supervised) == {ours.pk, theirs.pk}
    assert client.get(f"/desk/c/{theirs.pk}/").status_code == 200
    page = client.get("/desk/").content.decode()
    assert "Other" in page  # the inbox filter offers every inbox

    client.force_login(agent)
    own = client.get("/desk/list/", {"view": "all", "status": "all"}).content.decode()
    assert listed_ids(own) == {ours.pk}
    assert client.get(f"/desk/c/{theirs.pk}/").status_code == 404


def test_a_supervisor_is_assigned_in_any_inbox_and_a_plain_agent_only_in_their_own(supervisor, agent, theirs):
    assigned = conversation_assign_to_agent(conversation=theirs, assignee=supervisor, actor=supervisor)
    assert assigned.assignee_id == supervisor.pk
    with pytest.raises(ValidationError, match="is not a member of the inbox"):
        conversation_assign_to_agent(conversation=theirs, assignee=agent, actor=supervisor)


def test_an_online_supervisor_counts_as_someone_online_for_every_inbox(supervisor, other_inbox):
    assert not inbox_has_someone_online(other_inbox.pk)
    AgentProfile.objects.filter(user=supervisor).update(availability=AgentProfile.Availability.ONLINE)
    assert inbox_has_someone_online(other_inbox.pk)


# --- the REST API ---


def test_the_api_reaches_every_inbox_for_a_supervisor_and_only_theirs_for_an_agent(
    supervisor, agent, inbox, other_inbox, ours, theirs
):
    api = api_as(supervisor)
    assert {row["id"] for row in api.get("/api/v1/conversations").json()["results"]} == {ours.pk, theirs.pk}
    assert {row["id"] for row in api.get("/api/v1/inboxes").json()["results"]} == {inbox.pk, other_inbox.pk}
    contacts = {row["name"] for row in api.get("/api/v1/contacts").json()["results"]}
    assert contacts == {"Ours Person", "Theirs Person"}
    assert api.get(f"/api/v1/conversations/{theirs.pk}").status_code == 200
    profile = api.get("/api/v1/profile").json()
    assert (profile["role"], profile["is_admin"]) == ("supervisor", False)

    plain = api_as(agent)
    assert [row["id"] for row in plain.get("/api/v1/conversations").json()["results"]] == [ours.pk]
    assert plain.get(f"/api/v1/conversations/{theirs.pk}").status_code == 404
    assert plain.get("/api/v1/profile").json()["role"] == "agent"


@pytest.mark.parametrize("url", ["/api/v1/conversations", "/api/v1/contacts", "/api/v1/inboxes"])
def test_a_supervisors_lists_cost_the_queries_an_agents_do(
    supervisor, agent, ours, theirs, django_assert_num_queries, url
):
    """The token brings the profile, so the role costs no query: the counts pinned in
    tests/api/test_query_counts.py hold for a supervisor too."""
    for _ in range(3):
        customer_writes(theirs.inbox, "Another Person")
    supervised, plain = api_as(supervisor), api_as(agent)
    pinned = {"/api/v1/conversations": 3, "/api/v1/contacts": 3, "/api/v1/inboxes": 3}[url]
    for client in (supervised, plain):
        with django_assert_num_queries(pinned):
            assert client.get(url).status_code == 200


# --- the desk socket ---


def test_the_desk_socket_tells_a_supervisor_every_inboxs_events_and_an_agent_only_their_own(
    inbox, other_inbox, transactional_db
):
    supervisor = agent_create(
        username="sam", email="sam@example.com", password="a-long-desk-passphrase", role=Role.SUPERVISOR
    )
    ana = AgentProfileFactory(display_name="Ana").user
    InboxMembershipFactory(inbox=inbox, agent=ana)
    earlier = customer_writes(other_inbox, "Theirs Person")

    async def desk_of(user) -> tuple[WebsocketCommunicator, dict]:
        browser = DjangoClient()
        await database_sync_to_async(browser.force_login)(user)
        cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
        socket = WebsocketCommunicator(
            application, "/ws/v1/desk/", headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)]
        )
        assert (await socket.connect(timeout=5))[0]
        hello = json.loads((await socket.receive_output(timeout=5))["text"])
        assert hello["type"] == EventType.HELLO
        return socket, hello

    async def events_until_quiet(socket: WebsocketCommunicator) -> list[dict]:
        events = []
        while not await socket.receive_nothing(timeout=1.0):
            events.append(json.loads((await socket.receive_output())["text"]))
        return events

    async def ask_history(socket: WebsocketCommunicator) -> dict:
        await socket.send_json_to(
            {"type": "history.after", "conversation_id": earlier.pk, "after_seq": 0, "limit": 10, "ref": 1}
        )
        while True:  # the reply to our ref; a late presence event may come first on a busy machine
            frame = json.loads((await socket.receive_output(timeout=5))["text"])
            if frame.get("ref") == 1:
                return frame

    async def journey() -> tuple[dict, dict, list[dict], list[dict], dict, dict]:
        (sam_desk, sam_hello), (ana_desk, ana_hello) = await desk_of(supervisor), await desk_of(ana)
        await events_until_quiet(sam_desk)  # presence of the two arrivals
        await events_until_quiet(ana_desk)
        await database_sync_to_async(customer_writes)(other_inbox, "Newcomer")
        heard, overheard = await events_until_quiet(sam_desk), await events_until_quiet(ana_desk)
        sam_history, ana_history = await ask_history(sam_desk), await ask_history(ana_desk)
        for socket in (sam_desk, ana_desk):
            await socket.disconnect()
        return sam_hello, ana_hello, heard, overheard, sam_history, ana_history

    sam_hello, ana_hello, heard, overheard, sam_history, ana_history = asyncio.run(journey())
    assert sam_hello["inbox_ids"] == sorted([inbox.pk, other_inbox.pk])
    assert ana_hello["inbox_ids"] == [inbox.pk]
    newcomer = Conversation.objects.get(contact__name="Newcomer")
    assert any(
        event["type"] == EventType.MESSAGE_CREATED and event["conversation_id"] == newcomer.pk
        for event in heard
    )
    assert not any(event.get("conversation_id") == newcomer.pk for event in overheard)
    assert sam_history["type"] == "history"
    assert sam_history["conversation"]["id"] == earlier.pk
    assert (ana_history["type"], ana_history["code"]) == (EventType.ERROR, "not_found")


# --- the Django admin ---


def test_the_role_gives_no_right_in_the_admin(client, supervisor, agent):
    """Agents are staff (they sign in to the desk), so the admin's index opens for them, empty; a
    supervisor's is just as empty, and every admin page refuses them, as it refuses an agent."""
    for user in (supervisor, agent):
        client.force_login(user)
        index = client.get("/admin/")
        assert index.status_code == 200
        assert index.context["app_list"] == []
        for page in ("auth_user_changelist", "conversations_conversation_changelist"):
            assert client.get(reverse(f"admin:{page}")).status_code == 403
        assert not user.get_all_permissions()
    not_staff = AgentProfileFactory(role=Role.SUPERVISOR, user__is_staff=False).user
    client.force_login(not_staff)
    refused = client.get("/admin/")
    assert refused.status_code == 302
    assert refused["Location"].startswith("/admin/login/")


def test_an_administrator_sets_the_role_on_the_agents_page_and_filters_the_list_by_it(
    admin_client, supervisor, agent, other_inbox
):
    olu = InboxMembership.objects.get(inbox=other_inbox).agent  # stays an agent
    change_url = reverse("admin:auth_user_change", args=[agent.pk])
    data = form_data(admin_client.get(change_url))
    assert data["agent_profile-0-role"] == Role.AGENT
    data["agent_profile-0-role"] = Role.SUPERVISOR
    changed = admin_client.post(change_url, data)
    assert changed.status_code == 302, changed.context["errors"]
    assert AgentProfile.objects.get(user=agent).role == Role.SUPERVISOR
    agent.refresh_from_db()
    assert agent.is_staff and not agent.is_superuser  # the role changed nothing else

    changelist = admin_client.get(
        reverse("admin:auth_user_changelist"), {"agent_profile__role__exact": Role.SUPERVISOR}
    )
    assert {user.username for user in changelist.context["cl"].result_list} == {"sam", agent.username}
    assert "Supervisor" in changelist.content.decode()
    plain = admin_client.get(
        reverse("admin:auth_user_changelist"), {"agent_profile__role__exact": Role.AGENT}
    )
    assert {user.username for user in plain.context["cl"].result_list} == {olu.username}
