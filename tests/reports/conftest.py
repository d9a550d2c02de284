"""Fixtures of the reports tests: a clean per-process copy of the SLA policies."""

from collections.abc import Iterator

import pytest

from reports.sla import policies


@pytest.fixture(autouse=True)
def fresh_sla_policies() -> Iterator[None]:
    """The copy is per process: one a test filled from rows it then rolled back must not give the
    next test (of any app) clocks."""
    policies.invalidate()
    yield
    policies.invalidate()
