"""Every stored webhook receipt reaches a final state: applied, or failed with its reason.

Signed webhooks go through the real URL, signed by the adapters' own signature code; beat's
sweep is called as beat would call it, again and again.
"""

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from channels_in.adapters import meta, twilio
from channels_in.models import WebhookReceipt
from channels_in.receipts import MAX_ATTEMPTS, receipts_apply_pending
from conversations import services
from conversations.models import Contact, Message
from tests.channels.conftest import PUBLIC_URL, TELEGRAM_SECRET, TWILIO, reply_to, twilio_vector
from tests.channels.worker import applied
from tests.fixtures import fixture_bytes, fixture_json

State = WebhookReceipt.State

FORM = "application/x-www-form-urlencoded"
TWILIO_HOOK = "/hooks/twilio/sms-main/"
SMS_SID = "SM8f2b6c6a1b7e4a0b9d6c3e2f1a0b9c8d"
SWEEPS = 8  # more than the attempt budget


def twilio_params(**changes: str | None) -> list[tuple[str, str]]:
    """The fixture SMS as Twilio posts it, with fields changed (None leaves one out)."""
    params = dict(parse_qsl(fixture_bytes("twilio/inbound_sms.form").decode()))
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return list(params.items())


def post_twilio(client, params: list[tuple[str, str]]):
    """A form Twilio signed: HMAC-SHA1 of the public URL and the sorted parameters."""
    signed = twilio.signature(TWILIO["auth_token"], PUBLIC_URL + TWILIO_HOOK, params)
    return applied(
        client.post(TWILIO_HOOK, data=urlencode(params), content_type=FORM, HTTP_X_TWILIO_SIGNATURE=signed)
    )


def post_whatsapp(client, body: bytes):
    signed = meta.signature(fixture_json("meta/signatures.json")["app_secret"], body)
    return post_json(client, "/hooks/whatsapp/wa-main/", body, {"X-Hub-Signature-256": signed})


def post_telegram(client, body: bytes):
    return post_json(
        client, "/hooks/telegram/tg-main/", body, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    )


def post_json(client, path: str, body: bytes, headers: dict[str, str]):
    return applied(client.post(path, data=body, content_type="application/json", headers=headers))


def sweep(times: int = SWEEPS) -> None:
    """Beat's sweep, run `times` times (a minute apart in production)."""
    for _ in range(times):
        receipts_apply_pending(older_than=timedelta(0))


