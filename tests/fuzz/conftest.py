"""Fuzzing budgets: Hypothesis profiles for every test in tests/fuzz/.

`make test` (and CI) runs the `ci` profile: derandomized, so every run tries the same few examples
and a red build is reproducible, and small, so the fuzz share of the suite stays well under a
minute on two cores. `make fuzz` sets PARLEY_FUZZ_PROFILE=fuzz: many random examples, shrunk when
they fail, and kept in var/hypothesis/ so the next run tries them first. PARLEY_FUZZ_EXAMPLES
overrides the count. In both, what once broke a door is an explicit example (@example), tried first.
"""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.fuzz import sockets

ROOT = Path(__file__).resolve().parents[2]

# Each test shares its function-scoped fixtures (the database world, a socket's visitor) between
# its examples on purpose: every example undoes what it stored, or stores what later ones may
# meet. Examples talk to Postgres, so Hypothesis's timing checks would flag the machine, not us.
SHARED = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
}
PROFILE_EXAMPLES = {"ci": 12, "fuzz": 200}

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("PARLEY_FUZZ_EXAMPLES") or PROFILE_EXAMPLES["ci"]),
    derandomize=True,
    database=None,
    print_blob=False,
    # No shrinking in the suite: a failure is reported as found, and `make fuzz` shrinks it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    **SHARED,
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("PARLEY_FUZZ_EXAMPLES") or PROFILE_EXAMPLES["fuzz"]),
    derandomize=False,
    database=DirectoryBasedExampleDatabase(ROOT / "var" / "hypothesis"),
    print_blob=True,
    **SHARED,
)
PROFILE = os.environ.get("PARLEY_FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test whose examples all ran may still fail on what they gathered: a `contract` fixture
    collects answers that broke the API's document without stopping the search for crashes."""
    result = yield
    contract = getattr(item, "funcargs", {}).get("contract")
    if contract is not None and contract.found:
        pytest.fail(contract.report(), pytrace=False)
    return result


# --- how many cases each fuzzer ran (printed at the end of the run) ---

CASES: dict[str, int] = {}


def count_case(fuzzer: str) -> None:
    CASES[fuzzer] = CASES.get(fuzzer, 0) + 1


def pytest_terminal_summary(terminalreporter) -> None:
    if not CASES:
        return
    terminalreporter.section(f"fuzz cases run (Hypothesis profile {PROFILE!r})")
    for fuzzer, count in sorted(CASES.items()):
        terminalreporter.write_line(f"{count:7d}  {fuzzer}")
    terminalreporter.write_line(f"{sum(CASES.values()):7d}  in all")


@pytest.fixture
def socket_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop a socket test's examples run their sockets on (tests/fuzz/sockets.py)."""
    with sockets.event_loop() as loop:
        yield loop


@pytest.fixture(scope="session", autouse=True)
def socket_connections_ended(django_db_setup, django_db_blocker):
    """The sockets' database work runs on thread pools whose threads keep their connections (a
    consumer that died mid-example leaves its tasks behind too): end them all before the test
    database is dropped, which Postgres refuses while anyone is connected."""
    yield
    if connections["default"].vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()
