"""Provider webhooks through a real Daphne (channels_in/door.py) and a real Celery worker: the
answer comes once the receipt is stored, and the worker applies it; what a stranger posts is
refused as the view refuses it, leaving nothing behind."""

from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from channels_in.models import WebhookReceipt
from conversations.models import ChannelType, Message
from simulator.fake_provider.webhooks import (
    meta_signature,
    twilio_inbound_sms,
    twilio_signature,
    whatsapp_text,
)
from tests.factories.conversations import InboxFactory
from tests.waiting import wait_until

from .harness import CeleryWorker

AUTH_TOKEN = "door-test-auth-token"
APP_SECRET = "door-test-app-secret"
PHONE_NUMBER_ID = "106540352242922"


@pytest.fixture
def sms_inbox(transactional_db):
    return InboxFactory(
        channel_type=ChannelType.SMS,
        public_key="door-sms",
        config={"account_sid": "AC" + "a" * 32, "auth_token": AUTH_TOKEN, "phone_number": "+15005550006"},
    )


@pytest.fixture
def whatsapp_inbox(transactional_db):
    return InboxFactory(
        channel_type=ChannelType.WHATSAPP,
        public_key="door-wa",
        config={
            "phone_number_id": PHONE_NUMBER_ID,
            "access_token": "door-token",
            "app_secret": APP_SECRET,
            "verify_token": "door-verify",
        },
    )


@pytest.fixture
def worker(daphne, tmp_path: Path):
    running = CeleryWorker(daphne, log_path=tmp_path / "worker.log")
    yield running
    running.stop()


def sms(daphne, sid: str, text: str, *, token: str = AUTH_TOKEN) -> httpx.Response:
    url = f"{daphne.http}/hooks/twilio/door-sms/"
    form = twilio_inbound_sms("+15005550006", "+15551230001", text, message_sid=sid)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(token, url, form),
    }
    return httpx.post(url, content=urlencode(form).encode(), headers=headers, timeout=10)


def test_a_signed_sms_is_answered_once_stored_and_applied_once_by_the_worker(daphne, sms_inbox, worker):
    first = sms(daphne, "SM" + "1" * 32, "Is my parcel on its way?")
    replay = sms(daphne, "SM" + "1" * 32, "Is my parcel on its way?")
    second = sms(daphne, "SM" + "2" * 32, "It was due yesterday.")

    assert [first.status_code, replay.status_code, second.status_code] == [200, 200, 200]
    wait_until(lambda: Message.objects.filter(inbox=sms_inbox).count() == 2)
    worker.wait_idle()
    assert list(Message.objects.filter(inbox=sms_inbox).order_by("seq").values_list("body", flat=True)) == [
        "Is my parcel on its way?",
        "It was due yesterday.",
    ]
    assert set(WebhookReceipt.objects.values_list("state", flat=True)) == {WebhookReceipt.State.APPLIED}


def test_a_whatsapp_message_reaches_its_conversation_through_the_door(daphne, whatsapp_inbox, worker):
    body = whatsapp_text(PHONE_NUMBER_ID, "447700900123", "Ana", "Olá!", wamid="wamid.door1")
    answer = httpx.post(
        f"{daphne.http}/hooks/whatsapp/door-wa/",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
        timeout=10,
    )

    assert answer.status_code == 200
    wait_until(lambda: Message.objects.filter(inbox=whatsapp_inbox, body="Olá!").exists())


def test_what_a_stranger_posts_is_refused_and_leaves_nothing(daphne, sms_inbox, whatsapp_inbox):
    forged = sms(daphne, "SM" + "3" * 32, "Send me the refund", token="not-the-token")
    unknown = httpx.post(f"{daphne.http}/hooks/twilio/no-such-inbox/", content=b"x=1", timeout=10)
    too_big = httpx.post(
        f"{daphne.http}/hooks/whatsapp/door-wa/",
        content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    not_json = b"this is not json"
    malformed = httpx.post(
        f"{daphne.http}/hooks/whatsapp/door-wa/",
        content=not_json,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(APP_SECRET, not_json),
        },
        timeout=10,
    )

    assert (forged.status_code, forged.text) == (403, "Signature verification failed.")
    assert unknown.status_code == 404 and "check the URL" in unknown.text
    assert (too_big.status_code, too_big.text) == (413, "Webhook body too large.")
    assert malformed.status_code == 400 and malformed.text.startswith("Could not read this webhook")
    assert not WebhookReceipt.objects.exists()


def test_the_handshake_and_every_other_request_still_go_through_django(daphne, whatsapp_inbox):
    challenge = httpx.get(
        f"{daphne.http}/hooks/whatsapp/door-wa/",
        params={"hub.mode": "subscribe", "hub.verify_token": "door-verify", "hub.challenge": "1158201444"},
        timeout=10,
    )
    health = httpx.get(f"{daphne.http}/healthz", timeout=10)

    assert (challenge.status_code, challenge.text) == (200, "1158201444")
    assert health.status_code == 200
