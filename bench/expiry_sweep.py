"""The expiry benchmark's sweep (bench/expiry.py): its world (live inboxes with agents online, the
sessions seeded by bench/expiry_helper.py), the worker that drains it (bench/sweep_helper.py),
what must hold after a drain, and the plans of the sweep's locking reads.
"""

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from django.conf import settings
from django.utils import timezone

from bench import expiry_helper, seed_helper, sweep_helper
from bench.expiry_helper import IDLE, LEFT, NOT_DUE
from bench.expiry_plan import AGENTS_PER_INBOX, BATCH_SIZE, DUE_SHARE, INBOXES, SESSION_TIMEOUT
from bench.realtime_servers import ROOT
from bench.scale import SMOKE
from conversations import services
from conversations.models import ChannelType, Inbox, LiveSession


class Sweeper:
    """Starts services.EXPIRY_DRAINS sweep workers (bench/sweep_helper.py, one process each, as a
    Celery worker's processes run beat's side-by-side chains) on this run's database and
    channel-layer prefix, and reads their drains as one."""

    def __init__(self, workdir: Path, anchor: datetime, drains: int = services.EXPIRY_DRAINS) -> None:
        self.workdir, self.anchor, self.drains = workdir, anchor, drains
        self.env = seed_helper.worker_env(DB_POOL_MAX_SIZE="4")
        self.workers: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *, limit: float, publish_wait: float = 0.0) -> None:
        """Start the workers and wait until each is set up (Django, its connection, its publisher's
        loop): go() then starts the drains at once."""
        spec = {
            "now": self.anchor.isoformat(),
            "batch_size": BATCH_SIZE,
            "limit_seconds": limit,
            "publish_wait_seconds": publish_wait,
        }
        spec_path = self.workdir / f"{name}.spec.json"
        spec_path.write_text(json.dumps(spec))
        self.workers = []
        for number in range(self.drains):
            result_path = self.workdir / f"{name}-{number}.result.json"
            process = subprocess.Popen(  # noqa: S603 (our own argv)
                [sys.executable, "-m", "bench.sweep_helper", str(spec_path), str(result_path)],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self.workers.append((process, result_path))
        for process, _ in self.workers:
            if process.stdout.readline().strip() != "READY":
                raise RuntimeError(f"a sweep worker did not start (exit {process.wait()})")

    def go(self) -> None:
        for process, _ in self.workers:
            process.stdin.write("GO\n")
            process.stdin.flush()

    def result(self, timeout: float) -> sweep_helper.Drain | str:
        """The drains as one, or why there is none."""
        assert self.workers
        deadline = time.monotonic() + timeout
        drains = []
        for process, result_path in self.workers:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                [other.kill() for other, _ in self.workers]
                [other.wait() for other, _ in self.workers]
                return f"a sweep worker did not finish within {timeout:.0f} s"
            if process.returncode != 0 or not result_path.exists():
                return f"a sweep worker exited with {process.returncode}"
            drains.append(sweep_helper.load(result_path))
        return sweep_helper.merged(drains)


@dataclass
class World:
    inboxes: list[Inbox]
    slots: list[tuple[int, str]]  # (agent id, name) per live slot
    anchor: datetime  # the seed's clock, and the sweep's `now`

    def seed(self, counts: dict[str, int], seed: int) -> expiry_helper.Seeded:
        return expiry_helper.seed(
            seed_helper.dsn(),
            inboxes=[(inbox.pk, inbox.session_timeout) for inbox in self.inboxes],
            agent_slots=self.slots,
            counts=counts,
            now=self.anchor,
            seed=seed,
        )


def world_create() -> World:
    inboxes, slots = [], []
    for n in range(INBOXES):
        inbox = Inbox.objects.create(
            name=f"Live chat {n}",
            channel_type=ChannelType.WEB_WIDGET,
            mode=Inbox.Mode.LIVE,
            session_timeout=SESSION_TIMEOUT,
            routing=Inbox.Routing.LEAST_LOADED,
        )
        agents = seed_helper.agents_online(AGENTS_PER_INBOX, prefix=f"live-{n}", inboxes=[inbox])
        inboxes.append(inbox)
        slots += [(a.pk, a.agent_profile.name) for a in agents for _ in range(a.agent_profile.live_capacity)]
    return World(inboxes=inboxes, slots=slots, anchor=timezone.now())


def due_counts(sessions: int) -> dict[str, int]:
    due = round(sessions * DUE_SHARE)
    return {LEFT: due // 2, IDLE: due - due // 2, NOT_DUE: sessions - due}


def drain_checks(
    world: World, phase: str, sessions: dict[str, list[int]], result: sweep_helper.Drain
) -> tuple[dict[str, bool], dict]:
    """What must hold after a drain over `sessions` (kind -> ids), however far it got: it ended
    only due sessions, each once (one end line), with its kind's reason and its conversation
    resolved and unassigned, announced each end, and the count it returned is the rows it closed.
    After a full drain also: every due session ended, a re-run ends none and the open sessions
    are the not-due ones. At smoke scale the drain must have finished. Returns the checks, named
    `phase.check`, and the figures they were made of."""
    outcome = expiry_helper.outcome(seed_helper.dsn(), sessions)
    due = [outcome[LEFT], outcome[IDLE]]

    def each_closed(figure: str) -> bool:
        return all(kind[figure] == kind["closed"] for kind in outcome.values())

    checks = {
        "ended_only_due_sessions": outcome[NOT_DUE]["closed"] == 0,
        "ended_count_is_the_rows_closed": result.ended == sum(kind["closed"] for kind in due),
        "each_ended_once": each_closed("one_end_line")
        and not any(kind["several_end_lines"] for kind in outcome.values()),
        "close_reason_is_the_kinds": each_closed("closed_for_their_reason"),
        "conversation_resolved_and_unassigned": each_closed("resolved_unassigned"),
        "every_end_announced": sum(batch.events for batch in result.batches) >= result.ended,
    }
    figures: dict = {"sessions_by_kind": outcome}
    if result.drained:
        figures["rerun_ended"] = services.live_sessions_expire(now=world.anchor, batch_size=BATCH_SIZE)
        figures["open_sessions_left"] = LiveSession.objects.filter(
            closed_at__isnull=True, conversation__inbox__in=world.inboxes
        ).count()
        checks["every_due_session_ended"] = all(kind["closed"] == kind["sessions"] for kind in due)
        checks["rerun_ends_none"] = figures["rerun_ended"] == 0
        open_not_due = outcome[NOT_DUE]["sessions"] - outcome[NOT_DUE]["closed"]
        checks["open_sessions_are_the_not_due"] = figures["open_sessions_left"] == open_not_due
    if SMOKE:  # a few hundred sessions: a drain that does not finish is stuck, not slow
        checks["drained"] = result.drained
    return {f"{phase}.{name}": passed for name, passed in checks.items()}, figures


def close_left_over(world: World) -> int:
    """After a drain stopped by its limit: close what is still due with one UPDATE (not the
    sweep), so the next phase starts with exactly the sessions it seeds."""
    with psycopg.connect(seed_helper.dsn(), autocommit=True) as db:
        return db.execute(
            "UPDATE conversations_livesession s SET closed_at = %(now)s, close_reason = 'inactivity', "
            "customer_left_at = NULL FROM conversations_conversation c JOIN conversations_inbox i "
            "ON i.id = c.inbox_id WHERE c.id = s.conversation_id AND s.closed_at IS NULL AND "
            "(s.customer_left_at < %(left)s OR s.last_activity_at < %(now)s - i.session_timeout)",
            {"now": world.anchor, "left": world.anchor - settings.PARLEY_LIVE_LEAVE_GRACE},
        ).rowcount


def explain_locking_reads(sql: list[str]) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the sweep's two locking reads as the first batch ran them,
    in a transaction rolled back; with 25,000 due among 100,000 open."""
    plans = {}
    chosen = {
        "lock_due_conversations": next((s for s in sql if "SKIP LOCKED" in s), None),
        "reread_sessions": next((s for s in sql if "FOR UPDATE OF" in s), None),
    }
    with psycopg.connect(seed_helper.dsn()) as db:
        for name, statement in chosen.items():
            if statement is None:
                continue
            text = "\n".join(row[0] for row in db.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement))
            db.rollback()
            plans[name] = {
                "execution_ms": float(re.search(r"Execution Time: ([\d.]+)", text).group(1)),
                "plan": text.splitlines(),
            }
    return plans


def end_sessions_left_open() -> int:
    """End, through the sweep itself with a clock a year ahead, every session earlier benchmarks
    of this run left open (realtime's messaging stretches): the drains below must meet only the
    sessions seeded here, or the count a drain returns is no longer the seed's."""
    ended, later = 0, timezone.now() + timedelta(days=365)
    while batch := services.live_sessions_expire(now=later, batch_size=BATCH_SIZE):
        ended += batch
    return ended
