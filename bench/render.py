"""docs/benchmarks.md from the reports of the latest full run (bench/results/<name>.json).

    python -m bench.render            # after `make bench` (or `python -m bench <name>`)
    python -m bench.render --check    # exit 1 when docs/benchmarks.md is not what the reports say

What each benchmark measures, its baseline and its targets are written here once; the figures,
the commit and the machine come from the reports. No Django: it reads JSON only.
"""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.render_channels import email_rows, outbound_rows, webhooks_rows
from bench.render_kb import kb_rows
from bench.render_reports import reports_rows
from bench.render_rules_and_retention import automation_rows, retention_rows
from bench.rows import Row, row

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Benchmark:
    title: str
    measures: str
    baseline: str
    targets: str
    rows: Callable[[dict], list[Row]]


def _ingest(report: dict) -> list[Row]:
    bare = report["baseline_bare_insert_1_connection"]
    one, four = report["message_receive_1_writer"], report["message_receive_4_writers"]
    return [
        row("messages stored a second, 1 writer", one["per_second"], bare["per_second"]),
        row("p50 per message, 1 writer (ms)", one["p50_ms"], bare["p50_ms"]),
        row("p99 per message, 1 writer (ms)", one["p99_ms"], bare["p99_ms"]),
        row("messages stored a second, 4 writers", four["per_second"], bare["per_second"]),
    ]


def _fanout(report: dict) -> list[Row]:
    cpu, target = report["median_cpu_us_per_delivery"], report.get("target_cpu_us_per_delivery")
    met = cpu["parley"] <= target if target else None
    label = "server CPU per delivery to one socket (µs)"
    return [row(label, cpu["parley"], cpu["baseline"], target=f"<= {target}" if target else None, met=met)]


REALTIME_ROWS = {
    "L1_p50_ms": "L1 (one process), p50 send to every agent (ms)",
    "L1_p99_ms": "L1 (one process), p99 (ms)",
    "L1_lost": "L1 (one process), messages not delivered within the drain",
    "L1_delivered_pct": "L1 (one process), deliveries arrived (%)",
    "L1x2_p50_ms": "L1 on two processes, p50 (ms)",
    "L1x2_p99_ms": "L1 on two processes, p99 (ms)",
    "L1x2_lost": "L1 on two processes, messages not delivered",
    "knee_msgs_per_second": "knee, one process (msg/s held)",
    "knee_x2_msgs_per_second": "knee, two processes (msg/s held)",
    "overload_rate": "overload: offered for 30 s (msg/s, 2 x knee)",
    "overload_p99_ms": "overload: p99 at that rate (ms)",
    "overload_never_stored": "overload: messages never stored (after busy and a resend)",
    "overload_sockets_closed": "overload: sockets closed by the server",
    "overload_busy_resends": "overload: sends answered busy and sent again",
    "overload_agent_resyncs": "overload: agent sockets told to resync",
    "overload_recovery_seconds": "overload: seconds of L1 until p99 <= 100 ms",
    "L2_p99_ms": "L2 (4 x L1), p99 (ms)",
    "kib_per_idle_connection": "memory per idle customer socket (KiB)",
    "seconds_to_connect_1000": "time to connect 1,000 customers (s)",
    "storm_seconds_to_all_resynced": "reconnect storm: all resynced after a restart (s)",
    "storm_gaps": "reconnect storm: gaps after resync",
    "storm_duplicates": "reconnect storm: duplicates after resync",
}


def _from_figures(report: dict, labels: dict[str, str], ours: str, theirs: str, ratio: str) -> list[Row]:
    """Rows from a report's "figures" table (realtime's and the desk's have one), in `labels`'
    order; a target given as a number reads "<= n"."""
    rows = []
    for name, label in labels.items():
        figure = report["figures"].get(name)
        if figure is None:
            continue
        lower = " (at least)" if figure.get(f"{ours}_is_lower_bound") else ""
        target = figure.get("target")
        target = f"<= {target:g}" if isinstance(target, int | float) else target
        rows.append(
            row(label + lower, figure[ours], figure[theirs], figure[ratio], target, figure.get("met"))
        )
    return rows


def _realtime(report: dict) -> list[Row]:
    return _from_figures(report, REALTIME_ROWS, "parley", "baseline", "ratio_parley_to_baseline")


DESK_ROWS = {
    "one_agent list p95_ms": "list page p95, one agent (ms)",
    "one_agent history p95_ms": "history page p95, one agent (ms)",
    "paced list p95_ms": "list page p95, 20 agents paced (ms)",
    "paced history p95_ms": "history page p95, 20 agents paced (ms)",
    "flat_out list per_second": "list pages a second, flat out",
    "flat_out history per_second": "history pages a second, flat out",
}


