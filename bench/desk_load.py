"""The desk benchmark's load: simulated agents asking for list pages and older history, either from
a real Daphne over HTTP/1.1 keep-alive, or (the bare baseline) by replaying the SQL those same
requests made straight through psycopg. No Django here: both run in one asyncio loop.

Every loop is bounded by a deadline; only the loopback address is used.
"""

import asyncio
import contextlib
import random
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import psycopg

from bench.measure import CpuMeter, quantiles

LIST_SHARE = 0.5  # of the requests that are not a next page
NEXT_PAGE_SHARE = 0.4  # after a first list page, how often the agent scrolls to the next one
LONG_HISTORY_SHARE = 0.4  # history requests on the long (500+ messages) conversations
VIEWS = [("all", 0.4), ("mine", 0.3), ("unassigned", 0.3)]
SORTS = [("activity", 0.5), ("waiting", 0.25), ("priority", 0.25)]
STATUSES = [("open", 0.85), ("all", 0.15)]
REQUEST_TIMEOUT = 30.0
NEXT_AFTER = re.compile(rb"&amp;after=(\d+)|&after=(\d+)")


@dataclass
class AgentPlan:
    """One simulated agent: its session and conversations of its inboxes to scroll back in."""

    agent_id: int
    cookie: str
    conversations: list[tuple[int, int]]  # (id, last_seq)
    long_conversations: list[tuple[int, int]]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


@dataclass
class Chooser:
    """What an agent asks for next: a list page (a view, a sort, a status), the next page of the
    list it just read, or a page of older messages at some depth of some conversation."""

    plan: AgentPlan
    rng: random.Random
    next_page: tuple[str, str] | None = None

    def request(self) -> tuple[str, str, str]:
        """(kind, variant, path)."""
        if self.next_page is not None:
            (variant, path), self.next_page = self.next_page, None
            return "list", variant, path
        if self.rng.random() < LIST_SHARE:
            view, sort, status = _pick(self.rng, VIEWS), _pick(self.rng, SORTS), _pick(self.rng, STATUSES)
            return "list", f"{view}/{sort}/{status}", f"/desk/list/?view={view}&sort={sort}&status={status}"
        long = self.rng.random() < LONG_HISTORY_SHARE and self.plan.long_conversations
        conversation_id, last_seq = self.rng.choice(
            self.plan.long_conversations if long else self.plan.conversations
        )
        before = self.rng.randint(2, last_seq + 1) if last_seq > 1 else last_seq + 1
        return "history", "long" if long else "any", f"/desk/c/{conversation_id}/history/?before={before}"

    def saw(self, kind: str, variant: str, path: str, body: bytes) -> None:
        if kind != "list" or "after=" in path or self.rng.random() >= NEXT_PAGE_SHARE:
            return
        found = NEXT_AFTER.search(body)
        if found:
            after = (found.group(1) or found.group(2)).decode()
            self.next_page = (f"{variant}/next", f"{path}&after={after}")


def rows_in(kind: str, body: bytes) -> int:
    return body.count(b'class="row') if kind == "list" else body.count(b"data-seq=")


