"""Twilio SMS: form posts signed with X-Twilio-Signature (HMAC-SHA1 over the URL and the sorted
parameters); status callbacks for sent, delivered, read and failed; a lookup settles a lost answer."""

from urllib.parse import urlsplit

from channels_in.adapters.twilio import TwilioAdapter
from conversations.models import ChannelType, Inbox, Message
from simulator.fake_provider import webhooks
from tests.channels.conftest import twilio_vector
from tests.fixtures import fixture_bytes

from .entry import (
    AdapterCase,
    Failure,
    Forgery,
    Inbound,
    LostAnswer,
    MakePost,
    NoButtons,
    Refusal,
    Retry,
    Sample,
    Sending,
    Settled,
    SignedPost,
    StatusReports,
    after,
    changed,
    fault,
    inbox_config,
    nothing,
    on_fake,
    sent_as,
    signed,
)

FORM = "application/x-www-form-urlencoded"
TWILIO_HOOK = "/hooks/twilio/sms-main/"
SMS_CUSTOMER = "+14155550199"
SMS_SID = "SMc0ffee0c0ffee0c0ffee0c0ffee0c0ff"  # the status fixtures' message


def twilio_fixture(file: str) -> MakePost:
    """A fixture form as Twilio posted it, with the signature its vector holds."""
    vector = twilio_vector(file)
    url = urlsplit(vector["url"])
    headers = {"Content-Type": FORM, "X-Twilio-Signature": vector["X-Twilio-Signature"]}
    return lambda inbox: SignedPost(url.path, fixture_bytes(f"twilio/{file}"), headers)


TWILIO_SMS = twilio_fixture("inbound_sms.form")


def twilio_report(inbox: Inbox, message: Message, status: str) -> SignedPost:
    wire, code = ("undelivered", 30003) if status == "failed" else (status, None)
    form = webhooks.twilio_status(
        message.provider_message_id, wire, code, to=SMS_CUSTOMER, from_="+14155550100"
    )
    return signed(TWILIO_HOOK, "twilio", form, inbox.config["auth_token"])


TWILIO = AdapterCase(
    name="twilio-sms",
    adapter=TwilioAdapter,
    channel_type=ChannelType.SMS,
    inbound=Inbound(
        inbox="twilio_inbox",
        samples={
            "inbound_sms.form": Sample(TWILIO_SMS),
            "inbound_mms.form": Sample(twilio_fixture("inbound_mms.form")),
            "inbound_sms_messaging_service.form": Sample(
                twilio_fixture("inbound_sms_messaging_service.form")
            ),
        },
        replayed="inbound_sms.form",
        signature_header="X-Twilio-Signature",
        wrong_signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        forgeries={
            "empty signature": Forgery(lambda inbox: TWILIO_SMS(inbox).with_header("X-Twilio-Signature", "")),
            "tampered body": Forgery(
                changed(
                    TWILIO_SMS, body=fixture_bytes("twilio/inbound_sms.form").replace(b"Body=Hi", b"Body=Yo")
                )
            ),
            "other url": Forgery(changed(TWILIO_SMS, path=TWILIO_HOOK + "?region=eu1")),
            "another inbox's secret": Forgery(after(inbox_config(auth_token="0" * 32), TWILIO_SMS)),
        },
    ),
    statuses=StatusReports(
        inbox="twilio_inbox",
        customer=SMS_CUSTOMER,
        provider_message_id=SMS_SID,
        statuses=frozenset({"sent", "delivered", "read", "failed"}),
        report=twilio_report,
        failure=Failure("30003", ("unreachable",)),
    ),
    sending=Sending(
        inbox="sms_on_fake",
        customer=SMS_CUSTOMER,
        endpoint=on_fake("twilio"),
        provider_id=sent_as,
        refusals={
            "invalid number": Refusal(nothing, "21211", ("not a valid phone number",), customer="0412 345"),
        },
        retries={
            "500": Retry(fault("500"), code="20500"),
            "503": Retry(fault("503"), code="20503"),
            "429": Retry(fault("429"), code="20429"),
        },
        lost_answer=LostAnswer(fault("timeout"), Settled.FOUND),
    ),
    buttons=NoButtons(
        "SMS draws no buttons: the bot writes the replies into the text as numbered lines, and the "
        "customer answers with a digit."
    ),
)
