"""Signed webhook ingest: real Daphne processes serving Parley take Twilio SMS and WhatsApp Cloud
API webhooks, in the providers' own format and signed as they sign them, from an open-loop load
generator (bench/webhooks_load.py) in its own process, with ~10% exact replays; against the
baseline of pgbench single-row INSERTs into the same database, measured in the same run.

For one Daphne process and then two (on distinct ports, the load split between them; a Python
process runs on one core at a time and this machine has two): a warm-up, then offered rates
stepped up (STEP_SECONDS each) while the answers keep up with the offer, noting the highest that
holds (every answer 200, p99 <= 100 ms), then MAIN_SECONDS at that rate (the lowest step when
none held). After each phase, receipts left unapplied are counted and beat's sweep is run; at
the end the database is checked: exactly one message and one receipt per distinct provider
message id sent, nothing from the replays, no receipt left pending (the report's checks).

Smoke (`python -m bench --smoke webhooks`): both process counts, two low rates of 2 s, a 3 s main
run, 10 customers a channel (so one customer's webhooks meet in flight), 25% replays.
"""

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import ingest, webhooks_helper
from bench.measure import cpu_seconds, quantiles
from bench.outbound_helper import Worker
from bench.scale import SMOKE, scaled
from bench.webhooks_outcome import Sent, applied, settle, stored_for, worker_catches_up
from conversations.models import ChannelType, Inbox
from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

PROCESS_COUNTS = [int(n) for n in os.environ.get("BENCH_WEBHOOKS_PROCESSES", "1,2").split(",")]
_FULL_RATES = "10,25,50,75,100,125,150,175,200,250,300,400,600"
_RATES = os.environ.get("BENCH_WEBHOOKS_RATES", scaled(_FULL_RATES, "5,10"))
STEP_RATES = [int(rate) for rate in _RATES.split(",")]
STEP_SECONDS = scaled(5, 2)
MAIN_SECONDS = int(os.environ.get("BENCH_WEBHOOKS_SECONDS", scaled("25", "3")))
WARMUP = scaled({"rate": 20, "seconds": 3}, {"rate": 10, "seconds": 1})
PAUSES = scaled({"after_warmup": 2, "between_steps": 1}, {"after_warmup": 0.5, "between_steps": 0.5})
# Smoke: enough that each channel gets replays (none: about 2 x 0.875^130, once in 20 million runs).
REPLAY_SHARE = scaled(0.10, 0.25)
# Per channel: most messages land in a conversation that already exists.
CUSTOMERS = scaled(3000, 10)
BASELINE_INSERTS = scaled(3000, 300)  # without pgbench: ingest's single-row INSERTs
# Per server: the most requests in flight at once (a provider's pool of connections).
CONNECTIONS = int(os.environ.get("BENCH_WEBHOOKS_CONNECTIONS", "16"))
TARGETS = {"requests_per_second": (">=", 300), "p99_ms": ("<=", 100), "server_errors": ("==", 0)}
HOLD_P99_MS = 100
# The Celery worker that applies the receipts (one prefork process per core), and how long after
# the main run it may take to apply what is left before the sweep settles the rest.
WORKER_CONCURRENCY = 2
WORKER_CATCH_UP_SECONDS = scaled(180, 30)
SMS = {
    "key": "bench-sms",
    "account_sid": TWILIO_ACCOUNT_SID,
    "auth_token": TWILIO_AUTH_TOKEN,
    "phone_number": "+15005550006",
}
WHATSAPP = {
    "key": "bench-whatsapp",
    "phone_number_id": "106540352242922",
    "access_token": "bench-graph-token",
    "app_secret": "bench-app-secret-0123456789abcdef",
    "verify_token": "bench-verify-token",
}

