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

Here the run and its notes; what it measures is bench/expiry_plan.py, the sweep and its checks
bench/expiry_sweep.py, the load beside it bench/expiry_load.py.
"""

import os
import tempfile
from pathlib import Path

from bench import sweep_helper
from bench.expiry_helper import NOT_DUE
from bench.expiry_load import with_load
from bench.expiry_plan import (
    BATCH_SIZE,
    DRAIN_LIMIT_SECONDS,
    DUE_SHARE,
    INBOXES,
    LOAD,
    PUBLISH_WAIT_SECONDS,
    SEED,
    SESSIONS,
    TARGETS,
    log,
)
from bench.expiry_sweep import (
    Sweeper,
    close_left_over,
    drain_checks,
    due_counts,
    end_sessions_left_open,
    world_create,
)
from bench.realtime_servers import forget_layer_keys
from bench.scale import SMOKE

NOTES = [
    "Data: INBOXES live inboxes (10-minute timeout, least-loaded routing) with AGENTS_PER_INBOX online "
    "agents each, every agent holding live_capacity (3) sessions; the other open sessions wait in "
    "their inbox's queue. Every session has its contact, its open conversation and its messages "
    "(seq gap-free, last_seq the newest), as the services write them.",
    "The sweep runs as EXPIRY_DRAINS (2) drains side by side, each in a worker process "
    "(bench/sweep_helper.py) beside its own event publisher thread, as a Celery worker's two "
    "processes run the chains beat starts on a backlog; each batch locks its own sessions (SKIP "
    "LOCKED). The drain's time runs from the first one's start to the last one's end; the batch "
    "figures are over both drains' calls. Their clock (`now`) is pinned to the seed's, so exactly the seeded "
    "sessions are due however long it takes. A drain stops after DRAIN_LIMIT_SECONDS and says so "
    "(drained: false); what it left due is then closed by one UPDATE before the next phase, and "
    "what its publisher had not sent PUBLISH_WAIT_SECONDS after the drain is dropped with the "
    "worker (publisher_seconds_after_drain: null), so neither runs into the next measurement.",
    "Each call runs inside an outer transaction of the worker's, with an on_commit callback "
    "registered first, to split a call into its transaction (row locks held) and what runs on "
    "commit (queueing the jobs that route the agents it freed and announce the queues it moved, "
    "which a Celery worker runs: none runs here, so their work is not in these figures). The "
    "drain runs each batch on a thread at the lowest CPU priority and rests after each full batch "
    "as the task does (services.expiry_rest: EXPIRY_BACKOFF times as long as the batch's thread "
    "waited for a core beyond the time it ran, at least EXPIRY_PAUSE_SECONDS; batch_thread_cpu_ms, "
    "batch_thread_waited_ms and rest_ms are those figures, from Linux's schedstat). The call's total is "
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


def run() -> dict:
    loadavg = [round(x, 2) for x in os.getloadavg()]  # a shared machine: how busy it was
    due = round(SESSIONS * DUE_SHARE)
    left_open = end_sessions_left_open()
    log(f"seeding {SESSIONS:,} open sessions, {due:,} due, in {INBOXES} live inboxes")
    world = world_create()
    seeded = world.seed(due_counts(SESSIONS), SEED)
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
        checks, outcome = drain_checks(world, "sweep", seeded.session_ids, result)
        if SMOKE:  # a few hundred events: a publisher still sending after PUBLISH_WAIT_SECONDS is stuck
            checks["sweep.events_all_published"] = result.publisher_seconds is not None
        if not result.drained:
            outcome["left_over_closed_by_update"] = close_left_over(world)
        load = None
        if LOAD:
            load, load_checks = with_load(world, workdir, result.sql, seeded.session_ids.get(NOT_DUE, []))
            checks.update(load_checks)
    forget_layer_keys()
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
