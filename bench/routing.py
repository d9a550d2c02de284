"""Routing benchmark: 10,000 conversations arriving in a burst on one messaging inbox worked by 30
online agents (messaging capacity 25 each: 750 slots), routed as in production, event-driven
(agents/routing.py, called inline after each commit through conversations.registry.routing_due:
no Celery task is involved), with the time it takes and the proof that no agent ever went past
capacity.

Steps, for least-loaded routing (and, with BENCH_ROUTING_RR_CONVERSATIONS, a smaller round robin
after it), each on an inbox and 30 agents of its own:
1. the burst: WORKERS processes (bench/burst_helper.py), let go together, call the real ingest
   service message_receive for their share of the new customers; every call routes after its
   commit. Measured: wall time, conversations/s, each call's time (routing included) and, per
   conversation assigned, routing latency (its assignment line's time minus its message's);
2. capacity freed in waves: every assigned conversation is resolved by its agent
   (conversation_resolve, the same workers), each resolve routing the agent's freed slot at once;
   LEAST_LOADED_WAVES / ROUND_ROBIN_WAVES waves (until every conversation was assigned once
   takes ~13 waves of 750 resolves, minutes on this machine: BENCH_ROUTING_WAVES=0 runs them).
A monitor thread samples, every SAMPLE_SECONDS in one statement on its own connection, each agent's
count of assigned unresolved conversations in the inbox and keeps the highest ever seen per
agent. Checks (bench/scale.py; bench/routing_helper.py makes them), per routing: nobody past
capacity, sampled and after each phase; no call raised and routing logged no error; the burst made
one conversation per customer, filled every slot and left the rest waiting; after each wave no
slot idle while someone waits, every conversation counted once (waiting, held or resolved), and the
waves assigned oldest first; when the waves run until all were assigned, all were.

`--smoke`: least-loaded only, 300 conversations on 4 agents (100 slots) over 2 worker processes,
and waves until every conversation was assigned once (2 waves).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents import routing as router
from agents.models import AgentProfile
from bench import routing_helper, seed_helper
from bench.measure import quantiles
from bench.scale import scaled
from conversations import services
from conversations.models import ChannelType, Contact, Conversation, Inbox

CONVERSATIONS = int(os.environ.get("BENCH_ROUTING_CONVERSATIONS", scaled(10000, 300)))
AGENTS = scaled(30, 4)
WORKERS = scaled(8, 2)  # at smoke scale still concurrent, and each process costs seconds to start
SAMPLE_SECONDS = 0.05
# Waves until all 10,000 were assigned once take ~13 x 750 resolves (minutes here): one by default;
# BENCH_ROUTING_WAVES=0 runs them all, as the smoke scale does (2 waves of 100 there).
LEAST_LOADED_WAVES = int(os.environ.get("BENCH_ROUTING_WAVES", scaled(1, 0))) or None
# Round robin is not cheap here (a burst of 1,000 and a wave: about a minute more): opt in with
# BENCH_ROUTING_RR_CONVERSATIONS=1000.
ROUND_ROBIN_CONVERSATIONS = int(os.environ.get("BENCH_ROUTING_RR_CONVERSATIONS", "0"))
ROUND_ROBIN_WAVES = int(os.environ.get("BENCH_ROUTING_RR_WAVES", "1"))
VARIANTS = [  # (routing, conversations in the burst, waves: None until every one was assigned)
    (Inbox.Routing.LEAST_LOADED, CONVERSATIONS, LEAST_LOADED_WAVES),
    *(
        [(Inbox.Routing.ROUND_ROBIN, ROUND_ROBIN_CONVERSATIONS, ROUND_ROBIN_WAVES)]
        if ROUND_ROBIN_CONVERSATIONS
        else []
    ),
]
MAX_WAVES = 40  # a bound: 10,000 / 750 slots needs 13
WORKER_TIMEOUT = 900
ROOT = Path(__file__).resolve().parent.parent


def log(*parts: object) -> None:
    print("[routing]", *parts, file=sys.stderr, flush=True)


@dataclass
class Monitor:
    """Samples every agent's count of assigned unresolved conversations in the inbox."""

    inbox_id: int
    highest: dict[int, int] = field(default_factory=dict)
    samples: int = 0
    over_capacity_samples: int = 0
    capacity: int = 25
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="load-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def loads(self, db: psycopg.Connection) -> dict[int, int]:
        return dict(
            db.execute(
                "SELECT assignee_id, count(*) FROM conversations_conversation WHERE inbox_id = %s "
                "AND assignee_id IS NOT NULL AND status <> 'resolved' GROUP BY assignee_id",
                [self.inbox_id],
            ).fetchall()
        )

    def _run(self) -> None:
        with psycopg.connect(seed_helper.dsn(), autocommit=True) as db:
            while not self._stop.is_set():
                self.take(self.loads(db))
                self._stop.wait(SAMPLE_SECONDS)
            self.take(self.loads(db))

    def take(self, loads: dict[int, int]) -> None:
        self.samples += 1
        for agent_id, load in loads.items():
            self.highest[agent_id] = max(self.highest.get(agent_id, 0), load)
        if any(load > self.capacity for load in loads.values()):
            self.over_capacity_samples += 1


