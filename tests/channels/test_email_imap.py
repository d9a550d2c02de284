"""Mail in by IMAP from a real server (Dovecot): every mail stored exactly once, when polled
again, when two pollers race, when a poller dies mid-fetch, and when the folder is recreated
(a new UIDVALIDITY)."""

import os
import signal
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from channels_in.email.imap import mailbox_poll
from channels_in.models import MailboxCursor, WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import Message
from tests.factories.conversations import InboxFactory
from tests.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def mail(number: int, size: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <customer{number}@example.net>"
    message["To"] = "support@parley.example"
    message["Subject"] = f"Question {number}"
    message["Message-ID"] = f"<q{number}.{time.time_ns()}@example.net>"
    message.set_content(f"Question number {number}.")
    if size:  # bulk a person never reads: a mail program's HTML version
        message.add_alternative(
            f"<p>Question number {number}.</p>" + "<!-- padding -->" * (size // 16), subtype="html"
        )
    return message.as_bytes()


@pytest.fixture
def mailbox(dovecot):
    """An empty folder of the test mailbox, its own for this test."""
    folder = f"T{time.time_ns()}"
    with dovecot.client() as client:
        client.create_folder(folder)
    return folder


@pytest.fixture
def imap_inbox(dovecot, mailbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return InboxFactory(
        name="Mail",
        channel_type="email",
        config={"address": "support@parley.example", **dovecot.config(), "imap_folder": mailbox},
    )


def test_each_mail_is_stored_once_and_a_second_poll_finds_nothing_new(dovecot, mailbox, imap_inbox):
    dovecot.deliver(mail(1), mail(2), mail(3), folder=mailbox)

    assert mailbox_poll(imap_inbox).stored == 3
    assert mailbox_poll(imap_inbox).stored == 0
    receipts_apply_new()

    assert sorted(Message.objects.values_list("body", flat=True)) == [
        f"Question number {n}." for n in (1, 2, 3)
    ]
    dovecot.deliver(mail(4), folder=mailbox)
    assert mailbox_poll(imap_inbox).stored == 1
    receipts_apply_new()
    assert Message.objects.count() == 4
    with dovecot.client() as client:  # the business's mailbox is read, never changed
        client.select_folder(mailbox, readonly=True)
        assert all(b"\\Seen" not in flags for flags in client.get_flags(client.search()).values())


def test_a_recreated_folder_is_read_again_without_storing_a_mail_twice(dovecot, mailbox, imap_inbox):
    first = mail(1)
    dovecot.deliver(first, folder=mailbox)
    mailbox_poll(imap_inbox)
    with dovecot.client() as client:  # the folder deleted and made again: a new UIDVALIDITY
        client.delete_folder(mailbox)
        client.create_folder(mailbox)
    dovecot.deliver(first, mail(2), folder=mailbox)

    assert mailbox_poll(imap_inbox).stored == 2  # both read again...
    receipts_apply_new()
    assert WebhookReceipt.objects.count() == 2 and Message.objects.count() == 2  # ...the first kept once


@pytest.mark.django_db(transaction=True)
def test_two_pollers_racing_store_each_mail_once(dovecot, mailbox, imap_inbox):
    dovecot.deliver(*(mail(n) for n in range(40)), folder=mailbox)
    stored, errors = [], []

    def poll() -> None:
        try:
            stored.append(mailbox_poll(imap_inbox).stored)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    [poller.start() for poller in pollers]
    [poller.join(timeout=60) for poller in pollers]

    assert errors == []
    assert sorted(stored) in ([0, 40], [40, 40])  # the second was busy, or came after: nothing new
    receipts_apply_new()
    assert WebhookReceipt.objects.count() == 40 and Message.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_a_poller_killed_mid_fetch_stores_nothing_and_the_next_stores_everything(
    dovecot, mailbox, imap_inbox, tmp_path
):
    dovecot.deliver(*(mail(n, size=100_000) for n in range(150)), folder=mailbox)
    stored_files = tmp_path / "inbound-mail"

    child = subprocess.Popen(
        [sys.executable, "-c", POLL_IN_A_PROCESS, str(imap_inbox.pk)], env=_child_env(tmp_path)
    )
    deadline = time.monotonic() + 60
    while not (stored_files.exists() and any(stored_files.rglob("*.eml"))):  # the first batch is kept
        assert child.poll() is None and time.monotonic() < deadline, (
            "the poller ended before it stored anything"
        )
        time.sleep(0.002)
    os.kill(child.pid, signal.SIGKILL)  # a worker that dies: no commit
    child.wait()

    cursor = MailboxCursor.objects.get(inbox=imap_inbox)
    assert cursor.last_uid == 0, "the poll finished before it could be killed"
    assert WebhookReceipt.objects.count() == 0
    poll = mailbox_poll(imap_inbox)
    while poll.busy:  # the dead poller's lock lasts until Postgres notices its session is gone
        assert time.monotonic() < deadline + 30, "the dead poller's lock was never released"
        time.sleep(0.05)
        poll = mailbox_poll(imap_inbox)
    assert poll.stored == 150
    receipts_apply_new()  # a worker that took the poll's queued drain may hold one meanwhile
    failed = WebhookReceipt.objects.exclude(last_error="").values_list("last_error", flat=True)
    assert list(failed) == []
    # The worker applying its share of 150 mails of 100 KB may take a while on a busy machine:
    # this test is about what is stored, not how fast.
    wait_until(lambda: Message.objects.count() == 150, seconds=60)


POLL_IN_A_PROCESS = """
import sys, django
django.setup()
from channels_in.email.imap import mailbox_poll
from conversations.models import Inbox
mailbox_poll(Inbox.objects.get(pk=int(sys.argv[1])))
"""


def _child_env(media_root: Path) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "localhost",
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
