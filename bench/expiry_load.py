"""The real-time load beside the expiry benchmark's sweep (bench/expiry.py): the real-time
benchmark's L1 on fresh Daphne processes, alone and then with a sweep worker draining freshly
seeded due sessions from inside the L1 step; L1's p99 in both, and the checks of that drain.
"""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from agents.models import InboxMembership
from bench import sweep_helper
from bench.expiry_helper import IDLE, LEFT, NOT_DUE
from bench.expiry_plan import (
    DUE_SHARE,
    LAYER_PREFIX,
    LOAD_AGENTS,
    LOAD_CUSTOMERS,
    LOAD_PROCESSES,
    LOAD_RATES,
    LOAD_SECONDS,
    LOAD_SWEEP_DELAY,
    LOAD_SWEEP_LIMIT,
    SEED,
    SESSIONS,
    TARGETS,
    log,
)
from bench.expiry_sweep import Sweeper, World, drain_checks, explain_locking_reads
from bench.realtime_fixtures import Fixtures
from bench.realtime_plan import L1, WARMUP
from bench.realtime_report import report_step
from bench.realtime_servers import ROOT, Server
from bench.realtime_target import Target
from conversations.models import Inbox


def _generate(name: str, spec: dict, workdir: Path, on_step: object = None) -> tuple[dict, float | None]:
    """The real-time load generator, as realtime_servers.run_load runs it, but following its progress on
    stderr: `on_step()` is called the moment the warm-up step ends and the L1 step begins.
    Returns its report and the monotonic time L1 began."""
    spec_path, result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec))
    process = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "bench.realtime_load", str(spec_path), str(result_path)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    began: list[float] = []

    def follow() -> None:
        for line in process.stderr:
            sys.stderr.write(line)
            if line.startswith(f"[load] {WARMUP['name']} ") and not began:
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


def l1_on_fresh_servers(
    target: Target, name: str, rate: int, on_step: object = None
) -> tuple[dict, float | None]:
    """L1 on LOAD_PROCESSES fresh Daphne processes (sockets spread over them), as realtime's
    L1x2 phase runs it."""
    target.more_servers = [
        Server("parley", target.argv, dict(target.server.env), target.workdir, f"parley-{n}")
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
                WARMUP,
                {"name": "L1", "rate": rate, "seconds": LOAD_SECONDS, "drain_seconds": 5},
            ],
        )
        return _generate(f"expiry-{name}", spec, target.workdir, on_step)
    finally:
        for server in servers:
            server.stop()
        target.more_servers = []
        time.sleep(0.5)


def desk_agents_of_their_inbox(fixtures: Fixtures) -> None:
    """The real-time fixtures' agents are admins, whose desks hear every inbox: make them members
    of their widget inbox only, as a live team's agents would be, so the sweep's events about
    other inboxes are not delivered to them. Their inbox routes by hand, as before (nobody was
    eligible: admins are not members), so L1's work is unchanged."""
    ids = [agent.pk for agent in fixtures.agents]
    get_user_model().objects.filter(pk__in=ids).update(is_superuser=False)
    InboxMembership.objects.bulk_create([InboxMembership(inbox=fixtures.inbox, agent_id=pk) for pk in ids])
    fixtures.inbox.routing = Inbox.Routing.MANUAL
    fixtures.inbox.save(update_fields=["routing"])


def l1_held(report: dict) -> bool:
    """Did the server keep up: nothing lost, and a p99 of deliveries that arrived?"""
    step = report_step(report, "L1")
    return bool(step) and step.get("lost") == 0 and "p99_ms" not in step.get("lower_bound", [])


