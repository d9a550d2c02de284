"""Mail ingest's webhook half (bench/email.py): the same kind of mails forwarded as a Mailgun
route forwards them (raw MIME, signed with the inbox's signing key) to a real Daphne serving
Parley (started as the webhooks benchmark starts its own), by CONNECTIONS posters at once, every
REPLAY_EVERY-th mail posted a second time, re-signed as Mailgun signs its retries. A real Celery
worker applies the receipts meanwhile, as in production: the drains the webhooks queue. Time runs
from the first post until every mail is stored.
"""

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import webhooks_helper
from bench.outbound_helper import Worker
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import ChannelType, Inbox, Message
from simulator.fake_provider.mailgun import MailgunPost, mailgun_forward

SIGNING_KEY = "bench-mailgun-signing-key-0123456789abcdef"
CONNECTIONS = 8
REPLAY_EVERY = 10
WARMUP_MAILS = 10  # the server's and the worker's first requests import and connect: not counted
CATCH_UP_SECONDS = 120  # after the last answer, the most the worker may take to apply the rest


def measure(mails: list[bytes], warmup: list[bytes], media: Path) -> dict:
    """Forward `mails` (after `warmup`, to an inbox of its own) to a fresh Daphne whose storage
    is `media`, and apply them; the figures and the exactly-once checks."""
    inbox, warmup_inbox = _inbox("bench-mail"), _inbox("bench-mail-warmup")
    workdir = Path(tempfile.mkdtemp(prefix="parley-bench-email-"))
    prefix = f"{os.environ.get('CHANNEL_LAYER_PREFIX', 'parley-bench')}-email"
    server = webhooks_helper.daphnes(1, workdir, prefix)[0]
    server.env["MEDIA_ROOT"] = str(media)  # the worker reads what the server kept
    # Storage is where this process keeps it too; no provider is called (the URL answers nothing).
    worker = Worker("prefork", 1, "http://127.0.0.1:9", workdir, "email", MEDIA_ROOT=str(media))
    server.start()
    worker.start()
    try:
        warmup_posts = [mailgun_forward(raw, SIGNING_KEY) for raw in warmup]
        _post_all(f"{server.http}/hooks/mailgun/{warmup_inbox.public_key}/mime", warmup_posts)
        _stored(warmup_inbox, len(warmup))
        # Signed before the clock starts (well inside the 5 minutes a signature holds), so that
        # the posters' CPU goes to posting: the load generator is not what is measured.
        posts = [mailgun_forward(raw, SIGNING_KEY) for raw in [*mails, *mails[::REPLAY_EVERY]]]
        started = time.perf_counter()
        statuses = _post_all(f"{server.http}/hooks/mailgun/{inbox.public_key}/mime", posts)
        posted = time.perf_counter()
        caught_up = _stored(inbox, len(mails))
        finished = time.perf_counter()
    finally:
        worker.stop()
        server.stop()
    receipts_apply_new()  # what the worker left, if it fell behind: counted by the checks below
    seconds = finished - started
    return {
        "per_second": round(len(mails) / seconds, 1),
        "seconds": round(seconds, 2),
        "post_seconds": round(posted - started, 2),
        "catch_up_seconds": round(finished - posted, 2),
        "posts": len(posts),
        "replays": len(posts) - len(mails),
        "connections": CONNECTIONS,
        "statuses": statuses,
        "checks": {
            "webhook_worker_caught_up": caught_up,
            "webhook_every_post_answered_200": statuses == {"200": len(posts)},
            "webhook_every_mail_stored_once": Message.objects.filter(inbox=inbox).count() == len(mails),
            "webhook_one_receipt_per_mail": WebhookReceipt.objects.filter(inbox=inbox).count() == len(mails),
        },
    }


def _stored(inbox: Inbox, count: int) -> bool:
    """Wait until the worker stored `count` messages on `inbox` (at most CATCH_UP_SECONDS)."""
    deadline = time.perf_counter() + CATCH_UP_SECONDS
    while Message.objects.filter(inbox=inbox).count() < count:
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.05)
    return True


def _inbox(key: str) -> Inbox:
    return Inbox.objects.create(
        name=f"Bench mail ({key})",
        channel_type=ChannelType.EMAIL,
        public_key=key,
        config={"address": "support@parley.example", "mailgun_signing_key": SIGNING_KEY},
    )


def _post_all(url: str, posts: list[MailgunPost]) -> dict[str, int]:
    """POST each forward, CONNECTIONS at a time; the answers' statuses."""
    statuses: dict[str, int] = {}
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=CONNECTIONS)) as client:

        def post(forward: MailgunPost) -> str:
            response = client.post(url, content=forward.body, headers={"Content-Type": forward.content_type})
            return str(response.status_code)

        with ThreadPoolExecutor(CONNECTIONS) as pool:
            for status in pool.map(post, posts):
                statuses[status] = statuses.get(status, 0) + 1
    return statuses
