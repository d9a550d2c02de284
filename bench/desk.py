"""Agent desk benchmark: the conversation list and older history under 20 agents at 100,000
conversations and 1,000,000 messages, through the real stack (Daphne, Django, Postgres), against
the targets of issue 5 (list p95 <= 50 ms, history p95 <= 30 ms) and against a bare baseline: the
SQL those same requests ran, replayed straight through psycopg at the same concurrency, so the
report shows what the web stack adds on top of the database.

Steps: seed in bulk (bench/desk_seed.py) and ANALYZE; log the agents in (sessions in the
database, as a login makes them); make a sample of requests in process with Django's test client
to count their queries and capture their SQL; EXPLAIN ANALYZE the list and history queries; start
Daphne; run the agents (bench/desk_load.py) paced like people (a request per agent every ~1 s) and
flat out (no pause); replay the captured SQL the same two ways; stop. Run alone with
`python -m bench desk`; BENCH_DESK_SECONDS shortens the phases while working on it, and
BENCH_DESK_CANDIDATES=1 measures everything a second time with the indexes of CANDIDATE_INDEXES.
"""

import asyncio
import os
import random
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import desk_load, desk_seed
from bench.desk_load import AgentPlan, CapturedRequest, Chooser
from bench.realtime_servers import Server
from bench.scale import scaled

CONVERSATIONS = int(os.environ.get("BENCH_DESK_CONVERSATIONS", scaled(100_000, 300)))
MESSAGES = int(os.environ.get("BENCH_DESK_MESSAGES", scaled(1_000_000, 3_000)))
SECONDS = float(os.environ.get("BENCH_DESK_SECONDS", scaled(60, 2)))
WARMUP_SECONDS = min(10.0, SECONDS / 3)  # before the first phase
PHASE_WARMUP_SECONDS = scaled(2.0, 0.3)  # before each later one
PACED_THINK_SECONDS = 1.0  # mean pause between an agent's requests in the paced phase
PHASES = [  # (name, agents (None: all), mean pause between an agent's requests, share of SECONDS)
    ("one_agent", 1, 0.2, 0.5),  # no queueing: the latency floor of the stack
    ("paced", None, PACED_THINK_SECONDS, 1.0),  # 20 people at work
    ("flat_out", None, 0.0, 1.0),  # no pause: capacity, latency mostly queueing
]
CAPTURED_PER_AGENT = scaled(12, 4)
DB_POOL_MAX_SIZE = 4  # Daphne's psycopg pool; other engineers share max_connections=100
TARGETS = {"list": 50.0, "history": 30.0}  # p95, milliseconds (issue 5)
# Indexes proposed for the list's sorts (not in the migrations): BENCH_DESK_CANDIDATES=1 creates
# them in the throwaway database after the first measurement and measures everything again.
CANDIDATE_INDEXES = {
    "bench_conv_activity": "(last_activity_at DESC, id DESC)",
    "bench_conv_priority": "(priority DESC, last_activity_at DESC, id DESC)",
    "bench_conv_waiting": "(waiting_since, id) WHERE waiting_since IS NOT NULL",
}
CANDIDATES = os.environ.get("BENCH_DESK_CANDIDATES", "") not in ("", "0")
PLANS_KEPT = {
    "list all/activity/open",
    "list all/activity/open/next",
    "list all/waiting/open",
    "list all/priority/open",
    "list unassigned/activity/open",
    "history long",
}
# Left out of the plan summaries: per-row lookups every plan has, and tables of a few rows.
PLUMBING_INDEXES = {
    "message_conversation_seq_unique",
    "conversations_message_conversation_id_f1a2d5e9",
    "read_marker_unique",
    "conversations_contact_pkey",
    "conversations_inbox_pkey",
    "auth_user_pkey",
    "agents_agentprofile_user_id_key",
    "inbox_membership_unique",
}
SMALL_TABLES = {"conversations_inbox", "agents_inboxmembership", "auth_user", "agents_agentprofile"}
SMALL_TABLES |= {"conversations_attachment", "agents_team"}


