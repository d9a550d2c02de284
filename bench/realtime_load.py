"""The load generator of bench/realtime.py: one asyncio process, no Django, the same code against
Parley and against bench/baseline_server.py (which speaks the same protocol subset).

Run by the orchestrator as `python -m bench.realtime_load SPEC.json RESULT.json`; progress goes to
stderr. Modes (spec["mode"]):
- latency: connect customers and agents, then offer message.send at fixed rates, step after step
  (open loop: sends follow the schedule whatever the server answers). Each body carries the
  message's index and its send time (CLOCK_MONOTONIC, one clock for the whole machine); every agent
  socket records when its message.created arrives.
- memory: RSS of the server process (/proc/PID/status) before and after opening N idle customer
  sockets; the time to connect the first 1,000.
- storm: N customers connect and send one message each; the generator prints READY and the
  orchestrator restarts the server on the same port, then writes "RESTARTED <kill> <up>" to stdin.
  Each client reconnects with full-jitter exponential backoff, takes a fresh connect token from
  its resume token over HTTP, and sends history.after with its last seq; its seqs are checked
  for gaps and duplicates.
Every loop is bounded by a count or a deadline; only loopback addresses are used.
"""

import asyncio
import bisect
import contextlib
import itertools
import json
import os
import random
import resource
import sys
import time
import uuid
from array import array
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

CONNECT_ATTEMPTS = 3
OPEN_TIMEOUT = 60.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
now = time.monotonic
now_ns = time.monotonic_ns


def log(*parts: object) -> None:
    print("[load]", *parts, file=sys.stderr, flush=True)


# --- measuring ---


def quantiles(values, cuts=(50, 95, 99)) -> dict:
    """Nearest-rank percentiles (ms in, ms out), max and count; None when there is nothing."""
    if not values:
        return {**{f"p{cut}_ms": None for cut in cuts}, "max_ms": None, "count": 0}
    ordered = sorted(values)
    figures = {
        f"p{cut}_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * cut / 100))], 2) for cut in cuts
    }
    return {**figures, "max_ms": round(ordered[-1], 2), "count": len(ordered)}


def censored_quantiles(arrived: list[float], censored: list[tuple[float, int]], cuts=(50, 95, 99)) -> dict:
    """Percentiles over everything that should have arrived: what arrived counts with its latency,
    what never did (value, how many) with the time it had waited when the step ended, a lower
    bound. `lower_bound` names the figures that fell on such a value (the truth is higher)."""
    arrived = sorted(arrived)
    censored = sorted(censored)
    values = [v for v, _ in censored]
    prefix = list(itertools.accumulate(w for _, w in censored))
    total = len(arrived) + (prefix[-1] if prefix else 0)
    if not total:
        return {**{f"p{cut}_ms": None for cut in cuts}, "max_ms": None, "count": 0, "lower_bound": []}

    def weight_upto(v: float) -> int:
        j = bisect.bisect_right(values, v)
        return prefix[j - 1] if j else 0

    def kth(k: int) -> tuple[float, bool]:
        """The k-th smallest (0-based) of the merged multiset, and whether it is censored."""
        lo, hi = 0, len(arrived)
        while lo < hi:
            mid = (lo + hi) // 2
            if mid + 1 + weight_upto(arrived[mid]) > k:
                hi = mid
            else:
                lo = mid + 1
        best = (arrived[lo], False) if lo < len(arrived) else None
        lo, hi = 0, len(values)
        while lo < hi:
            mid = (lo + hi) // 2
            if prefix[mid] + bisect.bisect_right(arrived, values[mid]) > k:
                hi = mid
            else:
                lo = mid + 1
        if lo < len(values) and (best is None or values[lo] < best[0]):
            best = (values[lo], True)
        return best

    figures: dict = {"lower_bound": []}
    for cut in cuts:
        value, bound = kth(min(total - 1, int(total * cut / 100)))
        figures[f"p{cut}_ms"] = round(value, 2)
        if bound:
            figures["lower_bound"].append(f"p{cut}_ms")
    top_arrived = arrived[-1] if arrived else float("-inf")
    top_censored = values[-1] if values else float("-inf")
    figures["max_ms"] = round(max(top_arrived, top_censored), 2)
    if top_censored >= top_arrived:
        figures["lower_bound"].append("max_ms")
    figures["count"] = len(arrived)
    return figures


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float | None:
    """CPU seconds used so far by the server processes together."""
    try:
        total = 0.0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        return total
    except (OSError, IndexError, ValueError):
        return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float | None:
    """CPU seconds spent by the whole machine (all cores, everything but idle and iowait)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def cpu_stall_seconds() -> float | None:
    """Linux PSI: total time some runnable task waited for a CPU (contention, from anyone)."""
    try:
        with open("/proc/pressure/cpu") as pressure:
            return int(pressure.readline().split("total=")[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """CPU shares (percent of one core) over an interval: the server processes, this generator, the
    whole machine (so what other processes - Postgres, Redis, anyone else's - took shows), and the
    share of time some task was kept waiting for a CPU."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.t0, self.server0, self.own0 = now(), cpu_seconds(pids), own_cpu_seconds()
        self.machine0, self.stall0 = machine_busy_seconds(), cpu_stall_seconds()

    def read(self) -> dict:
        elapsed = max(now() - self.t0, 1e-6)

        def share(before, after):
            return None if before is None or after is None else round(100 * (after - before) / elapsed, 1)

        return {
            "server_cpu_pct": share(self.server0, cpu_seconds(self.pids)),
            "loadgen_cpu_pct": share(self.own0, own_cpu_seconds()),
            "machine_cpu_pct": share(self.machine0, machine_busy_seconds()),
            "cpu_stall_pct": share(self.stall0, cpu_stall_seconds()),
        }


# --- transport helpers ---


async def http_json(base: str, method: str, path: str, body: dict | None = None, timeout: float = 30) -> dict:
    """One HTTP/1.1 request on its own connection (Connection: close), JSON answer; raises on non-200."""
    url = urlsplit(base)
    payload = json.dumps(body).encode() if body is not None else b""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, url.port), timeout)
    try:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1]) if status_line.startswith(b"HTTP/") else 0
    _, _, content = rest.partition(b"\r\n\r\n")
    if status != 200:
        raise OSError(f"HTTP {status}: {content[:200]!r}")
    return json.loads(content)


