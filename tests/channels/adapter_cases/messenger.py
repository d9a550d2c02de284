"""Messenger and Instagram, both through the Messenger Platform: JSON signed like WhatsApp's;
Messenger reports delivery by message id and reading by watermark, Instagram reports reading
by message id; Meta cannot be asked about a lost answer; offered replies as quick replies, a tap
as a text message carrying the quick reply's payload."""

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from channels_in.adapters.meta_messenger import InstagramAdapter, MessengerAdapter
from conversations.models import ChannelType, Inbox, Message
from simulator.fake_provider import taps
from tests.channels.conftest import INSTAGRAM_ACCOUNT_ID, META, PAGE_ID, meta_vector
from tests.fixtures import fixture_bytes

from .entry import (
    AdapterCase,
    Buttons,
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
    fault,
    on_fake,
    sent_as,
    signed,
    wrong_secret,
)
from .whatsapp import meta_fixture, shown_title

MESSENGER_HOOK = "/hooks/messenger/fb-main/"
INSTAGRAM_HOOK = "/hooks/instagram/ig-main/"

PSID = "6789012345678901"
IGSID = "5566778899001122"


def messaging(object_type: str, account: str, customer: str, **event: Any) -> bytes:
    """One Messenger Platform event in its envelope, compact as Meta sends it."""
    at = int(timezone.now().timestamp() * 1000)
    entry = {"sender": {"id": customer}, "recipient": {"id": account}, "timestamp": at, **event}
    payload = {"object": object_type, "entry": [{"id": account, "time": at, "messaging": [entry]}]}
    return json.dumps(payload, separators=(",", ":")).encode()


def messenger_report(inbox: Inbox, message: Message, status: str) -> SignedPost:
    """Delivery names the messages; a read report carries only a watermark (all sent before it)."""
    watermark = int((timezone.now() + timedelta(minutes=1)).timestamp() * 1000)
    report = (
        {"delivery": {"mids": [message.provider_message_id], "watermark": watermark}}
        if status == "delivered"
        else {"read": {"watermark": watermark}}
    )
    return signed(MESSENGER_HOOK, "messenger", messaging("page", PAGE_ID, PSID, **report), META["app_secret"])


def instagram_report(inbox: Inbox, message: Message, status: str) -> SignedPost:
    body = messaging("instagram", INSTAGRAM_ACCOUNT_ID, IGSID, read={"mid": message.provider_message_id})
    return signed(INSTAGRAM_HOOK, "instagram", body, META["app_secret"])


def page_forgeries(make: MakePost, file: str) -> dict[str, Forgery]:
    tampered = fixture_bytes(f"meta/{file}").replace(b'"text":"', b'"text":"!')
    return {
        "another body's signature": Forgery(
            lambda inbox: make(inbox).with_header(SIGNATURE, meta_vector("messenger_image.json"))
        ),
        "tampered body": Forgery(changed(make, body=tampered)),
        "another inbox's secret": wrong_secret("app_secret", make),
    }


def page_sending(inbox: str, customer: str, channel: str) -> Sending:
    return Sending(
        inbox=inbox,
        customer=customer,
        endpoint=on_fake("messenger"),
        provider_id=sent_as,
        refusals={
            "window closed at Meta": Refusal(
                fault("error:outside_window"), "2018278", ("reply window has closed",)
            ),
        },
        retries={"429": Retry(fault("429"))},
        lost_answer=LostAnswer(fault("timeout"), Settled.CANNOT_TELL, (f"{channel} offers no way to check",)),
    )


def messenger_tap(message: Message, send: dict[str, Any], action_id: str) -> SignedPost:
    body = taps.messenger_quick_reply(PAGE_ID, PSID, shown_title(send, action_id), action_id)
    return signed(MESSENGER_HOOK, "messenger", body, META["app_secret"])


def instagram_tap(message: Message, send: dict[str, Any], action_id: str) -> SignedPost:
    body = taps.instagram_quick_reply(INSTAGRAM_ACCOUNT_ID, IGSID, shown_title(send, action_id), action_id)
    return signed(INSTAGRAM_HOOK, "instagram", body, META["app_secret"])


def quick_replies(tap: Any) -> Buttons:
    return Buttons(limit=13, title_length=20, drawn=lambda send: send.get("buttons", []), tap=tap)


MESSENGER_TEXT = meta_fixture("messenger_text.json", MESSENGER_HOOK)
INSTAGRAM_TEXT = meta_fixture("instagram_text.json", INSTAGRAM_HOOK)
SIGNATURE = "X-Hub-Signature-256"
WRONG_SIGNATURE = "sha256=" + "0" * 64

MESSENGER = AdapterCase(
    name="messenger",
    adapter=MessengerAdapter,
    channel_type=ChannelType.MESSENGER,
    inbound=Inbound(
        inbox="messenger_inbox",
        samples={
            "messenger_text.json": Sample(MESSENGER_TEXT, "hello, is anyone there?"),
            "messenger_image.json": Sample(meta_fixture("messenger_image.json", MESSENGER_HOOK), ""),
            "messenger_quick_reply.json": Sample(
                meta_fixture("messenger_quick_reply.json", MESSENGER_HOOK),
                "Yes, that solved it",
            ),
        },
        replayed="messenger_text.json",
        forgeries=page_forgeries(MESSENGER_TEXT, "messenger_text.json"),
        signature_header=SIGNATURE,
        wrong_signature=WRONG_SIGNATURE,
    ),
    statuses=StatusReports(
        inbox="messenger_inbox",
        customer=PSID,
        provider_message_id="m_CI7Jz4Ws9vwyPGjZhAAMl0oLGO_SRrb7lfEM60RpMClUflhkrszsOxM0oc8CE0hrnynsNR_7eiZKdw9K5tDP2R",
        statuses=frozenset({"delivered", "read"}),
        report=messenger_report,
    ),
    sending=page_sending("messenger_inbox", PSID, "Facebook Messenger"),
    buttons=quick_replies(messenger_tap),
)

INSTAGRAM = AdapterCase(
    name="instagram",
    adapter=InstagramAdapter,
    channel_type=ChannelType.INSTAGRAM,
    inbound=Inbound(
        inbox="instagram_inbox",
        samples={
            "instagram_text.json": Sample(INSTAGRAM_TEXT, "Do you ship to Canada?"),
            "instagram_quick_reply.json": Sample(
                meta_fixture("instagram_quick_reply.json", INSTAGRAM_HOOK),
                "No, talk to a person",
            ),
        },
        replayed="instagram_text.json",
        forgeries=page_forgeries(INSTAGRAM_TEXT, "instagram_text.json"),
        signature_header=SIGNATURE,
        wrong_signature=WRONG_SIGNATURE,
    ),
    statuses=StatusReports(
        inbox="instagram_inbox",
        customer=IGSID,
        provider_message_id="ig_mid_1",
        statuses=frozenset({"read"}),  # Instagram reports reading ("seen"), not delivery
        report=instagram_report,
    ),
    sending=page_sending("instagram_inbox", IGSID, "Instagram"),
    buttons=quick_replies(instagram_tap),
)