def apply_again(admin_client, *receipts: WebhookReceipt) -> list[str]:
    """The admin's "Apply again" on `receipts`; what it told the administrator."""
    response = admin_client.post(
        reverse("admin:channels_in_webhookreceipt_changelist"),
        {"action": "apply_again", "_selected_action": [receipt.pk for receipt in receipts]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


def receipt_warnings(caplog) -> list:
    return [r for r in caplog.records if r.name == "channels_in.receipts" and r.levelname == "WARNING"]


# (a) A webhook that can never apply fails at once, with its reason, and is left alone after.


def test_a_signed_sms_without_body_is_answered_200_and_fails_for_good_with_its_reason(
    client, twilio_inbox, caplog
):
    response = post_twilio(client, twilio_params(Body=None))
    assert response.status_code == 200

    sweep()
    attempts_after_sweeps = WebhookReceipt.objects.get().attempts
    sweep()

    receipt = WebhookReceipt.objects.get()
    assert receipt.attempts == attempts_after_sweeps  # further sweeps leave it alone
    assert receipt.attempts == 1  # a validation error is not worth a second try
    assert receipt.state == WebhookReceipt.State.FAILED
    assert "A message needs text or an attachment." in receipt.last_error
    assert not Message.objects.exists()
    warnings = receipt_warnings(caplog)
    assert len(warnings) == 1 and warnings[0].exc_info is None  # one line, no traceback


def test_apply_again_on_an_event_that_can_never_apply_says_why_and_keeps_it_failed(
    admin_client, twilio_inbox
):
    post_twilio(client=admin_client, params=twilio_params(Body=None))
    receipt = WebhookReceipt.objects.get()

    told = apply_again(admin_client, receipt)

    assert told == [
        f"Failed for 1 webhook receipt: #{receipt.pk}: failed again: A message needs text or an attachment."
    ]
    receipt.refresh_from_db()
    assert (receipt.state, receipt.attempts) == (State.FAILED, 1)


def test_the_admin_lists_receipts_by_state_with_tries_reason_and_note(admin_client, twilio_inbox):
    post_twilio(admin_client, twilio_params(Body=None))
    post_twilio(
        admin_client, twilio_params(Body="Hi \x00 there", MessageSid="SM0000000000000000000000000000000b")
    )
    failed = WebhookReceipt.objects.get(state=State.FAILED)
    url = reverse("admin:channels_in_webhookreceipt_changelist")

    listed = admin_client.get(url, {"state__exact": "failed"})
    everything = admin_client.get(url).content.decode()

    assert list(listed.context["cl"].result_list) == [failed]
    assert "A message needs text or an attachment." in listed.content.decode()
    assert "Replaced 1 character Postgres cannot store" in everything
    assert "Applied" in everything and "Failed" in everything


# (b) An error worth retrying gets a bounded number of tries, then the receipt fails.


class HeldContactRow:
    """Another transaction (a long import, say) holds the customer's row, and Postgres gives up
    waiting for a lock after 100 ms: storing their message fails with a lock timeout until the
    holder ends."""

    def __init__(self, contact: Contact) -> None:
        self.contact = contact
        self.locked, self.release = threading.Event(), threading.Event()
        self.holder = threading.Thread(target=self.hold)

    def hold(self) -> None:
        try:
            with transaction.atomic():
                Contact.objects.select_for_update().filter(pk=self.contact.pk).get()
                self.locked.set()
                self.release.wait(timeout=60)
        finally:
            connection.close()

    def end(self) -> None:
        self.release.set()
        self.holder.join(timeout=30)


@pytest.fixture
def held_contact_row(twilio_inbox):
    contact = services.contact_identify(inbox=twilio_inbox, source_id="+14155550199")
    held = HeldContactRow(contact)
    held.holder.start()
    assert held.locked.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    try:
        yield held
    finally:
        held.end()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_error_worth_retrying_gets_a_bounded_number_of_tries_then_fails(
    client, twilio_inbox, held_contact_row, caplog
):
    assert post_twilio(client, twilio_params()).status_code == 200
    receipt = WebhookReceipt.objects.get()
    assert (receipt.state, receipt.attempts) == (State.PENDING, 1)
    assert "lock timeout" in receipt.last_error

    sweep(1)
    receipt.refresh_from_db()
    assert (receipt.state, receipt.attempts) == (State.PENDING, 2)  # worth another try

    sweep()
    receipt.refresh_from_db()
    assert (receipt.state, receipt.attempts) == (State.FAILED, MAX_ATTEMPTS)
    assert receipt.last_error.startswith("OperationalError: ") and "lock timeout" in receipt.last_error
    assert receipt.processed_at is not None
    sweep()
    receipt.refresh_from_db()
    assert receipt.attempts == MAX_ATTEMPTS  # left alone for good
    assert not Message.objects.exists()
    assert len(receipt_warnings(caplog)) == 1


# (c) Once the cause is fixed, the admin's "Apply again" applies a failed receipt.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_apply_again_applies_a_failed_receipt_once_its_cause_is_gone(
    admin_client, twilio_inbox, held_contact_row
):
    post_twilio(admin_client, twilio_params())
    sweep()
    receipt = WebhookReceipt.objects.get(state=State.FAILED)

    held_contact_row.end()  # the long transaction is over
    told = apply_again(admin_client, receipt)

    assert told == ["Applied: 1 webhook receipt."]
    receipt.refresh_from_db()
    assert (receipt.state, receipt.attempts, receipt.last_error) == (State.APPLIED, 1, "")
    assert Message.objects.get().body == "Hi, my order #1042 hasn't arrived yet 😕 can you check?"
    assert apply_again(admin_client, receipt) == ["Applied already, left alone: 1 webhook receipt."]


def post_twilio_fixture(client, file: str):
    vector = twilio_vector(file)
    return applied(
        client.post(
            TWILIO_HOOK,
            data=fixture_bytes(f"twilio/{file}"),
            content_type=FORM,
            HTTP_X_TWILIO_SIGNATURE=vector["X-Twilio-Signature"],
        )
    )


def test_a_report_that_waited_an_hour_is_dropped_as_failed_and_applies_again_once_its_message_is_known(
    admin_client, twilio_inbox
):
    reply = reply_to(twilio_inbox, "+14155550199")
    assert post_twilio_fixture(admin_client, "status_delivered.form").status_code == 200
    sweep(3)
    assert WebhookReceipt.objects.get().state == State.PENDING  # waiting for its message
    WebhookReceipt.objects.update(received_at=timezone.now() - timedelta(minutes=61))

    sweep()

    receipt = WebhookReceipt.objects.get()
    assert receipt.state == State.FAILED
    assert receipt.last_error == (
        "Dropped after waiting 1 hour for its message: "
        "No message SMc0ffee0c0ffee0c0ffee0c0ffee0c0ff on this inbox yet."
    )
    # The send's answer is recorded at last (the operator found the lost sid at Twilio).
    Message.objects.filter(pk=reply.pk).update(provider_message_id="SMc0ffee0c0ffee0c0ffee0c0ffee0c0ff")
    assert apply_again(admin_client, receipt) == ["Applied: 1 webhook receipt."]
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.DELIVERED


# (d) /healthz counts what is pending and what failed, without failing itself.


def test_healthz_counts_pending_and_failed_receipts(client, twilio_inbox, django_assert_num_queries):
    now = timezone.now()
    for number, (state, processed_at) in enumerate(
        [(State.PENDING, None), (State.FAILED, now), (State.FAILED, now), (State.APPLIED, now)]
    ):
        WebhookReceipt.objects.create(
            inbox=twilio_inbox,
            provider="twilio",
            key=f"message:SM{number}",
            event={},
            state=state,
            processed_at=processed_at,
        )

    with django_assert_num_queries(3):  # the database check, and one count per state
        response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["receipts"] == {"pending": 1, "failed": 2, "counted_up_to": 10_000}


# (e) Text Postgres cannot store, in a signed event: stored with U+FFFD and a note, and applied.

BAD_CHARACTERS = [pytest.param("\u0000", id="NUL"), pytest.param("\ud800", id="lone surrogate")]


def assert_stored_with_replacement(inbox) -> None:
    message = Message.objects.get(inbox=inbox)
    assert message.body == "Hi \ufffd there"
    receipt = WebhookReceipt.objects.get(inbox=inbox)
    assert receipt.state == WebhookReceipt.State.APPLIED
    assert receipt.note == "Replaced 1 character Postgres cannot store (NUL or unpaired surrogates)."
    assert "\x00" not in json.dumps(receipt.event) and "\\u0000" not in json.dumps(receipt.event)


@pytest.mark.parametrize("character", BAD_CHARACTERS)
def test_a_whatsapp_text_with_unstorable_characters_is_stored_with_replacements(
    client, whatsapp_inbox, character
):
    payload = fixture_json("meta/whatsapp_text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["text"]["body"] = f"Hi {character} there"
    body = json.dumps(payload).encode()  # JSON escapes: \u0000, \ud800
    assert b"\\u" in body

    assert post_whatsapp(client, body).status_code == 200

    assert_stored_with_replacement(whatsapp_inbox)


@pytest.mark.parametrize("character", BAD_CHARACTERS)
def test_a_telegram_text_with_unstorable_characters_is_stored_with_replacements(
    client, telegram_inbox, character
):
    update = fixture_json("telegram/update_text.json")
    update["message"]["text"] = f"Hi {character} there"

    assert post_telegram(client, json.dumps(update).encode()).status_code == 200

    assert_stored_with_replacement(telegram_inbox)


def test_a_twilio_sms_with_a_nul_is_stored_with_a_replacement(client, twilio_inbox):
    params = twilio_params(Body="Hi \x00 there")
    assert b"%00" in urlencode(params).encode()

    assert post_twilio(client, params).status_code == 200

    assert_stored_with_replacement(twilio_inbox)
    assert WebhookReceipt.objects.get().raw_body.count("%00") == 1  # the body as it arrived