async def open_socket(url: str, **options) -> ClientConnection:
    return await connect(
        url,
        compression=None,  # Daphne does not negotiate permessage-deflate: neither server compresses
        proxy=None,
        ping_interval=None,  # the servers ping; a client ping timing out under load would skew losses
        open_timeout=OPEN_TIMEOUT,
        close_timeout=2,
        max_size=2**20,
        max_queue=256,
        **options,
    )


async def first_of(ws: ClientConnection, kind: str, timeout: float, limit: int = 20) -> dict:
    """The first frame of type `kind` (skipping at most `limit` others)."""
    deadline = now() + timeout
    for _ in range(limit):
        event = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - now())))
        if event.get("type") == kind:
            return event
        if event.get("type") == "error":
            raise OSError(f"refused: {event}")
    raise OSError(f"no {kind} among the first {limit} frames")


async def bounded(coroutines, concurrency: int) -> list:
    """Run coroutines with at most `concurrency` at once; results (or exceptions) in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(coroutine):
        async with gate:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in coroutines), return_exceptions=True)


# --- the parties ---


class Customer:
    def __init__(self, index: int, token: str, resume: str) -> None:
        self.index, self.token, self.resume = index, token, resume
        self.ws: ClientConnection | None = None
        self.conversation_id: int | None = None
        self.last_seq = 0  # the highest seq this client knows it has, with nothing missing below
        self.history: asyncio.Future | None = None
        self.reader: asyncio.Task | None = None

    async def open(self, gen: "Generator") -> None:
        last_error: Exception | None = None
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                base = gen.ws_all[self.index % len(gen.ws_all)]
                ws = await open_socket(f"{base}/ws/v1/client/?token={quote(self.token)}")
                hello = await first_of(ws, "hello", OPEN_TIMEOUT)
                break
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as error:
                last_error = error
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise OSError(f"customer {self.index} could not connect: {last_error!r}")
        self.ws = ws
        self.take_hello(hello)
        self.reader = asyncio.create_task(self.read(gen, ws))

    def take_hello(self, hello: dict) -> int:
        conversations = hello.get("conversations") or []
        mine = [c for c in conversations if c["id"] == self.conversation_id] or conversations[:1]
        if self.conversation_id is None and mine:
            self.conversation_id = mine[0]["id"]
            self.last_seq = mine[0]["last_seq"]  # a real client would have the history up to here
        return mine[0]["last_seq"] if mine else 0

    async def read(self, gen: "Generator", ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                event = json.loads(raw)
                kind = event.get("type")
                if kind == "message.ack":
                    gen.on_ack(self, event)
                elif kind == "message.created":
                    gen.on_customer_event(self, event)
                elif kind == "history":
                    if self.history is not None and not self.history.done():
                        self.history.set_result(event)
                elif kind == "error":
                    gen.on_error(event)
        except ConnectionClosed:
            pass
        gen.on_customer_closed(self, ws)


class Generator:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.ws = spec["ws"]
        self.http = spec["http"]
        self.pids = spec["server_pids"]
        # Several server processes (the scale-out shape): sockets are spread over them round-robin.
        self.ws_all = spec.get("ws_all") or [spec["ws"]]
        self.concurrency = spec.get("concurrency", 100)
        self.customers = [Customer(n, token, resume) for n, (token, resume) in enumerate(spec["customers"])]
        self.agent_cookies = spec.get("agents", [])
        self.agent_sockets: list[ClientConnection] = []
        self.run_id = uuid.uuid4().hex[:10]
        self.errors: list[str] = []
        self.error_count = 0
        self.closed_during_run = 0
        self.stopping = False
        self.storm = False
        self.acked_at: array | None = None
        self.close_codes: dict[str, int] = {}  # sockets the server (or the network) closed on us

    # -- callbacks from the readers --

    def on_error(self, event: dict) -> None:
        self.error_count += 1
        if len(self.errors) < 10:
            self.errors.append(json.dumps(event)[:300])

    def on_ack(self, customer: Customer, event: dict) -> None:
        seq = event["message"]["seq"]
        if seq == customer.last_seq + 1:
            customer.last_seq = seq
        ref = event.get("ref")
        if isinstance(ref, str) and ref.isdigit() and self.acked_at is not None:
            index = int(ref)
            if index < len(self.acked_at) and self.acked_at[index] == 0.0:
                self.acked_at[index] = now()

    def on_customer_event(self, customer: Customer, event: dict) -> None:
        seq = event.get("seq") or event.get("message", {}).get("seq")
        if seq == customer.last_seq + 1:
            customer.last_seq = seq

    def on_customer_closed(self, customer: Customer, ws: ClientConnection) -> None:
        if customer.ws is not ws or self.stopping:
            return
        code = f"{ws.close_code} {ws.close_reason or ''}".strip()
        self.close_codes[code] = self.close_codes.get(code, 0) + 1
        customer.ws = None
        if self.storm:
            self.storm_closed_at.setdefault(customer.index, now())
            asyncio.get_running_loop().create_task(self.reconnect(customer))
        else:
            self.closed_during_run += 1

    # -- connecting --

    async def connect_customers(self, customers: list[Customer]) -> dict:
        started = now()
        results = await bounded([c.open(self) for c in customers], self.concurrency)
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures[:3]:
            self.errors.append(repr(failure)[:300])
        return {
            "connected": len(results) - len(failures),
            "failed": len(failures),
            "seconds": round(now() - started, 2),
        }

    async def connect_agents(self) -> dict:
        origin = self.spec.get("desk_origin")

        async def one(index: int, cookie: str) -> ClientConnection:
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    ws = await open_socket(
                        f"{self.ws_all[index % len(self.ws_all)]}/ws/v1/desk/",
                        origin=origin,
                        additional_headers={"Cookie": f"sessionid={cookie}"},
                    )
                    await first_of(ws, "hello", OPEN_TIMEOUT)
                    return ws
                except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
            raise AssertionError("unreachable")

        started = now()
        results = await bounded([one(i, cookie) for i, cookie in enumerate(self.agent_cookies)], 20)
        self.agent_sockets = [r for r in results if not isinstance(r, BaseException)]
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures[:3]:
            self.errors.append(repr(failure)[:300])
        return {
            "connected": len(self.agent_sockets),
            "failed": len(failures),
            "seconds": round(now() - started, 2),
        }

    async def close_all(self) -> None:
        self.stopping = True
        sockets = [c.ws for c in self.customers if c.ws is not None] + self.agent_sockets
        for ws in sockets:
            ws.transport.abort()  # the server notices the reset; no close handshake to wait for
        await asyncio.sleep(0.2)

    # -- latency mode --

    async def agent_read(self, slot: int, ws: ClientConnection) -> None:
        got = self.got[slot]
        prefix = f"rt:{self.run_id}:"
        try:
            async for raw in ws:
                arrived = now_ns()
                if '"message.created"' not in raw:
                    continue
                event = json.loads(raw)
                if event.get("type") != "message.created":
                    continue
                body = event["message"]["body"]
                if not body.startswith(prefix):
                    continue
                _, _, index_text, sent_ns = body.split(":")
                index = int(index_text)
                if got[index]:
                    self.duplicates[self.step_of[index]] += 1
                    continue
                got[index] = 1
                self.latencies[self.step_of[index]].append((arrived - int(sent_ns)) / 1e6)
                self.delivered[index] += 1
                if self.delivered[index] == self.agent_count:
                    self.complete[self.step_of[index]] += 1
        except ConnectionClosed:
            if not self.stopping:
                self.closed_during_run += 1
                code = f"agent {ws.close_code} {ws.close_reason or ''}".strip()
                self.close_codes[code] = self.close_codes.get(code, 0) + 1

    async def offer(self, step: int, rate: float, seconds: float, start: int) -> tuple[int, list[float]]:
        """Send round-robin over the customers on an open-loop schedule; returns (count, lags in ms)."""
        count = int(rate * seconds)
        customers = [c for c in self.customers if c.ws is not None and c.conversation_id is not None]
        offset = random.randrange(len(customers))
        lags = []
        origin = now() + 0.02
        for k in range(count):
            due = origin + k / rate
            wait = due - now()
            if wait > 0:
                await asyncio.sleep(wait)
            index = start + k
            customer = customers[(offset + k) % len(customers)]
            self.step_of[index] = step
            frame = json.dumps(
                {
                    "type": "message.send",
                    "conversation_id": customer.conversation_id,
                    "client_message_id": f"{self.run_id}-{index}",
                    "body": f"rt:{self.run_id}:{index}:{now_ns()}",
                    "ref": str(index),
                }
            )
            sent = now()
            lags.append((sent - due) * 1000)
            self.sent_at[index] = sent
            try:
                if customer.ws is None:
                    raise ConnectionClosed(None, None)
                await customer.ws.send(frame)
            except ConnectionClosed:
                self.send_failures[step] += 1
                self.sent_at[index] = -1.0
        return count, lags

    async def run_latency(self) -> dict:
        """Steps in order; a step with "retry": n runs again (up to n times) when it fails, since one
        scheduling hiccup of a shared 2-core machine can fail a step by itself."""
        steps = self.spec["steps"]
        slots = sum(1 + s.get("retry", 0) for s in steps)
        total = sum(int(s["rate"] * s["seconds"]) * (1 + s.get("retry", 0)) for s in steps)
        self.agent_count = 0
        self.sent_at = array("d", bytes(8 * total))
        self.acked_at = array("d", bytes(8 * total))
        self.delivered = array("H", bytes(2 * total))
        self.step_of = array("H", bytes(2 * total))
        self.latencies = [[] for _ in range(slots)]
        self.duplicates = [0] * slots
        self.complete = [0] * slots
        self.send_failures = [0] * slots

        report: dict = {"mode": "latency"}
        report["connect_agents"] = await self.connect_agents()
        report["connect_customers"] = await self.connect_customers(
            [c for c in self.customers if c.ws is None]
        )
        log("connected", report["connect_agents"], report["connect_customers"])
        self.agent_count = len(self.agent_sockets)
        self.got = [bytearray(total) for _ in self.agent_sockets]
        readers = [asyncio.create_task(self.agent_read(n, ws)) for n, ws in enumerate(self.agent_sockets)]
        await asyncio.sleep(self.spec.get("settle_seconds", 1.0))

        report["steps"] = []
        start = number = 0
        failed_before = False
        for step in steps:
            if failed_before and step.get("stop_after_failure"):
                break
            for attempt in range(1 + step.get("retry", 0)):
                if attempt:
                    await asyncio.sleep(2)  # let a transient pass
                figures = await self.run_step(number, step, start)
                figures["attempt"] = attempt + 1
                report["steps"].append(figures)
                number += 1
                start += int(step["rate"] * step["seconds"])
                if figures["passed"]:
                    break
            if step.get("stop_on_failure") and not figures["passed"]:
                failed_before = True
        report["errors_sample"] = self.errors
        report["closed_by_server"] = self.close_codes
        await self.close_all()
        for reader in readers:
            reader.cancel()
        return report

    async def run_step(self, number: int, step: dict, start: int) -> dict:
        errors0, closed0 = self.error_count, self.closed_during_run
        meter = CpuMeter(self.pids)
        began = now()
        count, lags = await self.offer(number, step["rate"], step["seconds"], start)
        offered_seconds = now() - began
        drain_deadline = now() + step.get("drain_seconds", 5.0)
        while now() < drain_deadline and not self.drained(number, step, start, count):
            await asyncio.sleep(0.05)
        figures = self.step_figures(number, step, start, count, lags, offered_seconds)
        figures.update(meter.read())
        figures["errors"] = self.error_count - errors0 + figures["send_failures"]
        figures["sockets_closed"] = self.closed_during_run - closed0
        figures["passed"] = self.passed(figures, step)
        log(step["name"], {k: figures[k] for k in ("offered_rate", "p50_ms", "p99_ms", "lost", "passed")})
        return figures

    def drained(self, number: int, step: dict, start: int, count: int) -> bool:
        """Has every sent message reached every agent (and, with "drain_acks", been acked)? The
        smoke scale waits for the acks too, so a late last ack is not counted as missing."""
        if self.complete[number] < count - self.send_failures[number]:
            return False
        if not step.get("drain_acks"):
            return True
        return all(self.acked_at[i] > 0 for i in range(start, start + count) if self.sent_at[i] > 0)

    def step_figures(self, number, step, start, count, lags, offered_seconds) -> dict:
        ended = now()
        indexes = range(start, start + count)
        sent = [i for i in indexes if self.sent_at[i] > 0]
        acked = [i for i in sent if self.acked_at[i] > 0]
        lost = sum(1 for i in sent if self.delivered[i] < self.agent_count)
        missing = sum(self.agent_count - self.delivered[i] for i in sent)
        waited = {i: (ended - self.sent_at[i]) * 1000 for i in sent}
        never = [
            (waited[i], self.agent_count - self.delivered[i])
            for i in sent
            if self.delivered[i] < self.agent_count
        ]
        ack_ms = [(self.acked_at[i] - self.sent_at[i]) * 1000 for i in acked]
        unacked = [(waited[i], 1) for i in sent if self.acked_at[i] == 0.0]
        return {
            "name": step["name"],
            "offered_rate": step["rate"],
            "seconds": step["seconds"],
            "achieved_send_rate": round(len(sent) / max(offered_seconds, 1e-6), 1),
            "sent": len(sent),
            "acked": len(acked),
            "agents": self.agent_count,
            **censored_quantiles(self.latencies[number], never),
            "arrived_only": quantiles(self.latencies[number]),
            "lost": lost,
            "missing_deliveries": missing,
            "duplicated": self.duplicates[number],
            "ack": {k: v for k, v in censored_quantiles(ack_ms, unacked).items() if k != "count"},
            "send_lag_p99_ms": quantiles(lags)["p99_ms"],
            "send_failures": self.send_failures[number],
        }

    @staticmethod
    def passed(figures: dict, step: dict) -> bool:
        """The knee's test of a step; a smoke step loosens the latency and pace limits (its
        "p99_limit_ms" and "min_send_share"), which measure the machine, not correctness."""
        limit = step.get("p99_limit_ms", 250)
        return (
            figures["sent"] > 0
            and figures["p99_ms"] is not None
            and figures["p99_ms"] <= limit
            and figures["lost"] == 0
            and figures["duplicated"] == 0
            and figures["errors"] == 0
            and figures["sent"] - figures["acked"] == 0
            and figures["achieved_send_rate"] >= step.get("min_send_share", 0.9) * figures["offered_rate"]
        )

    # -- memory mode --

    async def run_memory(self) -> dict:
        warm = self.customers[: self.spec.get("warm", 20)]
        await self.connect_customers(warm)
        for customer in warm:
            if customer.ws is not None:
                customer.ws.transport.abort()
        self.stopping = True  # these closes are ours
        await asyncio.sleep(self.spec.get("settle_seconds", 3.0))
        self.stopping = False
        for customer in warm:
            customer.ws, customer.conversation_id = None, None
        rss_before = rss_kib(self.pids[0])
        first = self.spec.get("timed", 1000)
        timed = await self.connect_customers(self.customers[:first])
        rest = await self.connect_customers(self.customers[first:])
        await asyncio.sleep(self.spec.get("settle_seconds", 3.0))
        rss_after = rss_kib(self.pids[0])
        open_now = sum(1 for c in self.customers if c.ws is not None)
        report = {
            "mode": "memory",
            "rss_before_kib": rss_before,
            "rss_after_kib": rss_after,
            "connections": open_now,
            "kib_per_connection": round((rss_after - rss_before) / open_now, 1)
            if open_now and rss_after and rss_before
            else None,
            "connect_first": timed,
            "connect_rest": rest,
            "connects_per_second": round(timed["connected"] / timed["seconds"], 1)
            if timed["seconds"]
            else None,
            "errors_sample": self.errors,
            "closed_by_server": self.close_codes,
            "concurrency": self.concurrency,
        }
        keep = self.spec.get("then_latency_customers")
        if keep is None:
            await self.close_all()
            return report
        # Go on to a latency run with the first `keep` of these sockets (their connects are the
        # slow part of a run): drop the others, let the server settle, connect the agents.
        for customer in self.customers[keep:]:
            ws, customer.ws = customer.ws, None
            if ws is not None:
                ws.transport.abort()
        self.customers = self.customers[:keep]
        self.close_codes = {}
        await asyncio.sleep(self.spec.get("settle_seconds", 3.0) + 2)
        return {"memory": report, "latency": await self.run_latency()}

    # -- storm mode --

    async def fresh_token(self, customer: Customer) -> str:
        session = self.spec["session"]
        if session["method"] == "POST":
            answer = await http_json(
                self.http,
                "POST",
                "/widget/api/v1/session",
                {"public_key": session["public_key"], "resume_token": customer.resume},
            )
        else:
            answer = await http_json(
                self.http, "GET", f"/widget/api/v1/session?resume_token={quote(customer.resume)}"
            )
        return answer["connect_token"]

    async def reconnect(self, customer: Customer) -> None:
        base, cap = self.spec.get("backoff_base", 0.2), self.spec.get("backoff_cap", 5.0)
        for attempt in range(1000):
            if now() > self.storm_deadline:
                return
            await asyncio.sleep(random.uniform(0, min(cap, base * 2**attempt)))  # full jitter
            self.storm_attempts += 1
            try:
                token = await self.fresh_token(customer)
                ws = await open_socket(f"{self.ws}/ws/v1/client/?token={quote(token)}")
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError, KeyError, ValueError):
                self.storm_failed_attempts += 1
                continue
            try:
                # The protocol's client gives a silent socket about 60 s before it reconnects.
                hello = await first_of(ws, "hello", 60)
                server_last = customer.take_hello(hello)
                customer.history = asyncio.get_running_loop().create_future()
                customer.ws = ws
                customer.reader = asyncio.create_task(customer.read(self, ws))
                after = customer.last_seq
                await ws.send(
                    json.dumps(
                        {
                            "type": "history.after",
                            "conversation_id": customer.conversation_id,
                            "after_seq": after,
                            "limit": 100,
                            "ref": "resync",
                        }
                    )
                )
                page = await asyncio.wait_for(customer.history, 60)
            except (OSError, ConnectionClosed, TimeoutError) as error:
                self.storm_failed_attempts += 1
                if len(self.errors) < 10:
                    self.errors.append(repr(error)[:300])
                if customer.ws is ws:
                    customer.ws = None
                with contextlib.suppress(Exception):
                    ws.transport.abort()
                continue
            seqs = [m["seq"] for m in page["messages"]]
            expected = list(range(after + 1, server_last + 1))
            self.storm_gaps += len(set(expected) - set(seqs))
            self.storm_dups += len(seqs) - len(set(seqs)) + sum(1 for s in seqs if s <= after)
            self.storm_fetched += len(seqs)
            if customer.index in self.storm_acked and customer.index not in self.storm_done:
                # Its first resync, from its own message's seq: only the downtime write is new.
                written = 1 if customer.index in self.storm_written else 0
                self.storm_wrong_counts += len(seqs) != written
            if seqs:
                customer.last_seq = max(customer.last_seq, max(seqs))
            self.storm_done[customer.index] = now()
            return

    async def run_storm(self) -> dict:
        self.storm = False
        report: dict = {"mode": "storm"}
        report["connect"] = await self.connect_customers(self.customers)
        live = [c for c in self.customers if c.ws is not None]
        # Each customer sends one message and waits for its ack: its seq is the client's last seq.
        # The orchestrator then writes one message in some conversations while the server is
        # down: each of those customers (and nobody else) must fetch exactly one on resync.
        self.acked_at = None
        self.storm_written = set(self.spec.get("written_while_down", []))
        self.storm_acked: set[int] = set()
        self.storm_wrong_counts = 0
        started = now()

        async def send_one(customer: Customer) -> None:
            before = customer.last_seq
            await customer.ws.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "conversation_id": customer.conversation_id,
                        "client_message_id": f"{self.run_id}-storm-{customer.index}",
                        "body": f"storm {customer.index}",
                        "ref": "s",
                    }
                )
            )
            deadline = now() + 60
            while customer.last_seq == before and now() < deadline:
                await asyncio.sleep(0.05)
            if customer.last_seq == before:
                raise OSError(f"no ack for customer {customer.index}")
            self.storm_acked.add(customer.index)

        sent = await bounded([send_one(c) for c in live], 50)
        report["sent_one_each"] = {
            "customers": len(live),
            "failed": sum(1 for r in sent if isinstance(r, BaseException)),
            "seconds": round(now() - started, 2),
        }
        log("storm: connected and sent", report["connect"], report["sent_one_each"])
        self.storm_closed_at: dict[int, float] = {}
        self.storm_done: dict[int, float] = {}
        self.storm_attempts = self.storm_failed_attempts = 0
        self.storm_gaps = self.storm_dups = self.storm_fetched = 0
        self.storm_deadline = now() + self.spec.get("deadline_seconds", 60)
        self.storm = True
        print("READY", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        parts = line.split(maxsplit=3)
        killed_at, up_at = (float(parts[1]), float(parts[2])) if len(parts) >= 3 else (now(), now())
        report["restart"] = json.loads(parts[3]) if len(parts) == 4 else {}
        while len(self.storm_done) < len(live) and now() < self.storm_deadline:
            await asyncio.sleep(0.1)
        done = sorted(self.storm_done.values())
        report.update(
            {
                "customers": len(live),
                "resynced": len(done),
                "not_resynced": len(live) - len(done),
                "seconds_from_kill_to_all_resynced": round(done[-1] - killed_at, 2)
                if done and len(done) == len(live)
                else None,
                "seconds_from_server_up_to_all_resynced": round(done[-1] - up_at, 2)
                if done and len(done) == len(live)
                else None,
                "downtime_seconds": round(up_at - killed_at, 2),
                "resync_from_kill_p50_s": round(done[len(done) // 2] - killed_at, 2) if done else None,
                "resync_from_kill_p99_s": round(
                    done[min(len(done) - 1, int(len(done) * 0.99))] - killed_at, 2
                )
                if done
                else None,
                "reconnect_attempts": self.storm_attempts,
                "failed_attempts": self.storm_failed_attempts,
                "messages_fetched_on_resync": self.storm_fetched,
                "resynced_with_wrong_count": self.storm_wrong_counts,
                "gaps": self.storm_gaps,
                "duplicates": self.storm_dups,
                "errors_sample": self.errors,
                "closed_by_server": self.close_codes,
            }
        )
        await self.close_all()
        return report


async def main(spec_path: str, result_path: str) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    generator = Generator(spec)
    mode = spec["mode"]
    if mode == "latency":
        report = await generator.run_latency()
    elif mode == "memory":
        report = await generator.run_memory()
    elif mode == "storm":
        report = await generator.run_storm()
    else:
        raise SystemExit(f"unknown mode {mode}")
    with open(result_path, "w") as result_file:
        json.dump(report, result_file)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
