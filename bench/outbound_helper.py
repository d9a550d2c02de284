"""The outbound benchmark's processes (bench/outbound.py): the fake provider, real Celery workers,
and the baseline's load generator (bench/outbound_load.py)."""

import json
import select
import subprocess
import sys
import time
from pathlib import Path

from bench import seed_helper
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60
STOP_TIMEOUT = 30


def _stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class FakeProviderProcess:
    """`python -m simulator.fake_provider` in its own process; its URL is its first line."""

    def __init__(self, latency_ms: str, error_rate: float, workdir: Path) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "simulator.fake_provider",
            "--port",
            "0",
            "--latency-ms",
            latency_ms,
            "--error-rate",
            str(error_rate),
        ]
        self.log_path = workdir / "fake-provider.log"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> str:
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                self.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=log_file, text=True
            )
        readable, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().strip() if readable else ""
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(
                f"the fake provider did not start: {line!r} {self.log_path.read_text()[-500:]}"
            )
        self.url = line
        return line

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, timeout=10)
            self.process = None


class Worker:
    """`celery -A config worker` with the given pool and concurrency, on this run's database and
    broker, sending to `provider_url` (TWILIO_API_URL)."""

    def __init__(
        self, pool: str, concurrency: int, provider_url: str, workdir: Path, suffix: str = "", **env: str
    ) -> None:
        self.pool, self.concurrency = pool, concurrency
        self.name = f"bench-outbound-{pool}-{concurrency}-{suffix}-{int(time.time())}@%h"
        self.argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            self.name,
        ]
        self.env = seed_helper.worker_env(TWILIO_API_URL=provider_url, LOG_LEVEL="WARNING", **env)
        self.log_path = workdir / f"worker-{pool}-{concurrency}-{suffix}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                self.argv, cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited: {self.log_tail()}")
            # The worker answers a ping once it consumes (its name is our own, so no one else's).
            answers = celery_app.control.ping(destination=[self.hostname], timeout=1.0)
            if answers:
                return
        raise RuntimeError(f"the worker did not become ready: {self.log_tail()}")

    @property
    def hostname(self) -> str:
        import socket

        return self.name.replace("%h", socket.gethostname())

    @property
    def pids(self) -> list[int]:
        """The worker and, for prefork, its children."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        extra = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        return [self.process.pid, *extra]

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def log_tail(self, chars: int = 1500) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


class Workers:
    """`processes` Worker processes of one set-up, started and stopped together."""

    def __init__(
        self, pool: str, concurrency: int, processes: int, provider_url: str, workdir: Path, **env: str
    ):
        self.members = [
            Worker(pool, concurrency, provider_url, workdir, suffix=str(n), **env) for n in range(processes)
        ]

    def start(self) -> None:
        for worker in self.members:
            worker.start()

    def stop(self) -> None:
        for worker in self.members:
            worker.stop()

    @property
    def pids(self) -> list[int]:
        return [pid for worker in self.members for pid in worker.pids]

    def log_tail(self, chars: int = 1500) -> str:
        return "\n".join(worker.log_tail(chars) for worker in self.members).strip()


def run_baseline(spec: dict, workdir: Path) -> dict:
    """bench/outbound_load.py in its own process; its result."""
    spec_path, result_path = workdir / "baseline.spec.json", workdir / "baseline.result.json"
    spec_path.write_text(json.dumps(spec))
    process = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "bench.outbound_load", str(spec_path), str(result_path)], cwd=ROOT
    )
    try:
        code = process.wait(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if code != 0:
        raise RuntimeError(f"the outbound baseline exited {code}")
    return json.loads(result_path.read_text())


def post_replies(
    *,
    agent_id: int,
    conversation_ids: list[int],
    bodies: list[str],
    rate: float | None,
    processes: int,
    workdir: Path,
) -> dict:
    """bench/outbound_poster.py in `processes` processes, reply n going to poster n % processes;
    all start at one moment. The message ids, when posting started and ended, and the most any
    poster fell behind its schedule."""
    posters, results = [], []
    for n in range(processes):
        spec_path, result_path = workdir / f"poster-{n}.spec.json", workdir / f"poster-{n}.result.json"
        replies = [[index, body] for index, body in enumerate(bodies) if index % processes == n]
        spec = {"agent_id": agent_id, "conversation_ids": conversation_ids, "replies": replies, "rate": rate}
        spec_path.write_text(json.dumps(spec))
        results.append(result_path)
        posters.append(
            subprocess.Popen(  # noqa: S603 (our own argv)
                [sys.executable, "-m", "bench.outbound_poster", str(spec_path), str(result_path)],
                cwd=ROOT,
                env=seed_helper.worker_env(DB_POOL_MAX_SIZE="2"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for poster in posters:
            if poster.stdout.readline().strip() != "READY":
                raise RuntimeError(f"a poster did not start (exit {poster.wait()})")
        started = time.time() + 0.3
        for poster in posters:
            poster.stdin.write(f"GO {started}\n")
            poster.stdin.flush()
        for poster in posters:
            if poster.wait(timeout=600) != 0:
                raise RuntimeError(f"a poster failed (exit {poster.returncode})")
    finally:
        for poster in posters:
            if poster.poll() is None:
                poster.kill()
                poster.wait()
    reports = [json.loads(path.read_text()) for path in results]
    return {
        "message_ids": [pk for report in reports for pk in report["message_ids"]],
        "started": started,
        "ended": max(report["ended"] for report in reports),
        "most_behind_schedule_s": max(report["most_behind_schedule_s"] for report in reports),
    }
