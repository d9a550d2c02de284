"""The routing benchmark's readings of the database: an inbox's state, each conversation's
arrival and first assignment, and the checks and figures made of them (bench/routing.py)."""

from datetime import datetime

from django.db import connection

from bench.measure import quantiles

ASSIGNED_LINE = "Parley assigned the conversation to %"  # routing's activity line (actor None)

NOTES = [
    "Every call is the product's own: message_receive for the burst (each commits, then routes the "
    "inbox inline through registry.routing_due's on_commit, as in production: no Celery task is "
    "involved), conversation_resolve by the assignee for the waves (which routes the agent's "
    "inboxes after commit). The workers are 8 processes (a GIL each, as web and worker processes "
    "are), on a 2-core machine shared with Postgres, Redis and other engineers' test runs.",
    "Routing latency = the assignment activity line's created_at minus the customer's message's "
    "created_at (one clock: both are timezone.now() in the bench process), for conversations "
    "assigned during the burst; wave_wait_ms is how long the others waited for a slot (queueing, "
    "not routing).",
    "Capacity proof: a monitor thread on its own connection counts, every 50 ms in one statement "
    "(one snapshot), each agent's assigned unresolved conversations in the inbox; every one is a "
    "customer waiting for a reply (weight 1.0 in PARLEY_LOAD_WEIGHTS), so the count is the load "
    "routing compares with messaging_capacity. The highest count ever seen per agent is reported, "
    "and the loads are read again after each phase.",
    "Order: conversations ranked by arrival (their waiting_since, which is their first message's "
    "time) and id; assignments walked in the order of their activity lines. An assignment is out "
    "of order when an older conversation was still waiting at that moment; displacement = how "
    "many places older. During the burst, arrivals commit concurrently, so an older conversation "
    "may not yet be visible to the router that assigned a newer one: burst figures are context, "
    "the strict check is on the waves, when every waiting conversation has long been committed.",
]


