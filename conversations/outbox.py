"""The outbox: work owed to someone outside Parley, kept as rows and worked off by a job, one
attempt at a time. Provider delivery (services/delivery.py) and outbound webhooks
(outbound_webhooks) are two outboxes over their own tables; this is the mechanism they share.

A row waits, is claimed for an attempt (sending, under a lease), and ends done or dead, or waits
again for a retry. The row says when it is next due (`next_attempt_at`; while sending, when the
lease ends), so a job lost on the way, or a worker killed mid-send, costs only time: the requeue
sweep queues every due row no job holds, and a job for a row that is not its to send does nothing.

Each outbox keeps its own columns and its own consequences (a message's delivery status, a
subscription's failure count); its service adds them inside the same transaction.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import jobs


class OutboxRow(Protocol):
    """The columns every outbox table has."""

    pk: Any
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str

    def save(self, *, update_fields: list[str]) -> None: ...


def countdown_ceiling() -> float:
    """The longest countdown a job may carry: a Redis broker hands an unacknowledged task to
    another worker after the visibility timeout, so a longer ETA would run twice."""
    return settings.CELERY_VISIBILITY_TIMEOUT * 0.8


def visibility_lease() -> timedelta:
    """A lease as long as the broker's patience: a worker that dies mid-send has its task handed
    on after the visibility timeout, and the sweep finds its row at the same time."""
    return timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt (one run of a delivery job) came to: the row's state, and `retry_in`
    seconds when the job should queue itself again (None: nothing to queue, or a wait longer
    than a countdown may be, which the sweep picks up when it is due).

    `error` and `due` say why and until when, for the row; two outcomes are equal when they ask
    the same of the job."""

    state: str
    retry_in: float | None = None
    error: str = field(default="", compare=False)
    due: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed attempt is tried again, and when never.

    Exponential backoff with full jitter: after attempt n, a random wait drawn between
    `jitter_from_seconds` and min(cap, base * 2**(n-1)), and at least `minimum_seconds`. No cap
    means the longest countdown a job may carry. Give up after `max_attempts` attempts, or once
    `window` has passed since the first attempt (rows with a window have a `first_attempt_at`);
    None is no limit of that kind.
    """

    base_seconds: float
    cap_seconds: float | None = None
    max_attempts: int | None = None
    window: timedelta | None = None
    minimum_seconds: float = 1.0
    jitter_from_seconds: float = 0.0

    def backoff_seconds(self, attempts: int, retry_after: float | None = None) -> float:
        """The wait after `attempts` attempts; the far end's `retry_after`, where it gave one,
        instead of the draw (still within the minimum and the cap)."""
        cap = countdown_ceiling() if self.cap_seconds is None else self.cap_seconds
        cap = max(self.minimum_seconds, cap)
        if retry_after is not None:
            return min(max(retry_after, self.minimum_seconds), cap)
        ceiling = min(cap, self.base_seconds * 2 ** min(max(attempts - 1, 0), 30))
        return max(self.minimum_seconds, random.uniform(self.jitter_from_seconds, ceiling))

    def deadline(self, first_attempt_at: datetime | None) -> datetime | None:
        if self.window is None or first_attempt_at is None:
            return None
        return first_attempt_at + self.window


@dataclass(frozen=True)
class Outbox:
    """One outbox table, its states and the job that works its rows.

    `job` (a conversations.jobs name) takes the row's `job_key` column, passed through
    `job_argument`. `lease` is how long a claimed row is its worker's. `early_tolerance`: a job
    for a waiting row due later than this does nothing (None: it sends anyway). `sweep_grace`:
    how long past due a row waits for its own job before the sweep queues another. `guard_lease`:
    an attempt's result is written only while the row is still that attempt's, so a worker that
    outlived its lease cannot overwrite the one that took over.
    """

    model: type[models.Model]
    job: str
    job_key: str
    waiting: str
    sending: str
    done: str
    dead: str
    policy: RetryPolicy
    lease: Callable[[], timedelta] = visibility_lease
    early_tolerance: timedelta | None = None
    sweep_grace: timedelta = timedelta(0)
    guard_lease: bool = False
    job_argument: Callable[[Any], Any] = field(default=lambda key: key)

    # --- claiming a row for one attempt (caller holds the row's lock) ---

    def not_now(self, row: OutboxRow, now: datetime) -> DeliveryOutcome | None:
        """Why a job for `row` has nothing to do now, or None when it may claim it."""
        if row.state in (self.done, self.dead):
            return DeliveryOutcome(row.state)
        if row.state == self.sending and row.next_attempt_at > now:
            return DeliveryOutcome(self.sending)  # another worker holds the lease
        if (
            self.early_tolerance is not None
            and row.state == self.waiting
            and row.next_attempt_at > now + self.early_tolerance
        ):
            return DeliveryOutcome(self.waiting)  # not due: its own job or the sweep comes then
        return None

    def lease_take(self, row: OutboxRow, now: datetime, *also: str) -> None:
        """Claim `row` for one attempt: sending, one attempt more, due again when the lease ends
        (if this worker dies mid-send, the sweep hands the row on then). Saves, with the fields
        in `also` the caller changed too."""
        row.state = self.sending
        row.attempts += 1
        row.next_attempt_at = now + self.lease()
        row.save(update_fields=["state", "attempts", "next_attempt_at", *also])

    # --- deciding where a failed attempt leaves the row ---

    def exhausted(self, row: OutboxRow, now: datetime) -> bool:
        """Whether the policy allows no further attempt of `row`."""
        deadline = self._deadline(row)
        return self._attempts_spent(row) or (deadline is not None and now >= deadline)

    def after_failure(
        self,
        row: OutboxRow,
        *,
        error: str,
        now: datetime,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> DeliveryOutcome:
        """Dead when the failure is permanent or the policy allows no more attempts (the end of a
        window is named in the error), else waiting for a retry."""
        if permanent or self._attempts_spent(row):
            return DeliveryOutcome(self.dead, error=error)
        deadline = self._deadline(row)
        if deadline is not None and now >= deadline:
            hours = self.policy.window.total_seconds() / 3600
            error = f"{error} (gave up: still failing {hours:g} hours after the first attempt)"
            return DeliveryOutcome(self.dead, error=error)
        return self.retry_later(row, error=error, now=now, retry_after=retry_after)

    def retry_later(
        self, row: OutboxRow, *, error: str, now: datetime, retry_after: float | None = None
    ) -> DeliveryOutcome:
        """Waiting again, due after the policy's backoff (never past its window). The job carries
        the wait as its countdown when the broker may hold it that long; else the sweep comes."""
        due = now + timedelta(seconds=self.policy.backoff_seconds(row.attempts, retry_after))
        deadline = self._deadline(row)
        if deadline is not None:
            due = min(due, deadline)
        wait = (due - now).total_seconds()
        retry_in = wait if wait <= countdown_ceiling() else None
        return DeliveryOutcome(self.waiting, retry_in, error=error, due=due)

    def _attempts_spent(self, row: OutboxRow) -> bool:
        return self.policy.max_attempts is not None and row.attempts >= self.policy.max_attempts

    def _deadline(self, row: OutboxRow) -> datetime | None:
        if self.policy.window is None:
            return None
        return self.policy.deadline(row.first_attempt_at)  # a windowed table has the column

    # --- recording the attempt and the row's next state ---

    def settle(
        self,
        row: OutboxRow,
        outcome: DeliveryOutcome,
        *,
        attempt: models.Model,
        now: datetime,
        attempt_record: dict[str, Any],
        **columns: Any,
    ) -> bool:
        """Finish `attempt` with `attempt_record` and move `row` to `outcome` (its state, error
        and, when waiting, its due time) with the table's own `columns`. Runs in the caller's
        transaction, where the caller adds its consequences. False when the row was no longer
        this attempt's (guard_lease); the attempt is on record either way."""
        attempt_finish(attempt, now=now, **attempt_record)
        changes = {"state": outcome.state, "last_error": outcome.error, **columns}
        if outcome.due is not None:
            changes["next_attempt_at"] = outcome.due
        rows = self.model._default_manager.filter(pk=row.pk)
        if self.guard_lease:
            rows = rows.filter(state=self.sending, attempts=row.attempts)
        return bool(rows.update(**changes))

    # --- the sweep ---

    def requeue_due(self, *, batch_size: int = 500) -> int:
        """Queue a job for each row due more than `sweep_grace` ago that no job seems to hold: a
        job lost after commit, a retry longer than a countdown may be, a worker killed mid-send
        once its lease ran out. Runs on beat; extra jobs are harmless (`not_now`)."""
        due = list(
            self.model._default_manager.filter(
                state__in=[self.waiting, self.sending],
                next_attempt_at__lte=timezone.now() - self.sweep_grace,
            )
            .order_by("next_attempt_at")
            .values_list(self.job_key, flat=True)[:batch_size]
        )
        for key in due:
            jobs.run(self.job, self.job_argument(key))
        return len(due)


def attempt_finish(attempt: models.Model, *, now: datetime, **record: Any) -> None:
    """End an attempt record (written before the call, so one left unfinished means the worker
    died or lost the answer mid-send) with what the call came to."""
    type(attempt)._default_manager.filter(pk=attempt.pk).update(finished_at=now, **record)