@dataclass
class Work:
    seconds: float
    call_ms: list[float]
    raised: list[str]
    routing_errors: int
    routing_error_samples: list[str]

    def figures(self, count: int, unit: str) -> dict:
        return {
            "seconds": round(self.seconds, 2),
            f"{unit}_per_second": round(count / self.seconds, 1),
            "call_ms": quantiles(self.call_ms),
            "raised": self.raised,
            "routing_errors": self.routing_errors,
        }


def _in_workers(action: str, inbox_id: int, ids: list[int], workdir: Path) -> Work:
    """bench/burst_helper.py in WORKERS processes, each with a share of `ids`, all let go at once
    when every one is set up; wall time from the first call's start to the last call's end."""
    processes, results = [], []
    for n in range(WORKERS):
        spec_path, result_path = workdir / f"{action}-{n}.spec.json", workdir / f"{action}-{n}.result.json"
        spec_path.write_text(json.dumps({"action": action, "inbox_id": inbox_id, "ids": ids[n::WORKERS]}))
        results.append(result_path)
        processes.append(
            subprocess.Popen(  # noqa: S603 (our own argv)
                [sys.executable, "-m", "bench.burst_helper", str(spec_path), str(result_path)],
                cwd=ROOT,
                env=seed_helper.worker_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for process in processes:
            if process.stdout.readline().strip() != "READY":
                raise RuntimeError(f"a {action} worker did not start (exit {process.wait()})")
        for process in processes:
            process.stdin.write("GO\n")
            process.stdin.flush()
        for process in processes:
            process.wait(timeout=WORKER_TIMEOUT)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    reports = [json.loads(path.read_text()) for path in results]
    return Work(
        seconds=max(r["ended"] for r in reports) - min(r["started"] for r in reports),
        call_ms=[ms for r in reports for ms in r["call_ms"]],
        raised=[text for r in reports for text in r["raised"]][:5],
        routing_errors=sum(r["routing_errors"] for r in reports),
        routing_error_samples=[text for r in reports for text in r["routing_error_samples"]][:3],
    )


def _burst(inbox: Inbox, contact_ids: list[int], workdir: Path) -> Work:
    return _in_workers("receive", inbox.pk, contact_ids, workdir)


def _waves(inbox: Inbox, workdir: Path, *, until_all: bool, waves: int) -> tuple[list[dict], list[Work]]:
    """Resolve every assigned unresolved conversation of the inbox, wave after wave; each resolve
    is by its assignee and routes their freed slot."""
    done, works = [], []
    for number in range(1, waves + 1):
        held = list(
            Conversation.objects.filter(inbox=inbox, assignee__isnull=False)
            .exclude(status=Conversation.Status.RESOLVED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not held:
            break
        resolved_before = routing_helper.inbox_state(inbox.pk)["resolved_total"]
        work = _in_workers("resolve", inbox.pk, held, workdir)
        works.append(work)
        state = routing_helper.inbox_state(inbox.pk)
        done.append(
            {
                "wave": number,
                "resolved": len(held),
                **work.figures(len(held), "resolves"),
                **state,
                "resolved_total_before": resolved_before,
            }
        )
        log(f"  wave {number}: {len(held)} resolved in {work.seconds:.1f} s; {state}")
        if until_all and state["waiting"] == 0:
            break
    return done, works


def _captured(call) -> dict:
    """Run call() capturing its statements (routing runs inline, after the commit), and EXPLAIN
    (ANALYZE, BUFFERS) its read of the waiting queue, if it made one, in a transaction rolled back."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        call()
        ms = (time.perf_counter() - started) * 1000
    statements = [(float(query["time"]) * 1000, query["sql"]) for query in queries.captured_queries]
    waiting = next((sql for _, sql in statements if "SKIP LOCKED" in sql and "waiting_since" in sql), None)
    plan = []
    if waiting is not None:
        with psycopg.connect(seed_helper.dsn()) as db:
            plan = [row[0] for row in db.execute("EXPLAIN (ANALYZE, BUFFERS) " + waiting)]
            db.rollback()
    return {
        "ms": round(ms, 1),
        "sql_ms": round(sum(ms for ms, _ in statements), 1),
        "statements": [f"{ms:.1f} ms  {sql[:110]}" for ms, sql in statements],
        "waiting_queue_read_plan": plan,
    }


def _routing_passes(inbox: Inbox) -> dict:
    """After the burst, alone: a routing pass of the full inbox (what every arrival past the 750th
    runs), and one agent resolving a conversation, which routes their freed slot."""
    held = Conversation.objects.filter(inbox=inbox, assignee__isnull=False).select_related("assignee").first()
    return {
        "full_house_route_inbox": _captured(lambda: router.route_inbox(inbox.pk)),
        "resolve_one_then_route": _captured(
            lambda: services.conversation_resolve(conversation=held, actor=held.assignee)
        ),
    }


def _variant(routing: str, conversations: int, waves: int | None, workdir: Path) -> dict:
    """One inbox with `routing` and 30 agents of its own; the burst, then `waves` waves (None:
    until every conversation has been assigned once)."""
    inbox = Inbox.objects.create(
        name=f"Routing {routing}",
        channel_type=ChannelType.WEB_WIDGET,
        mode=Inbox.Mode.MESSAGING,
        routing=routing,
    )
    agents = seed_helper.agents_online(AGENTS, prefix=f"route-{routing}", inboxes=[inbox])
    capacity = AgentProfile.objects.get(user=agents[0]).messaging_capacity
    contacts = Contact.objects.bulk_create(
        [Contact(name=f"Burst customer {n} ({routing})") for n in range(conversations)], batch_size=2000
    )
    monitor = Monitor(inbox_id=inbox.pk, capacity=capacity)
    monitor.start()
    try:
        log(f"{routing}: burst of {conversations:,} over {WORKERS} worker processes")
        burst = _burst(inbox, [contact.pk for contact in contacts], workdir)
        burst_ended = timezone.now()
        after_burst = routing_helper.inbox_state(inbox.pk)
        log(f"  burst: {burst.seconds:.1f} s; {after_burst}")
        passes = _routing_passes(inbox)
        wave_figures, wave_works = _waves(
            inbox, workdir, until_all=waves is None, waves=MAX_WAVES if waves is None else waves
        )
    finally:
        monitor.stop()
    errors = [burst, *wave_works]
    report = routing_helper.report(
        customers=conversations,
        routing=routing,
        slots=AGENTS * capacity,
        capacity=capacity,
        burst=burst.figures(conversations, "conversations"),
        burst_ended=burst_ended,
        after_burst=after_burst,
        waves=wave_figures,
        rows=routing_helper.assignments(inbox.pk),
        monitor=monitor,
        final_loads=routing_helper.loads(inbox.pk),
        routing_errors={
            "count": sum(work.routing_errors for work in errors),
            "samples": [text for work in errors for text in work.routing_error_samples][:3],
        },
        waves_rule="until all were assigned once" if waves is None else f"{waves} wave(s)",
    )
    report["single_routing_passes"] = passes
    return report


def run() -> dict:
    loadavg = [round(x, 2) for x in os.getloadavg()]  # a shared machine: how busy it was
    started = time.perf_counter()
    results = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-routing-") as scratch:
        for routing, conversations, waves in VARIANTS:
            results[routing] = _variant(routing, conversations, waves, Path(scratch))
    return {
        "summary": {
            routing: {
                "conversations": result["after_burst"]["total"],
                "burst_seconds": result["burst_seconds"],
                "conversations_per_second": result["conversations_per_second"],
                "routing_latency_ms": result["latency_ms"],
                "max_load_seen": result["capacity_proof"]["max_load_seen"],
                "capacity": result["capacity"],
                "waves": result["waves_rule"],
            }
            for routing, result in results.items()
        },
        "checks": {
            f"{routing}.{name}": passed
            for routing, result in results.items()
            for name, passed in result["checks"].items()
        },
        "setup": {
            "agents": AGENTS,
            "slots": AGENTS * 25,
            "workers": f"{WORKERS} processes",
            "monitor_interval_ms": SAMPLE_SECONDS * 1000,
        },
        "results": results,
        "seconds": round(time.perf_counter() - started, 1),
        "loadavg_at_start_and_end": [loadavg, [round(x, 2) for x in os.getloadavg()]],
        "notes": routing_helper.NOTES,
    }
