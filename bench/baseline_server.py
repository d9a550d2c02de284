"""The bare baseline that bench/realtime.py measures Parley against: no Django, no Channels.

A plain `websockets` server speaking the subset of Parley's socket protocol the load generator uses
(hello, message.send -> message.ack, message.created to agents, history.after, ping), so one load
generator drives both servers unchanged. Per message: one psycopg INSERT in autocommit (a commit
each, synchronous_commit as the server has it), then one Redis PUBLISH; the server's one
subscription (redis.asyncio) fans the frame out to its agent sockets and to the sender's contact
sockets. Tokens are HMAC-signed like Parley's (verified on connect, no database read), and the
customer's hello reads the conversation's last seq, as Parley's does.

Run: python -m bench.baseline_server --port P --dsn postgres://... --redis-url redis://... \
         --channel NAME --secret S
Endpoints: /healthz, GET /widget/api/v1/session?resume_token=... (a fresh connect token: websockets
serves GET only, Parley's endpoint is a POST), /ws/v1/client/?token=..., /ws/v1/desk/ (cookie
sessionid).
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import resource
import signal
import time
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import psycopg
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

TABLE = "rt_baseline_message"
CONNECT_TOKEN_SECONDS = 120
DB_CONNECTIONS = 4

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL,
    seq bigint NOT NULL,
    client_message_id text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (conversation_id, seq)
)"""
# One statement, one commit: the next seq of the conversation is read inside the INSERT itself.
# (TABLE is a constant: S608 does not apply.)
INSERT = f"""
INSERT INTO {TABLE} (conversation_id, seq, client_message_id, body)
SELECT %(c)s, coalesce(max(seq), 0) + 1, %(cmid)s, %(body)s FROM {TABLE} WHERE conversation_id = %(c)s
RETURNING id, seq, created_at"""  # noqa: S608
LAST_SEQ = f"SELECT coalesce(max(seq), 0) FROM {TABLE} WHERE conversation_id = %s"  # noqa: S608
HISTORY = (
    f"SELECT id, seq, client_message_id, body, created_at FROM {TABLE} "  # noqa: S608
    "WHERE conversation_id = %s AND seq > %s ORDER BY seq LIMIT %s"
)


# --- tokens (the orchestrator imports these to mint what the load generator presents) ---


