"""Fan-out cost: the server's CPU per delivered event, with no database work on the path.

Thirty sockets of one customer are open on a freshly started server; events are published straight
into the server's fan-out (Parley: a message.created on the contact's channel-layer group, as the
publisher sends it after commit; baseline: a frame on its Redis channel) at a fixed rate for a few
seconds, and the server process's CPU time is divided by the frames its sockets received. This
isolates what each delivery costs in Daphne + Channels (+ the layer) against websockets' broadcast,
the figure that decides how many agents one process can serve.

Checks (bench/scale.py): no socket receives an event twice or one that was not published, at both
scales; at the smoke scale also every event reaches every socket (after a generous wait) and no
socket is closed by the server. At full scale the share delivered is a figure: a socket the layer
cannot keep up with misses events (channels_redis drops past a channel's capacity).
"""

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
import websockets
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from websockets.exceptions import ConnectionClosed

from bench import baseline_server
from bench.realtime_servers import LAYER_PREFIX, Server
from bench.scale import SMOKE, scaled
from conversations import events
from conversations.event_catalogue import EventType
from conversations.models import ChannelType, Inbox
from customer_clients.visitors import visitor_session_open

SOCKETS = scaled(30, 5)
TARGET_CPU_US_PER_DELIVERY = 20  # issue 19: a fifth of what Daphne and Channels cost today
RATES = scaled([50, 100, 150], [50])
SECONDS = scaled(8, 1)
DRAIN_SECONDS = scaled(2, 1)
# After the figures are taken: how long the rest may take to arrive before the checks count (a
# smoke run on a busy machine must not fail on slowness; at full scale the count is the figure's).
LATE_SECONDS = scaled(0, 20)
ORIGIN = "https://bench.example.com"
MESSAGE = {
    "id": 1,
    "conversation_id": 1,
    "seq": 1,
    "client_message_id": uuid.UUID(int=1).hex,
    "sender": {"kind": "contact"},
    "content_type": "text",
    "body": "Hello, I have a question about my order 12345",
    "attachments": [],
    "delivery_status": "delivered",
    "created_at": "2026-11-24T19:00:00+00:00",
    "is_private": False,
    "error_code": "",
    "error": "",
}


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ParleyFanout:
    kind = "parley"

    def __init__(self, workdir) -> None:
        inbox = Inbox.objects.create(
            name="Bench fan-out", channel_type=ChannelType.WEB_WIDGET, allowed_origins=ORIGIN
        )
        self.session = visitor_session_open(inbox=inbox)
        db = connection.settings_dict
        env = dict(
            os.environ,
            DATABASE_URL=f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            SECRET_KEY=settings.SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="WARNING",  # and the layer prefix of this process, which publishes to it
        )
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "config.asgi:application"]
        self.server = Server(self.kind, argv, env, workdir)

    def socket_url(self) -> str:
        return f"{self.server.ws}/ws/v1/client/?token={self.session.connect_token}"

    async def publish(self, n: int) -> None:
        visitor = self.session.visitor
        await get_channel_layer().group_send(
            events.contact_group(visitor.contact_id, visitor.inbox_id),
            {
                "type": EventType.MESSAGE_CREATED,
                "conversation_id": 1,
                "inbox_id": visitor.inbox_id,
                "seq": n,
                "message_id": n,
                "message_seq": n,
                "sender_kind": "contact",
                "is_private": False,
                "message": {**MESSAGE, "seq": n},
                events.PUBLISHED_AT: time.time(),
            },
        )


class BaselineFanout:
    kind = "baseline"
    contact_id = 1

    def __init__(self, workdir) -> None:
        self.secret, self.channel = uuid.uuid4().hex, f"{LAYER_PREFIX}:fanout:{uuid.uuid4().hex}"
        self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])
        db = connection.settings_dict
        dsn = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        with connection.cursor() as cursor:
            cursor.execute(baseline_server.CREATE_TABLE)
        argv = [
            sys.executable,
            "-m",
            "bench.baseline_server",
            *("--port", "{port}", "--dsn", dsn, "--redis-url", os.environ["REDIS_URL"]),
            *("--channel", self.channel, "--secret", self.secret),
        ]
        self.server = Server(self.kind, argv, dict(os.environ), workdir)

    def socket_url(self) -> str:
        token = baseline_server.connect_token(self.secret, self.contact_id, 1)
        return f"{self.server.ws}/ws/v1/client/?token={token}"

    async def publish(self, n: int) -> None:
        frame = json.dumps(
            {"type": "message.created", "conversation_id": 1, "seq": n, "message": {**MESSAGE, "seq": n}}
        )
        await asyncio.to_thread(self.redis.publish, self.channel, f"{self.contact_id}\n{frame}")


