"""Where a benchmark's figures came from: the commit measured and the machine it ran on. Every
report carries both (bench/__main__.py adds them), so docs/benchmarks.md can say which run it shows.
"""

import contextlib
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("django", "channels", "channels-redis", "daphne", "celery", "redis", "psycopg")


def _git(*args: str) -> str:
    try:
        return subprocess.run(  # noqa: S603 (our own argv)
            ["git", *args],  # noqa: S607 (git from PATH, as the Makefile's tools are)
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def code_version() -> dict:
    """The commit measured, and the files changed since (other work in progress on this checkout)."""
    changed = [line[3:] for line in _git("status", "--porcelain").splitlines()]
    return {
        "commit": _git("rev-parse", "--short", "HEAD").strip(),
        "uncommitted": [path for path in changed if not path.startswith("bench/results/")],
    }


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        return round(kib / 2**20, 1)
    return None


def _version(package: str) -> str | None:
    try:
        return package_version(package)
    except PackageNotFoundError:
        return None


def machine() -> dict:
    """The machine and the servers as the run found them (load average included: a busy shared
    machine explains a slow figure)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "postgres": postgres,
        "synchronous_commit": synchronous_commit,
        "packages": {name: _version(name) for name in PACKAGES},
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
