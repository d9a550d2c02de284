"""The REST API and the API channel given what no client should send: deep JSON, text Postgres
cannot store, huge bodies, a replay raced three times. Each gets its documented JSON answer, never
a 500, and nothing is half-stored."""

import json
import threading

import pytest
from rest_framework.test import APIClient

from conversations.models import Contact, Conversation, Message

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/channel/contacts"
MESSAGES = "/api/v1/channel/messages"


def stored() -> list[int]:
    return [Contact.objects.count(), Message.objects.count()]


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    return response.json()


def raw(client: APIClient, method: str, path: str, body: str | bytes):
    """`body` as given: json.dumps escapes an unpaired surrogate (`\\ud800`), as a hostile client would."""
    return getattr(client, method)(path, body, content_type="application/json")


@pytest.fixture
def writes(api, channel_api, conversation):
    """(client, method, path) of a REST write and of the API channel's two writes."""
    return [
        (api, "post", f"/api/v1/conversations/{conversation.pk}/messages"),
        (api, "patch", f"/api/v1/conversations/{conversation.pk}"),
        (channel_api, "post", CONTACTS),
        (channel_api, "post", MESSAGES),
    ]


@pytest.mark.parametrize("depth", [33, 1500])  # just past the limit, and past Python's recursion
def test_deeply_nested_json_is_a_parse_error_on_every_write(writes, depth):
    before = stored()
    deep = "[" * depth + "]" * depth
    for client, method, path in writes:
        answer = error(raw(client, method, path, '{"body": ' + deep + "}"), 400, "parse_error")
        assert "nested deeper" in answer["detail"], path
    assert stored() == before


def test_json_not_in_utf8_or_with_nan_is_a_parse_error(writes):
    for client, method, path in writes:
        error(raw(client, method, path, json.dumps({"body": "hi"}).encode("utf-16")), 400, "parse_error")
        error(raw(client, method, path, '{"body": "hi", "priority": NaN}'), 400, "parse_error")


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "ok \udc00 ok"])
def test_text_postgres_cannot_store_is_a_400_naming_the_field(api, conversation, bad):
    before = stored()
    answer = error(
        raw(api, "post", f"/api/v1/conversations/{conversation.pk}/messages", json.dumps({"body": bad})),
        400,
        "invalid",
    )
    assert list(answer["field_errors"]) == ["body"]
    assert stored() == before


def test_a_refusal_that_quotes_an_unpaired_surrogate_still_renders(api, conversation):
    answer = error(
        raw(api, "patch", f"/api/v1/conversations/{conversation.pk}", json.dumps({"priority": "\ud800"})),
        400,
        "invalid",
    )
    assert list(answer["field_errors"]) == ["priority"]
    assert Conversation.objects.get(pk=conversation.pk).priority == conversation.priority


def test_a_5_mb_body_is_the_documented_413_in_json(writes):
    huge = json.dumps({"body": "x" * 5_000_000})
    for client, method, path in writes:
        error(raw(client, method, path, huge), 413, "too_big")


@pytest.mark.django_db(transaction=True)
def test_three_racing_replays_of_one_message_id_store_one_and_answer_201_once(channel_inbox):
    token = channel_inbox.config["api_token"]
    setup = APIClient()
    setup.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert setup.post(CONTACTS, {"source_id": "user-7"}, format="json").status_code == 201
    start = threading.Barrier(3)
    statuses: list[int] = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        body = {"source_id": "user-7", "message_id": "app-msg-1", "body": "Where is my parcel?"}
        statuses.append(client.post(MESSAGES, body, format="json").status_code)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 201]
    assert Message.objects.filter(client_message_id="app-msg-1").count() == 1


@pytest.mark.parametrize("path", ["/api/v1/contacts/abc", "/api/v1/channel/nothing-here", "/api/v2/contacts"])
def test_an_unknown_api_url_is_the_apis_json_404_for_any_method(api, path):
    for method in ("get", "post", "delete"):
        error(getattr(api, method)(path), 404, "not_found")


def test_a_blank_email_or_picture_is_text_the_schema_allows(api, conversation):
    contact = api.get(f"/api/v1/contacts/{conversation.contact_id}").json()
    assert contact["avatar_url"] == "" or contact["avatar_url"].startswith("http")
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for field in ("email", "avatar_url"):
        assert "format" not in schema["components"]["schemas"]["Contact"]["properties"][field]
