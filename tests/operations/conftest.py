"""Live processes for the operations tests: a Daphne of the module's own (so its log holds only
what these tests made it write) and the realtime tests' wait for it to settle before a flush."""

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.backends import ON_POSTGRES, ON_REDIS
from tests.realtime.conftest import server_settles_before_flush  # noqa: F401  (autouse: its wait)
from tests.realtime.harness import DaphneServer, live_daphne


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES and ON_REDIS:
        return
    skip = pytest.mark.skip(reason="they run real Daphne and Celery processes on Postgres and Redis")
    for item in items:
        if "operations" in item.path.parts:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("operations-daphne") / "daphne.log"


@pytest.fixture(scope="module")
def daphne(server_log, django_db_setup, django_db_blocker) -> Iterator[DaphneServer]:
    with live_daphne(server_log, django_db_blocker) as server:
        yield server


def scrape(url: str, token: str = "") -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def sample(page: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples on a /metrics page whose labels include `labels` (0: none)."""
    return sum(
        value.value
        for family in text_string_to_metric_families(page)
        for value in family.samples
        if value.name == name and all(value.labels.get(key) == want for key, want in labels.items())
    )


def has_sample(page: str, name: str) -> bool:
    families = text_string_to_metric_families(page)
    return any(value.name == name for family in families for value in family.samples)
