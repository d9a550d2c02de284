"""What the real-time benchmark (bench/realtime.py) measures: its loads, its phases, the server
kinds it compares and the targets each figure is held to, at full and at smoke scale.
"""

import os
import sys

from bench.scale import scaled

# Smoke scale (bench/scale.py): every phase, tiny. A smoke step's drain is generous but ends as
# soon as every delivery and ack is in, and neither latency nor the generator's pace fails a step
# there: on a busy shared machine only loss, duplication and errors may.
SMOKE_STEP = {"drain_seconds": 20, "drain_acks": True, "p99_limit_ms": 60_000, "min_send_share": 0}


def drain(seconds: float) -> dict:
    """A step's drain window (it ends early once everything arrived), and the smoke loosening."""
    return scaled({"drain_seconds": seconds}, SMOKE_STEP)


# The loads of the brief; the generator spreads sends round-robin over the customers.
L1 = scaled(
    {"customers": 750, "agents": 30, "rate": 150, "seconds": 20},
    {"customers": 20, "agents": 3, "rate": 10, "seconds": 3},
)
L2 = scaled(
    {"customers": 3000, "agents": 120, "rate": 600, "seconds": 10},
    {"customers": 40, "agents": 6, "rate": 20, "seconds": 2},
)
KNEE_RATES = scaled([10, 25, 50, 100, 150, 200, 300, 450, 600, 800], [5, 10, 20])
KNEE_STEP_SECONDS = scaled(6, 1)
# Overload (issue 19): twice the knee for 30 s, then L1 in short steps until one holds p99 <= 100
# ms; at the end every send must be stored (the server answers `busy` and the client sends again).
OVERLOAD = scaled(
    {"factor": 2, "seconds": 30, "recover_steps": 15, "recover_step_seconds": 2, "final_drain_seconds": 90},
    {"factor": 2, "seconds": 2, "recover_steps": 2, "recover_step_seconds": 1, "final_drain_seconds": 20},
)
WARMUP = {"name": "warmup", **scaled({"rate": 10, "seconds": 2}, {"rate": 5, "seconds": 1}), **drain(2)}
IDLE_CONNECTIONS = scaled(5000, 60)  # L2 goes on with the first L2["customers"] of them
TIMED_CONNECTIONS = scaled(1000, 20)
SETTLE_SECONDS = scaled(3, 1)  # the memory phase's pauses before reading RSS
STORM_CUSTOMERS = scaled(1000, 30)
STORM_DOWNTIME_REPLY_EVERY = 10  # while the server is down, an agent replies in every 10th conversation
STORM_WRITTEN_WHILE_DOWN = range(0, STORM_CUSTOMERS, STORM_DOWNTIME_REPLY_EVERY)  # customer indexes
STORM_BACKOFF = scaled({"backoff_base": 0.2, "backoff_cap": 5.0}, {"backoff_base": 0.1, "backoff_cap": 1.0})
CONNECT_CONCURRENCY = 100
DB_POOL_MAX_SIZE = 10  # Daphne's psycopg pool; other engineers share max_connections=100

# For working on the benchmark itself: BENCH_REALTIME_PHASES=L1,storm BENCH_REALTIME_KINDS=parley.
PHASES = os.environ.get("BENCH_REALTIME_PHASES", "memory,L1,knee,overload,L2,storm,L1x2,kneex2").split(",")
SCALE_OUT_PROCESSES = 2  # the x2 phases: L1 and the knee again on two server processes
KINDS = os.environ.get("BENCH_REALTIME_KINDS", "parley,baseline").split(",")

TARGETS = {
    "L1_p50_ms": ("<=", 10),
    "L1_p99_ms": ("<=", 100),
    "L1_lost": ("==", 0),
    "L1_duplicated": ("==", 0),
    "L2_p99_ms": ("<=", 250),
    "L1x2_p50_ms": ("<=", 10),
    "L1x2_p99_ms": ("<=", 100),
    "L1x2_lost": ("==", 0),
    "knee_x2_msgs_per_second": (">=", 600),
    "knee_msgs_per_second": (">=", 600),
    "overload_never_stored": ("==", 0),
    "overload_sockets_closed": ("==", 0),
    "kib_per_idle_connection": ("<=", 50),
    "storm_seconds_to_all_resynced": ("<=", 30),
    "storm_gaps": ("==", 0),
    "storm_duplicates": ("==", 0),
}


def log(*parts: object) -> None:
    print("[realtime]", *parts, file=sys.stderr, flush=True)
