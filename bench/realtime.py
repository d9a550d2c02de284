"""Real-time benchmark: Parley (Daphne + Channels, message_receive, Redis layer) against a bare
baseline (bench/baseline_server.py: websockets + one INSERT/commit + Redis PUBLISH), both driven by
the same load generator (bench/realtime_load.py) in a separate process.

Measured for each server, each phase on a freshly started server process (L2 goes on from the
memory phase's server and sockets, whose connects are the slow part):
1. end-to-end latency from a customer's send to every agent socket's message.created, at L1
   (750 customers, 30 agents, 150 msg/s, 20 s) and L2 (4 x L1);
2. the throughput knee: offered rate stepped until p99 > 250 ms or any loss or error;
3. RSS per idle authenticated customer connection (5,000 sockets) and the time to connect 1,000;
4. a reconnect storm: 1,000 customers, server restarted on the same port, each client comes back
   with full-jitter exponential backoff, a fresh connect token from its resume token, and
   history.after; the resynced seqs are checked for gaps and duplicates;
5. L1 and the knee again on two server processes of each kind (sharing Redis and Postgres, the
   sockets spread over them), the scale-out shape: a Python process runs on one core at a time.
Every figure is reported beside the baseline's, with the ratio and the target it is held to.

Here the run; the loads, phases and targets are bench/realtime_plan.py, the world
bench/realtime_fixtures.py, the server processes bench/realtime_servers.py, one kind's phases
bench/realtime_target.py, and the figures, checks and notes bench/realtime_report.py.
"""

import logging
import resource
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connections

from bench.realtime_fixtures import Fixtures
from bench.realtime_plan import (
    IDLE_CONNECTIONS,
    KINDS,
    KNEE_RATES,
    KNEE_STEP_SECONDS,
    L1,
    L2,
    PHASES,
    STORM_CUSTOMERS,
    TARGETS,
    log,
)
from bench.realtime_report import NOTES, comparison, invariant_checks, kind_figures, lower_bounds, target_met
from bench.realtime_servers import forget_layer_keys
from bench.realtime_target import Target
from bench.scale import SMOKE


def run() -> dict:
    logging.getLogger("channels_redis").setLevel(logging.WARNING)  # "over capacity" lines: see notes
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    count = max(IDLE_CONNECTIONS, L2["customers"], STORM_CUSTOMERS)
    log(f"fixtures: {count} visitors, {L2['agents']} agents")
    fixtures = Fixtures(count, L2["agents"])
    with tempfile.TemporaryDirectory(prefix="parley-bench-realtime-") as scratch:
        workdir = Path(scratch)
        results = _measure(fixtures, workdir)
        logs = {
            kind: (workdir / f"{kind}.log").read_text(errors="replace")[-3000:]
            for kind in KINDS
            if (workdir / f"{kind}.log").exists()
        }
    forget_layer_keys()
    parley, baseline = kind_figures(results.get("parley", {})), kind_figures(results.get("baseline", {}))
    return {
        "loads": {"L1": L1, "L2": L2, "knee_rates": KNEE_RATES, "knee_step_seconds": KNEE_STEP_SECONDS},
        "fixtures_seconds": fixtures.seconds,
        "figures": comparison(
            parley,
            baseline,
            {kind: lower_bounds(results.get(kind, {})) for kind in ("parley", "baseline")},
        ),
        "targets_met": {name: target_met(parley.get(name), rule) for name, rule in TARGETS.items()},
        "checks": invariant_checks(results),
        "notes": NOTES,
        "details": results,
        "server_log_tails": logs,
    }


def _measure(fixtures: Fixtures, workdir: Path) -> dict:
    """Each kind's phases: one kind after the other, or side by side at the smoke scale, whose
    figures mean nothing and whose checks do not depend on the time things take (it takes about
    a third off a smoke run, most of which is Daphne starting). The kinds share nothing but the
    fixtures' rows: each writes its messages to its own tables."""
    if not SMOKE:
        return {kind: Target(kind, fixtures, workdir).measure(PHASES) for kind in KINDS}
    with ThreadPoolExecutor(max_workers=len(KINDS), thread_name_prefix="realtime") as pool:
        futures = {kind: pool.submit(_measure_kind, kind, fixtures, workdir) for kind in KINDS}
        return {kind: future.result() for kind, future in futures.items()}


def _measure_kind(kind: str, fixtures: Fixtures, workdir: Path) -> dict:
    try:
        return Target(kind, fixtures, workdir).measure(PHASES)
    finally:
        connections.close_all()  # this thread's own: the test database is dropped at the end