def _sign(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def resume_token(secret: str, contact_id: int, conversation_id: int) -> str:
    value = f"{contact_id}.{conversation_id}"
    return f"{value}.{_sign(secret, 'resume', value)}"


def connect_token(secret: str, contact_id: int, conversation_id: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + CONNECT_TOKEN_SECONDS)
    value = f"{contact_id}.{conversation_id}.{expires}"
    return f"{value}.{_sign(secret, 'connect', value)}"


def agent_cookie(secret: str, agent_id: int) -> str:
    return f"{agent_id}.{_sign(secret, 'agent', str(agent_id))}"


def _verify(secret: str, kind: str, token: str, parts: int) -> list[str] | None:
    pieces = token.split(".")
    if len(pieces) != parts + 1:
        return None
    value = ".".join(pieces[:-1])
    if not hmac.compare_digest(_sign(secret, kind, value), pieces[-1]):
        return None
    return pieces[:-1]


# --- the server ---


class Baseline:
    def __init__(self, *, dsn: str, redis_url: str, channel: str, secret: str) -> None:
        self.dsn, self.redis_url, self.channel, self.secret = dsn, redis_url, channel, secret
        self.agents: set[ServerConnection] = set()
        self.contacts: dict[int, set[ServerConnection]] = defaultdict(set)

    async def start(self) -> None:
        self.pool = AsyncConnectionPool(
            self.dsn,
            min_size=DB_CONNECTIONS,
            max_size=DB_CONNECTIONS,
            kwargs={"autocommit": True},
            open=False,
        )
        await self.pool.open(wait=True)
        self.redis = aioredis.Redis.from_url(self.redis_url)
        self.pubsub = self.redis.pubsub()
        await self.pubsub.subscribe(self.channel)
        self.fanout = asyncio.create_task(self._fan_out())

    async def _fan_out(self) -> None:
        """One subscription per process; each published frame goes to every agent socket and to the
        sockets of the contact who wrote (Parley sends message.created to both)."""
        async for item in self.pubsub.listen():
            if item["type"] != "message":
                continue
            contact, _, frame = item["data"].decode().partition("\n")
            broadcast(self.agents, frame)
            sockets = self.contacts.get(int(contact))
            if sockets:
                broadcast(sockets, frame)

    def session(self, connection: ServerConnection, request):
        """process_request: plain HTTP endpoints; None lets websocket handshakes through."""
        url = urlsplit(request.path)
        if url.path == "/healthz":
            return connection.respond(200, "ok\n")
        if url.path == "/widget/api/v1/session":
            token = parse_qs(url.query).get("resume_token", [""])[0]
            claims = _verify(self.secret, "resume", token, 2)
            if claims is None:
                return connection.respond(401, json.dumps({"error": "token_invalid"}))
            contact_id, conversation_id = map(int, claims)
            body = {
                "contact_id": contact_id,
                "resume_token": token,
                "connect_token": connect_token(self.secret, contact_id, conversation_id),
            }
            return connection.respond(200, json.dumps(body))
        return None

    async def handle(self, ws: ServerConnection) -> None:
        url = urlsplit(ws.request.path)
        if url.path == "/ws/v1/client/":
            await self.customer(ws, parse_qs(url.query).get("token", [""])[0])
        elif url.path == "/ws/v1/desk/":
            await self.desk(ws)
        else:
            await ws.close(4004)

    async def customer(self, ws: ServerConnection, token: str) -> None:
        claims = _verify(self.secret, "connect", token, 3)
        if claims is None or int(claims[2]) < time.time():
            await ws.send(json.dumps({"type": "error", "code": "token_invalid"}))
            await ws.close(4001)
            return
        contact_id, conversation_id = int(claims[0]), int(claims[1])
        async with self.pool.connection() as db:
            last_seq = (await (await db.execute(LAST_SEQ, (conversation_id,))).fetchone())[0]
        self.contacts[contact_id].add(ws)
        try:
            await ws.send(
                json.dumps(
                    {
                        "type": "hello",
                        "protocol": 1,
                        "contact_id": contact_id,
                        "conversations": [{"id": conversation_id, "last_seq": last_seq}],
                    }
                )
            )
            async for raw in ws:
                await self.customer_request(ws, contact_id, conversation_id, raw)
        except ConnectionClosed:
            pass
        finally:
            sockets = self.contacts.get(contact_id)
            if sockets is not None:
                sockets.discard(ws)
                if not sockets:
                    del self.contacts[contact_id]

    async def customer_request(self, ws, contact_id: int, conversation_id: int, raw) -> None:
        try:
            request = json.loads(raw)
            kind, ref = request["type"], request.get("ref")
        except (ValueError, KeyError, TypeError):
            await ws.send(json.dumps({"type": "error", "code": "bad_request"}))
            return
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong", "ref": ref}))
            return
        if request.get("conversation_id") not in (None, conversation_id):
            await ws.send(json.dumps({"type": "error", "code": "not_found", "ref": ref}))
            return
        if kind == "message.send":
            message = await self.store(conversation_id, str(request["client_message_id"]), request["body"])
            await ws.send(
                json.dumps(
                    {
                        "type": "message.ack",
                        "ref": ref,
                        "conversation_id": conversation_id,
                        "message": message,
                    }
                )
            )
            frame = json.dumps(
                {
                    "type": "message.created",
                    "conversation_id": conversation_id,
                    "seq": message["seq"],
                    "message": message,
                }
            )
            await self.redis.publish(self.channel, f"{contact_id}\n{frame}")  # after the commit
        elif kind == "history.after":
            limit = min(max(int(request.get("limit", 50)), 1), 100)
            async with self.pool.connection() as db:
                rows = await (
                    await db.execute(HISTORY, (conversation_id, int(request.get("after_seq", 0)), limit + 1))
                ).fetchall()
            await ws.send(
                json.dumps(
                    {
                        "type": "history",
                        "ref": ref,
                        "conversation_id": conversation_id,
                        "has_more": len(rows) > limit,
                        "messages": [_payload(conversation_id, *row) for row in rows[:limit]],
                    }
                )
            )
        else:
            await ws.send(json.dumps({"type": "error", "code": "bad_request", "ref": ref}))

    async def store(self, conversation_id: int, client_message_id: str, body: str) -> dict:
        for attempt in range(3):  # two sends of one conversation at once: the unique seq decides
            try:
                async with self.pool.connection() as db:
                    row = await (
                        await db.execute(
                            INSERT, {"c": conversation_id, "cmid": client_message_id, "body": body}
                        )
                    ).fetchone()
                return _payload(conversation_id, row[0], row[1], client_message_id, body, row[2])
            except psycopg.errors.UniqueViolation:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def desk(self, ws: ServerConnection) -> None:
        cookies = dict(
            part.strip().split("=", 1)
            for part in (ws.request.headers.get("Cookie") or "").split(";")
            if "=" in part
        )
        claims = _verify(self.secret, "agent", cookies.get("sessionid", ""), 1)
        if claims is None:
            await ws.send(json.dumps({"type": "error", "code": "unauthorized"}))
            await ws.close(4001)
            return
        self.agents.add(ws)
        try:
            await ws.send(json.dumps({"type": "hello", "protocol": 1, "agent_id": int(claims[0])}))
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        finally:
            self.agents.discard(ws)


def _payload(conversation_id, message_id, seq, client_message_id, body, created_at) -> dict:
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "seq": seq,
        "client_message_id": client_message_id,
        "sender": {"kind": "contact"},
        "body": body,
        "delivery_status": "delivered",
        "created_at": created_at.isoformat(),
    }


async def main(args: argparse.Namespace) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server = Baseline(dsn=args.dsn, redis_url=args.redis_url, channel=args.channel, secret=args.secret)
    await server.start()
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with serve(
        server.handle,
        args.host,
        args.port,
        process_request=server.session,
        compression=None,
        max_size=65536 + 1024,
        ping_interval=20,
        ping_timeout=30,
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--create-table", action="store_true", help="create the table and exit")
    arguments = parser.parse_args()
    if arguments.create_table:
        with psycopg.connect(arguments.dsn, autocommit=True) as conn:
            conn.execute(CREATE_TABLE)
    else:
        asyncio.run(main(arguments))
