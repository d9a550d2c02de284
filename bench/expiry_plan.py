"""What the expiry benchmark (bench/expiry.py) measures: how many sessions, how many of them due,
in how many live inboxes, the drain's limits, the real-time load beside the second drain, and
the targets, at full and at smoke scale. BENCH_EXPIRY_* variables change them while working on
the benchmark.
"""

import os
import sys
from datetime import timedelta

from django.conf import settings

from bench.realtime_plan import L1
from bench.scale import scaled
from conversations import services

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
LOAD_CUSTOMERS = scaled(L1["customers"], 50)
LOAD_AGENTS = scaled(L1["agents"], 3)
LOAD = os.environ.get("BENCH_EXPIRY_LOAD", "1") not in ("", "0")
SEED = 20261125
LAYER_PREFIX = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "parley-bench")
TARGETS = {"total_s": 5.0, "max_batch_ms": 100.0, "p99_ratio": 2.0}


def log(*parts: object) -> None:
    print("[expiry]", *parts, file=sys.stderr, flush=True)
