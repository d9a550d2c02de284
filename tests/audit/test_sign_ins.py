"""Sign-ins through the real login pages, and the failed ones, are in the log with who and where."""

import pytest

from audit.actors import ActorKind
from audit.models import Action
from tests.audit.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_signing_in_on_the_desks_login_page_writes_who_and_from_where(client, agent, entries):
    response = client.post("/desk/login/", {"username": agent.username, "password": PASSWORD})
    assert response.status_code == 302

    [entry] = entries(action=Action.SIGNED_IN)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (
        ActorKind.AGENT,
        str(agent.pk),
        f"Ana ({agent.username})",
    )
    assert (entry.target_type, entry.target_id) == ("auth.user", str(agent.pk))
    assert entry.details == {"door": "desk"}
    assert entry.ip == "127.0.0.1"


def test_a_wrong_password_on_the_admins_login_page_is_recorded_against_the_account(
    client, administrator, entries
):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": "guess"}, HTTP_X_REQUEST_ID="req-42"
    )
    assert response.status_code == 200  # the form again, with its error

    [entry] = entries(action=Action.SIGN_IN_FAILED)
    assert (entry.actor_kind, entry.actor_label) == (ActorKind.ANONYMOUS, "boss")
    assert (entry.target_type, entry.target_id) == ("auth.user", str(administrator.pk))
    assert (entry.details, entry.request_id) == ({"door": "admin"}, "req-42")
    assert "guess" not in str(entry.details) + entry.actor_label + entry.target_label
    assert entries(action=Action.SIGNED_IN) == []


def test_an_unknown_name_is_recorded_as_tried_and_signing_out_too(client, agent, entries):
    client.post("/desk/login/", {"username": "nobody-here", "password": "x"})
    [failed] = entries(action=Action.SIGN_IN_FAILED)
    assert (failed.target_id, failed.target_label) == ("", "nobody-here")

    client.post("/desk/login/", {"username": agent.username, "password": PASSWORD})
    client.post("/desk/logout/")

    [signed_out] = entries(action=Action.SIGNED_OUT)
    assert signed_out.actor_id == str(agent.pk)


def test_a_new_api_key_names_who_made_it_for_whom_and_never_the_key(client, agent, entries):
    client.force_login(agent)  # the API takes the desk's session too

    response = client.post("/api/v1/profile/token")
    assert response.status_code == 201

    [entry] = entries(action=Action.API_KEY_ISSUED)
    assert (entry.actor_kind, entry.actor_id, entry.target_id) == (
        ActorKind.AGENT,
        str(agent.pk),
        str(agent.pk),
    )
    assert response.json()["key"] not in str(entry.details) + entry.actor_label + entry.target_label
