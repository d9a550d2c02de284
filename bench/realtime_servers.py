"""The processes the real-time benchmark owns (bench/realtime.py; desk, fanout, expiry and the
webhooks benchmark start their servers with it too): a server on a port of its own, restartable
on that port; the load generator (bench/realtime_load.py) in a process of its own; and the
cleanup of what a run left under its channel-layer prefix in Redis.
"""

import contextlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "parley-bench")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


class Server:
    """One server process (Daphne or the baseline) on a fixed port; restartable on that port."""

    def __init__(self, kind: str, argv: list[str], env: dict, workdir: Path, name: str = "") -> None:
        self.kind, self.env, self.workdir = kind, env, workdir
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"{name or kind}.log"

    def start(self, timeout: float = 60, *, ready=healthy) -> None:
        """Start and wait for `ready(port)`: /healthz answering 200, or (during a reconnect storm,
        when clients queue ahead of any health check) the port accepting connections."""
        self.launch()
        self.wait_ready(timeout, ready=ready)

    def launch(self) -> None:
        """Start the process without waiting: several servers of a phase start side by side."""
        assert self.process is None
        with self.log_path.open("ab") as log_file:
            # stdout is Daphne's access log (a line per socket): not kept; stderr has the errors.
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                self.argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log_file
            )

    def wait_ready(self, timeout: float = 60, *, ready=healthy) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log_tail()}")
            if ready(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not become ready: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self, chars: int = 1500) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def run_load(name: str, spec: dict, workdir: Path, *, on_ready=None, timeout: float = 300) -> dict:
    """Run the load generator in its own process; its result, or {"error": ...}."""
    spec_path, result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec))
    process = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "bench.realtime_load", str(spec_path), str(result_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    try:
        return _follow(process, result_path, deadline, timeout, on_ready)
    finally:
        if process.poll() is None:  # an exception on our side: never leave the generator behind
            process.kill()
            process.wait()


def _follow(process, result_path: Path, deadline: float, timeout: float, on_ready) -> dict:
    try:
        if on_ready is not None:
            line = ""
            while time.monotonic() < deadline and process.poll() is None:
                readable, _, _ = select.select([process.stdout], [], [], 0.5)
                if readable:
                    line = process.stdout.readline()
                    break
            if line.strip() == "READY":
                process.stdin.write(on_ready() + "\n")
                process.stdin.flush()
        process.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return {"error": f"load generator did not finish within {timeout:.0f} s"}
    if process.returncode != 0 or not result_path.exists():
        return {"error": f"load generator exited with {process.returncode}"}
    return json.loads(result_path.read_text())


def forget_layer_keys() -> None:
    """Drop what this run left in its Redis database under its own channel-layer prefix."""
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix")
    url = os.environ.get("REDIS_URL")
    if not prefix or not url:
        return
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        client.close()
