"""`make bench`: run every benchmark once and write its figures to bench/results/<name>.json.
`make bench-smoke` (`python -m bench --smoke`): every benchmark at a tiny scale, results in
bench/results/smoke/, failing when a benchmark's own checks fail; CI runs it after the suite.

    python -m bench [--smoke] [name ...]

Benchmarks run on Postgres (DATABASE_URL, else the local server) in a throwaway database, and
report ratios against a baseline measured in the same run on the same machine. The exit status is
non-zero when a benchmark raised or one of its checks (bench/scale.py) did not hold.
"""

import json
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

SMOKE_FLAG = "--smoke"
if SMOKE_FLAG in sys.argv[1:]:
    os.environ["BENCH_SMOKE"] = "1"  # before any benchmark module reads its scale

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("SECRET_KEY", "parley-bench-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A database and channel-layer prefix of this run's own, so parallel runs never meet.
os.environ.setdefault("PARLEY_TEST_DB", f"parley_bench_{os.getpid()}")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"parley-bench-{os.getpid()}")

import django  # noqa: E402 (after the environment above)

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench import (  # noqa: E402
    automation,
    desk,
    email,
    expiry,
    fanout,
    ingest,
    kb,
    outbound,
    provenance,
    realtime,
    reports,
    retention,
    routing,
    scale,
    webhooks,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCHMARKS = {
    "ingest": ingest.run,
    "fanout": fanout.run,
    "realtime": realtime.run,
    "desk": desk.run,
    "expiry": expiry.run,
    "routing": routing.run,
    "webhooks": webhooks.run,
    "outbound": outbound.run,
    "email": email.run,
    "kb": kb.run,
    "reports": reports.run,
    "automation": automation.run,
    "retention": retention.run,
}
USAGE = f"usage: python -m bench [--smoke] [{' | '.join(BENCHMARKS)} ...]"


def _names(argv: list[str]) -> list[str]:
    names = [arg for arg in argv if arg != SMOKE_FLAG]
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}\n{USAGE}")
    return names or list(BENCHMARKS)


def _run_one(name: str, database: str, folder: Path) -> list[str]:
    """Run one benchmark, write its report, and return what went wrong (nothing when it passed)."""
    started = time.perf_counter()
    report = {
        "benchmark": name,
        "scale": "smoke" if scale.SMOKE else "full",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": provenance.code_version(),
        "machine": provenance.machine(),
        "database": database,
    }
    try:
        report.update(BENCHMARKS[name]())
        problems = [f"check failed: {check}" for check in scale.failed_checks(report)]
    except Exception:  # a benchmark that raises is a failed benchmark; the others still run
        problems = [f"raised:\n{traceback.format_exc()}"]
        report["error"] = problems[0]
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["passed"] = not problems
    # Log tails name files by absolute path; the report is committed, so it names them from the
    # checkout instead (a clone elsewhere reads the same text).
    text = json.dumps(report, indent=2, default=str).replace(f"{ROOT}/", "")
    (folder / f"{name}.json").write_text(text + "\n")
    if not scale.SMOKE:
        print(json.dumps(report, indent=2, default=str))
    return problems


def main(argv: list[str]) -> int:
    names = _names(argv)
    folder = RESULTS / "smoke" if scale.SMOKE else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    setup_test_environment()
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    failures = {}
    try:
        for name in names:
            print(f"[bench] {name}: {'smoke' if scale.SMOKE else 'full'} scale", file=sys.stderr, flush=True)
            started = time.perf_counter()
            problems = _run_one(name, database, folder)
            verdict = "passed" if not problems else "FAILED"
            print(f"[bench] {name}: {verdict} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            for problem in problems:
                print(f"[bench]   {problem}", file=sys.stderr)
            if problems:
                failures[name] = problems
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)
    passed = [name for name in names if name not in failures]
    print(f"[bench] passed: {', '.join(passed) or 'none'}; failed: {', '.join(failures) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
