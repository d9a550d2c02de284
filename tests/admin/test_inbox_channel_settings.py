"""The inbox admin checks a provider channel's settings where they are saved: an SMS inbox with no
credentials, a Telegram token that is not one, a Meta app without its secret are refused in
words next to the settings, and nothing is saved (issue 21: "an SMS inbox saves without
credentials and nothing checks them")."""

import pytest
from django.urls import reverse

from tests.factories.conversations import InboxFactory

from .formdata import form_data, form_errors, with_settings

GOOD = {
    "sms": {"account_sid": "AC" + "a" * 32, "auth_token": "b" * 32, "phone_number": "+14155550100"},
    "whatsapp": {"phone_number_id": "1065", "access_token": "EAAG", "app_secret": "s", "verify_token": "v"},
    "messenger": {"page_id": "1122", "page_access_token": "EAAG", "app_secret": "s", "verify_token": "v"},
    "telegram": {"bot_token": "7001234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secret_token": "s3cr3t_-"},
}
MISTAKES = [
    ("sms", {}, "config: account_sid: "),
    ("sms", {"account_sid": "", "auth_token": "", "phone_number": ""}, "auth_token: "),
    ("sms", {**GOOD["sms"], "phone_number": ""}, "phone_number (the number in E.164"),
    ("sms", {**GOOD["sms"], "phone_number": "0415 555 0100"}, "phone_number: '0415 555 0100' is not"),
    ("sms", {**GOOD["sms"], "account_sid": "SK123"}, "account_sid: Twilio's account SIDs start with AC"),
    ("whatsapp", {**GOOD["whatsapp"], "app_secret": ""}, "app_secret: "),
    ("telegram", {**GOOD["telegram"], "bot_token": "hello"}, "bot_token: 'hello' is not a bot token"),
    ("telegram", {**GOOD["telegram"], "secret_token": "no spaces!"}, "secret_token: 1 to 256 of"),
]


def post_config(admin_client, inbox, config):
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    return admin_client.post(url, with_settings(form_data(admin_client.get(url)), config))


@pytest.mark.parametrize(("channel", "config", "words"), MISTAKES)
def test_a_channel_without_what_it_needs_is_refused_in_words(admin_client, channel, config, words):
    inbox = InboxFactory(channel_type=channel, config=GOOD[channel])

    answer = post_config(admin_client, inbox, config)

    errors = form_errors(answer)
    assert any(words in error for error in errors), errors
    inbox.refresh_from_db()
    assert inbox.config == GOOD[channel]


@pytest.mark.parametrize("channel", sorted(GOOD))
def test_good_settings_are_saved(admin_client, channel):
    inbox = InboxFactory(channel_type=channel, config={})
    answer = post_config(admin_client, inbox, GOOD[channel])
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    inbox.refresh_from_db()
    assert inbox.config == GOOD[channel]
