"""WhatsApp Cloud API: compact JSON signed with X-Hub-Signature-256 over the exact bytes; status
webhooks for sent, delivered, read and failed; Graph cannot be asked about a lost answer; up to
three offered replies as reply buttons, a tap as an "interactive" button_reply."""

import json
from typing import Any

from channels_in.adapters.meta_whatsapp import WhatsAppAdapter
from conversations.models import ChannelType, Inbox, Message
from simulator.fake_provider import taps, webhooks
from tests.channels.conftest import META, WHATSAPP_PHONE_NUMBER_ID, meta_vector
from tests.fixtures import fixture_bytes

from .entry import (
    AdapterCase,
    Buttons,
    Failure,
    Forgery,
    Inbound,
    LostAnswer,
    MakePost,
    Refusal,
    Retry,
    Sample,
    Sending,
    Settled,
    SignedPost,
    StatusReports,
    changed,
    configured,
    fault,
    on_fake,
    sent_as,
    signed,
    wrong_secret,
)

WHATSAPP_HOOK = "/hooks/whatsapp/wa-main/"

WA_ID = "16505551234"


def meta_fixture(file: str, path: str) -> MakePost:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_vector(file)}
    return lambda inbox: SignedPost(path, fixture_bytes(f"meta/{file}"), headers)


def shown_title(send: dict[str, Any], action_id: str) -> str:
    """The title the button showed (what the provider sends back with a tap)."""
    return next(button["title"] for button in send["buttons"] if button["id"] == action_id)


def whatsapp_tap(message: Message, send: dict[str, Any], action_id: str) -> SignedPost:
    body = taps.whatsapp_button_reply(
        WHATSAPP_PHONE_NUMBER_ID, WA_ID, "Sheena Nelson", action_id, shown_title(send, action_id), send["id"]
    )
    return signed(WHATSAPP_HOOK, "whatsapp", body, META["app_secret"])


WHATSAPP_TEXT = meta_fixture("whatsapp_text.json", WHATSAPP_HOOK)
WHATSAPP_TEXT_BYTES = fixture_bytes("meta/whatsapp_text.json")


def whatsapp_report(inbox: Inbox, message: Message, status: str) -> SignedPost:
    code = 131047 if status == "failed" else None
    body = webhooks.whatsapp_status(
        WHATSAPP_PHONE_NUMBER_ID, message.provider_message_id, status, WA_ID, 1795103520, code
    )
    return signed(WHATSAPP_HOOK, "whatsapp", body, META["app_secret"])


WHATSAPP = AdapterCase(
    name="whatsapp",
    adapter=WhatsAppAdapter,
    channel_type=ChannelType.WHATSAPP,
    inbound=Inbound(
        inbox="whatsapp_inbox",
        samples={
            "whatsapp_text.json": Sample(WHATSAPP_TEXT, "Does it come in another color? 🎨"),
            "whatsapp_image.json": Sample(meta_fixture("whatsapp_image.json", WHATSAPP_HOOK), "this one"),
            "whatsapp_button_reply.json": Sample(
                meta_fixture("whatsapp_button_reply.json", WHATSAPP_HOOK),
                "No, talk to a person",
            ),
            "whatsapp_template_button.json": Sample(
                meta_fixture("whatsapp_template_button.json", WHATSAPP_HOOK), "Track my order"
            ),
        },
        replayed="whatsapp_text.json",
        signature_header="X-Hub-Signature-256",
        wrong_signature="sha256=" + "0" * 64,
        forgeries={
            "empty signature": Forgery(
                lambda inbox: WHATSAPP_TEXT(inbox).with_header("X-Hub-Signature-256", "")
            ),
            "no sha256= prefix": Forgery(
                lambda inbox: WHATSAPP_TEXT(inbox).with_header(
                    "X-Hub-Signature-256", meta_vector("whatsapp_text.json").removeprefix("sha256=")
                )
            ),
            "tampered body": Forgery(
                changed(WHATSAPP_TEXT, body=WHATSAPP_TEXT_BYTES.replace(b"another color", b"another colour"))
            ),
            "re-serialised": Forgery(
                changed(WHATSAPP_TEXT, body=json.dumps(json.loads(WHATSAPP_TEXT_BYTES)).encode())
            ),
            "re-serialised compact": Forgery(
                changed(
                    WHATSAPP_TEXT,
                    body=json.dumps(json.loads(WHATSAPP_TEXT_BYTES), separators=(",", ":")).encode(),
                )
            ),
            "another inbox's secret": wrong_secret("app_secret", WHATSAPP_TEXT),
        },
    ),
    statuses=StatusReports(
        inbox="whatsapp_inbox",
        customer=WA_ID,
        provider_message_id="wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4QzYxNTRCRjI0NUEzRTg3MDQA",
        statuses=frozenset({"sent", "delivered", "read", "failed"}),
        report=whatsapp_report,
        failure=Failure("131047", ("More than 24 hours have passed since the customer last wrote",)),
    ),
    sending=Sending(
        inbox="whatsapp_inbox",
        customer=WA_ID,
        endpoint=on_fake("whatsapp"),
        provider_id=sent_as,
        refusals={
            "131047 outside the window": Refusal(
                fault("error:131047"), "131047", ("only an approved template can be sent",)
            ),
            "revoked token": Refusal(configured(access_token="expired"), "190", ("access token",)),
            "131009 a value refused, with Graph's details": Refusal(
                fault("error:131009"), "131009", ("refused a value", "Button title length invalid")
            ),
        },
        retries={
            "429": Retry(fault("429"), words="rate limit"),
            "500": Retry(fault("500"), words="unknown error"),
        },
        lost_answer=LostAnswer(
            fault("timeout"), Settled.CANNOT_TELL, ("no way to check whether the message arrived",)
        ),
    ),
    buttons=Buttons(limit=3, title_length=20, drawn=lambda send: send.get("buttons", []), tap=whatsapp_tap),
)
