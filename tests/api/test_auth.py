"""Who may use the API: agents by token or desk session, admins; nobody else, and nobody unsigned."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories.agents import AgentProfileFactory, UserFactory

ENDPOINTS = [
    ("get", "/api/v1/contacts"),
    ("post", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/1"),
    ("patch", "/api/v1/contacts/1"),
    ("get", "/api/v1/contacts/1/identities"),
    ("post", "/api/v1/contacts/1/merge"),
    ("get", "/api/v1/contacts/1/merge-suggestions"),
    ("get", "/api/v1/conversations"),
    ("get", "/api/v1/conversations/1"),
    ("patch", "/api/v1/conversations/1"),
    ("post", "/api/v1/conversations/1/assignment"),
    ("get", "/api/v1/conversations/1/messages"),
    ("post", "/api/v1/conversations/1/messages"),
    ("post", "/api/v1/conversations/1/messages/1/retry"),
    ("get", "/api/v1/labels"),
    ("post", "/api/v1/labels"),
    ("get", "/api/v1/inboxes"),
    ("get", "/api/v1/profile"),
    ("get", "/api/v1/profile/token"),
    ("post", "/api/v1/profile/token"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_needs_credentials(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header",
    ["Token " + "0" * 40, "Token not-a-key", "Token " + "a" * 5000, "Token abc\x00def", "Token"],
)
def test_a_bad_token_is_refused(db, header, django_assert_max_num_queries):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    with django_assert_max_num_queries(1):  # a malformed key is refused without a query
        response = client.get("/api/v1/inboxes")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_agent_token_opens_the_api(api, agent, inbox):
    response = api.get("/api/v1/profile")

    assert response.status_code == 200
    assert response.json() == {
        "id": agent.pk,
        "username": agent.username,
        "email": agent.email,
        "name": "Ana",
        "is_admin": False,
        "role": "agent",
    }


def test_a_deactivated_agent_is_refused(api, agent):
    agent.is_active = False
    agent.save()

    assert api.get("/api/v1/profile").status_code == 401


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda: UserFactory(is_staff=False), id="customer-like user"),
        pytest.param(lambda: UserFactory(is_staff=True), id="staff without an agent profile"),
        pytest.param(lambda: AgentProfileFactory(user__is_staff=False).user, id="profile but not staff"),
    ],
)
def test_only_agents_and_admins_may_use_it(db, client_for, make_user):
    response = client_for(make_user()).get("/api/v1/inboxes")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_admin_without_a_profile_may_use_it(client_for, admin_user):
    response = client_for(admin_user).get("/api/v1/profile")

    assert response.status_code == 200
    assert (response.json()["is_admin"], response.json()["role"]) == (True, "agent")


def test_the_desk_session_works_too_and_checks_csrf(agent, inbox):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)

    assert client.get("/api/v1/inboxes").status_code == 200
    refused = client.post("/api/v1/labels", {"name": "vip"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


def test_an_agent_makes_sees_and_replaces_their_token(agent):
    client = APIClient()
    client.force_login(agent)
    assert client.get("/api/v1/profile/token").status_code == 404

    made = client.post("/api/v1/profile/token")
    assert made.status_code == 201
    key = made.json()["key"]
    assert client.get("/api/v1/profile/token").json()["key"] == key

    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    replaced = by_token.post("/api/v1/profile/token")
    assert replaced.status_code == 201
    assert replaced.json()["key"] != key
    assert by_token.get("/api/v1/profile").status_code == 401  # the old key stopped working
    assert Token.objects.filter(user=agent).count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/contacts",
        "/api/v1/contacts/{contact}",
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation}",
        "/api/v1/conversations/{conversation}/messages",
        "/api/v1/labels",
        "/api/v1/profile/token",
    ],
)
def test_the_browsable_api_opens_for_a_desk_session(agent, conversation, url):
    client = APIClient()
    client.force_login(agent)
    Token.objects.create(user=agent)

    page = client.get(
        url.format(contact=conversation.contact_id, conversation=conversation.pk), HTTP_ACCEPT="text/html"
    )

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")


def test_an_administrator_makes_a_token_from_the_command_line(agent):
    call_command("drf_create_token", agent.username, stdout=StringIO())

    assert Token.objects.filter(user=agent).exists()
