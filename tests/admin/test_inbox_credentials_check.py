"""Saving an SMS or Telegram inbox asks the provider whether its credentials work (the local fake
of Twilio and the Bot API, which answers as they do): refused ones are named in the provider's
words and nothing is saved; ones it accepts are saved; a provider out of reach does not stop a
save (issue 21, point 7: "channel credentials checked on save against the provider")."""

import pytest
from django.urls import reverse

from simulator.fake_provider import TELEGRAM_BOT_TOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeProvider
from tests.factories.conversations import InboxFactory

from .formdata import form_data, form_errors, with_settings

pytestmark = pytest.mark.django_db
SMS = {"account_sid": TWILIO_ACCOUNT_SID, "auth_token": TWILIO_AUTH_TOKEN, "phone_number": "+14155550100"}
TELEGRAM = {"bot_token": TELEGRAM_BOT_TOKEN, "secret_token": "s3cret"}


@pytest.fixture
def provider(settings):
    with FakeProvider(timeout_seconds=3.0) as fake:
        settings.TWILIO_API_URL = settings.TELEGRAM_API_URL = fake.url
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
