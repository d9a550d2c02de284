"""What a webhook benchmark phase left in the database (bench/webhooks.py): what the generator
sent, the worker's catch-up once the load is over, beat's sweep for the rest, and what each
channel holds against what was sent."""

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection

from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_pending
from conversations.models import Inbox


def _by_channel(empty: type) -> dict:
    return {"sms": empty(), "whatsapp": empty()}


@dataclass
class Sent:
    """What the generator posted, by channel: the distinct provider ids of the originals, the ids
    some request (original or replay) got a 200 for, and how many replays went."""

    ids: dict[str, set[str]] = field(default_factory=lambda: _by_channel(set))
    answered_200: dict[str, set[str]] = field(default_factory=lambda: _by_channel(set))
    replays: dict[str, int] = field(default_factory=lambda: _by_channel(int))

    def note(self, rows: list[list]) -> None:
        for kind, provider_id, replay, _target, status, *_ in rows:
            if replay:
                self.replays[kind] += 1
            else:
                self.ids[kind].add(provider_id)
            if status == 200:
                self.answered_200[kind].add(provider_id)


def applied() -> int:
    return WebhookReceipt.objects.filter(state=WebhookReceipt.State.APPLIED).count()


def worker_catches_up(phase_started: float, applied_before: int, limit_seconds: float) -> dict:
    """Once the load is over: how many receipts the worker had still to apply, and how long it
    took to apply them (a receipt it tried and failed is the sweep's, not counted here)."""
    new = WebhookReceipt.objects.filter(state=WebhookReceipt.State.PENDING, attempts=0)
    backlog, started = new.count(), time.perf_counter()
    while new.exists() and time.perf_counter() - started < limit_seconds:
        time.sleep(0.1)
    ended = time.perf_counter()
    applied_now = applied() - applied_before
    return {
        "backlog_at_end": backlog,
        "catch_up_seconds": round(ended - started, 2),
        "caught_up": not new.exists(),
        "applied": applied_now,
        "applied_per_second": round(applied_now / (ended - phase_started), 1),
    }


def settle() -> dict:
    """Receipts the requests left unapplied (each answered 200, its message not yet stored), then
    beat's sweep (receipts_apply_pending) run until none is left, as production would in 30-90 s."""
    pending = WebhookReceipt.objects.filter(processed_at__isnull=True)
    left = pending.count()
    started, swept_in_all = time.perf_counter(), 0
    for _ in range(1000):  # a bound: 200 a pass
        swept = receipts_apply_pending(older_than=timedelta(0))
        swept_in_all += swept
        if not swept:
            break
    return {
        "left_for_the_sweep": left,
        "applied_by_the_sweep": swept_in_all,
        "still_pending": pending.count(),
        "sweep_seconds": round(time.perf_counter() - started, 2),
    }


def stored_for(inbox: Inbox, kind: str, sent: Sent) -> dict:
    """What the database holds for one channel, against what was sent to it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT provider_message_id, count(*) FROM conversations_message "
            "WHERE inbox_id = %s AND sender_kind = 'contact' GROUP BY 1",
            [inbox.pk],
        )
        stored = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL) "
            "FROM channels_in_webhookreceipt WHERE inbox_id = %s",
            [inbox.pk],
        )
        receipts, pending = cursor.fetchone()
        cursor.execute(
            "SELECT last_error, count(*) FROM channels_in_webhookreceipt WHERE inbox_id = %s "
            "AND last_error <> '' GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
            [inbox.pk],
        )
        errors = [f"{count} x {error[:300]}" for error, count in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*), count(DISTINCT contact_id) FROM conversations_conversation WHERE inbox_id = %s",
            [inbox.pk],
        )
        conversations, contacts = cursor.fetchone()
    expected, answered = sent.ids[kind], sent.answered_200[kind]
    return {
        "distinct_ids_sent": len(expected),
        "distinct_ids_answered_200": len(answered),
        "replays_sent": sent.replays[kind],
        "messages": sum(stored.values()),
        "distinct_ids_stored": len(stored),
        "missing": len(expected - stored.keys()),
        "missing_answered_200": len(answered - stored.keys()),
        "duplicated": sum(1 for count in stored.values() if count > 1),
        "not_sent_but_stored": len(stored.keys() - expected),
        "receipts": receipts,
        "receipts_pending": pending,
        "receipt_errors": errors,
        "conversations": conversations,
        "contacts_with_a_conversation": contacts,
    }