def inbox_state(inbox_id: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE assignee_id IS NOT NULL AND status <> 'resolved'),
                   count(*) FILTER (WHERE assignee_id IS NULL AND status = 'open'
                                    AND waiting_since IS NOT NULL),
                   count(*) FILTER (WHERE assignee_id IS NOT NULL),
                   count(*) FILTER (WHERE status = 'resolved')
            FROM conversations_conversation WHERE inbox_id = %s
            """,
            [inbox_id],
        )
        total, held, waiting, ever, resolved = cursor.fetchone()
    return {
        "total": total,
        "assigned_unresolved": held,
        "waiting": waiting,
        "assigned_once": ever,
        "resolved_total": resolved,
    }


def loads(inbox_id: int) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT assignee_id, count(*) FROM conversations_conversation WHERE inbox_id = %s "
            "AND assignee_id IS NOT NULL AND status <> 'resolved' GROUP BY assignee_id",
            [inbox_id],
        )
        return dict(cursor.fetchall())


def assignments(inbox_id: int) -> list[tuple[int, datetime, datetime | None]]:
    """(conversation id, arrived, first assigned) for every conversation of the inbox."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, first.created_at,
                   (SELECT min(m.created_at) FROM conversations_message m
                    WHERE m.conversation_id = c.id AND m.sender_kind = 'system' AND m.body LIKE %s)
            FROM conversations_conversation c
            JOIN conversations_message first ON first.conversation_id = c.id AND first.seq = 1
            WHERE c.inbox_id = %s
            """,
            [ASSIGNED_LINE, inbox_id],
        )
        return cursor.fetchall()


def order(rows: list[tuple[int, datetime, datetime | None]], burst_ended: datetime) -> dict:
    """Assignments walked in time order against arrival order (see NOTES)."""
    ranked = sorted(rows, key=lambda row: (row[1], row[0]))
    rank = {row[0]: n for n, row in enumerate(ranked)}
    assigned = [False] * len(ranked)
    oldest_waiting = 0
    figures = {
        phase: {"assignments": 0, "out_of_order": 0, "max_displacement": 0} for phase in ("burst", "waves")
    }
    for conversation_id, _, at in sorted((r for r in rows if r[2] is not None), key=lambda r: (r[2], r[0])):
        r = rank[conversation_id]
        phase = figures["burst" if at <= burst_ended else "waves"]
        phase["assignments"] += 1
        while oldest_waiting < len(assigned) and assigned[oldest_waiting]:
            oldest_waiting += 1
        if r > oldest_waiting:
            phase["out_of_order"] += 1
            phase["max_displacement"] = max(phase["max_displacement"], r - oldest_waiting)
        assigned[r] = True
    burst_ids = {row[0] for row in rows if row[2] is not None and row[2] <= burst_ended}
    oldest = {row[0] for row in ranked[: len(burst_ids)]}
    figures["burst"]["assigned_not_among_the_oldest"] = len(burst_ids - oldest)
    return figures


def _latencies(rows, burst_ended: datetime) -> tuple[list[float], list[float]]:
    burst, waves = [], []
    for _, arrived, at in rows:
        if at is not None:
            (burst if at <= burst_ended else waves).append((at - arrived).total_seconds() * 1000)
    return burst, waves


def checks(report: dict, *, customers: int) -> dict[str, bool]:
    """What must hold at any load (bench/scale.py), read from report()'s figures. Every
    conversation is in one state (waiting, held or resolved) after the burst and after each wave."""
    proof, after_burst, waves = report["capacity_proof"], report["after_burst"], report["waves"]
    slots = report["slots"]
    checked = {
        "never_over_capacity": proof["max_load_seen"] <= proof["capacity"]
        and proof["over_capacity_samples"] == 0
        and max(proof["loads_at_end"].values(), default=0) <= proof["capacity"],
        "no_call_raised": not report["burst"]["raised"] and not any(wave["raised"] for wave in waves),
        "no_routing_errors": report["routing_errors"]["count"] == 0,
        "burst_made_one_conversation_per_customer": after_burst["total"] == customers,
        "burst_fills_every_slot": after_burst["assigned_unresolved"] == min(slots, after_burst["total"]),
        "waiting_is_total_minus_assigned": after_burst["waiting"]
        == after_burst["total"] - after_burst["assigned_unresolved"],
        "every_conversation_in_one_state": all(
            state["total"] == state["waiting"] + state["assigned_unresolved"] + state["resolved_total"]
            for state in [after_burst, *waves]
        ),
        "every_resolve_took_effect": all(
            wave["resolved_total"] - wave["resolved_total_before"] == wave["resolved"] for wave in waves
        ),
        "no_idle_slot_after_any_wave": all(
            wave["assigned_unresolved"] == slots or wave["waiting"] == 0 for wave in waves
        ),
        "oldest_first_in_waves": report["order"]["waves"]["out_of_order"] == 0,
    }
    if waves and report["waves_rule"].startswith("until"):
        checked["all_assigned_once"] = waves[-1]["assigned_once"] == waves[-1]["total"]
    return checked


def report(
    *,
    customers: int,
    routing: str,
    slots: int,
    capacity: int,
    burst: dict,
    burst_ended: datetime,
    after_burst: dict,
    waves: list[dict],
    rows: list,
    monitor,
    final_loads: dict[int, int],
    routing_errors: dict,
    waves_rule: str,
) -> dict:
    burst_ms, wait_ms = _latencies(rows, burst_ended)
    highest = max(monitor.highest.values(), default=0)
    figures = {
        "routing": routing,
        "capacity": capacity,
        "slots": slots,
        "burst_seconds": burst["seconds"],
        "conversations_per_second": burst["conversations_per_second"],
        "latency_ms": quantiles(burst_ms),
        "wave_wait_ms": quantiles(wait_ms),
        "waves_rule": waves_rule,
        "checks": {},
        "capacity_proof": {
            "max_load_seen": highest,
            "capacity": capacity,
            "samples": monitor.samples,
            "over_capacity_samples": monitor.over_capacity_samples,
            "max_load_seen_per_agent": dict(sorted(monitor.highest.items())),
            "loads_at_end": dict(sorted(final_loads.items())),
        },
        "order": order(rows, burst_ended),
        "burst": burst,
        "after_burst": after_burst,
        "waves": waves,
        "routing_errors": routing_errors,
    }
    figures["checks"] = checks(figures, customers=customers)
    return figures