NOTES = [
    "Load: bench/webhooks_load.py, one asyncio process on bench/keepalive_http.py (CONNECTIONS keep-alive "
    "connections per server), open loop: request n is due at start + n/rate and its latency runs "
    "from that due time to the answer, so waiting for a free connection counts. Bodies are "
    "simulator.fake_provider.webhooks' twilio_inbound_sms and whatsapp_text, signed with "
    "twilio_signature over the URL posted to (each Daphne has PUBLIC_URL set to its own address) "
    "and meta_signature over the exact bytes; alternating SMS and WhatsApp, from 3,000 customers "
    "per channel, every one a fresh provider message id except ~10% exact replays (same bytes and "
    "signature) of one of the previous ~2 s of originals, some of them while the original is "
    "still in flight.",
    "What a request costs in Parley: the view verifies the signature, stores the receipts in one "
    "INSERT ... ON CONFLICT DO NOTHING, asks for a drain (one Redis SET NX; a Celery task only when "
    "none is queued and not begun) and answers 200. A Celery worker (WORKER_CONCURRENCY prefork "
    "processes, started with each phase) applies the receipts: the drain selects those never "
    "tried, oldest first, 100 at a time, and applies each in a transaction under its row lock "
    "(contact_identify, message_receive, the receipt marked applied; after commit the events and "
    "routing). The view is synchronous under Django's ASGI handler.",
    "Applying: worker.backlog_at_end is the receipts not yet applied when the main run's last "
    "answer came; worker.catch_up_seconds the time the worker then took to apply them (bounded "
    "by WORKER_CATCH_UP_SECONDS); worker.applied_per_second the receipts the worker applied over "
    "the whole phase divided by the phase's time up to the end of the catch-up.",
    "A rate holds when every request was answered 200, p99 <= 100 ms, and the answers kept up "
    "(the last came within 1 s of the last request's due time); the steps go on while the "
    "answers keep up whatever the latency, so highest_rate_kept_up_any_latency is the ceiling. "
    "requests_per_second = answers (all 200) / time from the first due time to the last answer.",
    "Receipts: one the worker's drain could not apply (a failed try) is beat's sweep's "
    "(apply_pending_receipts: every 60 s, receipts older than 30 s). left_for_the_sweep counts "
    "what is still pending after the catch-up; the benchmark then runs the sweep itself "
    "(receipts_apply_pending) until none is left, and only then checks exactly-once.",
    "Baseline: pgbench -n -c 4 -j 2 -T 10 with one single-row INSERT per transaction into a logged "
    "table of the bench database, before any server starts. Ratio = webhook requests/s / pgbench "
    "tps: the share of bare Postgres commit throughput that full signed ingest reaches.",
    "checks (python -m bench exits non-zero when one is false), invariants at any load: no "
    "signed webhook refused (4xx); every request answered 200 (full scale: of every load whose "
    "answers kept up; past the ceiling requests may time out, a figure; smoke: of every load); "
    "after the sweep, exactly one message per provider id answered 200 (smoke: per id sent), "
    "none that was not sent; one receipt per stored message, whatever the replays (smoke: as "
    "many as distinct ids sent); no receipt pending; one conversation per customer; both "
    "providers and replays of each were sent.",
    "CPU: server_cpu_pct is the Daphne processes together (100 = one core), worker_cpu_pct the "
    "Celery worker's processes over the phase, generator_cpu_pct the "
    "load generator, machine_busy_pct the whole machine from /proc/stat (100 = both cores busy); "
    "the machine has 2 cores shared with Postgres, Redis and the generator.",
]


def log(*parts: object) -> None:
    print("[webhooks]", *parts, file=sys.stderr, flush=True)


def _inboxes() -> tuple[Inbox, Inbox]:
    sms = Inbox.objects.create(
        name="Bench SMS",
        channel_type=ChannelType.SMS,
        public_key=SMS["key"],
        config={k: SMS[k] for k in ("account_sid", "auth_token", "phone_number")},
    )
    whatsapp = Inbox.objects.create(
        name="Bench WhatsApp",
        channel_type=ChannelType.WHATSAPP,
        public_key=WHATSAPP["key"],
        config={k: v for k, v in WHATSAPP.items() if k != "key"},
    )
    return sms, whatsapp


def _summary(outcome: dict, rate: float) -> dict:
    rows = outcome["results"]
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[str(row[4])] = statuses.get(str(row[4]), 0) + 1
    ok = statuses.get("200", 0)
    seconds = outcome["seconds_until_last_answer"]
    latency = quantiles([row[5] for row in rows])
    server_errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    kept_up = seconds <= outcome["seconds_offered"] + 1.0
    return {
        "offered_per_second": rate,
        "requests": len(rows),
        "replays": sum(1 for row in rows if row[2]),
        "requests_per_second": round(ok / seconds, 1) if seconds else None,
        "latency_ms": latency,
        "latency_ms_by_channel": {
            kind: quantiles([row[5] for row in rows if row[0] == kind]) for kind in ("sms", "whatsapp")
        },
        "statuses": statuses,
        "server_errors": server_errors,
        "seconds_offered": outcome["seconds_offered"],
        "seconds_until_last_answer": seconds,
        "server_cpu_pct": outcome["server_cpu_pct"],
        "generator_cpu_pct": outcome["generator_cpu_pct"],
        "machine_busy_pct": outcome["machine_busy_pct"],
        "kept_up": kept_up,
        "held": ok == len(rows)
        and latency["p99_ms"] is not None
        and latency["p99_ms"] <= HOLD_P99_MS
        and kept_up,
    }


