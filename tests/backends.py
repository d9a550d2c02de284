"""Which backends the suite runs on, decided before Django starts (loaded with `-p tests.backends`).

DATABASE_URL / REDIS_URL win when set. Otherwise Postgres and Redis are used when they answer on
localhost, and the embedded fallback (SQLite, in-memory layer) only when they do not. The choice
is printed loudly at the start and the end of the run. Under CI (CI=true) the fallback is refused:
Postgres-only behaviour (concurrent seq, row locks) must never be skipped there.
"""

import os
import socket

import pytest

LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/parley"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _choose() -> str:
    if not os.environ.get("DATABASE_URL") and _answers(5432):
        os.environ["DATABASE_URL"] = LOCAL_POSTGRES_URL
    if not os.environ.get("REDIS_URL") and _answers(6379):
        os.environ["REDIS_URL"] = LOCAL_REDIS_URL
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        os.environ.setdefault("SECRET_KEY", "parley-test-secret-key-not-for-production-use-0123456789")
        os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite (embedded fallback)"
    redis = os.environ.get("REDIS_URL", "").split("@")[-1] or "in-memory layer (embedded fallback)"
    return f"database: {database} | channel layer and broker: {redis}"


BANNER = _choose()
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ON_REDIS = bool(os.environ.get("REDIS_URL"))


def _loud(line: str) -> str:
    rule = "=" * max(60, len(line) + 8)
    return f"{rule}\n    PARLEY TEST BACKENDS -> {line}\n{rule}"


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and not (ON_POSTGRES and ON_REDIS):
        raise pytest.UsageError(f"CI must run on real Postgres and Redis, not: {BANNER}")


def pytest_report_header(config: pytest.Config) -> str:
    return _loud(BANNER)


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(_loud(BANNER))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL; this run is on the SQLite fallback")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_postgres)
    # Browser journeys last: Playwright's sync API leaves an event loop behind (STACK-NOTES).
    items.sort(key=lambda item: "browser" in item.path.parts)
