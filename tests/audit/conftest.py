"""People for the audit log's tests: an agent with a password, an administrator, and the log's
newest entries."""

from collections.abc import Callable

import pytest

from audit.models import AuditEntry
from tests.factories.agents import UserFactory

PASSWORD = "correct-horse-battery"  # the factories' own


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def administrator(db):
    return UserFactory(username="boss", is_superuser=True)


@pytest.fixture
def entries() -> Callable[..., list[AuditEntry]]:
    """entries(action=...) -> the entries with these fields, oldest first."""

    def matching(**fields) -> list[AuditEntry]:
        return list(AuditEntry.objects.filter(**fields).order_by("pk"))

    return matching
