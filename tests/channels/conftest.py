"""Provider fixtures (tests/fixtures: real payloads, signatures computed by the providers'
own libraries) and inboxes configured with their test secrets."""

from collections.abc import Iterator

import pytest

from channels_in.api_channel.credentials import api_channel_credentials_ensure
from conversations.models import ChannelType
from tests.factories.conversations import InboxFactory
from tests.fixtures import fixture_json
from tests.outbound_webhooks.receiver import Receiver

PUBLIC_URL = "https://desk.example.com"  # where the fixtures' webhooks were posted


@pytest.fixture
def public_url(settings):
    """Parley runs behind a TLS-terminating proxy at the fixtures' public address."""
    settings.PUBLIC_URL = PUBLIC_URL
    return PUBLIC_URL


TWILIO = fixture_json("twilio/signatures.json")


@pytest.fixture
def twilio_inbox(db, public_url):
    return InboxFactory(
        name="SMS main",
        channel_type="sms",
        public_key="sms-main",
        config={
            "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "auth_token": TWILIO["auth_token"],
            "phone_number": "+14155550100",
        },
    )


def twilio_vector(file: str, url_suffix: str = "") -> dict:
    return next(v for v in TWILIO["vectors"] if v["file"] == file and v["url"].endswith("/" + url_suffix))


META = fixture_json("meta/signatures.json")
TELEGRAM_SECRET = fixture_json("telegram/secret.json")["secret_token"]
WHATSAPP_PHONE_NUMBER_ID = "106540352242922"  # the fixtures' metadata.phone_number_id
WABA_ID = "102290129340398"
PAGE_ID = "1122334455667788"  # the fixtures' Messenger page
INSTAGRAM_ACCOUNT_ID = "17841400000000000"  # the fixtures' Instagram account


META_VECTORS = META["vectors"] + fixture_json("meta/signatures_buttons.json")["vectors"]


def meta_vector(file: str) -> str:
    """The X-Hub-Signature-256 Meta sent with fixtures/meta/<file>."""
    return next(v["X-Hub-Signature-256"] for v in META_VECTORS if v["file"] == file)


@pytest.fixture
def whatsapp_inbox(db, public_url):
    from simulator.fake_provider import GRAPH_ACCESS_TOKEN

    return InboxFactory(
        name="WhatsApp main",
        channel_type="whatsapp",
        public_key="wa-main",
        config={
            "phone_number_id": WHATSAPP_PHONE_NUMBER_ID,
            "access_token": GRAPH_ACCESS_TOKEN,
            "app_secret": META["app_secret"],
            "verify_token": META["verify_token"],
            "waba_id": WABA_ID,
        },
    )


def _page_config() -> dict:
    from simulator.fake_provider import GRAPH_ACCESS_TOKEN

    return {
        "page_id": PAGE_ID,
        "page_access_token": GRAPH_ACCESS_TOKEN,
        "app_secret": META["app_secret"],
        "verify_token": META["verify_token"],
    }


@pytest.fixture
def messenger_inbox(db, public_url):
    return InboxFactory(
        name="Messenger main", channel_type="messenger", public_key="fb-main", config=_page_config()
    )


@pytest.fixture
def instagram_inbox(db, public_url):
    return InboxFactory(
        name="Instagram main",
        channel_type="instagram",
        public_key="ig-main",
        config={**_page_config(), "instagram_account_id": INSTAGRAM_ACCOUNT_ID},
    )


@pytest.fixture
def telegram_inbox(db, public_url):
    from simulator.fake_provider import TELEGRAM_BOT_TOKEN

    return InboxFactory(
        name="Telegram main",
        channel_type="telegram",
        public_key="tg-main",
        config={"bot_token": TELEGRAM_BOT_TOKEN, "secret_token": TELEGRAM_SECRET},
    )


@pytest.fixture
def fake_provider(settings):
    """The local fake of Twilio, Graph and the Bot API, with every adapter pointed at it and a
    short provider timeout (its scripted timeouts outlast it)."""
    from simulator.fake_provider import FakeProvider

    with FakeProvider(timeout_seconds=3.0) as fake:
        settings.TWILIO_API_URL = settings.META_GRAPH_URL = settings.TELEGRAM_API_URL = fake.url
        settings.PARLEY_PROVIDER_TIMEOUT_SECONDS = 0.5
        yield fake


@pytest.fixture
def sms_on_fake(db, public_url, fake_provider):
    from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

    return InboxFactory(
        name="SMS (fake Twilio)",
        channel_type="sms",
        public_key="sms-fake",
        config={
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": TWILIO_AUTH_TOKEN,
            "phone_number": "+14155550100",
        },
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The business's webhook endpoint, where an API inbox's replies go."""
    endpoint = Receiver().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def api_inbox(db, receiver, settings):
    settings.PUBLIC_URL = PUBLIC_URL
    settings.PARLEY_PROVIDER_TIMEOUT_SECONDS = 0.5
    inbox = InboxFactory(name="Acme app", channel_type=ChannelType.API, public_key="acme-app")
    api_channel_credentials_ensure(inbox_id=inbox.pk, webhook_url=receiver.url)
    inbox.refresh_from_db()
    return inbox


def reply_to(inbox, source_id: str, body: str = "Your order ships today.", phone: str = ""):
    """An agent's reply to a customer who just wrote on `inbox`: pending, with its outbox row."""
    from conversations import services
    from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory

    contact = services.contact_identify(inbox=inbox, source_id=source_id, phone=phone)
    conversation = services.message_receive(inbox=inbox, contact=contact, body="where is it?").conversation
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    return services.message_post_reply(conversation=conversation, agent=agent, body=body)


@pytest.fixture(scope="session")
def dovecot():
    """The IMAP server of the email channel's tests. .ci/run installs it; a machine without it
    skips these tests outside CI, and fails them in CI."""
    yield from _dovecot()


@pytest.fixture(scope="session")
def oauth_server():
    """The mailbox provider's authorization server (simulator/oauth_server.py)."""
    from simulator.mail_servers import Dovecot
    from simulator.oauth_server import OAuthServer

    with OAuthServer(username=Dovecot.USER) as server:
        yield server


@pytest.fixture(scope="session")
def dovecot_oauth(oauth_server):
    """A Dovecot whose mailbox also takes OAuth 2.0 sign-in (XOAUTH2), asking `oauth_server`
    whether each token is active."""
    yield from _dovecot(oauth2_introspection_url=oauth_server.introspection_url)


def _dovecot(**options):
    import os
    import shutil

    from simulator.mail_servers import Dovecot

    if not (shutil.which("dovecot") or os.path.exists("/usr/sbin/dovecot")):
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (.ci/run installs Debian's dovecot-imapd)")
        pytest.skip("dovecot is not installed: apt-get install dovecot-imapd")
    import tempfile
    from pathlib import Path

    # Not pytest's tmp_path: its folders are the test user's alone, and Dovecot's own processes
    # (its auth user) must read the password file.
    root = Path(tempfile.mkdtemp(prefix="parley-dovecot-"))
    root.chmod(0o755)
    try:
        with Dovecot(root, **options) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)