def log(*parts: object) -> None:
    print("[desk]", *parts, file=sys.stderr, flush=True)


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def agent_plans(seeded: desk_seed.Seeded) -> list[AgentPlan]:
    """Each agent logged in (a session row and its cookie), with conversations of its inboxes."""
    plans = []
    with connection.cursor() as cursor:
        for agent in seeded.agents:
            client = Client()
            client.force_login(agent)
            cursor.execute(
                "SELECT c.id, c.last_seq FROM conversations_conversation c "
                "JOIN agents_inboxmembership m ON m.inbox_id = c.inbox_id AND m.agent_id = %s "
                "ORDER BY md5(c.id::text || %s) LIMIT 3000",
                [agent.pk, str(agent.pk)],
            )
            conversations = cursor.fetchall()
            cursor.execute(
                "SELECT c.id, c.last_seq FROM conversations_conversation c "
                "JOIN agents_inboxmembership m ON m.inbox_id = c.inbox_id AND m.agent_id = %s "
                "WHERE c.id = ANY(%s)",
                [agent.pk, seeded.long_conversation_ids],
            )
            plans.append(
                AgentPlan(agent.pk, client.cookies["sessionid"].value, conversations, cursor.fetchall())
            )
    return plans


def _capture(plans: list[AgentPlan], seeded: desk_seed.Seeded) -> list[CapturedRequest]:
    """Requests made in process, one at a time, with their queries: the query counts, the SQL the
    baseline replays and EXPLAIN reads, and the view's time without HTTP or Daphne."""
    captured = []
    for plan, agent in zip(plans, seeded.agents, strict=True):
        client, chooser = Client(), Chooser(plan, random.Random(agent.pk))
        client.force_login(agent)
        for _ in range(CAPTURED_PER_AGENT):
            kind, variant, path = chooser.request()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                ms = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code)
            sql = [query["sql"] for query in queries.captured_queries]
            assert all(s.lstrip().upper().startswith("SELECT") for s in sql), sql  # reads only
            sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
            rows = desk_load.rows_in(kind, response.content)
            captured.append(CapturedRequest(kind, variant, path, sql, rows, ms, sql_ms))
            chooser.saw(kind, variant, path, response.content)
    return captured


def _query_counts(captured: list[CapturedRequest]) -> dict:
    """Queries per request, by page kind. A page with no rows is its own kind: the rows' labels
    are prefetched in one query, which Django skips when there are no rows to label."""
    counts: dict[str, set[int]] = {}
    for request in captured:
        name = f"{request.kind} (next page)" if "after=" in request.path else request.kind
        name += " (empty)" if request.rows == 0 else ""
        counts.setdefault(name, set()).add(len(request.sql))
    return {name: sorted(values) for name, values in sorted(counts.items())}


def _in_process(captured: list[CapturedRequest]) -> dict:
    """The view's whole time in process (no HTTP, no Daphne), and the part spent in SQL."""
    return {
        kind: {
            "view": desk_load.quantiles([r.in_process_ms for r in captured if r.kind == kind]),
            "sql": desk_load.quantiles([r.in_process_sql_ms for r in captured if r.kind == kind]),
        }
        for kind in ("list", "history")
    }


def _main_statement(request: CapturedRequest) -> str:
    """The request's page query: the longest statement (the list, or the messages)."""
    return max(request.sql, key=len)


