"""Meta webhooks (WhatsApp Cloud API, Messenger, Instagram) through the real URL, signed as Meta
signs them (fixture vectors: X-Hub-Signature-256 over the bytes as stored): the GET handshake, and
what each of the three sends beyond a plain message. Signatures, replays and the order of status
reports are the adapter contract's (test_adapter_contract.py)."""

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from channels_in.models import WebhookReceipt
from conversations import services
from conversations.models import Message
from tests.channels.conftest import META, WHATSAPP_PHONE_NUMBER_ID, meta_vector
from tests.channels.worker import applied
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.fixtures import fixture_bytes

WA_ID = "16505551234"
PSID = "6789012345678901"
IGSID = "5566778899001122"
INBOX_OF = {
    "whatsapp": ("whatsapp", "wa-main"),
    "messenger": ("messenger", "fb-main"),
    "instagram": ("instagram", "ig-main"),
}
DELIVERED_WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4QzYxNTRCRjI0NUEzRTg3MDQA"
DELIVERED_MID = "m_CI7Jz4Ws9vwyPGjZhAAMl0oLGO_SRrb7lfEM60RpMClUflhkrszsOxM0oc8CE0hrnynsNR_7eiZKdw9K5tDP2R"


def hook_path(file: str) -> str:
    slug, key = INBOX_OF[file.split("_")[0]]
    return f"/hooks/{slug}/{key}/"


def post_fixture(client, file: str, path: str = ""):
    return applied(
        client.post(
            path or hook_path(file),
            data=fixture_bytes(f"meta/{file}"),
            content_type="application/json",
            headers={"X-Hub-Signature-256": meta_vector(file)},
        )
    )


