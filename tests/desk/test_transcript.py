"""A conversation downloaded from the desk as one readable HTML document: every public message,
in order, with who wrote it, mail subjects and files linked; never a private note nor an
agent-only line; only for agents of the inbox."""

import pytest

from channels_in.email.receiving import mail_receive
from conversations import services
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory
from tests.fixtures import fixture_bytes

pytestmark = pytest.mark.django_db


def test_the_transcript_has_every_public_message_and_no_private_note(
    client, inbox, agent, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    contact = ContactFactory(name="Ana Silva")
    conversation = services.message_receive(
        inbox=inbox, contact=contact, body="My parcel <b>never</b> came"
    ).conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Sorry! Checking now.")
    services.message_post_reply(
        conversation=conversation, agent=agent, body="Ana sounds upset", is_private=True
    )
    services.message_post_reply(
        conversation=conversation,
        agent=agent,
        body="Here is the label.",
        attachments=[
            services.AttachmentInput(content=b"%PDF-1.7", mime_type="application/pdf", file_name="label.pdf")
        ],
    )
    services.conversation_resolve(conversation=conversation, actor=agent)  # an agent-only line
    client.force_login(agent)

    response = client.get(f"/desk/c/{conversation.pk}/transcript/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="conversation-{conversation.pk}.html"'
    html = response.content.decode()
    bodies = ["My parcel &lt;b&gt;never&lt;/b&gt; came", "Sorry! Checking now.", "Here is the label."]
    assert [html.index(body) for body in bodies] == sorted(html.index(body) for body in bodies)
    assert "Ana sounds upset" not in html and "resolved" not in html.split("<ol>")[1]
    assert "Ana Silva" in html and "label.pdf" in html and f"{settings.PUBLIC_URL}/media/" in html


def test_a_mail_conversation_keeps_its_subjects(client):
    inbox = InboxFactory(channel_type="email", config={"address": "support@parley.example"})
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    message = mail_receive(inbox=inbox, raw=fixture_bytes("email/gmail_reply.eml")).message
    client.force_login(agent)

    html = client.get(f"/desk/c/{message.conversation_id}/transcript/").content.decode()

    assert "Re: [#42] My order has not arrived" in html
    assert "Thanks, it arrived this morning — all good!" in html


def test_only_agents_of_the_inbox_download_it(client, inbox):
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    client.force_login(AgentProfileFactory().user)

    assert client.get(f"/desk/c/{conversation.pk}/transcript/").status_code == 404