def _explain(captured: list[CapturedRequest]) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured page query per list variant and history kind:
    planning and execution time, the conversation indexes and sequential scans in the plan, and
    (for the variants in PLANS_KEPT) the plan itself."""
    first_of: dict[str, CapturedRequest] = {}
    for request in captured:
        first_of.setdefault(f"{request.kind} {request.variant}", request)
    plans = {}
    with connection.cursor() as cursor:
        for name, request in sorted(first_of.items()):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + _main_statement(request))
            text = "\n".join(row[0] for row in cursor.fetchall())
            scans = re.findall(
                r"Index (?:Only )?Scan(?: Backward)? using (\w+)|Bitmap Index Scan on (\w+)", text
            )
            plans[name] = {
                "path": request.path,
                "planning_ms": float(re.search(r"Planning Time: ([\d.]+)", text).group(1)),
                "execution_ms": float(re.search(r"Execution Time: ([\d.]+)", text).group(1)),
                "indexes": sorted({a or b for a, b in scans} - PLUMBING_INDEXES),
                "seq_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", text)) - SMALL_TABLES),
            }
            if name in PLANS_KEPT:
                plans[name]["plan"] = text.splitlines()
    return plans


def _daphne(workdir: Path) -> Server:
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DB_POOL_MAX_SIZE=str(DB_POOL_MAX_SIZE),
        LOG_LEVEL="WARNING",
        STATICFILES_MANIFEST="false",
    )
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "config.asgi:application"]
    return Server("daphne", argv, env, workdir)


def _phases(make_worker, items: list, pids: list[int], *, warmup: float) -> dict:
    """The phases of PHASES in order, a worker per item (agent); the first one warms up."""
    results = {}
    for number, (name, agents, think, share) in enumerate(PHASES):
        chosen = items[:agents] if agents else items
        log(f"  {name}: {len(chosen)} agents, {SECONDS * share:.0f} s")
        workers = [make_worker(item, think) for item in chosen]
        results[name] = asyncio.run(
            desk_load.run_phase(
                workers,
                warmup=warmup if number == 0 else PHASE_WARMUP_SECONDS,
                seconds=SECONDS * share,
                pids=pids,
            )
        )
    return results


def _figures(web: dict, bare: dict) -> dict:
    """One row per (phase, kind, figure): the web stack, the bare SQL, their ratio, and for p95
    the target and the ratio to it (<= 1 is met)."""
    table = {}
    for phase, *_ in PHASES:
        for kind in ("list", "history"):
            ours, base = web[phase].get(kind, {}), bare[phase].get(kind, {})
            for figure in ("p50_ms", "p95_ms", "p99_ms", "per_second"):
                value, other = ours.get(figure), base.get(figure)
                row = {
                    "web": value,
                    "bare_sql": other,
                    "ratio_web_to_bare": round(value / other, 2) if value and other else None,
                }
                if figure == "p95_ms":
                    row["target"] = TARGETS[kind]
                    row["ratio_to_target"] = round(value / TARGETS[kind], 2) if value else None
                    row["met"] = value is not None and value <= TARGETS[kind]
                table[f"{phase} {kind} {figure}"] = row
    return table


def _print_table(table: dict) -> None:
    print(f"{'desk':<30}{'web':>10}{'bare SQL':>10}{'web/bare':>10}{'target':>8}{'/target':>9}  met")
    for name, row in table.items():
        cells = [
            row["web"],
            row["bare_sql"],
            row["ratio_web_to_bare"],
            row.get("target"),
            row.get("ratio_to_target"),
        ]
        text = "".join(f"{'' if v is None else v:>10}" for v in cells[:3])
        text += "".join(f"{'' if v is None else v:>8}" for v in cells[3:4])
        text += f"{'' if cells[4] is None else cells[4]:>9}"
        met = {True: "yes", False: "NO"}.get(row.get("met"), "")
        print(f"{name:<30}{text}  {met}", flush=True)


def run() -> dict:
    interrupted = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cleans up too
    try:
        return _run()
    finally:
        signal.signal(signal.SIGTERM, interrupted)


def _measure(title: str, dsn: str, plans: list[AgentPlan], seeded: desk_seed.Seeded) -> dict:
    """Capture and explain in process, then the web stack and the bare SQL, paced and flat out."""
    captured = _capture(plans, seeded)
    explain = _explain(captured)
    log("explained (execution ms):", {name: plan["execution_ms"] for name, plan in explain.items()})
    with tempfile.TemporaryDirectory(prefix="parley-bench-desk-") as scratch:
        server = _daphne(Path(scratch))
        try:
            server.start()
            log(f"web stack: Daphne pid {server.pid}")
            web = _phases(
                lambda plan, think: desk_load.http_worker(server.port, plan, think),
                plans,
                [server.pid],
                warmup=WARMUP_SECONDS,
            )
        finally:
            server.stop()
            daphne_log = server.log_tail(3000)
    log("bare SQL baseline")
    bare = _phases(
        lambda plan, think: desk_load.sql_worker(dsn, captured, think), plans, [], warmup=PHASE_WARMUP_SECONDS
    )
    table = _figures(web, bare)
    print(f"\n{title}")
    _print_table(table)
    return {
        "figures": table,
        "queries_per_request": _query_counts(captured),
        "in_process_ms": _in_process(captured),
        "explain": explain,
        "details": {"web": web, "bare_sql": bare},
        "daphne_log_tail": daphne_log,
    }


def _checks(report: dict, dsn: str, seeded: desk_seed.Seeded) -> dict[str, bool]:
    """What must hold whatever the timings: the seed is what the services would have written (seq
    gap-free, last_seq the newest), every request was answered with a page, both kinds were asked
    for, and each page's query count does not depend on what is on it."""
    web, bare = report["details"]["web"], report["details"]["bare_sql"]
    with psycopg.connect(dsn) as db:
        conversations, messages, bad_threads = db.execute(
            """
            SELECT count(*), coalesce(sum(c.last_seq), 0),
                   count(*) FILTER (WHERE m.n <> c.last_seq OR m.top <> c.last_seq OR m.bottom <> 1)
            FROM conversations_conversation c
            LEFT JOIN LATERAL (
                SELECT count(*) AS n, max(seq) AS top, min(seq) AS bottom
                FROM conversations_message WHERE conversation_id = c.id
            ) m ON true
            WHERE c.inbox_id = ANY(%s)
            """,
            [[inbox.pk for inbox in seeded.inboxes]],
        ).fetchone()
    return {
        "seeded_counts_as_asked": (conversations, messages) == (CONVERSATIONS, MESSAGES)
        and (seeded.conversations, seeded.messages) == (CONVERSATIONS, MESSAGES),
        "seeded_seq_gap_free_up_to_last_seq": bad_threads == 0,
        "every_request_answered_with_a_page": all(
            not phase["errors"] for phase in [*web.values(), *bare.values()]
        ),
        "lists_and_histories_served": all(
            sum(phase.get(kind, {}).get("count", 0) for phase in web.values()) > 0
            for kind in ("list", "history")
        ),
        "query_count_constant_per_page": all(
            len(counts) == 1 for counts in report["queries_per_request"].values()
        ),
    }


