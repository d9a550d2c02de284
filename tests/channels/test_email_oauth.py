"""OAuth 2.0 sign-in (SASL XOAUTH2) for an email inbox, against a real Dovecot that asks a
local authorization server (simulator/oauth_server.py, RFC 6749 and 7662 on the wire) about
each token, and a real SMTP server that does the same: the token fetched, kept until it
expires, renewed, rotated, and a revoked grant recorded in the provider's words."""

import secrets
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.utils import timezone

from channels_in.email.imap import mailbox_poll
from channels_in.models import MailboxCursor, WebhookReceipt
from channels_in.receipts import receipts_apply_new
from channels_in.tasks import poll_mailbox
from conversations import services
from conversations.models import Message
from conversations.tasks import deliver_message
from simulator.mail_servers import Dovecot, MailServer
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <customer{number}@example.net>"
    message["To"] = Dovecot.USER
    message["Subject"] = f"Question {number}"
    message["Message-ID"] = f"<oauth{number}.{time.time_ns()}@example.net>"
    message.set_content(f"Question number {number}.")
    return message.as_bytes()


@pytest.fixture
def provider(oauth_server):
    """The authorization server, with a client of this test's own (so no token another test
    left in the cache is this test's) and its defaults back."""
    oauth_server.client_id = f"client-{secrets.token_hex(6)}"
    oauth_server.client_secret = secrets.token_urlsafe(24)
    oauth_server.lifetime, oauth_server.rotate = 3600, False
    oauth_server.token_requests.clear()
    yield oauth_server
    oauth_server.rotate = False


@pytest.fixture
def mailbox(dovecot_oauth):
    folder = f"T{time.time_ns()}"
    with dovecot_oauth.client() as client:
        client.create_folder(folder)
    return folder


def oauth_config(provider, **extra) -> dict:
    return {
        "oauth_token_url": provider.token_url,
        "oauth_client_id": provider.client_id,
        "oauth_client_secret": provider.client_secret,
        **extra,
    }


@pytest.fixture
def oauth_inbox(dovecot_oauth, mailbox, provider, settings, tmp_path):
    """Gmail's way: a refresh token the mailbox's owner consented to; no password at all."""
    settings.MEDIA_ROOT = tmp_path
    imap = {key: value for key, value in dovecot_oauth.config().items() if key != "imap_password"}
    return InboxFactory(
        name="Mail by OAuth",
        channel_type="email",
        config={
            "address": Dovecot.USER,
            **imap,
            "imap_folder": mailbox,
            **oauth_config(provider, oauth_refresh_token=provider.grant()),
        },
    )


def grants(provider) -> list[str]:
    return [form["grant_type"] for form in provider.token_requests]


def test_a_poll_signs_in_by_xoauth2_and_stores_the_mail(dovecot_oauth, mailbox, oauth_inbox, provider):
    dovecot_oauth.deliver(mail(1), folder=mailbox)

    assert mailbox_poll(oauth_inbox).stored == 1
    dovecot_oauth.deliver(mail(2), folder=mailbox)
    assert mailbox_poll(oauth_inbox).stored == 1
    receipts_apply_new()

    assert sorted(Message.objects.values_list("body", flat=True)) == [
        "Question number 1.",
        "Question number 2.",
    ]
    assert grants(provider) == ["refresh_token"]  # the second poll signed in with the kept token
    assert provider.token_requests[0]["client_secret"] == provider.client_secret  # client_secret_post
    assert (
        "Login: user=<support@parley.example>, method=XOAUTH2"
        in (dovecot_oauth.root / "dovecot.log").read_text()
    )


def test_an_expired_token_is_renewed_and_a_rotated_refresh_token_kept(
    dovecot_oauth, mailbox, oauth_inbox, provider
):
    provider.lifetime, provider.rotate = 600, True
    first_refresh_token = oauth_inbox.config["oauth_refresh_token"]
    dovecot_oauth.deliver(mail(1), folder=mailbox)
    assert mailbox_poll(oauth_inbox).stored == 1
    oauth_inbox.refresh_from_db()
    rotated = oauth_inbox.config["oauth_refresh_token"]
    assert rotated != first_refresh_token  # the provider's new one, stored in the inbox's config

    for hop in (1, 2):  # past the token's life twice: each time a new one, from the newest refresh token
        with time_machine.travel(timezone.now() + timedelta(seconds=600 * hop), tick=True):
            dovecot_oauth.deliver(mail(1 + hop), folder=mailbox)
            assert mailbox_poll(oauth_inbox).stored == 1
    oauth_inbox.refresh_from_db()

    assert grants(provider) == ["refresh_token"] * 3
    assert [form["refresh_token"] for form in provider.token_requests][1] == rotated
    assert oauth_inbox.config["oauth_refresh_token"] not in (first_refresh_token, rotated)
    receipts_apply_new()
    assert Message.objects.count() == 3