def _desk(report: dict) -> list[Row]:
    rows = _from_figures(report, DESK_ROWS, "web", "bare_sql", "ratio_web_to_bare")
    counts = ", ".join(f"{kind} {'/'.join(map(str, n))}" for kind, n in report["queries_per_request"].items())
    return [*rows, row("queries per request", counts, target="constant")]


def _expiry(report: dict) -> list[Row]:
    targets, met, impact = report["targets"], report["targets"]["met"], report.get("realtime_impact") or {}
    due = report["data"]["due_by_leaving"] + report["data"]["due_by_idling"]
    p99_target = f"<= x{targets['target_p99_ratio']:g} of alone"
    return [
        row(
            f"drain of {due:,} due sessions (s)",
            targets["total_s"],
            target=f"<= {targets['target_total_s']:g}",
            met=met["total_s"],
        ),
        row(
            "slowest sweep batch (ms)",
            targets["max_batch_ms"],
            target=f"<= {targets['target_max_batch_ms']:g}",
            met=met["max_batch_ms"],
        ),
        row("sweep batch p50 (ms)", report["sweep"].get("batch_ms", {}).get("p50")),
        row(
            "real-time p99 beside the sweep (ms)",
            impact.get("p99_with_sweep_ms"),
            impact.get("p99_alone_ms"),
            targets.get("p99_ratio"),
            p99_target,
            met.get("p99_ratio"),
        ),
    ]


def _routing(report: dict) -> list[Row]:
    rows = []
    for routing, summary in report["summary"].items():
        latency, held, capacity = summary["routing_latency_ms"], summary["max_load_seen"], summary["capacity"]
        rows += [
            row(
                f"{routing}: burst of {summary['conversations']:,}, conversations a second",
                summary["conversations_per_second"],
            ),
            row(
                f"{routing}: routed after arrival, p50 / p99 (ms)",
                f"{latency['p50_ms']} / {latency['p99_ms']}",
            ),
            row(
                f"{routing}: most conversations one agent held",
                held,
                target=f"<= {capacity} (capacity)",
                met=held <= capacity,
            ),
        ]
    return rows


