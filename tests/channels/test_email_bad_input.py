"""The issue's bad input, each through the whole path a mail takes (IMAP from a real Dovecot, its
receipt, the receiving service, storage): malformed MIME, text in a wrong or unknown charset, a
25 MB mail and one with 1,000 attachments are stored, every part of them, with a note where Parley
had to guess; nothing is lost and nothing raises. (Reading each alone: test_email_reading.py; a
loop of auto-replies: test_email_storms.py.)"""

from email import message_from_bytes, policy

import pytest

from channels_in.email.imap import mailbox_poll
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import Attachment, Message
from tests.channels.test_email_imap import imap_inbox, mail, mailbox  # noqa: F401 (fixtures)
from tests.fixtures import fixture_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MALFORMED = fixture_bytes("email/malformed.eml")  # damaged base64, a boundary never closed
UNKNOWN_CHARSET = (
    b"From: bob@example.net\r\nTo: support@parley.example\r\nSubject: Hallo\r\n"
    b"Message-ID: <charset@example.net>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "Grüße aus Köln".encode()
)


def received(dovecot, mailbox, inbox, *raws: bytes) -> None:  # noqa: F811
    dovecot.deliver(*raws, folder=mailbox)
    assert mailbox_poll(inbox).stored == len(raws)
    receipts_apply_new()
    assert set(WebhookReceipt.objects.values_list("state", flat=True)) == {WebhookReceipt.State.APPLIED}


def test_malformed_mime_and_an_unknown_charset_are_stored_with_a_note(dovecot, mailbox, imap_inbox):  # noqa: F811
    received(dovecot, mailbox, imap_inbox, MALFORMED, UNKNOWN_CHARSET)

    broken = Message.objects.get(provider_message_id="<broken@example.net>")
    assert broken.body == "The printer is on fire."
    assert [a.file_name for a in broken.attachments.all()] == ["a.pdf"]  # what could be read of it
    assert broken.email.notes[0].startswith("The mail is malformed (")
    german = Message.objects.get(provider_message_id="<charset@example.net>")
    assert german.body == "Grüße aus Köln"
    assert "read as UTF-8" in " ".join(german.email.notes)


def test_a_mail_with_1000_attachments_is_stored_with_every_one(dovecot, mailbox, imap_inbox):  # noqa: F811
    message = mail(1)
    logs = message_from_bytes(message, policy=policy.default)
    for number in range(1000):
        logs.add_attachment(
            f"line {number}".encode(), maintype="text", subtype="plain", filename=f"log-{number}.txt"
        )

    received(dovecot, mailbox, imap_inbox, logs.as_bytes())

    stored = Message.objects.get()
    assert stored.body == "Question number 1."
    names = set(Attachment.objects.filter(message=stored).values_list("file_name", flat=True))
    assert names == {f"log-{n}.txt" for n in range(1000)}
    last = Attachment.objects.get(message=stored, file_name="log-999.txt")
    with last.file.open("rb") as file:
        assert file.read() == b"line 999"


def test_a_25_mb_mail_is_stored_whole(dovecot, mailbox, imap_inbox):  # noqa: F811
    video = bytes(range(256)) * (25 * 1024 * 1024 // 256)
    big = message_from_bytes(mail(1), policy=policy.default)
    big.add_attachment(video, maintype="video", subtype="mp4", filename="screen.mp4")

    received(dovecot, mailbox, imap_inbox, big.as_bytes())

    [attachment] = Message.objects.get().attachments.all()
    with attachment.file.open("rb") as file:
        assert file.read() == video