def _create_candidate_indexes(dsn: str) -> dict[str, float]:
    seconds = {}
    with psycopg.connect(dsn, autocommit=True) as db:
        for name, definition in CANDIDATE_INDEXES.items():
            columns, _, condition = definition.partition(" WHERE ")
            started = time.perf_counter()
            where = f" WHERE {condition}" if condition else ""
            db.execute(f"CREATE INDEX {name} ON conversations_conversation {columns}{where}")
            seconds[name] = round(time.perf_counter() - started, 2)
        db.execute("ANALYZE conversations_conversation")
    return seconds


def _run() -> dict:
    dsn = database_url()
    log(f"seeding {CONVERSATIONS:,} conversations, {MESSAGES:,} messages")
    seeded = desk_seed.seed(dsn, conversations=CONVERSATIONS, messages=MESSAGES)
    log(f"seeded in {seeded.seconds['total']} s: {seeded.seconds}")
    plans = agent_plans(seeded)
    report = {
        "seeded": {
            "conversations": seeded.conversations,
            "messages": seeded.messages,
            "contacts": seeded.contacts,
            "read_markers": seeded.read_markers,
            "agents": len(seeded.agents),
            "inboxes": len(seeded.inboxes),
            "long_conversations": seeded.long_conversation_ids,
            "seconds": seeded.seconds,
        },
        "load": {
            "agents": len(plans),
            "seconds": SECONDS,
            "phases": [
                {
                    "name": name,
                    "agents": agents or len(plans),
                    "mean_pause_seconds": think,
                    "seconds": SECONDS * share,
                }
                for name, agents, think, share in PHASES
            ],
            "mix": {
                "list_share": desk_load.LIST_SHARE,
                "next_page_share": desk_load.NEXT_PAGE_SHARE,
                "long_history_share": desk_load.LONG_HISTORY_SHARE,
                "views": desk_load.VIEWS,
                "sorts": desk_load.SORTS,
                "statuses": desk_load.STATUSES,
            },
        },
        "targets_p95_ms": TARGETS,
        "notes": NOTES,
        **_measure("desk, indexes of the migrations", dsn, plans, seeded),
    }
    if CANDIDATES:
        log("again with the candidate indexes:", CANDIDATE_INDEXES)
        build_seconds = _create_candidate_indexes(dsn)
        report["with_candidate_indexes"] = {
            "indexes": CANDIDATE_INDEXES,
            "build_seconds": build_seconds,
            **_measure("desk, with the candidate indexes", dsn, plans, seeded),
        }
    report["checks"] = _checks(report, dsn, seeded)
    return report


NOTES = [
    "Shared 2-core machine: Daphne, the load (one asyncio loop in the benchmark process), Postgres "
    "and other engineers' work share the cores; each phase records Daphne's, the generator's and "
    "the machine's CPU (percent of one core) and cpu_stall_pct (Linux PSI).",
    "one_agent: a single agent, a 0.2 s mean pause, so no request waits for another: the floor. "
    "paced: each of the 20 agents pauses a random time (exponential, mean 1 s) between requests, "
    "about 20 requests/s in all; flat_out: no pause, so throughput is the stack's capacity and "
    "latency is mostly queueing. Targets are read against all three; paced is what 20 people do.",
    "Requests: half list pages (view, sort and status drawn per request; after a first page, 40% "
    "go on to the next page by the page's own after= link), half older history (40% in the ten "
    "500+ message conversations, before= uniform over the thread). An empty list is an answer; a "
    "non-200 or an empty history page is an error.",
    "bare_sql: the statements Django ran for a sample of the same requests (captured in process "
    "with CaptureQueriesContext, literals inlined as psycopg's client-side binding sends them), "
    "replayed in order on one autocommit psycopg connection per agent, same pacing. web/bare is "
    "what HTTP, Daphne, Django's ORM and templates add.",
    "in_process_ms: the same captured requests through Django's test client (no HTTP, no Daphne), "
    "one at a time: the view's whole time and the part spent in SQL.",
]
