"""Outbound delivery through Celery: agent replies on an SMS inbox posted through the product's
message_post_reply (message and outbox row in one transaction, deliver_message enqueued after
commit) at a steady rate, delivered by real Celery worker processes to the fake provider
(`python -m simulator.fake_provider`, 100-300 ms per answer, 1% answered 500); against the
baseline of the same fake driven directly by as many concurrent httpx clients as the worker has
threads (bench/outbound_load.py), measured in the same run.

For each worker set-up in VARIANTS: the steady phase (RATE replies a second for SECONDS, latency
from the message's created_at to the fake's received_at of the accepted send), then a burst
(BURST replies queued while the worker is stopped, then drained: the most sends a second it
does). Checked against the fake's record of accepted sends: every message accepted exactly once,
none missing, every message ends `sent`, every attempt one request at the fake (the report's checks).

Smoke (`python -m bench --smoke outbound`): threads 2x2 and prefork 2, 10 replies a second for
3 s and a burst of 40 over 10 conversations, the fake answering 10% of sends 500 so replies retry.
"""

import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.test.utils import override_settings

from agents.services import agent_create
from bench import outbound_helper, outbound_report
from bench.scale import scaled
from config.celery import app as celery_app
from conversations import services
from conversations.models import ChannelType, Conversation, Inbox
from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeProviderClient


def _variants(raw: str) -> list[tuple[str, int, int]]:
    """ "pool:concurrency[xprocesses]", comma separated: threads:32, threads:16x2, prefork:8."""
    variants = []
    for item in raw.split(","):
        pool, _, rest = item.partition(":")
        concurrency, _, processes = rest.partition("x")
        variants.append((pool, int(concurrency), int(processes or 1)))
    return variants


# Threads share one process (a send waits on the network, not the CPU); prefork forks a child per
# slot. gevent and eventlet are not installed. Smoke: both pools, threads in two processes (the
# single-process set-up runs the same code as one of them), two slots each: every worker start
# costs seconds of a core, and each variant starts its workers twice.
VARIANTS = _variants(
    os.environ.get(
        "BENCH_OUTBOUND_WORKERS", scaled("threads:32,threads:16x2,prefork:8", "threads:2x2,prefork:2")
    )
)
RATE = int(os.environ.get("BENCH_OUTBOUND_RATE", scaled("50", "10")))
SECONDS = int(os.environ.get("BENCH_OUTBOUND_SECONDS", scaled("25", "3")))
BURST = int(os.environ.get("BENCH_OUTBOUND_BURST", scaled("1000", "40")))
CONVERSATIONS = scaled(500, 10)  # smoke: several replies to one conversation at once
POSTERS = 2  # processes posting replies (bench/outbound_poster.py), each half of the rate
LATENCY_MS = "100-300"
# Smoke: 500s enough that its ~140 sends retry some (none: 0.9^140, once in 2.5 million runs)
# and few enough that no reply runs out of its 8 attempts (0.1^8 a reply).
ERROR_RATE = scaled(0.01, 0.1)
BASELINE_SECONDS = scaled(10, 2)  # each of the baseline's open and closed loops
VISIBILITY_TIMEOUT = 60  # the lease of an in-flight send; backoff stays under 80% of it
SETTLE_TIMEOUT = 120  # at either scale: a slow shared machine must not fail a correct run
PHONE_NUMBER = "+15005550006"


def log(*parts: object) -> None:
    print("[outbound]", *parts, file=sys.stderr, flush=True)


def _fixtures() -> tuple[object, list[Conversation]]:
    """An SMS inbox with the fake's Twilio credentials, one agent, and CONVERSATIONS customers who
    wrote in (through contact_identify and message_receive, so each has its phone identity)."""
    inbox = Inbox.objects.create(
        name="Bench outbound SMS",
        channel_type=ChannelType.SMS,
        public_key="bench-outbound-sms",
        config={
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": TWILIO_AUTH_TOKEN,
            "phone_number": PHONE_NUMBER,
        },
    )
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        agent = agent_create(
            username="bench-outbound",
            email="bench-outbound@example.com",
            password=uuid.uuid4().hex,
            inboxes=[inbox],
        )
    conversations = []
    for n in range(CONVERSATIONS):
        phone = f"+1555{n:07d}"
        contact = services.contact_identify(inbox=inbox, source_id=phone, name=f"Customer {n}", phone=phone)
        message = services.message_receive(
            inbox=inbox, contact=contact, body="Hello, is my order on its way?"
        )
        conversations.append(message.conversation)
    return agent, conversations


def _post(
    agent, conversations: list[Conversation], bodies: list[str], rate: float | None, workdir: Path
) -> dict:
    """message_post_reply for each body, round-robin over the conversations, from POSTERS
    processes: paced to `rate` a second in all (open loop), or as fast as they go (None)."""
    return outbound_helper.post_replies(
        agent_id=agent.pk,
        conversation_ids=[conversation.pk for conversation in conversations],
        bodies=bodies,
        rate=rate,
        processes=POSTERS,
        workdir=workdir,
    )


