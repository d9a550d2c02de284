"""Meta webhooks (WhatsApp Cloud API, Messenger, Instagram) through the real URL: verified
exactly as Meta signs them (fixture vectors: X-Hub-Signature-256 over the bytes as stored),
confirmed by the GET handshake, stored once, applied once."""

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from channels_in.models import WebhookReceipt
from conversations import events, services
from conversations.models import Message
from tests.channels.conftest import META, WHATSAPP_PHONE_NUMBER_ID, meta_vector
from tests.channels.replays import assert_stored_once, replay_concurrently
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
FAILED_WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJBQjZERkYzNkM0MTlBNTM2MzIA"
DELIVERED_MID = "m_CI7Jz4Ws9vwyPGjZhAAMl0oLGO_SRrb7lfEM60RpMClUflhkrszsOxM0oc8CE0hrnynsNR_7eiZKdw9K5tDP2R"


def hook_path(file: str) -> str:
    slug, key = INBOX_OF[file.split("_")[0]]
    return f"/hooks/{slug}/{key}/"


def post_fixture(client, file: str, signature: str | None = None, body: bytes | None = None, path: str = ""):
    return client.post(
        path or hook_path(file),
        data=body if body is not None else fixture_bytes(f"meta/{file}"),
        content_type="application/json",
        headers={"X-Hub-Signature-256": meta_vector(file) if signature is None else signature},
    )


def post_signed(client, path: str, payload: dict):
    """A webhook the fixtures do not hold, signed as Meta signs: over the compact bytes sent."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hmac.new(META["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        path, data=body, content_type="application/json", headers={"X-Hub-Signature-256": f"sha256={digest}"}
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


INBOUND = [
    ("whatsapp_text.json", "Does it come in another color? 🎨"),
    ("whatsapp_image.json", "this one"),
    ("messenger_text.json", "hello, is anyone there?"),
    ("messenger_image.json", ""),
    ("instagram_text.json", "Do you ship to Canada?"),
]


@pytest.fixture
def meta_inboxes(whatsapp_inbox, messenger_inbox, instagram_inbox):
    return {"whatsapp": whatsapp_inbox, "messenger": messenger_inbox, "instagram": instagram_inbox}


@pytest.mark.parametrize(("file", "body"), INBOUND)
def test_every_signed_inbound_fixture_is_accepted_and_stored(client, meta_inboxes, file, body):
    inbox = meta_inboxes[file.split("_")[0]]

    response = post_fixture(client, file)

    assert response.status_code == 200
    message = Message.objects.get(inbox=inbox)
    assert (message.sender_kind, message.body) == (Message.SenderKind.CONTACT, body)
    assert WebhookReceipt.objects.get(inbox=inbox).processed_at is not None


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


FORGERIES = [
    {"signature": "sha256=" + "0" * 64},
    {"signature": ""},
    {"signature": meta_vector("whatsapp_text.json").removeprefix("sha256=")},
    {"body": fixture_bytes("meta/whatsapp_text.json").replace(b"another color", b"another colour")},
    {"body": json.dumps(json.loads(fixture_bytes("meta/whatsapp_text.json"))).encode()},
    {
        "body": json.dumps(
            json.loads(fixture_bytes("meta/whatsapp_text.json")), separators=(",", ":")
        ).encode()
    },
]
FORGERY_IDS = [
    "wrong signature",
    "no signature",
    "no sha256= prefix",
    "tampered body",
    "re-serialised",
    "re-serialised compact",
]


@pytest.mark.parametrize("forgery", FORGERIES, ids=FORGERY_IDS)
def test_a_forged_whatsapp_webhook_gets_403_and_stores_nothing(client, whatsapp_inbox, forgery):
    response = post_fixture(client, "whatsapp_text.json", **forgery)

    assert response.status_code == 403
    assert not WebhookReceipt.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize("file", ["messenger_text.json", "instagram_text.json"])
def test_a_forged_page_webhook_gets_403_and_stores_nothing(client, meta_inboxes, file):
    signed_by_other = meta_vector("messenger_image.json")
    tampered = fixture_bytes(f"meta/{file}").replace(b'"text":"', b'"text":"!')

    assert post_fixture(client, file, signature=signed_by_other).status_code == 403
    assert post_fixture(client, file, body=tampered).status_code == 403
    assert not WebhookReceipt.objects.exists() and not Message.objects.exists()


def test_another_apps_secret_does_not_verify(client, whatsapp_inbox):
    whatsapp_inbox.config = {**whatsapp_inbox.config, "app_secret": "f" * 32}
    whatsapp_inbox.save()
    assert post_fixture(client, "whatsapp_text.json").status_code == 403


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


@pytest.mark.parametrize("file", ["whatsapp_text.json", "messenger_text.json", "instagram_text.json"])
def test_three_sequential_replays_make_one_message_and_one_event(
    client, meta_inboxes, listen, file, django_capture_on_commit_callbacks
):
    inbox = meta_inboxes[file.split("_")[0]]
    listener = listen(events.inbox_group(inbox.pk))

    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_fixture(client, file).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert Message.objects.count() == 1
    assert WebhookReceipt.objects.count() == 1
    created = [e for e in listener.receive_all() if e["type"] == events.MESSAGE_CREATED]
    assert len(created) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_concurrent_replays_make_one_message_and_one_event(whatsapp_inbox, listen):
    listener = listen(events.inbox_group(whatsapp_inbox.pk))
    answers = replay_concurrently(lambda c: post_fixture(c, "whatsapp_text.json"))
    assert_stored_once(whatsapp_inbox, answers, listener)


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


def test_whatsapp_statuses_out_of_order_and_repeated_only_move_forward(client, sent_reply):
    hook = "/hooks/whatsapp/wa-main/"
    assert post_signed(client, hook, whatsapp_status(DELIVERED_WAMID, "read")).status_code == 200
    assert post_fixture(client, "whatsapp_status_delivered.json").status_code == 200
    assert post_signed(client, hook, whatsapp_status(DELIVERED_WAMID, "sent")).status_code == 200
    assert post_fixture(client, "whatsapp_status_delivered.json").status_code == 200

    sent_reply.refresh_from_db()
    assert sent_reply.delivery_status == Message.DeliveryStatus.READ


def test_a_failed_status_131047_shows_the_reason_in_words(client, whatsapp_inbox):
    reply = reply_in(whatsapp_inbox, WA_ID, FAILED_WAMID)

    assert post_fixture(client, "whatsapp_status_failed_131047.json").status_code == 200

    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert reply.provider_error_code == "131047"
    assert "More than 24 hours have passed since the customer last wrote" in reply.provider_error


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
