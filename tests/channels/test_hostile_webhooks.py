"""Correctly signed webhooks of a shape no provider documents: each is a 400 that stores nothing,
never a 500 that the provider would retry for days."""

import hashlib
import hmac
import json

import pytest

from channels_in.models import WebhookReceipt
from conversations.models import Message
from tests.channels.conftest import META, TELEGRAM_SECRET
from tests.channels.worker import applied
from tests.fixtures import fixture_json

DEEP = "[" * 1500 + "]" * 1500
HOOKS = {
    "whatsapp": "/hooks/whatsapp/wa-main/",
    "messenger": "/hooks/messenger/fb-main/",
    "instagram": "/hooks/instagram/ig-main/",
    "telegram": "/hooks/telegram/tg-main/",
}


@pytest.fixture
def inboxes(whatsapp_inbox, messenger_inbox, instagram_inbox, telegram_inbox):
    return [whatsapp_inbox, messenger_inbox, instagram_inbox, telegram_inbox]


def post_signed(client, provider: str, body: bytes):
    if provider == "telegram":
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    else:
        digest = hmac.new(META["app_secret"].encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": f"sha256={digest}"}
    return applied(client.post(HOOKS[provider], data=body, content_type="application/json", headers=headers))


def assert_refused_and_nothing_stored(answer) -> None:
    assert answer.status_code == 400, answer.content
    assert answer.content.startswith(b"Could not read this webhook")
    assert not WebhookReceipt.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize("provider", HOOKS)
def test_deeply_nested_json_is_a_400(client, inboxes, provider):
    assert_refused_and_nothing_stored(post_signed(client, provider, ('{"entry": ' + DEEP + "}").encode()))


@pytest.mark.parametrize("provider", HOOKS)
def test_a_body_in_utf16_or_with_nan_is_a_400_not_a_silent_200(client, inboxes, provider):
    fixture = {"telegram": "telegram/update_text.json"}.get(provider, "meta/whatsapp_text.json")
    payload = fixture_json(fixture)
    assert_refused_and_nothing_stored(post_signed(client, provider, json.dumps(payload).encode("utf-16")))
    with_nan = json.dumps(payload)[:-1] + ', "score": NaN}'
    assert_refused_and_nothing_stored(post_signed(client, provider, with_nan.encode()))


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "1122334455667788"},
        "not a list",
        ["not an object"],
        [7],
    ],
)
def test_a_messenger_body_whose_entry_has_the_wrong_shape_is_a_400(client, inboxes, entry):
    payload = {"object": "page", "entry": entry}
    assert_refused_and_nothing_stored(post_signed(client, "messenger", json.dumps(payload).encode()))


@pytest.mark.parametrize(
    "changes", ["not a list", [7], [{"value": "x"}], [{"field": "messages", "value": {"messages": 7}}]]
)
def test_a_whatsapp_body_whose_changes_have_the_wrong_shape_is_a_400(client, inboxes, changes):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": changes}],
    }
    assert_refused_and_nothing_stored(post_signed(client, "whatsapp", json.dumps(payload).encode()))