BENCHMARKS = {
    "ingest": Benchmark(
        "Message ingest",
        "`message_receive` (row lock, seq, insert, outbox, events after commit) from one writer and "
        "from four, each on its own conversation.",
        "a bare single-row INSERT with one commit each, on the same Postgres connection.",
        "none of its own; issue 19 holds the hot path to a tenth of its cost.",
        _ingest,
    ),
    "fanout": Benchmark(
        "Fan-out cost",
        "the server's CPU per event delivered to one socket, with no database on the path "
        "(30 sockets, events published straight into the fan-out).",
        "a bare `websockets` server broadcasting the same frames from Redis.",
        "<= 20 µs per delivery (issue 19).",
        _fanout,
    ),
    "realtime": Benchmark(
        "Real time, end to end",
        "customers' messages through Daphne, `message_receive` and the Redis layer to every agent "
        "socket: L1 (750 customers, 30 agents, 150 msg/s), L2 (4 x L1), the throughput knee, memory "
        "per idle socket, a reconnect storm with resync, and L1 and the knee on two processes.",
        "`bench/baseline_server.py`: bare `websockets`, one INSERT per message, Redis PUBLISH.",
        "L1 p50 <= 10 ms, p99 <= 100 ms, nothing lost; knee >= 600 msg/s; <= 50 KiB per idle socket; "
        "the storm resynced in <= 30 s with no gap or duplicate.",
        _realtime,
    ),
    "desk": Benchmark(
        "Agent desk pages",
        "the conversation list and older history through Daphne for 20 agents, on 100,000 "
        "conversations and 1,000,000 messages: one agent alone, 20 paced like people, flat out.",
        "the same SQL those requests ran, replayed straight through psycopg at the same pace.",
        "p95 list <= 50 ms, history <= 30 ms (issue 5); a constant query count per page.",
        _desk,
    ),
    "expiry": Benchmark(
        "Live-session expiry",
        "the beat sweep ending 25,000 due sessions out of 100,000 open ones, alone and beside a "
        "real-time load on two Daphne processes.",
        "the real-time load's p99 without the sweep.",
        "the drain <= 5 s, no batch over 100 ms, real-time p99 at most x2 while it runs (issue 6).",
        _expiry,
    ),
    "routing": Benchmark(
        "Routing a burst",
        "10,000 conversations arriving from 8 processes for 30 agents with 25 slots each, then waves "
        "of resolves; every agent's load sampled every 50 ms.",
        "none: its figures are the capacity proof and the time to route.",
        "no agent ever over capacity; the oldest waiting served first.",
        _routing,
    ),
    "webhooks": Benchmark(
        "Signed webhook ingest",
        "signed Twilio and WhatsApp webhooks (10% exact replays) posted open loop to one and to two "
        "Daphne processes, rate stepped up while the answers keep up.",
        "pgbench's single-row INSERT on the same database (tps).",
        ">= 300 requests a second at p99 <= 100 ms, no 5xx (issue 19).",
        webhooks_rows,
    ),
    "outbound": Benchmark(
        "Outbound delivery",
        "agents' replies through real Celery workers (thread and prefork pools) to the fake provider "
        "(100-300 ms, 1% answered 500), a steady rate then a burst.",
        "the same sends straight to the fake provider from a bare HTTP client.",
        ">= 50 replies a second with p99 <= 2 s to acceptance; every reply accepted exactly once.",
        outbound_rows,
    ),
    "email": Benchmark(
        "Mail ingest",
        "mails delivered to a real IMAP server (Dovecot), fetched by the poller, kept, read, "
        "threaded and stored by the receipts' drain, end to end; then two pollers racing over "
        "another batch. The same kind of mails forwarded as a Mailgun route forwards them (raw "
        "MIME, signed) to a real Daphne, one in ten posted again re-signed, applied meanwhile by "
        "a real Celery worker's drains.",
        "a bare store of the same mails (their bytes and two fields, one INSERT and commit each) on "
        "the same Postgres connection.",
        ">= 50 mails a second on two cores, each stored exactly once (issue 20).",
        email_rows,
    ),
    "kb": Benchmark(
        "Knowledge-base search",
        "banking77 as a help center (one article per intent, N = 5 or 20 of its train.csv questions as "
        "the article's questions, 3 random draws each), every test.csv question asked through "
        "`search_articles`; the bot's abstention on validation questions and 166 out-of-scope ones of "
        "our own; retrieval time on 5,005 articles; the bot's first answer end to end (a widget "
        "customer's question on their socket, Daphne, the broker, a Celery worker's turn, the answer "
        "back on the same socket).",
        "the same engine with the vectors alone and with Postgres alone (full text and trigrams), "
        "in the same run; for the bot, the server's ack of the same message on the same socket.",
        "hit@3 >= 0.90 (N=5) and >= 0.95 (N=20), Postgres alone >= 0.85, no result <= 1%; at the "
        "shipped threshold answered ones right >= 80% and >= 85% of out-of-scope handed off; p95 "
        "<= 20 ms on 5,000 articles; model load <= 1 s; the bot's first answer p95 <= 300 ms (no "
        "generative model).",
        kb_rows,
    ),
    "reports": Benchmark(
        "Reports",
        "90 days of a support team generated with realistic hours (100,000 conversations, about "
        "1,000,000 message facts, 50 agents, 10 inboxes, 2 million facts in all): every reports "
        "page and the live floor over the 90 days for the whole account, through Django's test "
        "client as a supervisor; each table's CSV export; each day's rollup; the SLA sweep over "
        "10,000 open conversations.",
        "the same 90-day figures computed straight from the raw facts (every day replayed), in the "
        "same run; its time is the baseline of each page.",
        "every page p95 <= 200 ms and every CSV <= 2 s over 90 days; one day's rollup <= 5 s; the "
        "sweep over 10,000 open conversations <= 1 s, every breach recorded within 60 s.",
        reports_rows,
    ),
    "automation": Benchmark(
        "Automation rules per message",
        "a customer's message through `message_receive` (commit and on-commit callbacks included) "
        "with 50 active message rules of 3 conditions each, none matching: rules its text rules out "
        "(no query), and rules evaluated in full on the conversation (one query); in alternating "
        "blocks with no rule; and each set's evaluation alone.",
        "the same messages with no active rule, in the same run.",
        "<= 5 ms added to a message's p95 with 50 rules (issue 22).",
        automation_rows,
    ),
    "retention": Benchmark(
        "Retention beside the real-time load",
        "the retention sweep (`privacy.retention`) anonymising 100,000 resolved conversations past "
        "their inbox's 30-day policy, in batches of 200, each followed by a rest of three times its "
        "own time, in a worker process beside the real-time benchmark's L1 load on two Daphne "
        "processes; L1's p99 while it drains.",
        "L1's p99 alone on the same data, in the same run.",
        "L1's p99 with the sweep <= 2x alone (issue 22).",
        retention_rows,
    ),
}


