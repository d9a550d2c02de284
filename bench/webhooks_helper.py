"""The webhook benchmark's processes (bench/webhooks.py): Daphne serving Parley, the pgbench
baseline, and the load generator (bench/webhooks_load.py)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from bench import seed_helper
from bench.realtime_servers import Server
from bench.scale import scaled

ROOT = Path(__file__).resolve().parent.parent
# Under ASGI each request's sync view runs on a thread of its own, each holding a pooled
# connection while it works; other engineers share max_connections=100 (as bench/realtime.py).
DB_POOL_MAX_SIZE = 10
PGBENCH_TABLE = "bench_webhooks_pgbench"
PGBENCH_SCRIPT = "INSERT INTO bench_webhooks_pgbench (body, at) VALUES ('an inbound message', now());\n"
PGBENCH_ARGS = ["-n", "-c", "4", "-j", "2", "-T", scaled("10", "2")]
LOAD_TIMEOUT = 300


def daphnes(count: int, workdir: Path, layer_prefix: str) -> list[Server]:
    """`count` Daphne processes on ports of their own, each told that its public URL is the one
    the generator posts to (Twilio signs the URL it was given: PUBLIC_URL's)."""
    servers = []
    for n in range(count):
        env = seed_helper.worker_env(
            DB_POOL_MAX_SIZE=str(DB_POOL_MAX_SIZE), CHANNEL_LAYER_PREFIX=layer_prefix, LOG_LEVEL="WARNING"
        )
        # BENCH_WEBHOOKS_ASGI: another application to serve (a diagnosis wrapper, say).
        application = os.environ.get("BENCH_WEBHOOKS_ASGI", "config.asgi:application")
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", application]
        server = Server("parley", argv, env, workdir, f"daphne-{count}x-{n}")
        server.env["PUBLIC_URL"] = server.http
        servers.append(server)
    return servers


def pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))
    return str(candidates[-1]) if candidates else None


def pgbench_baseline(workdir: Path) -> dict | None:
    """pgbench single-row INSERTs (one commit each) into a logged scratch table of the bench
    database, 4 clients on 2 threads for 10 s (smoke: 2 s); None without pgbench."""
    binary = pgbench_binary()
    if binary is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PGBENCH_TABLE} (id bigserial primary key, body text, at timestamptz)")
    script = workdir / "insert.sql"
    script.write_text(PGBENCH_SCRIPT)
    argv = [binary, *PGBENCH_ARGS, "-f", str(script), seed_helper.dsn()]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    return {
        "tool": f"pgbench ({binary})",
        "args": " ".join([*PGBENCH_ARGS, "-f", "insert.sql"]),
        "statement": PGBENCH_SCRIPT.strip(),
        "tps": float(tps.group(1)) if tps else None,
        "latency_average_ms": float(latency.group(1)) if latency else None,
    }


def run_load(name: str, spec: dict, workdir: Path) -> dict:
    """bench/webhooks_load.py in its own process; its result."""
    spec_path, result_path = workdir / f"{name}.spec.json", workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec))
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "bench.webhooks_load", str(spec_path), str(result_path)], cwd=ROOT
    )
    try:
        code = process.wait(timeout=LOAD_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if code != 0:
        raise RuntimeError(
            f"the webhook load generator exited {code} after {time.monotonic() - started:.0f} s"
        )
    return json.loads(result_path.read_text())
