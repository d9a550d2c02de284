"""Mail in by Mailgun's inbound webhook (a route forwarding the raw MIME): verified by Mailgun's
signature, kept as a receipt keyed as IMAP's mail is, so a mail that comes both ways is one
message."""

from email.message import EmailMessage

import pytest

from channels_in.email.inbound import mails_store
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import Message
from tests.factories.conversations import InboxFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def mail(number: int, message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <customer{number}@example.net>"
    message["To"] = "support@parley.example"
    message["Subject"] = f"Question {number}"
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(f"Question number {number}.")
    return message.as_bytes()


@pytest.fixture
def email_inbox(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return InboxFactory(name="Mail", channel_type="email", config={"address": "support@parley.example"})


def test_a_mail_without_a_message_id_is_keyed_as_its_message_is_known(email_inbox):
    raw = mail(1)
    mails_store(inbox=email_inbox, raws=[raw], source="mailgun")
    receipts_apply_new()

    message = Message.objects.get()
    assert WebhookReceipt.objects.get().key == f"mail:{message.provider_message_id}"


def test_a_mail_whose_message_id_is_too_long_to_be_an_id_lands_by_its_content(email_inbox):
    raw = mail(2, message_id=f"<{'x' * 300}@example.net>")
    mails_store(inbox=email_inbox, raws=[raw, raw], source="mailgun")
    receipts_apply_new()

    message = Message.objects.get()
    assert message.body == "Question number 2."
    assert WebhookReceipt.objects.get().key == f"mail:{message.provider_message_id}"
