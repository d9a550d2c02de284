"""Saving an SMS, Telegram, WhatsApp, Messenger or Instagram inbox asks the provider whether its
credentials work (the local fake of Twilio, the Bot API and Graph, which answers as they do):
refused ones are named in the provider's words and nothing is saved; ones it accepts are saved; a
provider out of reach does not stop a save (issue 21, point 7: "channel credentials checked on save
against the provider")."""

import pytest
from django.urls import reverse

from simulator.fake_provider import (
    GRAPH_ACCESS_TOKEN,
    TELEGRAM_BOT_TOKEN,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    FakeProvider,
)
from tests.factories.conversations import InboxFactory

from .formdata import form_data, form_errors, with_settings

pytestmark = pytest.mark.django_db
SMS = {"account_sid": TWILIO_ACCOUNT_SID, "auth_token": TWILIO_AUTH_TOKEN, "phone_number": "+14155550100"}
TELEGRAM = {"bot_token": TELEGRAM_BOT_TOKEN, "secret_token": "s3cret"}
META_APP = {"app_secret": "app-secret", "verify_token": "verify-me"}
WHATSAPP = {"phone_number_id": "106540352242922", "access_token": GRAPH_ACCESS_TOKEN, **META_APP}
PAGE = {"page_id": "104226242500932", "page_access_token": GRAPH_ACCESS_TOKEN, **META_APP}
GRAPH_REFUSAL = "Meta refused this token (401: Invalid OAuth access token - Cannot parse access token)"


@pytest.fixture
def provider(settings):
    with FakeProvider(timeout_seconds=3.0) as fake:
        settings.TWILIO_API_URL = settings.TELEGRAM_API_URL = settings.META_GRAPH_URL = fake.url
        yield fake


def post(admin_client, inbox, config):
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    return admin_client.post(url, with_settings(form_data(admin_client.get(url)), config))


@pytest.mark.parametrize(
    ("channel", "good", "wrong", "words"),
    [
        ("sms", SMS, {**SMS, "auth_token": "0" * 32}, "Twilio refused these credentials (401"),
        (
            "telegram",
            TELEGRAM,
            {**TELEGRAM, "bot_token": "7000000001:AAnot-this-bot_0123456789"},
            "Telegram refused this bot token (401: Unauthorized)",
        ),
        ("whatsapp", WHATSAPP, {**WHATSAPP, "access_token": "EAAG-expired"}, GRAPH_REFUSAL),
        ("messenger", PAGE, {**PAGE, "page_access_token": "EAAG-expired"}, GRAPH_REFUSAL),
        ("instagram", PAGE, {**PAGE, "page_access_token": "EAAG-expired"}, GRAPH_REFUSAL),
    ],
)
def test_credentials_the_provider_refuses_are_not_saved(admin_client, provider, channel, good, wrong, words):
    inbox = InboxFactory(channel_type=channel, config={})

    refused = post(admin_client, inbox, wrong)
    assert any(words in error for error in form_errors(refused)), form_errors(refused)
    inbox.refresh_from_db()
    assert inbox.config == {}

    saved = post(admin_client, inbox, good)
    assert saved.status_code == 302, form_errors(saved)
    inbox.refresh_from_db()
    assert inbox.config == good


def test_a_provider_out_of_reach_does_not_stop_a_save(admin_client, settings):
    settings.TWILIO_API_URL = "http://127.0.0.1:9"  # nothing listens: the check cannot tell
    inbox = InboxFactory(channel_type="sms", config={})
    assert post(admin_client, inbox, SMS).status_code == 302


def test_only_a_refused_token_stops_a_save(admin_client, provider):
    """Graph's /me with a token it takes answers who the token is; the check asks nothing else, so
    a Page id it would not show (a typo there) is left to the first reply's own clear refusal."""
    inbox = InboxFactory(channel_type="messenger", config={})
    assert post(admin_client, inbox, {**PAGE, "page_id": "not-a-page"}).status_code == 302
