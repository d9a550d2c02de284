"""Live-session expiry benchmark (issue 6): the sweep conversations.services.live_sessions_expire
over 100,000 open sessions of which a quarter are due, against the targets "drained in <= 5 s,
no batch over 100 ms", and its impact on the real-time benchmark's L1 load (bench/realtime.py):
L1's p99 while the sweep drains, against L1's p99 alone on the same data, held to <= 2x.

Steps: seed in bulk (bench/expiry_helper.py: live inboxes, online agents at their live capacity,
contacts, conversations with their messages, sessions) and ANALYZE; drain the sweep as beat does
(one batch of EXPIRY_BATCH_SIZE per call, again while a call ends any) in a worker process
(bench/sweep_helper.py), timing every call and splitting it into its transaction and what runs on
commit; check that exactly the due sessions ended, a re-run ends none and the others are still
open. Then the real-time fixtures, L1 alone on a fresh Daphne, 25,000 more due sessions seeded,
the sweep's locking reads EXPLAINed, and L1 again with a sweep worker draining them from
LOAD_SWEEP_DELAY seconds into the L1 step. BENCH_EXPIRY_SESSIONS scales the data down and
BENCH_EXPIRY_LOAD=0 skips the load while working on the benchmark.

Checks (bench/scale.py), after each drain, however far it got: only due sessions ended, each once
(one end line), with its kind's reason, its conversation resolved and unassigned, announced, and
the sweep's count is the rows it closed; after a full drain, every due session ended and a re-run
ends none. The load beside it ran, with the sweep begun inside its step. `--smoke`: 1,000
sessions in 2 inboxes and a load of 50 customers at 10 msg/s for 3 s; there both drains must also
finish and the first one's events be sent, which at full scale are figures.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import InboxMembership
from bench import expiry_helper, realtime, seed_helper, sweep_helper
from bench.expiry_helper import IDLE, LEFT, NOT_DUE
from bench.scale import SMOKE, scaled
from conversations import services
from conversations.models import ChannelType, Inbox, LiveSession

# At smoke scale, 250 due: two batches of the sweep and the empty call that ends a drain.
SESSIONS = int(os.environ.get("BENCH_EXPIRY_SESSIONS", scaled(100000, 1000)))
DUE_SHARE = 0.25  # half of them by leaving, half by idling
INBOXES = scaled(10, 2)
AGENTS_PER_INBOX = scaled(30, 3)  # online, each holding as many sessions as their live capacity (3)
SESSION_TIMEOUT = timedelta(minutes=10)
BATCH_SIZE = services.EXPIRY_BATCH_SIZE
# A drain that has not finished by then stops (and says so): the benchmark stays bounded.
DRAIN_LIMIT_SECONDS = float(os.environ.get("BENCH_EXPIRY_DRAIN_LIMIT", "60"))
PUBLISH_WAIT_SECONDS = float(os.environ.get("BENCH_EXPIRY_PUBLISH_WAIT", "30"))  # then dropped: see NOTES
# L1's step, shortened from 20 s. The sweep starts LOAD_SWEEP_DELAY into it, so all of it is under load.
LOAD_SECONDS = float(os.environ.get("BENCH_EXPIRY_LOAD_SECONDS", scaled(15, 3)))
LOAD_SWEEP_DELAY = scaled(2.0, 1.0)
# Under load the sweep stops when the L1 step ends (its impact there is what is measured); at smoke
# scale it may go on past the step, since its drain is checked there.
LOAD_SWEEP_LIMIT = scaled(LOAD_SECONDS - LOAD_SWEEP_DELAY, DRAIN_LIMIT_SECONDS)
# One Daphne process does not hold L1 on this machine (docs/architecture.md, "Real-time throughput
# is below its targets"): its p99 would be the backlog's, alone or not. Two do, as in realtime's L1x2.
LOAD_PROCESSES = int(os.environ.get("BENCH_EXPIRY_LOAD_PROCESSES", "2"))
# L1's rate, then half of it if the servers do not hold L1 alone on the machine as it is (a shared
# one): a p99 measured on a backlog, alone or with the sweep, says nothing about the sweep.
LOAD_RATES = [int(r) for r in os.environ.get("BENCH_EXPIRY_LOAD_RATES", scaled("150,75", "10")).split(",")]
# L1's customers and agents; at smoke scale a few, each customer writing as often as in L1.
LOAD_CUSTOMERS = scaled(realtime.L1["customers"], 50)
LOAD_AGENTS = scaled(realtime.L1["agents"], 3)
LOAD = os.environ.get("BENCH_EXPIRY_LOAD", "1") not in ("", "0")
SEED = 20261125
LAYER_PREFIX = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "parley-bench")
TARGETS = {"total_s": 5.0, "max_batch_ms": 100.0, "p99_ratio": 2.0}


def log(*parts: object) -> None:
    print("[expiry]", *parts, file=sys.stderr, flush=True)


# --- the sweep, in a worker process of its own ---


class Sweeper:
    """Starts bench/sweep_helper.py on this run's database and channel-layer prefix."""

    def __init__(self, workdir: Path, anchor: datetime) -> None:
        self.workdir, self.anchor = workdir, anchor
        self.env = seed_helper.worker_env(DB_POOL_MAX_SIZE="4")
        self.process: subprocess.Popen | None = None
        self.result_path = workdir / "sweep.result.json"

    def start(self, name: str, *, limit: float, publish_wait: float = 0.0) -> None:
        """Start the worker and wait until it is set up (Django, its connection, its publisher's
        loop): go() then starts the drain at once."""
        spec = {
            "now": self.anchor.isoformat(),
            "batch_size": BATCH_SIZE,
            "limit_seconds": limit,
            "publish_wait_seconds": publish_wait,
        }
        spec_path, self.result_path = self.workdir / f"{name}.spec.json", self.workdir / f"{name}.result.json"
        spec_path.write_text(json.dumps(spec))
        self.process = subprocess.Popen(  # noqa: S603 (our own argv)
            [sys.executable, "-m", "bench.sweep_helper", str(spec_path), str(self.result_path)],
            cwd=realtime.ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "READY":
            raise RuntimeError(f"the sweep worker did not start (exit {self.process.wait()})")

    def go(self) -> None:
        assert self.process is not None
        self.process.stdin.write("GO\n")
        self.process.stdin.flush()

    def result(self, timeout: float) -> sweep_helper.Drain | str:
        """The drain, or why there is none."""
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return f"the sweep worker did not finish within {timeout:.0f} s"
        if self.process.returncode != 0 or not self.result_path.exists():
            return f"the sweep worker exited with {self.process.returncode}"
        return sweep_helper.load(self.result_path)


# --- the data ---


@dataclass
class World:
    inboxes: list[Inbox]
    slots: list[tuple[int, str]]  # (agent id, name) per live slot
    anchor: datetime  # the seed's clock, and the sweep's `now`

    def seed(self, counts: dict[str, int], seed: int) -> expiry_helper.Seeded:
        return expiry_helper.seed(
            seed_helper.dsn(),
            inboxes=[(inbox.pk, inbox.session_timeout) for inbox in self.inboxes],
            agent_slots=self.slots,
            counts=counts,
            now=self.anchor,
            seed=seed,
        )


def _world() -> World:
    inboxes, slots = [], []
    for n in range(INBOXES):
        inbox = Inbox.objects.create(
            name=f"Live chat {n}",
            channel_type=ChannelType.WEB_WIDGET,
            mode=Inbox.Mode.LIVE,
            session_timeout=SESSION_TIMEOUT,
            routing=Inbox.Routing.LEAST_LOADED,
        )
        agents = seed_helper.agents_online(AGENTS_PER_INBOX, prefix=f"live-{n}", inboxes=[inbox])
        inboxes.append(inbox)
        slots += [(a.pk, a.agent_profile.name) for a in agents for _ in range(a.agent_profile.live_capacity)]
    return World(inboxes=inboxes, slots=slots, anchor=timezone.now())


def _counts(sessions: int) -> dict[str, int]:
    due = round(sessions * DUE_SHARE)
    return {LEFT: due // 2, IDLE: due - due // 2, NOT_DUE: sessions - due}


def _drain_checks(
    world: World, phase: str, sessions: dict[str, list[int]], result: sweep_helper.Drain
) -> tuple[dict[str, bool], dict]:
    """What must hold after a drain over `sessions` (kind -> ids), however far it got: it ended
    only due sessions, each once (one end line), with its kind's reason and its conversation
    resolved and unassigned, announced each end, and the count it returned is the rows it closed.
    After a full drain also: every due session ended, a re-run ends none and the open sessions
    are the not-due ones. At smoke scale the drain must have finished. Returns the checks, named
    `phase.check`, and the figures they were made of."""
    outcome = expiry_helper.outcome(seed_helper.dsn(), sessions)
    due = [outcome[LEFT], outcome[IDLE]]

    def each_closed(figure: str) -> bool:
        return all(kind[figure] == kind["closed"] for kind in outcome.values())

    checks = {
        "ended_only_due_sessions": outcome[NOT_DUE]["closed"] == 0,
        "ended_count_is_the_rows_closed": result.ended == sum(kind["closed"] for kind in due),
        "each_ended_once": each_closed("one_end_line")
        and not any(kind["several_end_lines"] for kind in outcome.values()),
        "close_reason_is_the_kinds": each_closed("closed_for_their_reason"),
        "conversation_resolved_and_unassigned": each_closed("resolved_unassigned"),
        "every_end_announced": sum(batch.events for batch in result.batches) >= result.ended,
    }
    figures: dict = {"sessions_by_kind": outcome}
    if result.drained:
        figures["rerun_ended"] = services.live_sessions_expire(now=world.anchor, batch_size=BATCH_SIZE)
        figures["open_sessions_left"] = LiveSession.objects.filter(
            closed_at__isnull=True, conversation__inbox__in=world.inboxes
        ).count()
        checks["every_due_session_ended"] = all(kind["closed"] == kind["sessions"] for kind in due)
        checks["rerun_ends_none"] = figures["rerun_ended"] == 0
        open_not_due = outcome[NOT_DUE]["sessions"] - outcome[NOT_DUE]["closed"]
        checks["open_sessions_are_the_not_due"] = figures["open_sessions_left"] == open_not_due
    if SMOKE:  # a few hundred sessions: a drain that does not finish is stuck, not slow
        checks["drained"] = result.drained
    return {f"{phase}.{name}": passed for name, passed in checks.items()}, figures


def _close_left_over(world: World) -> int:
    """After a drain stopped by its limit: close what is still due with one UPDATE (not the
    sweep), so the next phase starts with exactly the sessions it seeds."""
    with psycopg.connect(seed_helper.dsn(), autocommit=True) as db:
        return db.execute(
            "UPDATE conversations_livesession s SET closed_at = %(now)s, close_reason = 'inactivity', "
            "customer_left_at = NULL FROM conversations_conversation c JOIN conversations_inbox i "
            "ON i.id = c.inbox_id WHERE c.id = s.conversation_id AND s.closed_at IS NULL AND "
            "(s.customer_left_at < %(left)s OR s.last_activity_at < %(now)s - i.session_timeout)",
            {"now": world.anchor, "left": world.anchor - settings.PARLEY_LIVE_LEAVE_GRACE},
        ).rowcount


def _explain(sql: list[str]) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the sweep's two locking reads as the first batch ran them,
    in a transaction rolled back; with 25,000 due among 100,000 open."""
    plans = {}
    chosen = {
        "lock_due_conversations": next((s for s in sql if "SKIP LOCKED" in s), None),
        "reread_sessions": next((s for s in sql if "FOR UPDATE OF" in s), None),
    }
    with psycopg.connect(seed_helper.dsn()) as db:
        for name, statement in chosen.items():
            if statement is None:
                continue
            text = "\n".join(row[0] for row in db.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement))
            db.rollback()
            plans[name] = {
                "execution_ms": float(re.search(r"Execution Time: ([\d.]+)", text).group(1)),
                "plan": text.splitlines(),
            }
    return plans


# --- the real-time load beside it ---


def _generate(name: str, spec: dict, workdir: Path, on_step: object = None) -> tuple[dict, float | None]:
    """The real-time load generator, as realtime.run_load runs it, but following its progress on
    stderr: `on_step()` is called the moment the warm-up step ends and the L1 step begins.
    Returns its report and the monotonic time L1 began."""
    spec_path, result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec))
    process = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "bench.realtime_load", str(spec_path), str(result_path)],
        cwd=realtime.ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    began: list[float] = []

    def follow() -> None:
        for line in process.stderr:
            sys.stderr.write(line)
            if line.startswith(f"[load] {realtime.WARMUP['name']} ") and not began:
                began.append(time.monotonic())
                if on_step is not None:
                    on_step()

    reader = threading.Thread(target=follow, name="load-stderr", daemon=True)
    reader.start()
    try:
        process.wait(timeout=240)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return {"error": "load generator did not finish within 240 s"}, None
    reader.join(timeout=5)
    if process.returncode != 0 or not result_path.exists():
        return {"error": f"load generator exited with {process.returncode}"}, None
    return json.loads(result_path.read_text()), began[0] if began else None


def _l1(target: realtime.Target, name: str, rate: int, on_step: object = None) -> tuple[dict, float | None]:
    """L1 on LOAD_PROCESSES fresh Daphne processes (sockets spread over them), as realtime's
    L1x2 phase runs it."""
    target.more_servers = [
        realtime.Server("parley", target.argv, dict(target.server.env), target.workdir, f"parley-{n}")
        for n in range(2, LOAD_PROCESSES + 1)
    ]
    servers = [target.server, *target.more_servers]
    try:
        for server in servers:
            server.start()
        spec = target.spec(
            "latency",
            LOAD_CUSTOMERS,
            LOAD_AGENTS,
            steps=[
                realtime.WARMUP,
                {"name": "L1", "rate": rate, "seconds": LOAD_SECONDS, "drain_seconds": 5},
            ],
        )
        return _generate(f"expiry-{name}", spec, target.workdir, on_step)
    finally:
        for server in servers:
            server.stop()
        target.more_servers = []
        time.sleep(0.5)


def _desk_agents_of_their_inbox(fixtures: realtime.Fixtures) -> None:
    """The real-time fixtures' agents are admins, whose desks hear every inbox: make them members
    of their widget inbox only, as a live team's agents would be, so the sweep's events about
    other inboxes are not delivered to them. Their inbox routes by hand, as before (nobody was
    eligible: admins are not members), so L1's work is unchanged."""
    ids = [agent.pk for agent in fixtures.agents]
    get_user_model().objects.filter(pk__in=ids).update(is_superuser=False)
    InboxMembership.objects.bulk_create([InboxMembership(inbox=fixtures.inbox, agent_id=pk) for pk in ids])
    Inbox.objects.filter(pk=fixtures.inbox.pk).update(routing=Inbox.Routing.MANUAL)


def _held(report: dict) -> bool:
    """Did the server keep up: nothing lost, and a p99 of deliveries that arrived?"""
    step = realtime._step(report, "L1")
    return bool(step) and step.get("lost") == 0 and "p99_ms" not in step.get("lower_bound", [])


def _step(report: dict) -> dict:
    step = realtime._step(report, "L1")
    keys = ("sent", "p50_ms", "p95_ms", "p99_ms", "max_ms", "lost", "duplicated", "lower_bound")
    figures = {key: step.get(key) for key in keys}
    figures.update({key: step.get(key) for key in ("server_cpu_pct", "machine_cpu_pct", "cpu_stall_pct")})
    figures["ack_p99_ms"] = step.get("ack", {}).get("p99_ms")
    if "error" in report:
        figures["error"] = report["error"]
    return figures


def _sweep_beside_l1(
    world: World, target: realtime.Target, workdir: Path, rate: int
) -> tuple[dict, float | None, sweep_helper.Drain | str]:
    """L1 with a sweep worker draining from LOAD_SWEEP_DELAY s into the step: the load's report,
    when its L1 step began, and the drain (or why there is none)."""
    sweeper = Sweeper(workdir, world.anchor)
    sweeper.start("sweep-under-load", limit=LOAD_SWEEP_LIMIT)
    go = threading.Timer(LOAD_SWEEP_DELAY, sweeper.go)
    log(f"L1 at {rate} msg/s with the sweep")
    loaded, l1_began = _l1(target, "with-sweep", rate, on_step=go.start)
    if l1_began is None:
        go.cancel()
        sweeper.go()  # let the worker finish: what it does now is not under load
    return loaded, l1_began, sweeper.result(timeout=LOAD_SWEEP_LIMIT + 60)


def _load_checks(reports: list[dict], l1_began: float | None) -> dict[str, bool]:
    """The load generator ran every L1 step to its report, and the sweep began inside the step.
    What the load delivered (lost, duplicated) is the real-time benchmark's to check: here it is
    a figure beside the sweep's."""
    return {
        "load.generator_ran": all("error" not in report for report in reports)
        and all(realtime._step(report, "L1").get("sent") for report in reports),
        "load.sweep_began_during_L1": l1_began is not None,
    }


def _with_load(
    world: World, workdir: Path, first_batch_sql: list[str], not_due_ids: list[int]
) -> tuple[dict, dict[str, bool]]:
    """L1 alone, then beside a sweep of freshly seeded due sessions: the figures and the checks."""
    fixtures = realtime.Fixtures(LOAD_CUSTOMERS, LOAD_AGENTS)
    _desk_agents_of_their_inbox(fixtures)
    target = realtime.Target("parley", fixtures, workdir)
    # The server on this run's channel-layer prefix, the sweep worker's: what it announces arrives.
    target.server.env["CHANNEL_LAYER_PREFIX"] = LAYER_PREFIX
    attempts, alone_reports = [], []
    for rate in LOAD_RATES:
        log(f"L1 alone at {rate} msg/s")
        alone, _ = _l1(target, f"alone-{rate}", rate)
        alone_reports.append(alone)
        attempts.append({"rate": rate, **_step(alone)})
        if _held(alone):
            break
    due = round(SESSIONS * DUE_SHARE)
    log(f"seeding {due:,} more due sessions")
    reseeded = world.seed({LEFT: due // 2, IDLE: due - due // 2}, SEED + 1)
    explain = _explain(first_batch_sql)
    loaded, l1_began, result = _sweep_beside_l1(world, target, workdir, rate)
    checks = _load_checks([*alone_reports, loaded], l1_began)
    checks["sweep_under_load.worker_finished"] = isinstance(result, sweep_helper.Drain)
    sweep = sweep_helper.figures(result) if isinstance(result, sweep_helper.Drain) else {"error": result}
    if isinstance(result, sweep_helper.Drain):
        if l1_began is not None:
            sweep["started_s_into_L1"] = round(result.started_at - l1_began, 2)
            sweep["ended_s_into_L1"] = round(result.started_at + result.seconds - l1_began, 2)
            sweep["ended_equals_due"] = result.ended == due
        sessions = {**reseeded.session_ids, NOT_DUE: not_due_ids}
        drain_checks, drain_figures = _drain_checks(world, "sweep_under_load", sessions, result)
        checks.update(drain_checks)
        sweep.update(drain_figures)
    p99_alone, p99_loaded = _step(alone).get("p99_ms"), _step(loaded).get("p99_ms")
    ratio = round(p99_loaded / p99_alone, 2) if p99_alone and p99_loaded else None
    held = _held(alone)  # else both p99s are a backlog's lower bounds and their ratio means nothing
    figures = {
        "load": {
            "customers": LOAD_CUSTOMERS,
            "agents": LOAD_AGENTS,
            "rate": rate,
            "seconds": LOAD_SECONDS,
            "daphne_processes": LOAD_PROCESSES,
            "is_L1": rate == realtime.L1["rate"],
        },
        "baseline_held": held,
        "p99_alone_ms": p99_alone,
        "p99_with_sweep_ms": p99_loaded,
        "p99_ratio": ratio,
        "target_p99_ratio": TARGETS["p99_ratio"],
        "met": (ratio is not None and ratio <= TARGETS["p99_ratio"]) if held else None,
        "L1_alone": _step(alone),
        "L1_with_sweep": _step(loaded),
        "alone_attempts": attempts,
        "sweep_under_load": sweep,
        "reseed_seconds": reseeded.seconds,
        "explain": explain,
    }
    return figures, checks


NOTES = [
    "Data: INBOXES live inboxes (10-minute timeout, least-loaded routing) with AGENTS_PER_INBOX online "
    "agents each, every agent holding live_capacity (3) sessions; the other open sessions wait in "
    "their inbox's queue. Every session has its contact, its open conversation and its messages "
    "(seq gap-free, last_seq the newest), as the services write them.",
    "The sweep runs in a worker process (bench/sweep_helper.py), as in a Celery worker, beside its "
    "own event publisher thread. Its clock (`now`) is pinned to the seed's, so exactly the seeded "
    "sessions are due however long it takes. A drain stops after DRAIN_LIMIT_SECONDS and says so "
    "(drained: false); what it left due is then closed by one UPDATE before the next phase, and "
    "what its publisher had not sent PUBLISH_WAIT_SECONDS after the drain is dropped with the "
    "worker (publisher_seconds_after_drain: null), so neither runs into the next measurement.",
    "Each call runs inside an outer transaction of the worker's, with an on_commit callback "
    "registered first, to split a call into its transaction (row locks held) and what runs on "
    "commit (routing the agents it freed, publishing the queue's positions). The call's total is "
    "what beat's task waits on and what the targets are read against. Queries and events are "
    "counted per call; the events are still sent.",
    "Load: the real-time benchmark's L1 (750 customers, 30 agents, 150 msg/s) with a "
    "BENCH_EXPIRY_LOAD_SECONDS step (15 s, not 20 s), on LOAD_PROCESSES (2) fresh Daphne processes "
    "as realtime's L1x2 phase runs it: one process does not hold L1 on this machine "
    "(docs/architecture.md), so its p99 is its backlog's with or without a sweep. When the servers "
    "do not hold L1 alone either (lost > 0, or a p99 that is a lower bound), the run is repeated at "
    "the next rate of LOAD_RATES (half of L1) and both runs use the rate that held "
    "(load.is_L1 says which); when none holds, met is null: there is no baseline. The servers use "
    "the sweep worker's channel-layer prefix. The fixtures' agents are made members of their "
    "widget inbox instead of admins (an admin's desk hears every inbox: 30 admins would each "
    "receive every sweep event); no desk is open on the live inboxes, so the sweep's events reach "
    "Redis but no socket. The sweep worker is set up before the load starts and begins "
    "LOAD_SWEEP_DELAY s into the L1 step, on 25,000 freshly seeded due sessions among the 75,000 "
    "open ones; it stops when the step ends if it has not drained by then.",
]


def _end_sessions_left_open() -> int:
    """End, through the sweep itself with a clock a year ahead, every session earlier benchmarks
    of this run left open (realtime's messaging stretches): the drains below must meet only the
    sessions seeded here, or the count a drain returns is no longer the seed's."""
    ended, later = 0, timezone.now() + timedelta(days=365)
    while batch := services.live_sessions_expire(now=later, batch_size=BATCH_SIZE):
        ended += batch
    return ended


def run() -> dict:
    loadavg = [round(x, 2) for x in os.getloadavg()]  # a shared machine: how busy it was
    due = round(SESSIONS * DUE_SHARE)
    left_open = _end_sessions_left_open()
    log(f"seeding {SESSIONS:,} open sessions, {due:,} due, in {INBOXES} live inboxes")
    world = _world()
    seeded = world.seed(_counts(SESSIONS), SEED)
    log(f"seeded in {seeded.seconds['total']} s: {seeded.seconds}")
    with tempfile.TemporaryDirectory(prefix="parley-bench-expiry-") as scratch:
        workdir = Path(scratch)
        sweeper = Sweeper(workdir, world.anchor)
        sweeper.start("sweep", limit=DRAIN_LIMIT_SECONDS, publish_wait=PUBLISH_WAIT_SECONDS)
        sweeper.go()
        result = sweeper.result(timeout=DRAIN_LIMIT_SECONDS + PUBLISH_WAIT_SECONDS + 120)
        if isinstance(result, str):
            raise RuntimeError(result)
        sweep = sweep_helper.figures(result)
        log("sweep:", {k: sweep[k] for k in ("ended", "drained", "calls", "total_s", "batch_ms")})
        checks, outcome = _drain_checks(world, "sweep", seeded.session_ids, result)
        if SMOKE:  # a few hundred events: a publisher still sending after PUBLISH_WAIT_SECONDS is stuck
            checks["sweep.events_all_published"] = result.publisher_seconds is not None
        if not result.drained:
            outcome["left_over_closed_by_update"] = _close_left_over(world)
        load = None
        if LOAD:
            load, load_checks = _with_load(world, workdir, result.sql, seeded.session_ids.get(NOT_DUE, []))
            checks.update(load_checks)
    realtime._forget_layer_keys()
    total_s, max_ms = sweep["total_s"], sweep["batch_ms"]["max"]
    met = {
        "total_s": result.drained and total_s <= TARGETS["total_s"],
        "max_batch_ms": max_ms <= TARGETS["max_batch_ms"],
    }
    targets = {
        "total_s": total_s if result.drained else None,
        "target_total_s": TARGETS["total_s"],
        "max_batch_ms": max_ms,
        "target_max_batch_ms": TARGETS["max_batch_ms"],
        "p99_ratio": load["p99_ratio"] if load else None,
        "target_p99_ratio": TARGETS["p99_ratio"],
        "met": {**met, "p99_ratio": load["met"] if load else None},
    }
    return {
        "targets": targets,
        "batch_size": BATCH_SIZE,
        "loadavg_at_start_and_end": [loadavg, [round(x, 2) for x in os.getloadavg()]],
        "data": {
            "sessions": seeded.sessions,
            "due_by_leaving": seeded.due_left,
            "due_by_idling": seeded.due_idle,
            "not_due": seeded.not_due,
            "inboxes": INBOXES,
            "agents": len({agent_id for agent_id, _ in world.slots}),
            "sessions_with_an_agent": seeded.assigned,
            "messages": seeded.messages,
            "seed_seconds": seeded.seconds,
            "sessions_left_open_by_earlier_benchmarks": left_open,
        },
        "sweep": sweep,
        "sweep_outcome": outcome,
        "checks": checks,
        "realtime_impact": load,
        "notes": NOTES,
    }