def _wait_settled(message_ids: list[int]) -> bool:
    """Until no message of `message_ids` is still pending (or SETTLE_TIMEOUT)."""
    from conversations.models import Message

    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        if not Message.objects.filter(
            pk__in=message_ids, delivery_status=Message.DeliveryStatus.PENDING
        ).exists():
            return True
        time.sleep(0.25)
    return False


def _variant(
    pool: str, concurrency: int, processes: int, fake_url: str, agent, conversations: list, workdir: Path
) -> dict:
    run = uuid.uuid4().hex[:6]
    provider = FakeProviderClient(fake_url, timeout=30)
    celery_app.control.purge()  # this run's broker database: nothing of anyone else's
    worker = outbound_helper.Workers(
        pool,
        concurrency,
        processes,
        fake_url,
        workdir,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        # Each thread holds a pooled connection while it sends; a prefork child needs one.
        DB_POOL_MAX_SIZE=str(concurrency + 2 if pool == "threads" else 2),
    )
    report = {"pool": pool, "concurrency": concurrency, "processes": processes}
    try:
        worker.start()
        log(f"{pool} x{concurrency} in {processes} process(es): steady {RATE}/s for {SECONDS} s")
        since = len(provider.sends("twilio"))
        requests_since = len(provider.requests("twilio"))
        cpu = outbound_report.CpuMeter(worker.pids)
        bodies = [f"Steady reply {n} of run {run}" for n in range(RATE * SECONDS)]
        posting = _post(agent, conversations, bodies, RATE, workdir)
        steady_ids = posting["message_ids"]
        settled = _wait_settled(steady_ids)
        report["steady"] = outbound_report.steady(
            behind_schedule_s=posting["most_behind_schedule_s"],
            message_ids=steady_ids,
            planned=len(bodies),
            sends=provider.sends("twilio", since=since),
            requests=provider.requests("twilio", since=requests_since),
            offered=RATE,
            started=posting["started"],
            posted=posting["ended"],
            settled=settled,
            cpu=cpu.read(),
        )
        log(f"  steady: {report['steady']['summary']}")
        worker.stop()

        log(f"  burst: {BURST} replies queued with the worker stopped, then drained")
        since = len(provider.sends("twilio"))
        requests_since = len(provider.requests("twilio"))
        bodies = [f"Burst reply {n} of run {run}" for n in range(BURST)]
        burst_ids = _post(agent, conversations, bodies, None, workdir)["message_ids"]
        worker.start()
        cpu = outbound_report.CpuMeter(worker.pids)
        settled = _wait_settled(burst_ids)
        report["burst"] = outbound_report.burst(
            message_ids=burst_ids,
            planned=len(bodies),
            sends=provider.sends("twilio", since=since),
            requests=provider.requests("twilio", since=requests_since),
            settled=settled,
            cpu=cpu.read(),
        )
        log(f"  burst: {report['burst']['summary']}")
    finally:
        report["worker_log_tail"] = worker.log_tail(1500)
        worker.stop()
        provider.close()
    return report


def run() -> dict:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per control call otherwise
    loadavg = [round(x, 2) for x in os.getloadavg()]
    results = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-outbound-") as scratch:
        workdir = Path(scratch)
        fake = outbound_helper.FakeProviderProcess(LATENCY_MS, ERROR_RATE, workdir)
        fake.start()
        try:
            clients = max(concurrency * processes for _, concurrency, processes in VARIANTS)
            log(f"baseline: the fake driven directly, {RATE}/s open loop and {clients} clients closed loop")
            baseline = outbound_helper.run_baseline(
                {
                    "url": fake.url,
                    "path": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json",
                    "account_sid": TWILIO_ACCOUNT_SID,
                    "auth_token": TWILIO_AUTH_TOKEN,
                    "from": PHONE_NUMBER,
                    "recipients": CONVERSATIONS,
                    "rate": RATE,
                    "seconds": BASELINE_SECONDS,
                    "clients": clients,
                    "closed_seconds": BASELINE_SECONDS,
                    "run": uuid.uuid4().hex[:6],
                },
                workdir,
            )
            closed = baseline["closed_loop"]["requests_per_second"]
            log(f"  baseline: open {baseline['open_loop']['latency_ms']}, closed {closed}/s")
            with FakeProviderClient(fake.url) as provider:
                baseline["open_loop"]["to_accepted_ms"] = outbound_report.baseline_to_accepted(
                    baseline["open_loop"], provider.sends("twilio")
                )
                provider.reset()  # the baseline's sends are not Parley's
            agent, conversations = _fixtures()
            for pool, concurrency, processes in VARIANTS:
                results[f"{pool}_{concurrency}x{processes}"] = _variant(
                    pool, concurrency, processes, fake.url, agent, conversations, workdir
                )
        finally:
            fake.stop()
    return outbound_report.report(
        results=results,
        baseline=baseline,
        setup={
            "workers": [f"{pool}:{concurrency}x{processes}" for pool, concurrency, processes in VARIANTS],
            "rate": RATE,
            "seconds": SECONDS,
            "burst": BURST,
            "conversations": CONVERSATIONS,
            "posters": POSTERS,
            "fake_latency_ms": LATENCY_MS,
            "fake_error_rate": ERROR_RATE,
            "visibility_timeout": VISIBILITY_TIMEOUT,
        },
        loadavg=[loadavg, [round(x, 2) for x in os.getloadavg()]],
    )
