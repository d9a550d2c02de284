"""Files from the widget: stored with their message when their content is an allowed type."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from conversations import services
from conversations.models import Attachment, Message
from customer_clients import uploads
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def inbox():
    return InboxFactory(allowed_origins=SHOP)


def session(client, inbox) -> dict:
    answer = client.post(
        "/widget/api/v1/session", {"public_key": inbox.public_key}, content_type="application/json"
    )
    return answer.json()


def upload(client, inbox, resume_token, content, name, *, origin=SHOP, **fields):
    data = {
        "public_key": inbox.public_key,
        "resume_token": resume_token,
        "client_message_id": fields.pop("client_message_id", "upload-0001"),
        "file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post("/widget/api/v1/messages", data, HTTP_ORIGIN=origin)


def test_an_image_is_stored_with_its_message_and_served_as_what_it_is(client, inbox):
    visitor = session(client, inbox)
    answer = upload(client, inbox, visitor["resume_token"], PNG, "../../etc/holiday photo.PNG", body="Look")
    assert answer.status_code == 200, answer.content
    message = answer.json()["message"]
    assert message["body"] == "Look" and message["seq"] == 1
    (attachment,) = message["attachments"]
    assert (attachment["mime_type"], attachment["name"], attachment["size"]) == (
        "image/png",
        "holiday photo.png",
        len(PNG),
    )
    served = client.get(attachment["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == PNG


def test_the_content_decides_not_the_name(client, inbox):
    visitor = session(client, inbox)
    html = upload(client, inbox, visitor["resume_token"], b"<html><script>alert(1)</script>", "cat.jpg")
    svg = upload(
        client, inbox, visitor["resume_token"], b'<svg xmlns="http://www.w3.org/2000/svg"/>', "a.png"
    )
    disguised = upload(
        client, inbox, visitor["resume_token"], JPEG, "page.html", client_message_id="upload-0002"
    )
    assert (html.status_code, html.json()["error"]) == (415, "unsupported_type")
    assert svg.status_code == 415
    assert disguised.status_code == 200
    assert disguised.json()["message"]["attachments"][0]["name"] == "page.jpg"
    assert Message.objects.count() == 1


def test_a_resent_upload_stores_nothing_twice(client, inbox):
    visitor = session(client, inbox)
    first = upload(client, inbox, visitor["resume_token"], PNG, "a.png")
    again = upload(client, inbox, visitor["resume_token"], PNG, "a.png")
    assert first.json()["message"]["id"] == again.json()["message"]["id"]
    assert (Message.objects.count(), Attachment.objects.count()) == (1, 1)


def test_a_resent_upload_leaves_one_file_and_answers_the_first_message(client, inbox, settings):
    visitor = session(client, inbox)
    first = upload(client, inbox, visitor["resume_token"], PNG, "a.png", body="Look")
    again = upload(client, inbox, visitor["resume_token"], JPEG, "b.jpg", body="Look")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["message"] == first.json()["message"]
    stored = [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == PNG
    assert (Message.objects.count(), Attachment.objects.count()) == (1, 1)


def test_a_refused_upload_leaves_no_file(client, inbox, settings):
    visitor = session(client, inbox)
    someone_else = ConversationFactory(inbox=inbox)
    first = upload(client, inbox, visitor["resume_token"], PNG, "a.png")
    reused = upload(
        client,
        inbox,
        visitor["resume_token"],
        PNG,
        "a.png",
        client_message_id="upload-0002",
        conversation_id=str(someone_else.pk),
    )
    assert (first.status_code, reused.status_code) == (200, 404)
    assert len([path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]) == 1


def test_refusals_store_nothing(client, inbox, monkeypatch):
    visitor = session(client, inbox)
    someone_else = ConversationFactory(inbox=inbox)
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 32)
    refusals = {
        "too big": upload(client, inbox, visitor["resume_token"], PNG, "a.png"),
        "bad token": upload(client, inbox, "forged", PNG[:16], "a.png"),
        "other site": upload(
            client, inbox, visitor["resume_token"], PNG[:16], "a.png", origin="https://evil.example"
        ),
        "not theirs": upload(
            client, inbox, visitor["resume_token"], PNG[:16], "a.png", conversation_id=str(someone_else.pk)
        ),
    }
    assert {name: answer.status_code for name, answer in refusals.items()} == {
        "too big": 413,
        "bad token": 401,
        "other site": 403,
        "not theirs": 404,
    }
    assert Message.objects.count() == 0


def test_only_attachments_are_served_and_never_by_a_path_outside_them(client):
    assert client.get("/media/attachments/../../secret_key").status_code == 404
    assert client.get("/media/other/file.png").status_code == 404


def test_a_message_that_fails_to_store_leaves_no_file_behind(inbox, settings):
    contact = ContactFactory()
    attachments = [
        services.AttachmentInput(mime_type="image/png", file_name="a.png", content=PNG),
        services.AttachmentInput(mime_type="x" * 101, file_name="b.png", content=PNG),  # too long a column
    ]
    with pytest.raises(DatabaseError):
        services.message_receive(
            inbox=inbox, contact=contact, client_message_id="fails-0001", attachments=attachments
        )
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert Message.objects.count() == 0
