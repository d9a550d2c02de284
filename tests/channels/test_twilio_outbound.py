"""Replies out through Twilio's Messages API, against a local fake speaking its wire format: what
the form carries, and media in. Accepted once, retried only when Twilio says so, refused in words,
and a lost answer settled by asking Twilio: the adapter contract's (test_adapter_contract.py)."""

from urllib.parse import urlencode

from channels_in.models import WebhookReceipt
from channels_in.tasks import download_media
from conversations.models import Message
from conversations.tasks import deliver_message
from simulator.fake_provider.webhooks import twilio_inbound_sms, twilio_signature
from tests.channels.conftest import reply_to
from tests.channels.worker import applied

CUSTOMER = "+14155550199"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_reply_goes_from_the_inboxs_number_with_its_status_callback(sms_on_fake, fake_provider, public_url):
    reply = reply_to(sms_on_fake, CUSTOMER, phone=CUSTOMER)
    deliver_message(reply.pk)

    [sent] = fake_provider.sends("twilio")
    form = sent["raw"]["form"]  # every field as a list of its values
    assert (sent["to"], sent["body"]) == ("+14155550199", "Your order ships today.")
    assert form["From"] == ["+14155550100"]
    assert form["StatusCallback"] == [f"{public_url}/hooks/twilio/sms-fake/"]


def test_a_messaging_service_sends_instead_of_a_number(sms_on_fake, fake_provider):
    sms_on_fake.config = {**sms_on_fake.config, "messaging_service_sid": "MG" + "b" * 32}
    sms_on_fake.save()
    deliver_message(reply_to(sms_on_fake, CUSTOMER, phone=CUSTOMER).pk)
    [sent] = fake_provider.sends("twilio")
    form = sent["raw"]["form"]
    assert form["MessagingServiceSid"] == ["MG" + "b" * 32] and "From" not in form


def test_an_mms_photo_is_downloaded_and_stored_by_its_content(client, sms_on_fake, fake_provider, public_url):
    media = fake_provider.add_media("box", PNG, "image/png")
    params = twilio_inbound_sms(to="+14155550100", from_="+14155550199", body="Box", media=[media])
    url = f"{public_url}/hooks/twilio/sms-fake/"
    response = applied(
        client.post(
            "/hooks/twilio/sms-fake/",
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=twilio_signature(sms_on_fake.config["auth_token"], url, params),
        )
    )
    assert response.status_code == 200
    attachment = Message.objects.get(body="Box").attachments.get()

    download_media(attachment.pk)
    download_media(attachment.pk)  # a second run leaves the stored file alone

    attachment.refresh_from_db()
    assert attachment.mime_type == "image/png" and attachment.byte_size == len(PNG)
    assert attachment.file.read() == PNG
    assert WebhookReceipt.objects.get().processed_at is not None
