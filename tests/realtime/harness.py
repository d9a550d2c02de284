"""Live Daphne processes and real websocket clients for the real-time tests.

Each server is a separate `daphne` process (no fork of the test process, so none of the
fork-inherited executor and layer traps of STACK-NOTES) on the test database and the test Redis.
"""

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websockets
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from config.management.commands.serve import WEBSOCKET_MAX_BYTES
from tests.broker import broker_empty

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# Every log a server of this run writes: tests/conftest.py fails the test (or the run) in which
# one of them shows a traceback or a 500.
SERVER_LOGS: list[Path] = []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_env(redis_url: str | None = None) -> dict[str, str]:
    """The environment of a Parley process the tests start: the test database and Redis, the
    test process's secret, a media folder of its own."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url or os.environ["REDIS_URL"],
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DB_POOL_MAX_SIZE": "8",
        "PYTHONUNBUFFERED": "1",
        "STATICFILES_MANIFEST": "false",  # pages like the widget frame, without running collectstatic
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="parley-test-media-"),
        # No Celery worker runs beside the test server to send a window's closing queue
        # announcement: announce every move (the window is tested on its own).
        "PARLEY_QUEUE_ANNOUNCE_SECONDS": "0",
    }


class DaphneServer:
    def __init__(self, *, redis_url: str | None = None, log_path: Path | None = None) -> None:
        """`log_path`: write Daphne's stderr there instead of a pipe nobody reads (a server that
        logs much, e.g. while its Redis is down, would block once the pipe's buffer is full)."""
        self.port = free_port()
        self.log_path = log_path
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        env = process_env(redis_url)
        self.env = env  # what a CeleryWorker beside this server starts with
        log = log_path.open("ab") if log_path else None
        if log_path is not None:
            SERVER_LOGS.append(log_path)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--websocket-max-message-size",
                str(WEBSOCKET_MAX_BYTES),
                "--websocket-max-frame-size",
                str(WEBSOCKET_MAX_BYTES),
                "config.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log or subprocess.PIPE,
        )
        if log is not None:
            log.close()  # the child has its own descriptor
        self._wait_ready()

    def _wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.http + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not become healthy")

    def log_tail(self, chars: int = 2000) -> str:
        if self.log_path is not None:
            return self.log_path.read_text(errors="replace")[-chars:]
        return self.process.stderr.read().decode(errors="replace")[-chars:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def open_session(self, public_key: str, origin: str | None = None, **fields: str) -> tuple[int, dict]:
        body = json.dumps({"public_key": public_key, **fields}).encode()
        headers = {"Content-Type": "application/json", **({"Origin": origin} if origin else {})}
        request = urllib.request.Request(self.http + "/widget/api/v1/session", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@contextmanager
def live_daphne(log_path: Path, django_db_blocker) -> Iterator[DaphneServer]:
    """A DaphneServer on the test database for a pytest fixture, its log emptied first and the
    server stopped after (`django_db_blocker`: pytest-django's, which the start needs unblocked)."""
    log_path.write_bytes(b"")
    with django_db_blocker.unblock():
        server = DaphneServer(log_path=log_path)
    try:
        yield server
    finally:
        server.stop()


class CeleryWorker:
    """A real `celery worker --pool=solo` beside a DaphneServer: the same database, Redis (broker
    and channel layer), secret and media as the server, so what the server queues (a bot's turn,
    an outbound send) is run as production runs it. `env` overrides the server's (provider URLs,
    say). The broker is emptied first (tests/broker.py): this worker would otherwise run the tasks
    earlier tests left there against rows they no longer have.

    The worker's log goes to `log_path`, which joins SERVER_LOGS: a traceback in a task fails the
    test it happened in (tests/server_logs.py)."""

    def __init__(self, server: DaphneServer, *, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.celery = celery_app  # the test process's app: the same broker
        self.hostname = f"browser-{uuid.uuid4().hex[:8]}@parley"
        self.log_path = log_path
        environment = {
            **server.env,
            # Links the worker writes (a bot's article links, Twilio's StatusCallback) point at
            # the server the browser and the fake provider can reach.
            "PUBLIC_URL": server.http,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            **(env or {}),
        }
        broker_empty()
        if log_path not in SERVER_LOGS:
            SERVER_LOGS.append(log_path)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            self.hostname,
        ]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True
            )
        self._wait_ready()

    def _wait_ready(self, seconds: float = 30) -> None:
        """Ready when it answers a ping: it is then consuming the queue."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the celery worker exited: {self.log_tail()}")
            if self.celery.control.ping(destination=[self.hostname], timeout=0.5, limit=1):
                return
        self.stop()
        raise RuntimeError(f"the celery worker did not answer a ping: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def queued(self) -> int:
        """Tasks waiting in the broker's default queue."""
        with self.celery.connection_for_read() as broker:
            return broker.default_channel.client.llen("celery")  # the Redis broker's list

    def in_hand(self) -> int:
        """Tasks the worker is running or has taken to run next (not those waiting for an ETA)."""
        inspect = self.celery.control.inspect(destination=[self.hostname], timeout=2, limit=1)
        active, reserved = inspect.active() or {}, inspect.reserved() or {}
        return len(active.get(self.hostname, [])) + len(reserved.get(self.hostname, []))

    def wait_idle(self, seconds: float = 15) -> None:
        """Until nothing is queued or in hand twice in a row: a task may queue another as it ends
        (a bot's turn queues the delivery of its answer)."""
        deadline, quiet = time.monotonic() + seconds, 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise AssertionError(f"the celery worker was still busy after {seconds}s")
            quiet = quiet + 1 if self.queued() == 0 and self.in_hand() == 0 else 0
            time.sleep(0.1)

    def stop(self) -> None:
        """A warm shutdown (the task in hand finishes), then a kill if it takes too long."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class PrivateRedis:
    """A Redis of the test's own on a free port, with nothing persisted, that can be stopped and
    started again on the same port (empty, as after a crash): never the shared system Redis."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self, seconds: float = 10) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.answers():
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Client:
    """One customer socket: collects every event; `request` sends and waits for the reply by ref."""

    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket
        self.events: list[dict] = []

    @classmethod
    async def connect(cls, server: DaphneServer, token: str, origin: str | None = None) -> "Client":
        socket = await websockets.connect(
            f"{server.ws}/ws/v1/client/?token={token}", origin=origin, max_size=2**20, open_timeout=10
        )
        return cls(socket)

    async def next_event(self, timeout: float = 5) -> dict:
        event = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        self.events.append(event)
        return event

    async def wait_for(self, predicate, timeout: float = 5) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout}s; got {self.events[-5:]}")
            event = await self.next_event(remaining)
            if predicate(event):
                return event

    async def request(self, payload: dict, timeout: float = 5) -> dict:
        ref = uuid.uuid4().hex[:8]
        await self.socket.send(json.dumps({**payload, "ref": ref}))
        return await self.wait_for(lambda event: event.get("ref") == ref, timeout)

    async def send_message(
        self, body: str, conversation_id: int | None = None, client_message_id: str = ""
    ) -> dict:
        return await self.request(
            {
                "type": "message.send",
                "conversation_id": conversation_id,
                "body": body,
                "client_message_id": client_message_id or uuid.uuid4().hex,
            }
        )

    async def quiet(self, seconds: float = 0.5) -> list[dict]:
        """Every event that arrives until the socket has been silent for `seconds`."""
        received = []
        while True:
            try:
                received.append(await self.next_event(seconds))
            except (TimeoutError, websockets.ConnectionClosed):
                return received

    async def closed(self, timeout: float = 5) -> int | None:
        """Wait for the server to close the socket; its close code."""
        await asyncio.wait_for(self.socket.wait_closed(), timeout)
        return self.socket.close_code

    async def close(self) -> None:
        await self.socket.close()


def run(coroutine) -> Any:
    return asyncio.run(coroutine)