def test_a_token_the_server_stops_taking_before_it_expires_is_renewed(
    dovecot_oauth, mailbox, oauth_inbox, provider
):
    dovecot_oauth.deliver(mail(1), folder=mailbox)
    assert mailbox_poll(oauth_inbox).stored == 1
    provider.expire_access_tokens()  # the kept token still has an hour, by its expires_in

    dovecot_oauth.deliver(mail(2), folder=mailbox)
    assert mailbox_poll(oauth_inbox).stored == 1
    assert grants(provider) == ["refresh_token", "refresh_token"]


def test_a_revoked_refresh_token_records_the_providers_words_and_stores_nothing_twice(
    dovecot_oauth, mailbox, oauth_inbox, provider
):
    dovecot_oauth.deliver(mail(1), mail(2), folder=mailbox)
    assert poll_mailbox(oauth_inbox.pk) == 2
    provider.revoke(oauth_inbox.config["oauth_refresh_token"])  # the owner withdrew consent
    dovecot_oauth.deliver(mail(3), folder=mailbox)

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):  # the kept token expired
        assert [poll_mailbox(oauth_inbox.pk) for _ in range(2)] == [0, 0]  # two beats
        error = MailboxCursor.objects.get(inbox=oauth_inbox).last_error
        assert error.startswith("OAuthSignInError: The token endpoint at 127.0.0.1 refused the sign-in: ")
        assert error.endswith("invalid_grant: Token has been expired or revoked.")
        assert provider.client_secret not in error and oauth_inbox.config["oauth_refresh_token"] not in error
        assert WebhookReceipt.objects.count() == 2

        oauth_inbox.config["oauth_refresh_token"] = provider.grant()  # the admin signs the mailbox in again
        oauth_inbox.save()
        assert poll_mailbox(oauth_inbox.pk) == 1
    assert MailboxCursor.objects.get(inbox=oauth_inbox).last_error == ""
    receipts_apply_new()
    assert sorted(Message.objects.values_list("body", flat=True)) == [
        f"Question number {n}." for n in (1, 2, 3)
    ]


def test_app_only_sign_in_uses_the_client_credentials_grant_with_its_scope(
    dovecot_oauth, mailbox, oauth_inbox, provider
):
    """Microsoft 365's app-only access (IMAP.AccessAsApp): no refresh token, a scope instead."""
    del oauth_inbox.config["oauth_refresh_token"]
    oauth_inbox.config["oauth_scope"] = "https://outlook.office365.com/.default"
    oauth_inbox.save()
    dovecot_oauth.deliver(mail(1), folder=mailbox)

    assert mailbox_poll(oauth_inbox).stored == 1
    assert provider.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "scope": "https://outlook.office365.com/.default",
        }
    ]


@pytest.fixture
def bearer_smtp(provider):
    with MailServer(
        accept_bearer=lambda user, token: user == Dovecot.USER and provider.active(token)
    ) as server:
        yield server


@pytest.fixture
def smtp_inbox(db, bearer_smtp, provider):
    return InboxFactory(
        name="Mail out by OAuth",
        channel_type="email",
        config={
            "address": Dovecot.USER,
            "smtp_host": "127.0.0.1",
            "smtp_port": bearer_smtp.port,
            "smtp_security": "none",
            "smtp_username": Dovecot.USER,
            **oauth_config(provider, oauth_refresh_token=provider.grant()),
        },
    )


def reply(inbox) -> Message:
    contact = services.contact_identify(inbox=inbox, source_id="jane@example.net", email="jane@example.net")
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Where is it?").conversation
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    message = services.message_post_reply(conversation=conversation, agent=agent, body="It ships today.")
    deliver_message(message.pk)
    message.refresh_from_db()
    return message


def test_a_reply_is_sent_by_smtp_signed_in_by_xoauth2(smtp_inbox, bearer_smtp, provider):
    sent = reply(smtp_inbox)

    assert sent.delivery_status == Message.DeliveryStatus.SENT
    assert bearer_smtp.signed_in == [Dovecot.USER]
    assert [received.recipients for received in bearer_smtp.received] == [["jane@example.net"]]
    assert "It ships today." in bearer_smtp.received[0].mail.get_body(("plain",)).get_content()
    assert grants(provider) == ["refresh_token"]


def test_a_token_the_smtp_server_refuses_is_renewed_once(smtp_inbox, bearer_smtp, provider):
    assert reply(smtp_inbox).delivery_status == Message.DeliveryStatus.SENT
    provider.expire_access_tokens()

    assert reply(smtp_inbox).delivery_status == Message.DeliveryStatus.SENT
    assert len(bearer_smtp.received) == 2 and grants(provider) == ["refresh_token", "refresh_token"]


def test_a_revoked_refresh_token_fails_the_reply_with_the_providers_words(smtp_inbox, bearer_smtp, provider):
    provider.revoke(smtp_inbox.config["oauth_refresh_token"])

    failed = reply(smtp_inbox)

    assert failed.delivery_status == Message.DeliveryStatus.FAILED
    assert failed.provider_error_code == "oauth_invalid_grant"
    assert "refused the sign-in: invalid_grant: Token has been expired or revoked." in failed.provider_error
    assert bearer_smtp.received == []
