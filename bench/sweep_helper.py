"""The expiry benchmark's sweep worker: a process of its own that drains
conversations.services.live_sessions_expire_batch as beat's task does (one bounded batch per call,
on a low-priority thread, conversations.pacing, the next after its rest, services.expiry_rest,
while a batch was full) and times every call. A process, like
the Celery worker that runs the sweep in production: the sweep shares it with its own event
publisher thread, and what that publisher has not sent when the worker exits is dropped with it,
not left to run into the next measurement.

Run by bench/expiry.py as `python -m bench.sweep_helper SPEC.json RESULT.json`, with the Django
settings of the server under test in its environment: it prints READY once set up and starts on
the next line it reads on stdin. SPEC: now (ISO, the seed's clock), batch_size, limit_seconds
(stop a drain still going then), publish_wait_seconds (for the publisher after the drain).
BENCH_SWEEP_PROFILE=<path> writes the drains' cProfile statistics there (the last drain's).
"""

import cProfile
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from conversations import events, services  # noqa: E402
from conversations.pacing import at_low_priority  # noqa: E402


@dataclass
class Batch:
    ended: int
    more: bool  # the batch was full: the task queues the next one after its pause
    total_ms: float  # the call, as beat's task sees it
    transaction_ms: float  # until its commit: the time its row locks are held
    after_commit_ms: float  # what runs on commit: queueing the jobs that route and announce
    queries: int
    queries_after_commit: int
    events: int  # events handed to the publisher (each goes to one or two groups)
    thread_cpu_ms: float = 0.0  # the batch's thread on a core (conversations.pacing.Ran)
    thread_waited_ms: float = 0.0  # the batch's thread ready, waiting for a core
    rest_ms: float = 0.0  # the pause after it (services.expiry_rest), as the task would take


@dataclass
class Drain:
    batches: list[Batch] = field(default_factory=list)
    seconds: float = 0.0
    drained: bool = False
    started_at: float = 0.0  # time.monotonic(): one clock for every process on the machine
    sql: list[str] = field(default_factory=list)  # the first call's statements
    publisher_seconds: float | None = None  # until the publisher had sent what the sweep announced
    events_unsent_at_end: int | None = None  # still queued in the publisher when the drain ended
    events_unsent_after_wait: int | None = None  # and after publish_wait_seconds (then dropped)

    @property
    def ended(self) -> int:
        return sum(batch.ended for batch in self.batches)


@contextmanager
def counting_events(counter: list[int]):
    """Count the events handed to this process's publisher (they are still sent)."""
    submit_many = events.publisher.submit_many

    def counted(sends) -> None:
        counter[0] += len(sends)
        submit_many(sends)

    events.publisher.submit_many = counted
    try:
        yield
    finally:
        del events.publisher.submit_many  # the instance attribute: the method shows through again


def one_batch(now: datetime, batch_size: int, counter: list[int]) -> Batch:
    """One call of the sweep inside an outer transaction of ours, so its commit can be timed: our
    on_commit callback, registered first, marks the commit; the sweep's own run after it."""
    queries = [0, 0]
    committed: list[float] = []

    def count(execute, sql, params, many, context):
        queries[1 if committed else 0] += 1
        return execute(sql, params, many, context)

    events_before = counter[0]
    started = time.perf_counter()
    with connection.execute_wrapper(count), transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        batch = services.live_sessions_expire_batch(now=now, batch_size=batch_size)
    finished = time.perf_counter()
    commit = committed[0] if committed else finished
    return Batch(
        ended=batch.ended,
        more=batch.more,
        total_ms=round((finished - started) * 1000, 2),
        transaction_ms=round((commit - started) * 1000, 2),
        after_commit_ms=round((finished - commit) * 1000, 2),
        queries=queries[0],
        queries_after_commit=queries[1],
        events=counter[0] - events_before,
    )


def first_batch(now: datetime, batch_size: int, counter: list[int]) -> tuple[Batch, list[str]]:
    """The first batch, with its statements (the report shows them)."""
    with CaptureQueriesContext(connection) as first:
        batch = one_batch(now, batch_size, counter)
    return batch, [query["sql"] for query in first.captured_queries]


