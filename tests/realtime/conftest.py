import pytest

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
    """One live Daphne for the session, on the test database and the test Redis."""
    with django_db_blocker.unblock():
        server = DaphneServer()
    yield server
    server.stop()