def post_signed(client, path: str, payload: dict):
    """A webhook the fixtures do not hold, signed as Meta signs: over the compact bytes sent."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hmac.new(META["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return applied(
        client.post(
            path,
            data=body,
            content_type="application/json",
            headers={"X-Hub-Signature-256": f"sha256={digest}"},
        )
    )


def whatsapp_value(**value) -> dict:
    metadata = {"display_phone_number": "15550783881", "phone_number_id": WHATSAPP_PHONE_NUMBER_ID}
    change = {"value": {"messaging_product": "whatsapp", "metadata": metadata, **value}, "field": "messages"}
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [change]}]}


def whatsapp_message(wamid: str, kind: str, content, **extra) -> dict:
    message = {"from": WA_ID, "id": wamid, "timestamp": "1795103600", "type": kind, kind: content, **extra}
    contacts = [{"profile": {"name": "Sheena Nelson"}, "wa_id": WA_ID}]
    return whatsapp_value(contacts=contacts, messages=[message])


def whatsapp_status(wamid: str, status: str, **extra) -> dict:
    entry = {"id": wamid, "status": status, "timestamp": "1795103530", "recipient_id": WA_ID, **extra}
    return whatsapp_value(statuses=[entry])


@pytest.fixture
def meta_inboxes(whatsapp_inbox, messenger_inbox, instagram_inbox):
    return {"whatsapp": whatsapp_inbox, "messenger": messenger_inbox, "instagram": instagram_inbox}


def test_a_whatsapp_text_comes_from_a_contact_known_by_wa_id_with_name_and_phone(client, whatsapp_inbox):
    post_fixture(client, "whatsapp_text.json")

    message = Message.objects.select_related("conversation__contact").get()
    assert message.provider_message_id == "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUZBMDdDOUY1RDg4QzM0RkI0MwA="
    contact = message.conversation.contact
    assert (contact.name, contact.phone) == ("Sheena Nelson", "+16505551234")
    assert contact.identities.get().source_id == WA_ID


def test_a_whatsapp_image_keeps_its_media_id_for_download(client, whatsapp_inbox):
    post_fixture(client, "whatsapp_image.json")

    attachment = Message.objects.get().attachments.get()
    assert (attachment.remote_url, attachment.mime_type) == ("1003383421387256", "image/jpeg")
    assert not attachment.file


def test_a_messenger_image_keeps_its_cdn_url_for_download(client, messenger_inbox):
    post_fixture(client, "messenger_image.json")

    attachment = Message.objects.get().attachments.get()
    assert attachment.remote_url == "https://scontent.example-cdn.net/v/t1.15752-9/photo.jpg"
    assert attachment.mime_type == "image/jpeg"
    assert Message.objects.get().conversation.contact.identities.get().source_id == PSID


def test_a_webhook_for_another_channel_slug_is_404(client, meta_inboxes):
    response = post_fixture(client, "whatsapp_text.json", path="/hooks/messenger/wa-main/")
    assert response.status_code == 404


@pytest.mark.parametrize("slug", ["whatsapp", "messenger", "instagram"])
def test_the_get_handshake_answers_the_challenge_only_to_our_verify_token(client, meta_inboxes, slug):
    path = "/hooks/{}/{}/".format(*INBOX_OF[slug])
    ours = {"hub.mode": "subscribe", "hub.verify_token": META["verify_token"], "hub.challenge": "1158201444"}

    right = client.get(path, ours)
    wrong = client.get(path, {**ours, "hub.verify_token": "guess"})
    no_mode = client.get(path, {**ours, "hub.mode": "unsubscribe"})

    assert (right.status_code, right.content) == (200, b"1158201444")
    assert (wrong.status_code, no_mode.status_code) == (403, 403)


def test_the_echo_of_the_pages_own_send_is_ignored(client, messenger_inbox):
    response = post_fixture(client, "messenger_echo.json")

    assert response.status_code == 200
    assert not WebhookReceipt.objects.exists()
    assert not Message.objects.exists()


def test_a_webhook_for_another_page_or_number_of_the_app_is_left_out(client, meta_inboxes):
    meta_inboxes["messenger"].config = {**meta_inboxes["messenger"].config, "page_id": "999"}
    meta_inboxes["messenger"].save()
    meta_inboxes["whatsapp"].config = {**meta_inboxes["whatsapp"].config, "phone_number_id": "999"}
    meta_inboxes["whatsapp"].save()

    assert post_fixture(client, "messenger_text.json").status_code == 200
    assert post_fixture(client, "whatsapp_text.json").status_code == 200
    assert not Message.objects.exists()


def test_instagram_and_messenger_bodies_are_not_confused(client, meta_inboxes):
    """The same app secret signs both: an Instagram body posted to the Messenger inbox is left out."""
    assert post_fixture(client, "instagram_text.json", path="/hooks/messenger/fb-main/").status_code == 200
    assert not Message.objects.exists()


# --- what customers send beyond text ---


def test_a_reaction_reads_as_a_short_sentence_quoting_the_message(client, whatsapp_inbox, sent_reply):
    payload = whatsapp_message("wamid.reaction1", "reaction", {"message_id": DELIVERED_WAMID, "emoji": "👍"})

    assert post_signed(client, "/hooks/whatsapp/wa-main/", payload).status_code == 200

    reaction = Message.objects.get(provider_message_id="wamid.reaction1")
    assert reaction.body == "Reacted 👍 to “It ships today.”"


def test_a_location_reads_with_its_place_and_a_map_link(client, whatsapp_inbox):
    location = {"latitude": 38.7223, "longitude": -9.1393, "name": "Shop", "address": "Rua Augusta 1"}
    post_signed(client, "/hooks/whatsapp/wa-main/", whatsapp_message("wamid.loc1", "location", location))

    body = Message.objects.get().body
    assert "Shop, Rua Augusta 1" in body
    assert "https://maps.google.com/?q=38.7223,-9.1393" in body


def test_a_contact_card_is_shown_as_unsupported_in_words(client, whatsapp_inbox):
    cards = [{"name": {"formatted_name": "Rui Costa"}, "phones": [{"phone": "+351 912 345 678"}]}]
    post_signed(client, "/hooks/whatsapp/wa-main/", whatsapp_message("wamid.card1", "contacts", cards))

    stored = Message.objects.get()
    assert stored.content_type == Message.ContentType.SYSTEM
    assert stored.body.startswith("The customer sent a contact card (Rui Costa +351 912 345 678)")
    assert "cannot show yet" in stored.body


def test_an_unknown_kind_of_message_is_stored_as_unsupported_in_words(client, whatsapp_inbox):
    post_signed(client, "/hooks/whatsapp/wa-main/", whatsapp_message("wamid.x1", "unsupported", {}))

    stored = Message.objects.get()
    assert stored.content_type == Message.ContentType.SYSTEM
    assert "cannot show yet" in stored.body


# --- delivery reports ---


def reply_in(inbox, source_id: str, provider_message_id: str | None) -> Message:
    conversation = services.message_receive(
        inbox=inbox, contact=services.contact_identify(inbox=inbox, source_id=source_id), body="when?"
    ).conversation
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="It ships today.")
    Message.objects.filter(pk=reply.pk).update(
        provider_message_id=provider_message_id, delivery_status=Message.DeliveryStatus.SENT
    )
    reply.refresh_from_db()
    return reply


@pytest.fixture
def sent_reply(whatsapp_inbox):
    """A reply WhatsApp accepted as the delivered fixture's wamid."""
    return reply_in(whatsapp_inbox, WA_ID, DELIVERED_WAMID)


