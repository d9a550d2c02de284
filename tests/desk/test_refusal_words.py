"""A refusal says what to do, in the words of the rule that refused (issue 21, point 1): the desk's
422s and the widget's upload refusals, word for word, with nothing stored. That each is shown where
the person acted is tests/browser/test_desk_refusals.py and test_widget_refusals.py."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conversations import services
from conversations.files import MAX_FILE_BYTES, too_big, unsupported_file
from conversations.models import Conversation, Message
from conversations.refusals import Refused
from customer_clients.ratelimit import TokenBucket
from desk import socket_actions
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db

TXT_REFUSED = "Files of type .txt cannot be sent here. Send an image (JPEG, PNG, GIF or WebP) or a PDF."
TOO_LONG = "A message can be at most 20,000 characters (20,001 now): shorten it or split it in two."


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def conversation(inbox) -> Conversation:
    return services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello").conversation


def reply(desk_client, conversation, **data):
    return desk_client.post(f"/desk/c/{conversation.pk}/reply/", data)


def agent_messages(conversation) -> int:
    return conversation.messages.filter(sender_kind=Message.SenderKind.AGENT).count()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("notes.txt", TXT_REFUSED),
        ("Notes.TXT", TXT_REFUSED),
        ("README", "Files of this type cannot be sent here."),
        ("bad.\u202etxt", "Files of this type cannot be sent here."),  # no control characters echoed
        ("archive.tar.gz", "Files of type .gz cannot be sent here."),
    ],
)
def test_a_file_of_a_type_parley_does_not_send_is_named_by_its_extension(name, words):
    assert unsupported_file(name).startswith(words)
    assert unsupported_file(name).endswith("Send an image (JPEG, PNG, GIF or WebP) or a PDF.")


def test_a_desk_reply_with_a_text_file_is_refused_with_its_type_and_what_to_send(desk_client, conversation):
    response = reply(
        desk_client, conversation, body="See attached", file=SimpleUploadedFile("notes.txt", b"pole spec")
    )
    assert (response.status_code, response.content.decode()) == (422, TXT_REFUSED)
    assert response["Content-Type"].startswith("text/plain")
    assert agent_messages(conversation) == 0


def test_a_desk_reply_with_a_file_over_10_mb_says_to_send_a_smaller_one_or_a_link(desk_client, conversation):
    big = SimpleUploadedFile("tent.pdf", b"%PDF-" + b"0" * MAX_FILE_BYTES)
    response = reply(desk_client, conversation, body="Manual", file=big)
    assert (response.status_code, response.content.decode()) == (422, too_big())
    assert too_big() == "Files can be at most 10 MB: send a smaller one, or a link to it."
    assert agent_messages(conversation) == 0


def test_a_desk_reply_over_20000_characters_says_how_long_it_is_and_what_to_do(desk_client, conversation):
    response = reply(desk_client, conversation, body="a" * 20_001)
    assert (response.status_code, response.content.decode()) == (422, TOO_LONG)
    assert agent_messages(conversation) == 0
    assert reply(desk_client, conversation, body="a" * 20_000).status_code == 204


def test_a_snooze_in_the_past_says_to_choose_a_future_time(desk_client, conversation):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = desk_client.post(f"/desk/c/{conversation.pk}/act/snooze/", {"until": past})
    assert (response.status_code, response.content.decode()) == (
        422,
        "That time has passed: choose a time in the future to snooze until.",
    )
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


def test_an_email_address_that_does_not_look_right_shows_what_one_looks_like(conversation):
    with pytest.raises(ValidationError) as refused:
        services.contact_edit(contact=conversation.contact, name="", email="kim@shop", phone="", language="")
    assert refused.value.messages == [
        "That email address does not look right: write it whole, like kim@example.com."
    ]


def test_a_desk_socket_action_on_a_conversation_outside_the_agents_inboxes_says_to_reload(agent):
    elsewhere = services.message_receive(
        inbox=InboxFactory(), contact=ContactFactory(), body="Hi"
    ).conversation
    with pytest.raises(Refused) as refused:
        socket_actions.conversation_for_agent(agent, elsewhere.pk)
    assert (refused.value.code, refused.value.detail) == (
        "not_found",
        "This conversation is no longer in your inboxes: reload the desk for the ones you work.",
    )


def test_the_widget_refuses_a_text_file_in_the_same_words(client):
    shop = "https://shop.example.com"
    inbox = InboxFactory(allowed_origins=shop)
    session = client.post(
        "/widget/api/v1/session", {"public_key": inbox.public_key}, content_type="application/json"
    ).json()
    response = client.post(
        "/widget/api/v1/messages",
        {
            "public_key": inbox.public_key,
            "resume_token": session["resume_token"],
            "client_message_id": "upload-0001",
            "file": SimpleUploadedFile("order.txt", b"order 1042"),
        },
        HTTP_ORIGIN=shop,
    )
    assert response.status_code == 415
    assert response.json()["detail"] == TXT_REFUSED
    assert not Message.objects.exists()


def test_a_rate_limited_socket_is_told_how_long_to_wait():
    bucket = TokenBucket(rate_per_minute=100, burst=2)
    assert bucket.wait_ms() == 0
    assert bucket.take() and bucket.take()
    assert not bucket.take()
    assert 590 <= bucket.wait_ms() <= 600  # one token every 0.6 s, and none left


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", "Ce moment est passé : choisissez une heure future jusqu'à laquelle mettre en attente."),
        ("es", "Esa hora ya pasó: elija una hora futura hasta la que posponer."),
        ("pt", "Essa hora já passou: escolha uma hora futura até à qual adiar."),
    ],
)
def test_a_refusal_is_said_in_the_agents_language(desk_client, conversation, language, words):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = desk_client.post(
        f"/desk/c/{conversation.pk}/act/snooze/", {"until": past}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert (response.status_code, response.content.decode()) == (422, words)


def test_a_refusal_writes_its_numbers_as_the_agent_reads_them(desk_client, conversation):
    response = desk_client.post(
        f"/desk/c/{conversation.pk}/reply/", {"body": "a" * 20_001}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    refusal = response.content.decode()
    assert refusal.startswith("Un message fait au plus 20\xa0000 caractères (20\xa0001 ici)")
    assert agent_messages(conversation) == 0
