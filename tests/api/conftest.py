"""Clients of the REST API: an agent of `inbox` with a token, and another inbox they do not work;
and the API channel's client (/api/v1/channel/), a business's backend with its inbox's token."""

from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from channels_in.api_channel.credentials import api_channel_credentials_ensure
from conversations.models import ChannelType
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

CHANNEL_PATHS = "/api/v1/channel/"  # authenticated by an API inbox's token, not an agent's


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


@pytest.fixture
def channel_inbox(db):
    """An API channel inbox with its credentials."""
    inbox = InboxFactory(name="Our app", channel_type=ChannelType.API)
    api_channel_credentials_ensure(inbox_id=inbox.pk)
    inbox.refresh_from_db()
    return inbox


@pytest.fixture
def channel_api(channel_inbox) -> APIClient:
    """The API channel as the business's backend sees it: `channel_inbox`'s token on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {channel_inbox.config['api_token']}")
    return client


@pytest.fixture
def api_for(api, channel_api) -> Callable[[str], APIClient]:
    """api_for(path) -> the client for a path: the inbox token under /api/v1/channel/, else the agent's."""
    return lambda path: channel_api if path.startswith(CHANNEL_PATHS) else api
