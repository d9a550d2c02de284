"""Clients of the REST API: an agent of `inbox` with a token, and another inbox they do not work."""

from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The factories give every user a real password; PBKDF2's deliberate slowness tests nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """client_for(user) -> an APIClient that sends the user's token on every request."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def api(client_for, agent) -> APIClient:
    """The API as `agent` (a member of `inbox`) sees it."""
    return client_for(agent)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", is_superuser=True)


@pytest.fixture
def other_inbox(db):
    """An inbox `agent` does not work, with its own agent."""
    inbox = InboxFactory(name="Other")
    InboxMembershipFactory(inbox=inbox, agent=AgentProfileFactory().user)
    return inbox


@pytest.fixture
def other_conversation(other_inbox):
    return ConversationFactory(inbox=other_inbox, contact=ContactFactory(name="Hidden Person"))