class HttpClient:
    """A minimal HTTP/1.1 keep-alive client (the dev environment has neither httpx nor aiohttp)."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.headers = f"Host: 127.0.0.1\r\nCookie: sessionid={cookie}\r\nHX-Request: true\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(f"GET {path} HTTP/1.1\r\n{self.headers}\r\n".encode())
            try:
                return await asyncio.wait_for(self._response(), REQUEST_TIMEOUT)
            except (ConnectionError, asyncio.IncompleteReadError):  # a keep-alive the server closed
                await self.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("closed before the status line")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        if chunked:
            body = b""
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                body += await self.reader.readexactly(size + 2)
                body = body[:-2]
            await self.reader.readline()
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            body, close = await self.reader.read(), True
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Recorder:
    """Latencies of the requests that started inside the measured window, per kind and variant."""

    window_start: float
    window_end: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_variant: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, started: float, kind: str, variant: str, ms: float, rows: int, error: str | None) -> None:
        if not self.window_start <= started < self.window_end:
            return
        if error:
            self.errors[f"{kind}: {error}"] += 1
            return
        self.latencies[kind].append(ms)
        self.by_variant[f"{kind} {variant}"].append(ms)
        self.rows[kind].append(rows)

    def figures(self) -> dict:
        seconds = self.window_end - self.window_start
        report = {}
        for kind, values in sorted(self.latencies.items()):
            report[kind] = {
                **quantiles(values),
                "per_second": round(len(values) / seconds, 1),
                "mean_rows": round(sum(self.rows[kind]) / len(self.rows[kind]), 1),
            }
        report["variants"] = {
            name: {k: v for k, v in quantiles(values).items() if k in ("p50_ms", "p95_ms", "count")}
            for name, values in sorted(self.by_variant.items())
        }
        report["errors"] = dict(self.errors)
        return report


Worker = Callable[[Recorder, float, random.Random], Awaitable[None]]


async def run_phase(workers: list[Worker], *, warmup: float, seconds: float, pids: list[int]) -> dict:
    """All workers at once until warm-up + seconds; figures over the measured window only."""
    start = time.monotonic()
    recorder = Recorder(window_start=start + warmup, window_end=start + warmup + seconds)
    await asyncio.sleep(0)
    meter_task = asyncio.create_task(_meter_window(recorder, pids))
    await asyncio.gather(
        *(worker(recorder, recorder.window_end, random.Random(n)) for n, worker in enumerate(workers))
    )
    return {**recorder.figures(), **await meter_task, "seconds": seconds, "warmup_seconds": warmup}


async def _meter_window(recorder: Recorder, pids: list[int]) -> dict:
    await asyncio.sleep(max(0.0, recorder.window_start - time.monotonic()))
    meter = CpuMeter(pids)
    await asyncio.sleep(max(0.0, recorder.window_end - time.monotonic()))
    return meter.read()


async def _think(rng: random.Random, think_seconds: float, deadline: float) -> None:
    if think_seconds:
        await asyncio.sleep(min(rng.expovariate(1 / think_seconds), max(0.0, deadline - time.monotonic())))


def http_worker(port: int, plan: AgentPlan, think_seconds: float) -> Worker:
    async def work(recorder: Recorder, deadline: float, rng: random.Random) -> None:
        client, chooser = HttpClient(port, plan.cookie), Chooser(plan, rng)
        await asyncio.sleep(rng.uniform(0, think_seconds or 0.05))  # agents do not start in step
        try:
            while (started := time.monotonic()) < deadline:
                kind, variant, path = chooser.request()
                try:
                    status, body = await client.get(path)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                    recorder.add(started, kind, variant, 0, 0, type(error).__name__)
                    await client.close()
                    continue
                ms = (time.monotonic() - started) * 1000
                rows = rows_in(kind, body)
                # An empty list is an answer (an agent with nothing waiting); an empty history is not.
                error = None if status == 200 and (rows or kind == "list") else f"HTTP {status}, {rows} rows"
                recorder.add(started, kind, variant, ms, rows, error)
                chooser.saw(kind, variant, path, body)
                await _think(rng, think_seconds, deadline)
        finally:
            await client.close()

    return work


@dataclass
class CapturedRequest:
    """One desk request made in process, and the SQL it ran (literals inlined, as Django sent it)."""

    kind: str
    variant: str
    path: str
    sql: list[str]
    rows: int
    in_process_ms: float = 0.0  # the view through Django's test client, no HTTP
    in_process_sql_ms: float = 0.0  # of which in SQL (Django's own timing, millisecond steps)


def sql_worker(dsn: str, captured: list[CapturedRequest], think_seconds: float) -> Worker:
    """The bare baseline: one psycopg connection in autocommit (as Django's), replaying the SQL of
    randomly drawn captured requests, so the mix of lists, next pages and history is the same."""

    async def work(recorder: Recorder, deadline: float, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0, think_seconds or 0.05))
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as db:
            while (started := time.monotonic()) < deadline:
                request = rng.choice(captured)
                for statement in request.sql:
                    cursor = await db.execute(statement.encode())
                    if cursor.description is not None:
                        await cursor.fetchall()
                ms = (time.monotonic() - started) * 1000
                recorder.add(started, request.kind, request.variant, ms, request.rows, None)
                await _think(rng, think_seconds, deadline)

    return work