class Phase:
    """One server set (1 or 2 Daphne processes): warm-up, rate steps, the main run."""

    def __init__(self, processes: int, workdir: Path, sent: Sent) -> None:
        self.processes, self.workdir, self.sent = processes, workdir, sent
        prefix = f"{os.environ.get('CHANNEL_LAYER_PREFIX', 'parley-bench')}-webhooks-{processes}"
        self.servers = webhooks_helper.daphnes(processes, workdir, prefix)

    def load(self, name: str, rate: float, seconds: float) -> dict:
        run = uuid.uuid4().hex[:8]
        spec = {
            "targets": [server.http for server in self.servers],
            "server_pids": [server.pid for server in self.servers],
            "sms": SMS,
            "whatsapp": WHATSAPP,
            "rate": rate,
            "seconds": seconds,
            "replay_share": REPLAY_SHARE,
            "customers": CUSTOMERS,
            "connections": CONNECTIONS,
            "run": run,
            "seed": int(run, 16),
        }
        outcome = webhooks_helper.run_load(f"{self.processes}x-{name}", spec, self.workdir)
        self.sent.note(outcome["results"])
        figures = _summary(outcome, rate)
        log(
            f"  {self.processes}x {name}: {rate}/s offered -> {figures['requests_per_second']}/s, "
            f"p50 {figures['latency_ms']['p50_ms']} p99 {figures['latency_ms']['p99_ms']} ms, "
            f"{figures['statuses']}, server cpu {figures['server_cpu_pct']}%, "
            f"machine {figures['machine_busy_pct']}% busy, "
            f"held={figures['held']}"
        )
        return figures

    def measure(self) -> dict:
        worker = Worker(
            "prefork", WORKER_CONCURRENCY, "http://127.0.0.1:9", self.workdir, f"webhooks-{self.processes}"
        )
        worker.start()
        started, worker_cpu = time.perf_counter(), cpu_seconds(worker.pids)
        applied_before = applied()
        for server in self.servers:
            server.start()
        try:
            warmup = self.load("warmup", WARMUP["rate"], WARMUP["seconds"])
            time.sleep(PAUSES["after_warmup"])
            steps, best = [], None
            for rate in STEP_RATES:  # on while the answers keep up, to find the ceiling too
                step = self.load(f"step-{rate}", rate, STEP_SECONDS)
                steps.append(step)
                if step["held"]:
                    best = rate
                if not step["kept_up"] or step["server_errors"]:
                    break
                time.sleep(PAUSES["between_steps"])
            main_rate = best or STEP_RATES[0]
            main = self.load("main", main_rate, MAIN_SECONDS)
            applying = worker_catches_up(started, applied_before, WORKER_CATCH_UP_SECONDS)
            applying["worker_cpu_pct"] = round(
                100 * ((cpu_seconds(worker.pids) or 0) - (worker_cpu or 0)) / (time.perf_counter() - started),
                1,
            )
            log(f"  {self.processes}x worker: {applying}")
        finally:
            logs = {server.log_path.name: server.log_tail(1500) for server in self.servers}
            logs[worker.log_path.name] = worker.log_tail(1500)
            for server in self.servers:
                server.stop()
            worker.stop()
        ceiling = max((step["requests_per_second"] or 0 for step in steps if step["kept_up"]), default=None)
        return {
            "processes": self.processes,
            "highest_step_held": best,
            "highest_rate_kept_up": ceiling,
            "main": main,
            "steps": steps,
            "warmup": warmup,
            "worker": applying,
            "server_log_tails": {name: tail for name, tail in logs.items() if tail.strip()},
        }