def test_a_status_that_beats_the_sends_answer_finds_its_message_by_our_callback_data(client, whatsapp_inbox):
    reply = reply_in(whatsapp_inbox, WA_ID, None)
    status = whatsapp_status("wamid.early1", "delivered", biz_opaque_callback_data=f"parley:{reply.pk}")

    assert post_signed(client, "/hooks/whatsapp/wa-main/", status).status_code == 200

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (
        Message.DeliveryStatus.DELIVERED,
        "wamid.early1",
    )


def test_a_messenger_delivery_report_marks_each_named_message_delivered(client, messenger_inbox):
    reply = reply_in(messenger_inbox, PSID, DELIVERED_MID)

    assert post_fixture(client, "messenger_delivery.json").status_code == 200

    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.DELIVERED


def test_a_messenger_read_watermark_marks_what_was_sent_before_it_read(client, messenger_inbox):
    watermark = datetime.fromtimestamp(1795103559, tz=timezone.get_current_timezone())
    before = reply_in(messenger_inbox, PSID, "m_before")
    after = reply_in(messenger_inbox, PSID, "m_after")
    Message.objects.filter(pk=before.pk).update(created_at=watermark - timedelta(minutes=5))
    Message.objects.filter(pk=after.pk).update(created_at=watermark + timedelta(minutes=5))

    for _ in range(2):  # a replay changes nothing more
        assert post_fixture(client, "messenger_read.json").status_code == 200

    before.refresh_from_db()
    after.refresh_from_db()
    assert before.delivery_status == Message.DeliveryStatus.READ
    assert after.delivery_status == Message.DeliveryStatus.SENT


def messaging(object_type: str, account: str, customer: str, **event) -> dict:
    entry = {"sender": {"id": customer}, "recipient": {"id": account}, "timestamp": 1795103700000, **event}
    return {"object": object_type, "entry": [{"id": account, "time": 1795103700123, "messaging": [entry]}]}


def test_a_messenger_reaction_quotes_the_reacted_message_and_replays_as_one(client, messenger_inbox):
    reply_in(messenger_inbox, PSID, "m_ours")
    reaction = {"mid": "m_ours", "action": "react", "reaction": "love", "emoji": "❤️"}
    payload = messaging("page", "1122334455667788", PSID, reaction=reaction)

    for _ in range(2):
        assert post_signed(client, "/hooks/messenger/fb-main/", payload).status_code == 200

    (stored,) = Message.objects.filter(body__startswith="Reacted")
    assert stored.body == "Reacted ❤️ to “It ships today.”"


def test_a_postback_reads_as_the_button_the_customer_pressed(client, messenger_inbox):
    postback = {"title": "Track my order", "payload": "TRACK", "mid": "m_postback1"}
    post_signed(
        client, "/hooks/messenger/fb-main/", messaging("page", "1122334455667788", PSID, postback=postback)
    )

    assert Message.objects.get(provider_message_id="m_postback1").body == "Track my order"


def test_an_instagram_read_report_names_its_message(client, instagram_inbox):
    reply = reply_in(instagram_inbox, IGSID, "ig_mid_1")
    payload = messaging("instagram", "17841400000000000", IGSID, read={"mid": "ig_mid_1"})

    assert post_signed(client, "/hooks/instagram/ig-main/", payload).status_code == 200

    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.READ


def test_an_unsupported_messenger_attachment_is_stored_in_words(client, messenger_inbox):
    message = {
        "mid": "m_odd1",
        "attachments": [{"type": "template", "payload": {"template_type": "generic"}}],
    }
    post_signed(
        client, "/hooks/messenger/fb-main/", messaging("page", "1122334455667788", PSID, message=message)
    )

    stored = Message.objects.get()
    assert stored.content_type == Message.ContentType.SYSTEM
    assert stored.body.startswith("The customer sent a template attachment, which Parley cannot show yet")
