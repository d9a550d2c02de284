"""`make bench`: run every benchmark once and write its figures to bench/results/<name>.json.

Benchmarks run on Postgres (DATABASE_URL, else the local server) in a throwaway database, and
report ratios against a baseline measured in the same run on the same machine.
"""

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("SECRET_KEY", "parley-bench-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A database and channel-layer prefix of this run's own, so parallel runs never meet.
os.environ.setdefault("PARLEY_TEST_DB", f"parley_bench_{os.getpid()}")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"parley-bench-{os.getpid()}")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench import desk, expiry, fanout, ingest, outbound, realtime, routing, webhooks  # noqa: E402

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = {
    "ingest": ingest.run,
    "fanout": fanout.run,
    "realtime": realtime.run,
    "desk": desk.run,
    "expiry": expiry.run,
    "routing": routing.run,
    "webhooks": webhooks.run,
    "outbound": outbound.run,
}


def main(names: list[str]) -> None:
    setup_test_environment()
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    RESULTS.mkdir(exist_ok=True)
    try:
        for name in names or list(BENCHMARKS):
            figures = BENCHMARKS[name]()
            report = {
                "benchmark": name,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "database": database,
                **figures,
            }
            (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
            print(json.dumps(report, indent=2))
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1:])
