"""The real-time load generator's sockets (bench/realtime_load.py): customers and agents connected
to Parley or to bench/baseline_server.py, the readers that record what comes back, and the
transport helpers they share. No Django; only loopback addresses are used.

The modes build on Sockets: latency (bench/realtime_latency.py), storm (bench/realtime_storm.py)
and memory (bench/realtime_load.py).
"""

import asyncio
import json
import sys
import time
import uuid
from array import array
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

CONNECT_ATTEMPTS = 3
OPEN_TIMEOUT = 60.0
now = time.monotonic
now_ns = time.monotonic_ns


def log(*parts: object) -> None:
    print("[load]", *parts, file=sys.stderr, flush=True)


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

    async def open(self, gen: "Sockets") -> None:
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

    async def read(self, gen: "Sockets", ws: ClientConnection) -> None:
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
                    gen.on_error(self, event)
        except ConnectionClosed:
            pass
        gen.on_customer_closed(self, ws)


class Sockets:
    """The sockets of one generator run and what their readers report; a mode (latency, memory,
    storm) drives them."""

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
        self.storm = False  # the storm mode's: reconnect a customer whose socket closes
        self.storm_closed_at: dict[int, float] = {}  # the storm mode's: when each one lost its socket
        self.acked_at: array | None = None  # the latency mode's: when each message was acked
        self.close_codes: dict[str, int] = {}  # sockets the server (or the network) closed on us

    # -- callbacks from the readers --

    def on_error(self, customer: Customer, event: dict) -> None:
        if event.get("code") == "busy" and self.resend(customer, event):
            return
        self.error_count += 1
        if len(self.errors) < 10:
            self.errors.append(json.dumps(event)[:300])

    def resend(self, customer: Customer, refusal: dict) -> bool:
        """A send refused `busy` goes again, the same frame, after the delay it names (jittered), as
        the protocol asks; False when this mode keeps no frames to send again."""
        return False

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

    async def reconnect(self, customer: Customer) -> None:
        """Bring back a customer whose socket the server closed during a storm (the storm mode's)."""
        raise NotImplementedError

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
