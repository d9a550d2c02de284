"""Retention benchmark (issue 22, point 4): the retention sweep (privacy.retention) anonymising
100,000 resolved conversations past their inbox's 30-day policy beside the real-time benchmark's
L1 load; L1's p99 while the sweep drains, against L1's p99 alone on the same data, held to <= 2x.

Steps: one messaging inbox with an anonymise policy of 30 days; CONVERSATIONS resolved
conversations past it and KEPT younger ones seeded in bulk (bench/retention_seed.py), each with
its contact and two messages; the real-time fixtures; L1 alone on fresh Daphne processes
(bench/expiry_load.py's machinery, at the first rate of its LOAD_RATES the servers hold); then L1
again with a sweep worker (bench/retention_helper.py, one process, as the Celery task's chain runs)
draining from LOAD_SWEEP_DELAY s into the L1 step. After the load, the worker's drain is finished
outside it if it stopped with the step, so the checks see a whole sweep.

Checks: only due conversations anonymised, each marked once with its messages kept as blank rows
and its contact blanked; the kept ones untouched; after the whole drain every due conversation
anonymised and a re-run finds none. `--smoke`: 1,000 due conversations (two batches) and a load
of 50 customers at 10 msg/s for 3 s (bench/expiry_plan.py's smoke scale).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.utils import timezone

from bench import seed_helper
from bench.expiry_load import (
    desk_agents_of_their_inbox,
    l1_figures,
    l1_held,
    l1_on_fresh_servers,
    load_impact,
)
from bench.expiry_plan import (
    LAYER_PREFIX,
    LOAD_AGENTS,
    LOAD_CUSTOMERS,
    LOAD_RATES,
    LOAD_SECONDS,
)
from bench.realtime_fixtures import Fixtures
from bench.realtime_servers import ROOT, forget_layer_keys
from bench.realtime_target import Target
from bench.retention_seed import DUE, KEPT, POLICY_DAYS, outcome, seed
from bench.scale import SMOKE, scaled
from conversations.models import ChannelType, Inbox
from privacy.models import RetentionPolicy
from privacy.retention import (
    RETENTION_BATCH_SIZE,
    RETENTION_PAUSE_SECONDS,
    RETENTION_REST_FACTOR,
    conversations_retain_batch,
)

CONVERSATIONS = int(os.environ.get("BENCH_RETENTION_CONVERSATIONS", scaled(100000, 1000)))
KEPT_CONVERSATIONS = scaled(5000, 100)
LOAD_SWEEP_DELAY = scaled(2.0, 1.0)
# Under load the sweep stops when the L1 step ends (its impact there is what is measured); the
# rest is drained after the load, outside any measurement, for the checks.
LOAD_SWEEP_LIMIT = scaled(LOAD_SECONDS - LOAD_SWEEP_DELAY, 60.0)
DRAIN_LIMIT_SECONDS = 600.0
SEED = 20261207
TARGETS = {"p99_ratio": 2.0}
NOTES = [
    "Data: one messaging inbox with a retention policy (anonymise, 30 days); CONVERSATIONS resolved "
    "conversations resolved and last active 31 to 400 days before the seed's clock and "
    "KEPT_CONVERSATIONS resolved 1 to 29 days before it, ids shuffled between the two; each has a "
    "contact of its own (name and email) and two messages, the customer's and an agent's.",
    "The sweep runs in one worker process (bench/retention_helper.py) as the task's chain runs: "
    "batches of RETENTION_BATCH_SIZE (200) from the previous batch's cursor, each full batch "
    "followed by a rest of RETENTION_REST_FACTOR (3) times the batch's own time, at least "
    "RETENTION_PAUSE_SECONDS (50 ms); its clock is pinned to the seed's.",
    "Load: the real-time benchmark's L1 on LOAD_PROCESSES fresh Daphne processes, exactly as the "
    "expiry benchmark runs it (bench/expiry_load.py: its step length, rates and fixtures); the "
    "sweep starts LOAD_SWEEP_DELAY s into the L1 step and stops when the step ends; what it has "
    "not reached by then is drained after the load, outside the measurement, so the checks see a "
    "whole sweep.",
]


def log(*parts: object) -> None:
    print("[retention]", *parts, file=sys.stderr, flush=True)


class Worker:
    """The sweep worker process: started and set up before the load, going on go()."""

    def __init__(self, workdir: Path, name: str, spec: dict) -> None:
        spec_path, self.result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
        spec_path.write_text(json.dumps(spec))
        self.process = subprocess.Popen(  # noqa: S603 (our own argv)
            [sys.executable, "-m", "bench.retention_helper", str(spec_path), str(self.result_path)],
            cwd=ROOT,
            env=seed_helper.worker_env(DB_POOL_MAX_SIZE="2"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.process.stdout.readline().strip() != "READY":
            raise RuntimeError(f"the retention worker did not start (exit {self.process.wait()})")

    def go(self) -> None:
        self.process.stdin.write("GO\n")
        self.process.stdin.flush()

    def result(self, timeout: float) -> dict:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return {"error": f"the retention worker did not finish within {timeout:.0f} s"}
        if self.process.returncode != 0 or not self.result_path.exists():
            return {"error": f"the retention worker exited with {self.process.returncode}"}
        return json.loads(self.result_path.read_text())


def drain_figures(drain: dict) -> dict:
    if "error" in drain:
        return drain
    times = sorted(batch["ms"] for batch in drain["batches"]) or [0.0]
    return {
        "drained": drain["drained"],
        "seconds": drain["seconds"],
        "batches": len(drain["batches"]),
        "anonymised": sum(batch["conversations"] for batch in drain["batches"]),
        "messages_blanked": sum(batch["messages"] for batch in drain["batches"]),
        "contacts_blanked": sum(batch["contacts"] for batch in drain["batches"]),
        "batch_ms": {
            "p50": times[len(times) // 2],
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
            "max": times[-1],
        },
        "queries_per_batch": max((batch["queries"] for batch in drain["batches"]), default=0),
    }


def run() -> dict:
    loadavg = [round(x, 2) for x in os.getloadavg()]
    fixtures = Fixtures(LOAD_CUSTOMERS, LOAD_AGENTS)
    desk_agents_of_their_inbox(fixtures)
    inbox = Inbox.objects.create(name="Retention", channel_type=ChannelType.WEB_WIDGET)
    policy = RetentionPolicy.objects.create(
        inbox=inbox, days=POLICY_DAYS, mode=RetentionPolicy.Mode.ANONYMISE
    )
    anchor = timezone.now()
    log(f"seeding {CONVERSATIONS:,} due and {KEPT_CONVERSATIONS:,} kept resolved conversations")
    seeded = seed(
        seed_helper.dsn(),
        inbox_id=inbox.pk,
        agent_id=fixtures.agents[0].pk,
        counts={DUE: CONVERSATIONS, KEPT: KEPT_CONVERSATIONS},
        now=anchor,
        seed=SEED,
    )
    log(f"seeded in {seeded.seconds['total']} s")
    with tempfile.TemporaryDirectory(prefix="parley-bench-retention-") as scratch:
        workdir = Path(scratch)
        target = Target("parley", fixtures, workdir)
        target.server.env["CHANNEL_LAYER_PREFIX"] = LAYER_PREFIX
        attempts, alone = [], {}
        for rate in LOAD_RATES:
            log(f"L1 alone at {rate} msg/s")
            alone, _ = l1_on_fresh_servers(target, f"retention-alone-{rate}", rate)
            attempts.append({"rate": rate, **l1_figures(alone)})
            if l1_held(alone):
                break
        spec = {"policy_id": policy.pk, "now": anchor.isoformat(), "limit_seconds": LOAD_SWEEP_LIMIT}
        worker = Worker(workdir, "retention-under-load", spec)
        go = threading.Timer(LOAD_SWEEP_DELAY, worker.go)
        log(f"L1 at {rate} msg/s with the retention sweep")
        loaded, l1_began = l1_on_fresh_servers(target, "retention-with-sweep", rate, on_step=go.start)
        if l1_began is None:
            go.cancel()
            worker.go()
        under_load = worker.result(timeout=LOAD_SWEEP_LIMIT + 120)
    forget_layer_keys()
    finished_after = _finish(policy, anchor)
    under = drain_figures(under_load)
    if "error" not in under_load and l1_began is not None:
        under["started_s_into_L1"] = round(under_load["started_at"] - l1_began, 2)
    checks, figures = _checks(
        policy, anchor, seeded, under_load, finished_after, [*attempts, l1_figures(loaded)]
    )
    impact = load_impact(rate, alone, loaded)
    ratio, met = impact["p99_ratio"], impact["met"]
    return {
        "targets": {"p99_ratio": ratio, "target_p99_ratio": TARGETS["p99_ratio"], "met": {"p99_ratio": met}},
        "batch_size": RETENTION_BATCH_SIZE,
        "pause_seconds": RETENTION_PAUSE_SECONDS,
        "rest_factor": RETENTION_REST_FACTOR,
        "loadavg_at_start_and_end": [loadavg, [round(x, 2) for x in os.getloadavg()]],
        "data": {
            "due": CONVERSATIONS,
            "kept": KEPT_CONVERSATIONS,
            "messages": seeded.messages,
            "seed_seconds": seeded.seconds,
        },
        "realtime_impact": {
            **impact,
            "alone_attempts": attempts,
            "sweep_under_load": under,
        },
        "sweep_after_load": finished_after,
        "outcome": figures,
        "checks": checks,
        "notes": NOTES,
    }


def _finish(policy: RetentionPolicy, anchor) -> dict:
    """Drain what the sweep under load left (outside the measurement), as the task would."""
    started, batches, conversations, cursor = time.perf_counter(), 0, 0, None
    while time.perf_counter() - started < DRAIN_LIMIT_SECONDS:
        batch = conversations_retain_batch(policy=policy, now=anchor, after=cursor)
        batches, conversations, cursor = batches + 1, conversations + batch.conversations, batch.cursor
        if cursor is None:
            break
    return {
        "batches": batches,
        "anonymised": conversations,
        "drained": cursor is None,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _checks(policy, anchor, seeded, under_load: dict, after: dict, steps: list[dict]) -> tuple[dict, dict]:
    figures = outcome(seed_helper.dsn(), seeded.ids)
    due, kept = figures[DUE], figures[KEPT]
    anonymised = sum(b["conversations"] for b in under_load.get("batches", [])) + after["anonymised"]
    rerun = conversations_retain_batch(policy=policy, now=anchor).conversations
    checks = {
        "load.generator_ran": all("error" not in step and step.get("sent") for step in steps),
        "sweep_under_load.worker_finished": "error" not in under_load,
        "sweep.drained": after["drained"],
        "sweep.every_due_conversation_anonymised": due["anonymised"] == due["conversations"] == CONVERSATIONS,
        "sweep.count_is_the_rows_marked": anonymised == due["anonymised"],
        "sweep.due_messages_blank_and_kept_as_rows": due["blank"] == CONVERSATIONS
        and due["messages"] == 2 * CONVERSATIONS,
        "sweep.due_contacts_blanked": due["contact_blank"] == CONVERSATIONS,
        "sweep.kept_conversations_untouched": (kept["anonymised"], kept["blank"], kept["contact_blank"])
        == (0, 0, 0),
        "sweep.rerun_anonymises_none": rerun == 0,
    }
    if SMOKE:  # two batches: a sweep under load that does not finish is stuck, not slow
        checks["sweep_under_load.drained"] = under_load.get("drained") is True
    return checks, {**figures, "rerun_anonymised": rerun}
