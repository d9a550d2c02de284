"""The widget's HTTP doors, which anyone may knock on without credentials: whatever arrives gets a
JSON answer with a documented code, never a 500, and nothing already stored changes."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.models import Contact, ContactIdentity, Message
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DEEP = "[" * 1500 + "]" * 1500  # 3 KB: under every endpoint's size limit, past Python's recursion
STORED = (Contact, ContactIdentity, Message)


@pytest.fixture
def inbox():
    return InboxFactory(allowed_origins=SHOP)


def post_json(client, path: str, body: str | bytes):
    return client.post(path, body, content_type="application/json", HTTP_ORIGIN=SHOP)


def counts() -> list[int]:
    return [model.objects.count() for model in STORED]


def refused_with(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["error"] == code
    return answer.json()


@pytest.mark.parametrize("path", ["/widget/api/v1/session", "/widget/api/v1/attributes"])
def test_deeply_nested_json_is_a_400_without_credentials(client, inbox, path):
    before = counts()
    body = json.dumps({"public_key": inbox.public_key, "attributes": {"a": 1}})[:-1] + ', "x": ' + DEEP + "}"
    answer = refused_with(post_json(client, path, body), 400, "bad_request")
    assert "nested deeper" in answer["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("public_key", "wid\x00get"),
        ("user_id", "user-\x00"),
        ("name", "Ana\ud800"),
        ("resume_token", "\udfff"),
    ],
)
def test_text_postgres_cannot_store_is_a_400_naming_the_field(client, inbox, field, value):
    before = counts()
    body = {"public_key": inbox.public_key, field: value}
    if field == "user_id":
        body["user_hash"] = "0" * 64
    answer = refused_with(post_json(client, "/widget/api/v1/session", json.dumps(body)), 400, "bad_request")
    assert field in answer["detail"] and "NUL" in answer["detail"]
    assert counts() == before


def test_json_that_is_not_utf8_or_holds_nan_is_refused(client, inbox):
    utf16 = json.dumps({"public_key": inbox.public_key}).encode("utf-16")
    assert (
        "UTF-8"
        in refused_with(post_json(client, "/widget/api/v1/session", utf16), 400, "bad_request")["detail"]
    )
    nan = json.dumps({"public_key": inbox.public_key, "name": "x"}).replace('"x"', "NaN")
    assert (
        "NaN" in refused_with(post_json(client, "/widget/api/v1/session", nan), 400, "bad_request")["detail"]
    )


@pytest.mark.parametrize("path", ["/widget/config", "/widget/frame/", "/widget/api/v1/session"])
def test_a_nul_in_the_query_string_is_a_400_naming_the_parameter(client, path):
    answer = client.get(path + "?key=%00", HTTP_ORIGIN=SHOP)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request" and "key" in answer.json()["detail"]


@pytest.mark.parametrize("path", ["/widget/api/v1/session", "/widget/api/v1/attributes"])
def test_a_5_mb_body_is_the_documented_413_in_json_readable_by_the_page(client, inbox, path):
    body = json.dumps({"public_key": inbox.public_key, "name": "x" * 5_000_000})
    answer = post_json(client, path, body)
    refused_with(answer, 413, "too_big")
    assert answer["Access-Control-Allow-Origin"] == SHOP


def session(client, inbox) -> dict:
    return post_json(client, "/widget/api/v1/session", json.dumps({"public_key": inbox.public_key})).json()


def upload(client, inbox, resume_token: str, **fields):
    data = {
        "public_key": inbox.public_key,
        "resume_token": resume_token,
        "client_message_id": "upload-0001",
        "file": SimpleUploadedFile("pixel.png", PNG),
        **fields,
    }
    return client.post("/widget/api/v1/messages", data, HTTP_ORIGIN=SHOP)


def test_an_upload_whose_text_is_too_long_is_refused_not_cut(client, inbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visitor = session(client, inbox)
    refused = upload(client, inbox, visitor["resume_token"], body="€" * 20_001)
    assert refused_with(refused, 400, "invalid")["detail"] == (
        "A message can be at most 20,000 characters (20,001 now): shorten it or split it in two."
    )
    assert not Message.objects.exists()
    accepted = upload(client, inbox, visitor["resume_token"], body="€" * 20_000)
    assert accepted.status_code == 200, accepted.content
    assert Message.objects.get().body == "€" * 20_000


@pytest.mark.parametrize("field", ["body", "client_message_id", "public_key"])
def test_an_upload_with_a_nul_in_a_field_is_a_400_naming_it(client, inbox, settings, tmp_path, field):
    settings.MEDIA_ROOT = tmp_path
    visitor = session(client, inbox)
    refused = upload(client, inbox, visitor["resume_token"], **{field: "upload-\x00-0002"})
    assert field in refused_with(refused, 400, "bad_request")["detail"]
    assert not Message.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("name", "N" * 256), ("email", {"a": 1}), ("user_id", 42)])
def test_a_session_field_too_long_or_not_text_is_refused_not_cut(client, inbox, field, value):
    before = counts()
    body = json.dumps({"public_key": inbox.public_key, field: value})
    answer = refused_with(post_json(client, "/widget/api/v1/session", body), 400, "invalid")
    assert answer["detail"].startswith(f"{field}: ")
    assert counts() == before
