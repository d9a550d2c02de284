"""Mail in by Mailgun's inbound webhook (a route forwarding the raw MIME to
/hooks/mailgun/<inbox key>/mime): posted in Mailgun's form and signed as Mailgun signs, verified
before anything is kept, and kept as IMAP's mail is, so a mail that comes both ways, or twice,
is one message."""

import os
import time
from email.message import EmailMessage

import pytest

from channels_in.email.imap import mailbox_poll
from channels_in.email.inbound import mails_store
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import Message
from simulator.fake_provider.mailgun import MailgunPost, mailgun_forward
from tests.channels.worker import applied
from tests.factories.conversations import InboxFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SIGNING_KEY = "key-0123456789abcdef0123456789abcdef"
URL = "/hooks/mailgun/mail-main/mime"


def mail(number: int, message_id: str | None = None, attachment: bytes = b"") -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <customer{number}@example.net>"
    message["To"] = "support@parley.example"
    message["Subject"] = f"Question {number}"
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(f"Question number {number}.")
    if attachment:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="invoice.pdf")
    return message.as_bytes()


@pytest.fixture
def email_inbox(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return InboxFactory(
        name="Mail",
        channel_type="email",
        public_key="mail-main",
        config={"address": "support@parley.example", "mailgun_signing_key": SIGNING_KEY},
    )


def post(client, forward: MailgunPost, url: str = URL):
    return client.generic("POST", url, forward.body, content_type=forward.content_type)


def test_a_signed_forward_lands_as_one_message(client, email_inbox):
    response = applied(post(client, mailgun_forward(mail(1, "<q1@example.net>"), SIGNING_KEY)))

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.body, message.provider_message_id) == ("Question number 1.", "<q1@example.net>")
    assert message.conversation.contact.email == "customer1@example.net"
    assert WebhookReceipt.objects.get().provider == "mailgun"


def test_the_same_mail_forwarded_again_is_still_one_message(client, email_inbox):
    raw = mail(2, "<q2@example.net>")
    first = mailgun_forward(raw, SIGNING_KEY)
    assert applied(post(client, first)).status_code == 200
    assert applied(post(client, first)).status_code == 403  # the very same post: a replayed token
    assert applied(post(client, mailgun_forward(raw, SIGNING_KEY))).status_code == 200  # Mailgun's retry

    assert Message.objects.count() == 1 and WebhookReceipt.objects.count() == 1


@pytest.mark.parametrize(
    "forward",
    [
        pytest.param(lambda raw: mailgun_forward(raw, "key-someone-else"), id="forged"),
        pytest.param(lambda raw: mailgun_forward(raw, SIGNING_KEY, signature=""), id="unsigned"),
        pytest.param(
            lambda raw: mailgun_forward(raw, SIGNING_KEY, timestamp=int(time.time()) - 600), id="stale"
        ),
        pytest.param(
            lambda raw: mailgun_forward(raw, SIGNING_KEY, timestamp=int(time.time()) + 600), id="future"
        ),
    ],
)
def test_a_forward_not_signed_by_mailgun_now_is_refused_and_nothing_is_kept(
    client, email_inbox, tmp_path, forward
):
    response = applied(post(client, forward(mail(3, "<q3@example.net>"))))

    assert response.status_code == 403
    assert not WebhookReceipt.objects.exists() and not Message.objects.exists()
    assert not list(tmp_path.rglob("*.eml"))  # not even the mail's bytes


def test_a_plain_form_post_is_refused_as_unsigned(client, email_inbox):
    response = client.post(URL, {"body-mime": mail(4, "<q4@example.net>").decode()})

    assert response.status_code == 403
    assert not WebhookReceipt.objects.exists()


def test_a_signed_forward_without_a_mail_is_answered_406_so_mailgun_does_not_retry(client, email_inbox):
    forward = mailgun_forward(b"", SIGNING_KEY)
    response = post(client, forward)

    assert response.status_code == 406
    assert "body-mime" in response.content.decode()
    assert not WebhookReceipt.objects.exists()


def test_a_25_mb_mail_is_kept(client, email_inbox):
    raw = mail(5, "<q5@example.net>", attachment=os.urandom(18 * 1024 * 1024))  # base64: 24.3 MB
    assert len(raw) > 24 * 1024 * 1024

    response = applied(post(client, mailgun_forward(raw, SIGNING_KEY)))

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.attachments.get().file_name == "invoice.pdf"


def test_a_forward_to_an_inbox_of_another_channel_is_not_found(client, email_inbox):
    InboxFactory(channel_type="sms", public_key="sms-main", config={"mailgun_signing_key": SIGNING_KEY})

    response = post(client, mailgun_forward(mail(6), SIGNING_KEY), url="/hooks/mailgun/sms-main/mime")

    assert response.status_code == 404
    assert (
        post(client, mailgun_forward(mail(6), SIGNING_KEY), url="/hooks/mailgun/nobody/mime").status_code
        == 404
    )


def test_a_mail_without_a_message_id_is_keyed_as_its_message_is_known(email_inbox):
    mails_store(inbox=email_inbox, raws=[mail(7)], source="mailgun")
    receipts_apply_new()

    message = Message.objects.get()
    assert WebhookReceipt.objects.get().key == f"mail:{message.provider_message_id}"


def test_a_mail_whose_message_id_is_too_long_to_be_an_id_lands_by_its_content(email_inbox):
    raw = mail(8, message_id=f"<{'x' * 300}@example.net>")
    mails_store(inbox=email_inbox, raws=[raw, raw], source="mailgun")
    receipts_apply_new()

    message = Message.objects.get()
    assert message.body == "Question number 8."
    assert WebhookReceipt.objects.get().key == f"mail:{message.provider_message_id}"


def test_a_mail_in_by_imap_and_by_the_webhook_lands_once(client, dovecot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = f"T{time.time_ns()}"
    with dovecot.client() as imap:
        imap.create_folder(folder)
    inbox = InboxFactory(
        name="Mail both ways",
        channel_type="email",
        public_key="mail-both",
        config={
            "address": "support@parley.example",
            **dovecot.config(),
            "imap_folder": folder,
            "mailgun_signing_key": SIGNING_KEY,
        },
    )
    raw = mail(9, f"<q9.{time.time_ns()}@example.net>")
    dovecot.deliver(raw, folder=folder)

    assert mailbox_poll(inbox).stored == 1
    response = applied(post(client, mailgun_forward(raw, SIGNING_KEY), url="/hooks/mailgun/mail-both/mime"))
    assert response.status_code == 200
    assert mailbox_poll(inbox).stored == 0
    receipts_apply_new()

    assert Message.objects.filter(inbox=inbox).count() == 1
    assert WebhookReceipt.objects.filter(inbox=inbox).count() == 1
