"""A mail in the desk's thread (templates/desk/_mail.html) and its HTML frame (desk/views/mail.py):
the subject, copies and folded quote in the entry with no query per message; the HTML sanitised
and served under a policy that runs and loads nothing, remote images only on the agent's word,
and only to agents of the inbox."""

import base64
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_in.email.receiving import mail_receive
from desk.views import mail as mail_view
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory
from tests.fixtures import fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_inbox(db):
    return InboxFactory(name="Mail", channel_type="email", config={"address": "support@parley.example"})


@pytest.fixture
def desk_client(client, mail_inbox):
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=mail_inbox, agent=agent)
    client.force_login(agent)
    return client


def test_the_thread_shows_the_subject_the_copies_and_the_folded_quote(desk_client, mail_inbox):
    message = mail_receive(inbox=mail_inbox, raw=fixture_bytes("email/gmail_reply.eml")).message

    html = desk_client.get(f"/desk/c/{message.conversation_id}/").content.decode()

    assert '<div class="mail-subject">Re: [#42] My order has not arrived</div>' in html
    assert "Cc: bob@example.net" in html
    assert '<details class="mail-quoted"><summary>Show quoted text</summary>' in html
    assert f'src="/desk/c/{message.conversation_id}/m/{message.pk}/mail/"' in html


def test_a_page_of_mails_costs_the_queries_of_a_page_of_chat(desk_client, mail_inbox):
    first = mail_receive(inbox=mail_inbox, raw=fixture_bytes("email/gmail_reply.eml")).message
    path = f"/desk/c/{first.conversation_id}/history/?before=100"
    with CaptureQueriesContext(connection) as one:
        desk_client.get(path)
    for number in range(5):  # five more mails in the same thread
        raw = fixture_bytes("email/gmail_reply.eml").replace(b"CAF=q9Jx8wq2+ZP1", f"more{number}".encode())
        mail_receive(inbox=mail_inbox, raw=raw)
    with CaptureQueriesContext(connection) as six:
        desk_client.get(path)
    assert len(six) == len(one)


def test_the_mail_as_sent_is_sanitised_and_loads_nothing_until_asked(desk_client, mail_inbox):
    message = mail_receive(inbox=mail_inbox, raw=fixture_bytes("email/html_tracking.eml")).message
    path = f"/desk/c/{message.conversation_id}/m/{message.pk}/mail/"

    blocked = desk_client.get(path)
    body = blocked.content.decode()
    assert "<script" not in body and "onload" not in body and "t.shop.example" not in body
    assert "<h1>Deals</h1>" in body
    assert blocked["Content-Security-Policy"].startswith("default-src 'none'; img-src data:;")
    assert "sandbox" in blocked["Content-Security-Policy"]
    assert blocked["X-Frame-Options"] == "SAMEORIGIN"  # framed by the desk, and by nobody else

    asked = desk_client.get(path + "?images=1")
    assert 'src="https://t.shop.example/open.gif?u=jane"' in asked.content.decode()
    assert "img-src data: https: http:" in asked["Content-Security-Policy"]
    assert "<script" not in asked.content.decode()


def test_only_agents_of_the_inbox_see_a_mail(client, mail_inbox):
    message = mail_receive(inbox=mail_inbox, raw=fixture_bytes("email/html_tracking.eml")).message
    client.force_login(AgentProfileFactory().user)  # an agent of other inboxes

    assert client.get(f"/desk/c/{message.conversation_id}/m/{message.pk}/mail/").status_code == 404


def test_an_image_pasted_into_the_mail_shows_in_place_without_loading_anything(desk_client, mail_inbox):
    message = mail_receive(inbox=mail_inbox, raw=fixture_bytes("email/inline_image.eml")).message
    photo = message.attachments.get()
    assert (photo.file_name, photo.mime_type) == ("photo.png", "image/png")  # and listed as a file

    body = desk_client.get(f"/desk/c/{message.conversation_id}/m/{message.pk}/mail/").content.decode()

    inline = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="photo.png"', body)
    assert inline is not None, body
    assert base64.b64decode(inline[1]) == photo.file.open("rb").read()
    assert '<img alt="a missing picture">' in body  # a cid: naming no part: its words, no source
    assert "cid:" not in body


@pytest.mark.parametrize("change", ["no picture", "past the budget"])
def test_an_inline_part_that_is_no_picture_or_too_big_is_not_put_in_place(
    desk_client, mail_inbox, monkeypatch, change
):
    raw = fixture_bytes("email/inline_image.eml")
    if change == "no picture":
        raw = raw.replace(b"Content-Type: image/png", b"Content-Type: text/html")
    else:
        monkeypatch.setattr(mail_view, "INLINE_BYTES", 50)  # the photo is 93 bytes
    message = mail_receive(inbox=mail_inbox, raw=raw).message

    body = desk_client.get(f"/desk/c/{message.conversation_id}/m/{message.pk}/mail/").content.decode()

    assert "data:" not in body
    assert "src=" not in re.search(r'<img [^>]*alt="photo.png"[^>]*>', body)[0]  # its words instead


def test_a_pasted_picture_gone_from_storage_leaves_its_words_not_an_error(desk_client, mail_inbox):
    message = mail_receive(inbox=mail_inbox, raw=fixture_bytes("email/inline_image.eml")).message
    photo = message.attachments.get()
    photo.file.storage.delete(photo.file.name)

    answer = desk_client.get(f"/desk/c/{message.conversation_id}/m/{message.pk}/mail/")

    assert answer.status_code == 200
    assert "src=" not in re.search(r'<img [^>]*alt="photo.png"[^>]*>', answer.content.decode())[0]