class Tally:
    """What one socket received: the seqs of its message.created events, and repeats."""

    def __init__(self) -> None:
        self.seqs: set[int] = set()
        self.duplicated = 0

    def take(self, raw: str) -> None:
        seq = json.loads(raw)["seq"]
        if seq in self.seqs:
            self.duplicated += 1
        self.seqs.add(seq)


async def measure(target, rate: int) -> dict:
    received = [0]
    tallies = [Tally() for _ in range(SOCKETS)]

    async def read(ws, tally: Tally) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                if '"message.created"' in raw:
                    received[0] += 1
                    tally.take(raw)

    sockets = []
    for _ in range(SOCKETS):
        ws = await websockets.connect(target.socket_url(), origin=ORIGIN, max_size=None, compression=None)
        await ws.recv()  # hello
        sockets.append(ws)
    readers = [asyncio.create_task(read(ws, tally)) for ws, tally in zip(sockets, tallies, strict=True)]
    await asyncio.sleep(1)
    cpu0, started, sent = cpu_seconds(target.server.pid), time.monotonic(), 0
    while time.monotonic() - started < SECONDS:
        sent += 1
        await target.publish(sent)
        await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    await asyncio.sleep(DRAIN_SECONDS)
    elapsed, used = time.monotonic() - started, cpu_seconds(target.server.pid) - cpu0
    figures = {
        "rate": rate,
        "deliveries_per_second": round(sent * SOCKETS / SECONDS),
        "delivered_pct": round(100 * received[0] / (sent * SOCKETS), 1),
        "server_cpu_pct": round(100 * used / elapsed, 1),
        "cpu_us_per_delivery": round(1e6 * used / max(received[0], 1), 1),
    }
    late_deadline = time.monotonic() + LATE_SECONDS
    while time.monotonic() < late_deadline and sum(len(t.seqs) for t in tallies) < sent * SOCKETS:
        await asyncio.sleep(0.05)
    closed_by_server = sum(1 for ws in sockets if ws.close_code is not None)
    for reader in readers:
        reader.cancel()
    for ws in sockets:
        await ws.close()
    return {**figures, **_tallied(tallies, sent), "sockets_closed_by_server": closed_by_server}


def _tallied(tallies: list[Tally], sent: int) -> dict:
    published = set(range(1, sent + 1))
    return {
        "published": sent,
        "sockets_with_every_event": sum(1 for t in tallies if t.seqs == published),
        "duplicated": sum(t.duplicated for t in tallies),
        "unpublished": sum(len(t.seqs - published) for t in tallies),
    }


def _checks(results: dict) -> dict[str, bool]:
    checks = {}
    for kind, steps in results.items():
        checks[f"{kind}: no event delivered twice to a socket"] = all(s["duplicated"] == 0 for s in steps)
        checks[f"{kind}: no event that was not published"] = all(s["unpublished"] == 0 for s in steps)
        if SMOKE:
            checks[f"{kind}: every event reached every socket"] = all(
                s["sockets_with_every_event"] == SOCKETS for s in steps
            )
            checks[f"{kind}: no socket closed by the server"] = all(
                s["sockets_closed_by_server"] == 0 for s in steps
            )
    return checks


def run() -> dict:
    results = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-fanout-") as scratch:
        for target_class in (ParleyFanout, BaselineFanout):
            target = target_class(Path(scratch))
            steps = []
            for rate in RATES:
                target.server.start()
                try:
                    steps.append(asyncio.run(measure(target, rate)))
                finally:
                    target.server.stop()
            results[target.kind] = steps
    per_delivery = {
        kind: sorted(step["cpu_us_per_delivery"] for step in steps)[len(steps) // 2]
        for kind, steps in results.items()
    }
    return {
        "sockets": SOCKETS,
        "seconds_per_rate": SECONDS,
        "median_cpu_us_per_delivery": per_delivery,
        "target_cpu_us_per_delivery": TARGET_CPU_US_PER_DELIVERY,
        # A smoke step can be too short for one clock tick of the baseline's CPU.
        "ratio_parley_to_baseline": round(per_delivery["parley"] / per_delivery["baseline"], 2)
        if per_delivery["baseline"]
        else None,
        "steps": results,
        "checks": _checks(results),
    }
