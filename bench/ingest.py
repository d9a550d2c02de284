"""Message ingest: message_receive (lock, seq, insert, outbox, on_commit) against the baseline of a
bare single-row INSERT with one commit each, both on one Postgres connection, then 4 writers."""

import statistics
import threading
import time
import uuid

from django.db import connection
from django.utils import timezone

from bench.scale import scaled
from conversations import services
from conversations.models import Contact, Conversation, Inbox, Message

MESSAGES = scaled(1500, 100)
WRITERS = 4


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def baseline_inserts(count: int) -> dict:
    with connection.cursor() as cursor:
        # A logged table: a temporary one skips the WAL and would flatter the baseline six-fold.
        cursor.execute("CREATE TABLE bench_baseline (id bigserial primary key, body text, at timestamptz)")
    latencies = []
    started = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        with connection.cursor() as cursor:  # autocommit: one commit per row
            cursor.execute("INSERT INTO bench_baseline (body, at) VALUES (%s, now())", [f"message {n}"])
        latencies.append(time.perf_counter() - t0)
    return {"per_second": _rate(count, time.perf_counter() - started), **_percentiles(latencies)}


def _percentiles(latencies: list[float]) -> dict:
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(cuts[49] * 1000, 3), "p99_ms": round(cuts[98] * 1000, 3)}


def _receive_sequential(inbox: Inbox, count: int) -> dict:
    contact = Contact.objects.create(name="Bench sequential")
    conversation = Conversation.objects.create(inbox=inbox, contact=contact, last_activity_at=timezone.now())
    latencies = []
    started = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        services.message_receive(
            inbox=inbox,
            contact=contact,
            conversation_id=conversation.pk,
            body=f"message {n}",
            client_message_id=uuid.uuid4().hex,
        )
        latencies.append(time.perf_counter() - t0)
    return {"per_second": _rate(count, time.perf_counter() - started), **_percentiles(latencies)}


def _receive_concurrent(inbox: Inbox, count: int, writers: int) -> dict:
    """Each writer its own contact and conversation: what a busy inbox looks like."""
    contacts = [Contact.objects.create(name=f"Bench {n}") for n in range(writers)]
    barrier = threading.Barrier(writers + 1)

    def write(contact: Contact) -> None:
        barrier.wait()
        for n in range(count // writers):
            services.message_receive(inbox=inbox, contact=contact, body=f"message {n}")
        connection.close()

    threads = [threading.Thread(target=write, args=(contact,)) for contact in contacts]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return {"per_second": _rate(count, time.perf_counter() - started), "writers": writers}


def _checks(inbox: Inbox) -> dict[str, bool]:
    """Every message_receive stored one message, and each conversation's seq is 1..last_seq."""
    conversations = Conversation.objects.filter(inbox=inbox)
    threads_intact = all(
        list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
        == list(range(1, conversation.last_seq + 1))
        for conversation in conversations
    )
    expected = MESSAGES + MESSAGES // WRITERS * WRITERS
    return {
        "every_message_stored_once": Message.objects.filter(inbox=inbox).count() == expected,
        "seq_gap_free_per_conversation": threads_intact,
        "one_conversation_per_writer": conversations.count() == 1 + WRITERS,
    }


def run() -> dict:
    inbox = Inbox.objects.create(name="Bench", channel_type="web_widget")
    baseline = baseline_inserts(MESSAGES)
    sequential = _receive_sequential(inbox, MESSAGES)
    concurrent = _receive_concurrent(inbox, MESSAGES, WRITERS)
    return {
        "checks": _checks(inbox),
        "messages": MESSAGES,
        "baseline_bare_insert_1_connection": baseline,
        "message_receive_1_writer": sequential,
        f"message_receive_{WRITERS}_writers": concurrent,
        "ratio_1_writer_vs_bare_insert": round(sequential["per_second"] / baseline["per_second"], 3),
        f"ratio_{WRITERS}_writers_vs_bare_insert": round(
            concurrent["per_second"] / baseline["per_second"], 3
        ),
    }
