"""Mail ingest (issue 20), by IMAP and by the inbound webhook.

By IMAP: mails delivered to a real IMAP server (Dovecot, started here under its own folder and
port), read by the poller and applied by the receipts' drain, end to end: fetched, kept (bytes
in storage, one receipt each), read (MIME, reply parsing), threaded and stored. Then two pollers
racing over a second batch, for exactly-once. By the webhook: the same kind of mails forwarded
as a Mailgun route forwards them to a real Daphne, with re-signed replays, then applied by the
same drain (bench/email_webhook.py).

Baseline, in the same run: a bare store of the same rows, each mail's bytes and the fields the
desk shows INSERTed with one commit each on the same Postgres connection, with nothing read.
"""

import shutil
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench import email_webhook
from bench.scale import scaled
from channels_in.email.imap import mailbox_poll
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import ChannelType, Conversation, Inbox, Message, MessageEmail
from simulator.mail_servers import Dovecot

MAILS = scaled(1000, 40)
RACED = scaled(300, 20)
CUSTOMERS = scaled(250, 10)  # each writes MAILS / CUSTOMERS mails, the later ones answering the first
TARGET_PER_SECOND = 50


def run() -> dict:
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="parley-bench-dovecot-"))
    root.chmod(0o755)
    media = Path(tempfile.mkdtemp(prefix="parley-bench-media-"))
    settings.MEDIA_ROOT = media  # the kept mails' bytes, gone with the run
    try:
        with Dovecot(root) as server:
            return _measure(server, media)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)


def _measure(server: Dovecot, media: Path) -> dict:
    mails = _mails(MAILS, prefix="a")
    baseline = _bare_store(mails)
    inbox = _inbox(server, "Bench mail")
    server.deliver(*mails, folder="BenchA")

    started = time.perf_counter()
    polls = _poll_until_empty(inbox)
    polled = time.perf_counter()
    applied = receipts_apply_new()
    finished = time.perf_counter()

    raced_inbox = _inbox(server, "Bench mail raced", folder="BenchB")
    server.deliver(*_mails(RACED, prefix="b"), folder="BenchB")
    raced = _race(raced_inbox)
    receipts_apply_new()

    webhook = email_webhook.measure(
        _mails(MAILS, prefix="w"), _mails(email_webhook.WARMUP_MAILS, prefix="x"), media
    )
    seconds = finished - started
    return {
        "mails": MAILS,
        "customers": CUSTOMERS,
        "mail_bytes_mean": round(sum(map(len, mails)) / len(mails)),
        "baseline_bare_store": baseline,
        "imap": {
            "per_second": round(MAILS / seconds, 1),
            "seconds": round(seconds, 2),
            "poll_seconds": round(polled - started, 2),
            "apply_seconds": round(finished - polled, 2),
            "polls": polls,
            "applied": applied,
        },
        "ratio_imap_vs_bare_store": round(MAILS / seconds / baseline["per_second"], 3),
        "webhook": {key: value for key, value in webhook.items() if key != "checks"},
        "ratio_webhook_vs_bare_store": round(webhook["per_second"] / baseline["per_second"], 3),
        "target_per_second": TARGET_PER_SECOND,
        "raced": {"mails": RACED, "stored_by_each_poller": raced},
        "checks": {**_checks(inbox, raced_inbox), **webhook["checks"]},
    }


def _mails(count: int, *, prefix: str) -> list[bytes]:
    """Customers' mails as a mail program writes them: a first question each, then answers to it
    (In-Reply-To), quoting what they answer, with a signature."""
    mails = []
    for number in range(count):
        customer, turn = number % CUSTOMERS, number // CUSTOMERS
        message = EmailMessage()
        message["From"] = f"Customer {customer} <{prefix}.customer{customer}@example.net>"
        message["To"] = "support@parley.example"
        message["Subject"] = ("Re: " if turn else "") + f"Order {prefix}{customer} has not arrived"
        message["Message-ID"] = f"<{prefix}.{customer}.{turn}@example.net>"
        if turn:
            message["In-Reply-To"] = f"<{prefix}.{customer}.{turn - 1}@example.net>"
            message["References"] = " ".join(f"<{prefix}.{customer}.{t}@example.net>" for t in range(turn))
        message["Date"] = "Thu, 03 Dec 2026 10:00:00 +0000"
        quoted = "\n".join(f"> line {n} of what they answer" for n in range(8)) if turn else ""
        signature = f"Best,\nCustomer {customer}\n--\nSent from my phone"
        text = f"Message {turn} about order {customer}: still nothing.\n\n{signature}"
        message.set_content(
            f"{text}\n\nOn Wed, 2 Dec 2026 at 16:02, Support wrote:\n{quoted}" if turn else text
        )
        message.add_alternative(f"<p>{text}</p>", subtype="html")
        mails.append(message.as_bytes())
    return mails


def _bare_store(mails: list[bytes]) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_mail_baseline"
            " (id bigserial primary key, raw bytea, subject text, body text, at timestamptz)"
        )
    started = time.perf_counter()
    for number, raw in enumerate(mails):
        with connection.cursor() as cursor:  # autocommit: one commit per mail
            cursor.execute(
                "INSERT INTO bench_mail_baseline (raw, subject, body, at) VALUES (%s, %s, %s, now())",
                [raw, f"Order {number}", f"Message {number}"],
            )
    seconds = time.perf_counter() - started
    return {"per_second": round(len(mails) / seconds, 1), "seconds": round(seconds, 2)}


def _inbox(server: Dovecot, name: str, folder: str = "BenchA") -> Inbox:
    with server.client() as client:
        client.create_folder(folder)
    return Inbox.objects.create(
        name=name,
        channel_type=ChannelType.EMAIL,
        config={"address": "support@parley.example", **server.config(), "imap_folder": folder},
    )


def _poll_until_empty(inbox: Inbox) -> int:
    polls = 1
    while mailbox_poll(inbox).more:
        polls += 1
    return polls


def _race(inbox: Inbox) -> list[int]:
    stored: list[int] = []

    def poll() -> None:
        try:
            stored.append(mailbox_poll(inbox).stored)
        finally:
            connection.close()

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join()
    while mailbox_poll(inbox).more:  # what a full poll left (at full scale RACED < PER_POLL: none)
        pass
    return sorted(stored)


def _checks(inbox: Inbox, raced_inbox: Inbox) -> dict[str, bool]:
    threads = Conversation.objects.filter(inbox=inbox)
    return {
        "every_mail_stored_once": Message.objects.filter(inbox=inbox).count() == MAILS,
        "one_receipt_per_mail": WebhookReceipt.objects.filter(inbox=inbox).count() == MAILS,
        "no_receipt_failed": not WebhookReceipt.objects.exclude(state=WebhookReceipt.State.APPLIED).exists(),
        "replies_threaded_one_conversation_per_customer": threads.count() == CUSTOMERS,
        "every_mail_kept_its_details": MessageEmail.objects.filter(message__inbox=inbox).count() == MAILS,
        "quotes_folded_away": not Message.objects.filter(inbox=inbox, body__contains="> line").exists(),
        "raced_pollers_stored_each_mail_once": Message.objects.filter(inbox=raced_inbox).count() == RACED
        and WebhookReceipt.objects.filter(inbox=raced_inbox).count() == RACED,
    }
