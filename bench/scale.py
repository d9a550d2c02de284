"""Full or smoke scale, and the correctness checks every benchmark reports.

`python -m bench --smoke` (`make bench-smoke`, run by CI after the suite) sets BENCH_SMOKE=1 before
any benchmark module is imported, so module constants and the helper processes a benchmark starts
(they inherit the environment) agree on the scale. A smoke run exercises each benchmark's seeder,
load generator and report at a tiny scale in seconds: its figures mean nothing, its checks do.

Every benchmark's run() returns a "checks" dict of name -> bool: invariants that must hold at any
load (nothing lost or duplicated once the load has drained, no agent over capacity, counts that
agree with the rows). `python -m bench` exits non-zero when one is False, at either scale.
Performance targets are figures beside their targets, never checks.
"""

import os
from typing import TypeVar

T = TypeVar("T")
SMOKE = os.environ.get("BENCH_SMOKE", "") not in ("", "0")


def scaled(full: T, smoke: T) -> T:
    """The full-scale value, or the smoke one under `--smoke`."""
    return smoke if SMOKE else full


def failed_checks(report: dict) -> list[str]:
    """The names of a report's checks that did not hold; a report without checks fails too."""
    checks = report.get("checks")
    if not isinstance(checks, dict) or not checks:
        return ["(the benchmark reported no checks)"]
    return [name for name, passed in checks.items() if passed is not True]