def _cell(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "**no**"
    if isinstance(value, float) and 0 < abs(value) < 0.1:
        return f"{value:.2g}"  # a small ratio keeps two significant digits
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def _provenance(report: dict) -> str:
    machine, code = report.get("machine", {}), report.get("code", {})
    changed = code.get("uncommitted") or []
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    dirty = f" (with uncommitted changes to {', '.join(changed[:3])}{more})" if changed else ""
    cpu = machine.get("cpu_model") or "unknown CPU"
    return (
        f"commit `{code.get('commit', '?')}`{dirty}, {report.get('at', '?')}, "
        f"{machine.get('cpus', '?')} cores ({cpu}), {machine.get('memory_gib', '?')} GiB, "
        f"Postgres {machine.get('postgres', '?')}, Python {machine.get('python', '?')}; "
        f"load average {machine.get('loadavg_at_start', '?')} at start; took {report.get('seconds', '?')} s"
    )


def _section(name: str, about: Benchmark, report: dict | None) -> list[str]:
    lines = [f"## {about.title} (`{name}`)", "", f"**Measures:** {about.measures}", ""]
    lines += [f"**Baseline:** {about.baseline}", "", f"**Targets:** {about.targets}", ""]
    if report is None:
        return [*lines, "No full run recorded yet: `python -m bench " + name + "`.", ""]
    checks = report.get("checks", {})
    held = sum(1 for passed in checks.values() if passed is True)
    failed = [check for check, passed in checks.items() if passed is not True]
    lines += [f"**Latest full run:** {_provenance(report)}.", ""]
    verdict = (
        f"all {held} held" if not failed else f"{held} of {len(checks)} held; failed: {', '.join(failed)}"
    )
    lines += [f"**Checks:** {verdict}.", ""]
    lines += [
        "| figure | Parley | baseline | Parley / baseline | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in about.rows(report)]
    return [*lines, ""]


HEADER = """# Benchmarks

Generated by `python -m bench.render` from `bench/results/*.json`, the reports of the latest full
run (`make bench`, about an hour; one benchmark: `.venv/bin/python -m bench desk`). Do not edit by
hand: change `bench/render.py` or run the benchmarks again.

Every benchmark runs on real Postgres, Redis, Daphne and Celery in a throwaway database, and
reports each figure beside a baseline measured in the same run on the same machine, and beside its
target. Every report also carries **checks**: invariants that must hold at any load (nothing lost
or duplicated once the load has drained, no gap after a resync, no agent over capacity, one message
per provider id, each reply accepted once). `make bench` fails when a check fails;
`make bench-smoke` runs every benchmark at a tiny scale in a few minutes with the same checks, and
CI runs it after the suite, so no benchmark can stop working unseen. Targets come from the issues;
a missed one stays a figure here (and in [architecture.md](architecture.md#known-gaps), with what
costs), never a failed run.

The machine is a shared 2-core one: the server under test, the load generator, Postgres and Redis
share two cores, so the ratios to the baseline are the steadier reading.
"""


def render() -> str:
    lines = [HEADER]
    reports = {}
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        reports[name] = json.loads(path.read_text()) if path.exists() else None
    lines += ["| benchmark | latest full run | checks |", "| --- | --- | --- |"]
    for name, about in BENCHMARKS.items():
        report = reports[name]
        if report is None:
            lines.append(f"| [{about.title}](#{_anchor(about.title, name)}) | none yet | |")
            continue
        checks = report.get("checks", {})
        verdict = "held" if all(passed is True for passed in checks.values()) else "**failed**"
        when = f"`{report.get('code', {}).get('commit', '?')}`, {report.get('at', '?')[:10]}"
        lines.append(f"| [{about.title}](#{_anchor(about.title, name)}) | {when} | {verdict} |")
    lines.append("")
    for name, about in BENCHMARKS.items():
        lines += _section(name, about, reports[name])
    return "\n".join(lines).rstrip() + "\n"


def _anchor(title: str, name: str) -> str:
    """GitHub's anchor for the heading `## <title> (`<name>`)`."""
    text = f"{title} ({name})".lower()
    return "".join(c for c in text.replace(" ", "-") if c.isalnum() or c in "-_")


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is not what bench/results says: run python -m bench.render")
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
