"""A customer downloads their conversation's transcript from the widget: the desk's document, their
own lines as "You", every public message, files linked, never a private note; only their own
conversation, and only with their resume token in the body."""

import json

import pytest

from conversations import services
from conversations.models import Contact
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def inbox():
    return InboxFactory(name="Acme Support", allowed_origins=SHOP)


def session(client, inbox) -> dict:
    answer = client.post(
        "/widget/api/v1/session", {"public_key": inbox.public_key}, content_type="application/json"
    )
    return answer.json()


def download(client, inbox, conversation_id, resume_token, *, origin=SHOP, public_key=None):
    body = {
        "public_key": inbox.public_key if public_key is None else public_key,
        "resume_token": resume_token,
    }
    return client.post(
        f"/widget/api/v1/conversations/{conversation_id}/transcript",
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def talked(inbox, contact, agent):
    """A conversation with the customer's words, replies, a file, a private note and activity."""
    conversation = services.message_receive(
        inbox=inbox, contact=contact, body="My parcel <b>never</b> came"
    ).conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Sorry! Checking now.")
    services.message_post_reply(conversation=conversation, agent=agent, body="VIP, be nice", is_private=True)
    services.message_post_reply(
        conversation=conversation,
        agent=agent,
        body="Here is the label.",
        attachments=[
            services.AttachmentInput(content=b"%PDF-1.7", mime_type="application/pdf", file_name="label.pdf")
        ],
    )
    services.message_receive(inbox=inbox, contact=contact, conversation_id=conversation.pk, body="Thanks!")
    services.conversation_resolve(conversation=conversation, actor=agent)  # an agent-only line
    return conversation


def test_the_customer_downloads_every_public_message_of_their_conversation_and_no_private_note(
    client, inbox, agent, settings
):
    visitor = session(client, inbox)
    conversation = talked(inbox, Contact.objects.get(pk=visitor["contact_id"]), agent)

    answer = download(client, inbox, conversation.pk, visitor["resume_token"])

    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "text/html; charset=utf-8"
    assert answer["Content-Disposition"] == f'attachment; filename="conversation-{conversation.pk}.html"'
    assert answer["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert answer["Access-Control-Allow-Origin"] == SHOP
    assert answer["Cache-Control"] == "no-store"
    html = answer.content.decode()
    assert "<script" not in html
    assert "<h1>Your conversation with Acme Support</h1>" in html
    bodies = [
        "My parcel &lt;b&gt;never&lt;/b&gt; came",
        "Sorry! Checking now.",
        "Here is the label.",
        "Thanks!",
    ]
    assert [html.index(body) for body in bodies] == sorted(html.index(body) for body in bodies)
    assert html.count('<span class="who">You</span>') == 2 and html.count('<span class="who">Ana</span>') == 2
    assert "VIP, be nice" not in html
    assert "resolved" not in html.split("<ol>")[1]  # the resolution is an agent-only line
    attachment = conversation.messages.get(body="Here is the label.").attachments.get()
    assert f'<a href="{settings.PUBLIC_URL}{attachment.file.url}">📎 label.pdf</a>' in html


def test_another_customers_conversation_is_not_found(client, inbox, agent):
    visitor = session(client, inbox)
    theirs = talked(inbox, ContactFactory(name="Someone else"), agent)
    elsewhere = InboxFactory(allowed_origins=SHOP)  # the visitor's contact, on another inbox
    on_another_inbox = services.message_receive(
        inbox=elsewhere, contact=Contact.objects.get(pk=visitor["contact_id"]), body="Hi"
    ).conversation

    for conversation in (theirs, on_another_inbox):
        answer = download(client, inbox, conversation.pk, visitor["resume_token"])
        assert answer.status_code == 404
        assert answer.json()["error"] == "not_found"
        assert "Sorry! Checking now." not in answer.content.decode()


def test_without_a_valid_token_of_this_inbox_nothing_is_sent(client, inbox, agent):
    visitor = session(client, inbox)
    conversation = talked(inbox, Contact.objects.get(pk=visitor["contact_id"]), agent)
    other_inbox = InboxFactory(allowed_origins=SHOP)
    other_visitor = session(client, other_inbox)

    refusals = {
        "no token": download(client, inbox, conversation.pk, ""),
        "a forged token": download(client, inbox, conversation.pk, visitor["resume_token"][:-4] + "AAAA"),
        "another inbox's token": download(client, inbox, conversation.pk, other_visitor["resume_token"]),
        "another site": download(
            client, inbox, conversation.pk, visitor["resume_token"], origin="https://evil.example"
        ),
        "no such key": download(client, inbox, conversation.pk, visitor["resume_token"], public_key="nope"),
    }

    assert {name: answer.status_code for name, answer in refusals.items()} == {
        "no token": 401,
        "a forged token": 401,
        "another inbox's token": 401,
        "another site": 403,
        "no such key": 404,
    }
    assert refusals["no token"].json()["error"] == "token_invalid"
    for answer in refusals.values():
        assert "Sorry! Checking now." not in answer.content.decode()


def test_the_token_never_travels_in_the_url(client, inbox, agent):
    visitor = session(client, inbox)
    conversation = talked(inbox, Contact.objects.get(pk=visitor["contact_id"]), agent)
    url = f"/widget/api/v1/conversations/{conversation.pk}/transcript"

    got = client.get(url, {"public_key": inbox.public_key, "resume_token": visitor["resume_token"]})
    preflight = client.options(url, HTTP_ORIGIN=SHOP)

    assert got.status_code == 405
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == SHOP


def test_the_download_costs_the_same_queries_however_long_the_conversation(
    client, inbox, agent, django_assert_num_queries
):
    visitor = session(client, inbox)
    contact = Contact.objects.get(pk=visitor["contact_id"])
    short, long = talked(inbox, contact, agent), talked(inbox, contact, agent)
    for _ in range(10):
        services.message_post_reply(conversation=long, agent=agent, body="One more thing.")
        services.message_receive(inbox=inbox, contact=contact, conversation_id=long.pk, body="Sure.")

    with django_assert_num_queries(6) as short_queries:  # the inbox is the process's (settings_rows)
        download(client, inbox, short.pk, visitor["resume_token"])
    with django_assert_num_queries(len(short_queries)):
        assert download(client, inbox, long.pk, visitor["resume_token"]).status_code == 200
