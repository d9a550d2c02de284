"""GET /media/<path> serves stored attachments as files and nothing else: every other path (a
directory at any level, a missing file, a conversation with no files, a way out of the media root)
is one and the same 404, so a stranger learns nothing about which conversations have files."""

import os
from pathlib import Path

import pytest
from django.test import Client

from conversations import services
from conversations.models import Attachment
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stranger() -> Client:
    """No login, and a server error answered (500) rather than raised into the test."""
    return Client(raise_request_exception=False)


@pytest.fixture
def stored() -> Attachment:
    """An image a customer sent, stored by the service that stores every attachment."""
    message = services.message_receive(
        inbox=InboxFactory(),
        contact=ContactFactory(),
        client_message_id="media-0001",
        attachments=[services.AttachmentInput(mime_type="image/png", file_name="a.png", content=PNG)],
    )
    return message.attachments.get()


def test_the_stored_file_is_served_with_its_headers(stranger, stored):
    response = stranger.get(f"/media/{stored.file.name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="a.png"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_directories_and_missing_paths_are_all_the_same_404(stranger, stored):
    _, conversation_id, token, name = stored.file.name.split("/")
    empty = ConversationFactory()  # a conversation with no files
    paths = {
        "the attachments directory": "attachments/",
        "the attachments directory, no slash": "attachments",
        "a conversation's directory": f"attachments/{conversation_id}/",
        "a conversation's directory, no slash": f"attachments/{conversation_id}",
        "a file's directory": f"attachments/{conversation_id}/{token}/",
        "a file's directory, no slash": f"attachments/{conversation_id}/{token}",
        "a conversation without files": f"attachments/{empty.pk}/",
        "a conversation that does not exist": "attachments/999999999/",
        "a missing file beside a real one": f"attachments/{conversation_id}/{token}/b.png",
        "the file under another conversation": f"attachments/{empty.pk}/{token}/{name}",
        "a doubled slash": f"attachments/{conversation_id}//{token}/{name}",
        "a dot segment": f"attachments/{conversation_id}/./{token}/{name}",
        "a way up and back": f"attachments/{conversation_id}/../{conversation_id}/{token}/{name}",
        "outside attachments": "secret_key",
    }
    answers = {what: stranger.get(f"/media/{path}") for what, path in paths.items()}
    assert {what: answer.status_code for what, answer in answers.items()} == dict.fromkeys(paths, 404)
    bodies = {answer.content for answer in answers.values()}
    assert len(bodies) == 1, bodies  # nothing in the answer tells one case from another


def test_a_link_out_of_the_media_root_is_not_followed(stranger, stored, media_root, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    conversation_id = stored.file.name.split("/")[1]
    link = media_root / "attachments" / conversation_id / "0123456789abcdef"
    link.mkdir()
    os.symlink(secret, link / "leak.png")
    os.symlink(tmp_path, media_root / "attachments" / "outside")

    by_file_link = stranger.get(f"/media/attachments/{conversation_id}/0123456789abcdef/leak.png")
    by_directory_link = stranger.get("/media/attachments/outside/secret.png")
    missing = stranger.get(f"/media/attachments/{conversation_id}/0123456789abcdef/none.png")
    assert (by_file_link.status_code, by_directory_link.status_code) == (404, 404)
    assert by_file_link.content == by_directory_link.content == missing.content