def _checks(stored: dict[str, dict], phases: dict) -> dict[str, bool]:
    """The invariants (bench/scale.py). Smoke is stricter where full scale may overload: there a
    step past the ceiling may time out, and an id no request got a 200 for is not required."""
    channels = list(stored.values())
    loads = [load for phase in phases.values() for load in (phase["warmup"], *phase["steps"], phase["main"])]
    must_answer = loads if SMOKE else [load for load in loads if load["kept_up"]]
    missing = "missing" if SMOKE else "missing_answered_200"
    stored_ids = "distinct_ids_sent" if SMOKE else "distinct_ids_stored"
    refused = [status for load in loads for status in load["statuses"] if status.startswith("4")]
    return {
        "no_request_refused": not refused,
        "every_request_answered_200": all(set(load["statuses"]) <= {"200"} for load in must_answer),
        "exactly_one_message_per_id": all(
            c[missing] == c["duplicated"] == c["not_sent_but_stored"] == 0 for c in channels
        ),
        "replays_created_nothing": all(c["receipts"] == c["messages"] == c[stored_ids] for c in channels),
        "no_receipt_left_pending": all(c["receipts_pending"] == 0 for c in channels)
        and all(phase["receipts"]["still_pending"] == 0 for phase in phases.values()),
        "one_conversation_per_customer": all(
            c["conversations"] == c["contacts_with_a_conversation"] for c in channels
        ),
        "both_providers_and_their_replays_sent": all(
            c["distinct_ids_sent"] > 0 and c["replays_sent"] > 0 for c in channels
        ),
    }


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 4) if value and base else None


def _met(value, rule) -> bool | None:
    if value is None:
        return None
    op, bound = rule
    return {">=": value >= bound, "<=": value <= bound, "==": value == bound}[op]


def run() -> dict:
    loadavg = [round(x, 2) for x in os.getloadavg()]
    sms, whatsapp = _inboxes()
    sent = Sent()
    phases = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-webhooks-") as scratch:
        workdir = Path(scratch)
        baseline = webhooks_helper.pgbench_baseline(workdir)
        if baseline is None:  # no pgbench here: ingest's psycopg single-row INSERT, one connection
            baseline = {"tool": "psycopg (no pgbench found)", **ingest.baseline_inserts(BASELINE_INSERTS)}
            baseline["tps"] = baseline["per_second"]
        log(f"baseline: {baseline['tool']}: {baseline['tps']} tps")
        for processes in PROCESS_COUNTS:
            phase = Phase(processes, workdir, sent).measure()
            phase["receipts"] = settle()
            log(f"  receipts: {phase['receipts']}")
            phases[f"{processes}_process"] = phase
    stored = {"sms": stored_for(sms, "sms", sent), "whatsapp": stored_for(whatsapp, "whatsapp", sent)}
    summary = {}
    for name, phase in phases.items():
        main = phase["main"]
        summary[name] = {
            "requests_per_second": main["requests_per_second"],
            "latency_ms": {k: main["latency_ms"][k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
            "server_errors": main["server_errors"],
            "receipts_left_for_the_sweep": phase["receipts"]["left_for_the_sweep"],
            "worker": phase["worker"],
            "highest_step_held": phase["highest_step_held"],
            "highest_rate_kept_up_any_latency": phase["highest_rate_kept_up"],
            "ratio_vs_pgbench_tps": _ratio(main["requests_per_second"], baseline["tps"]),
            "ratio_ceiling_vs_pgbench_tps": _ratio(phase["highest_rate_kept_up"], baseline["tps"]),
            "targets_met": {
                "requests_per_second": _met(main["requests_per_second"], TARGETS["requests_per_second"]),
                "p99_ms": _met(main["latency_ms"]["p99_ms"], TARGETS["p99_ms"]),
                "server_errors": _met(main["server_errors"], TARGETS["server_errors"]),
            },
        }
    return {
        "summary": summary,
        "baseline": baseline,
        "checks": _checks(stored, phases),
        "stored": stored,
        "targets": {name: f"{op} {bound}" for name, (op, bound) in TARGETS.items()},
        "setup": {
            "step_rates": STEP_RATES,
            "step_seconds": STEP_SECONDS,
            "main_seconds": MAIN_SECONDS,
            "process_counts": PROCESS_COUNTS,
            "warmup": WARMUP,
            "replay_share": REPLAY_SHARE,
            "customers_per_channel": CUSTOMERS,
            "connections_per_server": CONNECTIONS,
            "daphne_db_pool_max_size": webhooks_helper.DB_POOL_MAX_SIZE,
            "worker_concurrency": WORKER_CONCURRENCY,
        },
        "phases": phases,
        "loadavg_at_start_and_end": [loadavg, [round(x, 2) for x in os.getloadavg()]],
        "notes": NOTES,
    }
