import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from agents.models import AgentConnection
from tests.backends import ON_POSTGRES, ON_REDIS

from .harness import DaphneServer


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES and ON_REDIS:
        return
    skip = pytest.mark.skip(reason="live-socket tests need Postgres and Redis")
    for item in items:
        if "realtime" in item.path.parts:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def daphne(django_db_setup, django_db_blocker):
    """One live Daphne for the session, on the test database and the test Redis. Its log goes to a
    file (/tmp/parley-daphne-*/daphne.log, for a failure's server side) rather than to a pipe
    nobody reads, which would block the server once full."""
    log_path = Path(tempfile.mkdtemp(prefix="parley-daphne-")) / "daphne.log"
    with django_db_blocker.unblock():
        server = DaphneServer(log_path=log_path)
    yield server
    server.stop()


QUIET_SAMPLES = 5  # 0.1 s apart


@pytest.fixture(autouse=True)
def server_settles_before_flush(transactional_db):
    """The live server handles a socket's close after the client has gone (presence writes). Wait
    for that before pytest-django truncates the tables (this fixture's teardown runs before
    transactional_db's), or the two deadlock."""
    yield

    deadline = time.monotonic() + 10
    while AgentConnection.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    # A customer's close (its presence, its live session) is written a moment after the client
    # left, and the next test's flush may be another module's: wait until the server's
    # connections are idle (none running, none inside a transaction) for half a second. Two
    # samples 0.1 s apart were not enough on a loaded machine: a close handled just after them
    # deadlocked with the flush's TRUNCATE (test_scale_out, test_webhook_door).
    quiet = 0
    while quiet < QUIET_SAMPLES and time.monotonic() < deadline:
        quiet = quiet + 1 if not server_queries_running() else 0
        time.sleep(0.1)


def server_queries_running() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        return cursor.fetchone()[0] > 0
