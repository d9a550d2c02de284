"""The email channel end to end through a real SMTP server on localhost: a customer's mail
stored once, an agent's reply leaving through the outbox with the headers a mail program
threads by, the customer's answer to it threading back, auto-replies and bounces never opening
anything, a bounce failing the mail it reports."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from channels_in.email.addresses import reply_address
from channels_in.email.receiving import mail_receive
from conversations import services
from conversations.models import Conversation, Message, MessageEmail
from conversations.tasks import deliver_message
from simulator.mail_servers import MailServer
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory
from tests.fixtures import fixture_bytes

Status = Conversation.Status


@pytest.fixture
def smtp_server():
    with MailServer() as server:
        yield server


@pytest.fixture
def email_inbox(db, smtp_server):
    return InboxFactory(
        name="ACME Support",
        channel_type="email",
        public_key="mail-main",
        config={
            "address": "support@parley.example",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_security": "none",
        },
    )


@pytest.fixture
def agent(email_inbox):
    agent = AgentProfileFactory(display_name="Sam").user
    InboxMembershipFactory(inbox=email_inbox, agent=agent)
    return agent


def customer_mail(body="My order #1234 has not arrived.", **headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = headers.pop("From", "Jane Doe <jane@example.net>")
    mail["To"] = headers.pop("To", "ACME Support <support@parley.example>")
    mail["Subject"] = headers.pop("Subject", "Where is my order?")
    mail["Message-ID"] = headers.pop("Message_ID", make_msgid(domain="example.net"))
    mail["Date"] = "Thu, 03 Dec 2026 10:00:00 +0000"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


def reply_and_deliver(conversation, agent, body="Hi Jane, it ships today.") -> Message:
    reply = services.message_post_reply(conversation=conversation, agent=agent, body=body)
    deliver_message(reply.pk)
    reply.refresh_from_db()
    return reply


def test_a_mail_is_stored_once_with_what_it_carries(email_inbox):
    raw = customer_mail(Cc="Bob <bob@example.net>")

    first = mail_receive(inbox=email_inbox, raw=raw)
    again = mail_receive(inbox=email_inbox, raw=raw)  # a second poller, a replayed webhook

    assert again.message.pk == first.message.pk and Message.objects.count() == 1
    message = first.message
    assert message.body == "My order #1234 has not arrived."
    assert message.conversation.contact.email == "jane@example.net"
    assert message.conversation.contact.name == "Jane Doe"
    details = MessageEmail.objects.get(message=message)
    assert details.subject == "Where is my order?"
    assert details.cc == ["bob@example.net"]  # in copy of the answer; not us, not Jane


def test_a_reply_leaves_by_smtp_with_the_headers_that_thread_it(email_inbox, agent, smtp_server):
    inbound = mail_receive(
        inbox=email_inbox, raw=customer_mail(Message_ID="<q1@example.net>", Cc="bob@example.net")
    ).message

    reply = reply_and_deliver(inbound.conversation, agent)

    assert reply.delivery_status == Message.DeliveryStatus.SENT
    [received] = smtp_server.received
    mail = received.mail
    assert sorted(received.recipients) == ["bob@example.net", "jane@example.net"]
    assert mail["Subject"] == "Re: Where is my order?"
    assert mail["In-Reply-To"] == "<q1@example.net>"
    assert mail["References"] == "<q1@example.net>"
    assert mail["Message-ID"] == reply.provider_message_id
    assert mail["From"] == "ACME Support <support@parley.example>"
    assert mail["Cc"] == "bob@example.net"
    assert mail["Reply-To"] == f"ACME Support <{reply_address(email_inbox, inbound.conversation_id)}>"
    assert mail["Auto-Submitted"] is None  # a person wrote it
    assert mail.get_body(("plain",)).get_content().strip() == "Hi Jane, it ships today."
    assert "Hi Jane, it ships today." in mail.get_body(("html",)).get_content()


def test_the_customers_answer_threads_back_even_after_resolve_and_a_newer_conversation(email_inbox, agent):
    email_inbox.reopen_policy = email_inbox.ReopenPolicy.START_NEW  # a new mail starts a new conversation
    email_inbox.save()
    first = mail_receive(inbox=email_inbox, raw=customer_mail(Message_ID="<q1@example.net>")).message
    reply = reply_and_deliver(first.conversation, agent)
    services.conversation_resolve(conversation=first.conversation, actor=agent)
    newer = mail_receive(
        inbox=email_inbox,
        raw=customer_mail("Another question", Subject="Invoice", Message_ID="<q2@example.net>"),
    ).message
    assert newer.conversation_id != first.conversation_id

    answer = mail_receive(
        inbox=email_inbox,
        raw=customer_mail(
            "Thanks, got it!",
            Subject="Re: Where is my order?",
            Message_ID="<q3@example.net>",
            In_Reply_To=reply.provider_message_id,
            References=f"<q1@example.net> {reply.provider_message_id}",
        ),
    ).message

    assert answer.conversation_id == first.conversation_id
    assert Conversation.objects.get(pk=first.conversation_id).status == Status.OPEN  # opened again


def test_the_reply_address_threads_a_mail_that_lost_its_headers(email_inbox, agent):
    first = mail_receive(inbox=email_inbox, raw=customer_mail()).message
    mail_receive(inbox=email_inbox, raw=customer_mail("Other", Subject="Other", Message_ID="<x@example.net>"))

    answer = mail_receive(
        inbox=email_inbox,
        raw=customer_mail(
            "Written fresh to the reply address", To=reply_address(email_inbox, first.conversation_id)
        ),
    ).message

    assert answer.conversation_id == first.conversation_id


def test_a_forged_reply_address_or_a_subject_alone_threads_nothing(email_inbox):
    first = mail_receive(inbox=email_inbox, raw=customer_mail()).message
    services.conversation_resolve(conversation=first.conversation, actor=None)
    forged = f"support+c{first.conversation_id}.0000000000@parley.example"

    other = mail_receive(
        inbox=email_inbox,
        raw=customer_mail("Hi", From="mallory@example.org", To=forged, Subject="Re: Where is my order?"),
    ).message

    assert other.conversation_id != first.conversation_id


def test_an_auto_reply_never_reopens_nor_draws_an_answer(email_inbox, agent):
    first = mail_receive(inbox=email_inbox, raw=customer_mail()).message
    reply = reply_and_deliver(first.conversation, agent)
    services.conversation_resolve(conversation=first.conversation, actor=agent)

    outcome = mail_receive(
        inbox=email_inbox,
        raw=customer_mail(
            "I am out of the office.",
            Subject="Out of Office: Re: Where is my order?",
            In_Reply_To=reply.provider_message_id,
            Auto_Submitted="auto-replied",
        ),
    )

    assert outcome.message is None
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.status == Status.RESOLVED
    line = conversation.messages.order_by("-seq").first()
    assert line.is_private and "answered automatically (Auto-Submitted: auto-replied)" in line.body


def test_a_bounce_fails_the_mail_it_reports_with_the_reason(email_inbox, agent):
    first = mail_receive(inbox=email_inbox, raw=customer_mail()).message
    reply = reply_and_deliver(first.conversation, agent)
    bounce = fixture_bytes("email/bounce_550.eml").replace(
        b"<parley.c77.m3.c0ffee@parley.example>", reply.provider_message_id.encode()
    )

    outcome = mail_receive(inbox=email_inbox, raw=bounce)

    assert outcome.message is None
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert reply.provider_error_code == "bounce_5.1.1"
    assert "Recipient address rejected: User unknown" in reply.provider_error
    assert Conversation.objects.get(pk=first.conversation_id).messages.count() == 2  # nothing added


def test_a_refused_recipient_fails_the_reply_with_the_servers_words(email_inbox, agent, smtp_server):
    smtp_server.refuse("jane@example.net", "550 5.1.1 <jane@example.net>: Recipient address rejected")
    first = mail_receive(inbox=email_inbox, raw=customer_mail()).message

    reply = reply_and_deliver(first.conversation, agent)

    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert reply.provider_error_code == "smtp_550"
    assert "Recipient address rejected" in reply.provider_error
    assert smtp_server.received == []


def test_the_composer_starts_with_the_threads_subject_and_copies_and_sends_what_the_agent_set(
    email_inbox, agent, smtp_server, client
):
    inbound = mail_receive(inbox=email_inbox, raw=customer_mail(Cc="bob@example.net")).message
    client.force_login(agent)

    pane = client.get(f"/desk/c/{inbound.conversation_id}/").content.decode()
    assert 'name="subject" id="reply-subject" value="Re: Where is my order?"' in pane
    assert 'name="cc" id="reply-cc" value="bob@example.net"' in pane

    refused = client.post(
        f"/desk/c/{inbound.conversation_id}/reply/",
        {"body": "Hello", "subject": "Re: Where is my order?", "cc": "bob@example.net, not an address"},
    )
    assert refused.status_code == 422 and "Cc “not” is not an email address." in refused.content.decode()
    assert not Message.objects.filter(body="Hello").exists()  # refused whole: nothing stored

    sent = client.post(
        f"/desk/c/{inbound.conversation_id}/reply/",
        {"body": "Shipped today.", "subject": "Your order #1234", "cc": "carol@example.net"},
    )
    assert sent.status_code == 204
    deliver_message(Message.objects.get(body="Shipped today.").pk)
    [received] = smtp_server.received
    assert received.mail["Subject"] == "Your order #1234"
    assert received.mail["Cc"] == "carol@example.net"
    assert sorted(received.recipients) == ["carol@example.net", "jane@example.net"]


def test_characters_postgres_cannot_store_are_replaced_not_refused(email_inbox):
    raw = customer_mail("Before\x00after", Subject="Nul\x00here")

    message = mail_receive(inbox=email_inbox, raw=raw).message

    assert message.body == "Before\ufffdafter"
    assert MessageEmail.objects.get(message=message).subject == "Nul\ufffdhere"


def test_a_reply_with_a_file_carries_it_as_an_attachment(email_inbox, agent, smtp_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    inbound = mail_receive(inbox=email_inbox, raw=customer_mail()).message
    pdf = b"%PDF-1.7\n% the invoice\n"

    reply = services.message_post_reply(
        conversation=inbound.conversation,
        agent=agent,
        body="The invoice you asked for.",
        attachments=[
            services.AttachmentInput(content=pdf, mime_type="application/pdf", file_name="invoice.pdf")
        ],
    )
    deliver_message(reply.pk)

    [received] = smtp_server.received
    [attached] = list(received.mail.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == ("invoice.pdf", "application/pdf")
    assert attached.get_content() == pdf
    assert received.mail.get_body(("plain",)).get_content().strip() == "The invoice you asked for."