def drain(now: datetime, *, batch_size: int, limit: float, profiler: cProfile.Profile | None = None) -> Drain:
    """Call the sweep as its task does (each batch on a low-priority thread), the next batch its
    rest after a full one, until a batch is not full, or `limit` seconds have passed. A profiler
    is enabled around each batch, on the thread that runs it."""
    result = Drain(started_at=time.monotonic())
    counter = [0]
    started = time.perf_counter()

    def call(function):
        if profiler is None:
            ran = at_low_priority(function, now=now, batch_size=batch_size, counter=counter)
        else:
            ran = at_low_priority(lambda: profiler.runcall(function, now, batch_size, counter))
        batch = ran.result[0] if function is first_batch else ran.result
        batch.thread_cpu_ms = round(ran.cpu_seconds * 1000, 2)
        batch.thread_waited_ms = round(ran.waited_seconds * 1000, 2)
        batch.rest_ms = round(services.expiry_rest(ran) * 1000, 2)
        result.batches.append(batch)
        return ran.result

    with counting_events(counter):
        _, result.sql = call(first_batch)
        while result.batches[-1].more and time.perf_counter() - started < limit:
            time.sleep(result.batches[-1].rest_ms / 1000)
            call(one_batch)
    result.seconds = round(time.perf_counter() - started, 2)
    result.drained = not result.batches[-1].more
    return result


def merged(drains: list[Drain]) -> Drain:
    """Drains that ran side by side (one per worker process) as one: from the first one's start
    to the last one's end, every batch of each, drained when each found no more."""
    if len(drains) == 1:
        return drains[0]
    started = min(drain.started_at for drain in drains)
    waits = [drain.publisher_seconds for drain in drains]
    unsent_at_end = [drain.events_unsent_at_end for drain in drains]
    unsent_after = [drain.events_unsent_after_wait for drain in drains]
    return Drain(
        batches=[batch for drain in drains for batch in drain.batches],
        seconds=round(max(drain.started_at + drain.seconds for drain in drains) - started, 2),
        drained=all(drain.drained for drain in drains),
        started_at=started,
        sql=drains[0].sql,
        publisher_seconds=None if None in waits else max(waits),
        events_unsent_at_end=None if None in unsent_at_end else sum(unsent_at_end),
        events_unsent_after_wait=None if None in unsent_after else sum(unsent_after),
    )


def quantiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max": round(ordered[-1], 1),
    }


def figures(result: Drain) -> dict:
    """The drain in numbers; per-call figures over the calls that ended something."""
    working = [batch for batch in result.batches if batch.ended] or result.batches
    return {
        "ended": result.ended,
        "drained": result.drained,
        "calls": len(result.batches),
        "total_s": result.seconds,
        "sessions_per_second": round(result.ended / result.seconds, 1) if result.seconds else None,
        "batch_ms": quantiles([b.total_ms for b in working]),
        "batch_in_transaction_ms": quantiles([b.transaction_ms for b in working]),
        "batch_after_commit_ms": quantiles([b.after_commit_ms for b in working]),
        "batch_thread_cpu_ms": quantiles([b.thread_cpu_ms for b in working]),
        "batch_thread_waited_ms": quantiles([b.thread_waited_ms for b in working]),
        "rest_ms": quantiles([b.rest_ms for b in working]),
        "queries_per_batch": quantiles([b.queries for b in working]),
        "queries_after_commit_per_batch": quantiles([b.queries_after_commit for b in working]),
        "events_per_batch": quantiles([b.events for b in working]),
        "events_total": sum(b.events for b in result.batches),
        "final_call_ms": result.batches[-1].total_ms if result.drained else None,
        "publisher_seconds_after_drain": result.publisher_seconds,
        "events_unsent_at_drain_end": result.events_unsent_at_end,
        "events_unsent_after_wait": result.events_unsent_after_wait,
        "first_calls_ms": [b.total_ms for b in result.batches[:10]],
    }


def load(path: Path) -> Drain:
    raw = json.loads(path.read_text())
    raw["batches"] = [Batch(**batch) for batch in raw["batches"]]
    return Drain(**raw)


def _unsent() -> int | None:
    """Events the publisher still holds (its queue is private: read, never touched)."""
    queue = getattr(events.publisher, "_queue", None)
    return queue.qsize() if queue is not None else None


def main(spec_path: str, result_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    events.publisher.drain(timeout=10)  # its loop started now, not inside the first timed call
    connection.ensure_connection()
    print("READY", flush=True)
    sys.stdin.readline()
    profiling = os.environ.get("BENCH_SWEEP_PROFILE")  # a path: the drain's cProfile stats go there
    profiler = cProfile.Profile() if profiling else None
    result = drain(
        datetime.fromisoformat(spec["now"]),
        batch_size=spec["batch_size"],
        limit=spec["limit_seconds"],
        profiler=profiler,
    )
    if profiler:
        profiler.dump_stats(profiling)
    result.events_unsent_at_end = _unsent()
    started = time.perf_counter()
    try:
        events.publisher.drain(timeout=spec.get("publish_wait_seconds", 0))
        result.publisher_seconds = round(time.perf_counter() - started, 2)
    except TimeoutError:
        result.publisher_seconds = None  # still sending: dropped when this process exits
    result.events_unsent_after_wait = _unsent()
    Path(result_path).write_text(json.dumps(asdict(result)))
    connection.close()
    os._exit(0)  # not atexit's wait for the publisher: what is unsent goes with the process


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
