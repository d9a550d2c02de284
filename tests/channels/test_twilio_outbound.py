"""Replies out through Twilio's Messages API, against a local fake speaking its wire format:
accepted once, retried only when Twilio says so, and a lost answer settled by asking Twilio."""

from urllib.parse import urlencode

import pytest

from channels_in.adapters.fake.webhooks import twilio_inbound_sms, twilio_signature
from channels_in.models import WebhookReceipt
from channels_in.tasks import download_media
from conversations.models import DeliveryAttempt, Message, OutboundDelivery
from conversations.tasks import deliver_message
from tests.channels.conftest import reply_to

Status = Message.DeliveryStatus
Outcome = DeliveryAttempt.Outcome
CUSTOMER = "+14155550199"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_reply_is_sent_once_with_its_status_callback(sms_on_fake, fake_provider, public_url):
    reply = reply_to(sms_on_fake, CUSTOMER, phone=CUSTOMER)
    deliver_message(reply.pk)
    deliver_message(reply.pk)  # a redelivered task sends nothing more

    [sent] = fake_provider.sends("twilio")
    form = sent["raw"]["form"]  # every field as a list of its values
    assert (sent["to"], sent["body"]) == ("+14155550199", "Your order ships today.")
    assert form["From"] == ["+14155550100"]
    assert form["StatusCallback"] == [f"{public_url}/hooks/twilio/sms-fake/"]
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (Status.SENT, sent["id"])


def test_a_messaging_service_sends_instead_of_a_number(sms_on_fake, fake_provider):
    sms_on_fake.config = {**sms_on_fake.config, "messaging_service_sid": "MG" + "b" * 32}
    sms_on_fake.save()
    deliver_message(reply_to(sms_on_fake, CUSTOMER, phone=CUSTOMER).pk)
    [sent] = fake_provider.sends("twilio")
    form = sent["raw"]["form"]
    assert form["MessagingServiceSid"] == ["MG" + "b" * 32] and "From" not in form


@pytest.mark.parametrize(("fault", "code"), [("500", "20500"), ("503", "503"), ("429", "20429")])
def test_a_transient_refusal_is_retried_and_sent_once(sms_on_fake, fake_provider, no_requeue, fault, code):
    fake_provider.behave(script=[{"match": "twilio", "respond": fault, "times": 1}])
    reply = reply_to(sms_on_fake, CUSTOMER, phone=CUSTOMER)

    deliver_message(reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == Status.PENDING and len(no_requeue) == 1
    deliver_message(reply.pk)

    reply.refresh_from_db()
    assert reply.delivery_status == Status.SENT
    assert len(fake_provider.sends("twilio")) == 1
    outcomes = list(reply.outbound.attempt_log.values_list("outcome", "error_code"))
    assert outcomes[0][0] == Outcome.RETRY and outcomes[1] == (Outcome.ACCEPTED, "")


def test_an_invalid_number_fails_at_once_in_words(sms_on_fake, fake_provider, no_requeue):
    reply = reply_to(sms_on_fake, "0412 345")
    deliver_message(reply.pk)

    reply.refresh_from_db()
    assert reply.delivery_status == Status.FAILED
    assert reply.provider_error_code == "21211"
    assert "not a valid phone number" in reply.provider_error
    assert reply.outbound.state == OutboundDelivery.State.DEAD and no_requeue == []


def test_a_timeout_is_settled_by_asking_twilio_and_never_sent_twice(sms_on_fake, fake_provider, no_requeue):
    fake_provider.behave(script=[{"match": "twilio", "respond": "timeout", "times": 1}])
    reply = reply_to(sms_on_fake, CUSTOMER, phone=CUSTOMER)

    deliver_message(reply.pk)  # Twilio accepted it, but the answer never came
    reply.refresh_from_db()
    assert reply.delivery_status == Status.PENDING
    assert reply.outbound.attempt_log.get().outcome == Outcome.UNKNOWN

    deliver_message(reply.pk)  # the retry asks Twilio first, and finds it
    reply.refresh_from_db()
    [sent] = fake_provider.sends("twilio")
    assert (reply.delivery_status, reply.provider_message_id) == (Status.SENT, sent["id"])
    assert list(reply.outbound.attempt_log.values_list("outcome", flat=True)) == [Outcome.FOUND]


def test_an_mms_photo_is_downloaded_and_stored_by_its_content(client, sms_on_fake, fake_provider, public_url):
    media = fake_provider.add_media("box", PNG, "image/png")
    params = twilio_inbound_sms(to="+14155550100", from_="+14155550199", body="Box", media=[media])
    url = f"{public_url}/hooks/twilio/sms-fake/"
    response = client.post(
        "/hooks/twilio/sms-fake/",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(sms_on_fake.config["auth_token"], url, params),
    )
    assert response.status_code == 200
    attachment = Message.objects.get(body="Box").attachments.get()

    download_media(attachment.pk)
    download_media(attachment.pk)  # a second run leaves the stored file alone

    attachment.refresh_from_db()
    assert attachment.mime_type == "image/png" and attachment.byte_size == len(PNG)
    assert attachment.file.read() == PNG
    assert WebhookReceipt.objects.get().processed_at is not None