def load_impact(rate: int, alone, loaded) -> dict:
    """L1's p99 alone and beside a sweep, their ratio and whether it met the target: met is None
    when L1 did not hold alone (both p99s are then a backlog's lower bounds, their ratio means
    nothing). Shared by the expiry and retention benchmarks."""
    p99_alone, p99_loaded = l1_figures(alone).get("p99_ms"), l1_figures(loaded).get("p99_ms")
    ratio = round(p99_loaded / p99_alone, 2) if p99_alone and p99_loaded else None
    held = l1_held(alone)
    return {
        "load": {
            "customers": LOAD_CUSTOMERS,
            "agents": LOAD_AGENTS,
            "rate": rate,
            "seconds": LOAD_SECONDS,
            "daphne_processes": LOAD_PROCESSES,
            "is_L1": rate == L1["rate"],
        },
        "baseline_held": held,
        "p99_alone_ms": p99_alone,
        "p99_with_sweep_ms": p99_loaded,
        "p99_ratio": ratio,
        "target_p99_ratio": TARGETS["p99_ratio"],
        "met": (ratio is not None and ratio <= TARGETS["p99_ratio"]) if held else None,
        "L1_alone": l1_figures(alone),
        "L1_with_sweep": l1_figures(loaded),
    }


def l1_figures(report: dict) -> dict:
    step = report_step(report, "L1")
    keys = ("sent", "p50_ms", "p95_ms", "p99_ms", "max_ms", "lost", "duplicated", "lower_bound")
    figures = {key: step.get(key) for key in keys}
    figures.update({key: step.get(key) for key in ("server_cpu_pct", "machine_cpu_pct", "cpu_stall_pct")})
    figures["ack_p99_ms"] = step.get("ack", {}).get("p99_ms")
    if "error" in report:
        figures["error"] = report["error"]
    return figures


def _sweep_beside_l1(
    world: World, target: Target, workdir: Path, rate: int
) -> tuple[dict, float | None, sweep_helper.Drain | str]:
    """L1 with a sweep worker draining from LOAD_SWEEP_DELAY s into the step: the load's report,
    when its L1 step began, and the drain (or why there is none)."""
    sweeper = Sweeper(workdir, world.anchor)
    sweeper.start("sweep-under-load", limit=LOAD_SWEEP_LIMIT)
    go = threading.Timer(LOAD_SWEEP_DELAY, sweeper.go)
    log(f"L1 at {rate} msg/s with the sweep")
    loaded, l1_began = l1_on_fresh_servers(target, "with-sweep", rate, on_step=go.start)
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
        and all(report_step(report, "L1").get("sent") for report in reports),
        "load.sweep_began_during_L1": l1_began is not None,
    }


def with_load(
    world: World, workdir: Path, first_batch_sql: list[str], not_due_ids: list[int]
) -> tuple[dict, dict[str, bool]]:
    """L1 alone, then beside a sweep of freshly seeded due sessions: the figures and the checks."""
    fixtures = Fixtures(LOAD_CUSTOMERS, LOAD_AGENTS)
    desk_agents_of_their_inbox(fixtures)
    target = Target("parley", fixtures, workdir)
    # The server on this run's channel-layer prefix, the sweep worker's: what it announces arrives.
    target.server.env["CHANNEL_LAYER_PREFIX"] = LAYER_PREFIX
    attempts, alone_reports = [], []
    for rate in LOAD_RATES:
        log(f"L1 alone at {rate} msg/s")
        alone, _ = l1_on_fresh_servers(target, f"alone-{rate}", rate)
        alone_reports.append(alone)
        attempts.append({"rate": rate, **l1_figures(alone)})
        if l1_held(alone):
            break
    due = round(SESSIONS * DUE_SHARE)
    log(f"seeding {due:,} more due sessions")
    reseeded = world.seed({LEFT: due // 2, IDLE: due - due // 2}, SEED + 1)
    explain = explain_locking_reads(first_batch_sql)
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
        under_load_checks, under_load_figures = drain_checks(world, "sweep_under_load", sessions, result)
        checks.update(under_load_checks)
        sweep.update(under_load_figures)
    figures = {
        **load_impact(rate, alone, loaded),
        "alone_attempts": attempts,
        "sweep_under_load": sweep,
        "reseed_seconds": reseeded.seconds,
        "explain": explain,
    }
    return figures, checks
