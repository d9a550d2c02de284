"""The provider simulator (`make run`'s demo) through the real stack.

A live Parley (pytest-django's live server) receives what the simulator posts: the provider's own
webhook, signed with the seeded inbox's secret, over HTTP, so the signature is checked against the
URL it was really posted to. An agent's reply goes out through the real adapter to the fake
provider and shows on the customer's phone with the ticks the provider reports: Twilio's signed
status callbacks, or the receipts the simulated WhatsApp and Messenger apps post.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from agents.demo import seed_demo
from channels_in.tasks import download_media, fetch_contact_profile
from conversations.models import ChannelType, Inbox, Message
from conversations.services import message_post_reply
from conversations.tasks import deliver_message
from simulator import runtime as simulator_runtime
from tests.channels.worker import receipts_worker, worker_caught_up
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
PAGE, SEND, MESSAGES = "/simulator/", "/simulator/api/send", "/simulator/api/messages"
TAP = "/simulator/api/tap"
Status = Message.DeliveryStatus
# (inbox key, customer as typed, customer as the provider names them, name the provider passes on)
CUSTOMERS = {
    ChannelType.SMS: ("demo-sms", "+1 415 555 0142", "+14155550142", ""),
    ChannelType.WHATSAPP: ("demo-whatsapp", "5511987654321", "5511987654321", "Beatriz Souza"),
    ChannelType.MESSENGER: ("demo-messenger", "7254812395518842", "7254812395518842", ""),
    ChannelType.TELEGRAM: ("demo-telegram", "431250987", "431250987", "Yuki"),
}


@pytest.fixture
def simulator(live_server, settings):
    """Started as `serve` starts it; the fake's Twilio callbacks go to PUBLIC_URL, as in make run."""
    settings.PUBLIC_URL = live_server.url
    running = simulator_runtime.start(parley_url=live_server.url, smtp_port=0)  # a free port
    yield running
    simulator_runtime.stop()


@pytest.fixture
def demo(simulator, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a faster seed
    seed_demo()
    with receipts_worker():
        yield {inbox.channel_type: inbox for inbox in Inbox.objects.filter(public_key__startswith="demo-")}


def customer_writes(client, channel: str, text: str, **extra: str):
    """What the customer's phone sent, once Parley's worker applied the webhook it made."""
    key, typed, _, name = CUSTOMERS[channel]
    answer = client.post(SEND, {"inbox": key, "customer": typed, "name": name, "text": text, **extra})
    worker_caught_up()
    return answer


def phone_thread(client, channel: str) -> list[dict]:
    key, _, customer, _ = CUSTOMERS[channel]
    answer = client.get(MESSAGES, {"inbox": key, "customer": customer})
    assert answer.status_code == 200
    return answer.json()["messages"]


@pytest.mark.parametrize("channel", list(CUSTOMERS))
def test_a_customer_message_lands_in_its_inbox_as_a_verified_webhook(client, demo, channel):
    answer = customer_writes(client, channel, "Hi! Where is my parcel?")
    assert answer.status_code == 200, answer.content
    assert answer.json()["message"]["status"] == "stored"

    inbox = demo[channel]
    message = Message.objects.select_related("conversation__contact").get(body="Hi! Where is my parcel?")
    assert message.inbox == inbox
    assert message.sender_kind == Message.SenderKind.CONTACT
    contact = message.conversation.contact
    _, _, customer, name = CUSTOMERS[channel]
    assert contact.identities.get(inbox=inbox).source_id == customer
    if name:
        assert contact.name == name
    assert [(m["direction"], m["body"]) for m in phone_thread(client, channel)] == [
        ("in", "Hi! Where is my parcel?")
    ]


@pytest.mark.parametrize(
    ("channel", "ticks"),
    [
        (ChannelType.SMS, Status.DELIVERED),  # Twilio's status callbacks: sent, then delivered
        (ChannelType.WHATSAPP, Status.READ),  # the customer's app reports delivered and read
        (ChannelType.MESSENGER, Status.READ),
        (ChannelType.TELEGRAM, Status.SENT),  # bots hear of no receipts
    ],
)
def test_the_agents_reply_reaches_the_customers_phone_with_its_ticks(client, demo, channel, ticks):
    customer_writes(client, channel, "Is it shipped yet?")
    conversation = Message.objects.get(body="Is it shipped yet?").conversation
    ana = get_user_model().objects.get(username="ana")

    reply = message_post_reply(conversation=conversation, agent=ana, body="Yes: it arrives tomorrow.")
    deliver_message(reply.pk)

    def shown_on_phone() -> list[tuple[str, str]]:
        return [(m["direction"], m["body"]) for m in phone_thread(client, channel)]

    wait_until(lambda: ("out", "Yes: it arrives tomorrow.") in shown_on_phone())
    wait_until(lambda: Message.objects.get(pk=reply.pk).delivery_status == ticks)
    thread = phone_thread(client, channel)
    assert [(m["direction"], m["body"]) for m in thread] == [
        ("in", "Is it shipped yet?"),
        ("out", "Yes: it arrives tomorrow."),
    ]
    assert thread[1]["status"] == ticks
    if channel == ChannelType.SMS:
        provider = simulator_runtime.current().provider
        # The fake records a status callback once Parley has answered it, a moment after Parley
        # committed what it says: wait for the record, not only for the status it caused.
        wait_until(lambda: len(provider.callbacks()) == 2)
        answered = [
            (dict(callback["form"])["MessageStatus"], callback.get("status"))
            for callback in provider.callbacks()
        ]
        assert answered == [("sent", 200), ("delivered", 200)]


@pytest.mark.parametrize("channel", [ChannelType.WHATSAPP, ChannelType.MESSENGER, ChannelType.TELEGRAM])
def test_the_phone_shows_a_replys_buttons_and_a_tap_reaches_parley_as_the_providers_tap(
    client, demo, channel
):
    """Buttons as the fake provider accepted them (WhatsApp's reply buttons, Messenger's quick
    replies, Telegram's inline keyboard); a tap is that provider's own tap webhook, signed."""
    key, typed, _, name = CUSTOMERS[channel]
    customer_writes(client, channel, "Did my refund go through?")
    conversation = Message.objects.get(body="Did my refund go through?").conversation
    ana = get_user_model().objects.get(username="ana")
    offered = [{"id": "solved", "title": "Yes, thanks"}, {"id": "person", "title": "Talk to a person"}]
    reply = message_post_reply(conversation=conversation, agent=ana, body="It did. All good?")
    Message.objects.filter(pk=reply.pk).update(actions=offered)
    deliver_message(reply.pk)

    wait_until(lambda: any(m["direction"] == "out" for m in phone_thread(client, channel)))
    [shown] = [m for m in phone_thread(client, channel) if m["direction"] == "out"]
    assert shown["buttons"] == offered

    tapped = client.post(
        TAP, {"inbox": key, "customer": typed, "name": name, "reply": shown["id"], "button": "person"}
    )

    assert tapped.status_code == 200, tapped.content
    assert tapped.json()["message"]["status"] == "stored"
    worker_caught_up()
    answer = Message.objects.filter(conversation=conversation, sender_kind=Message.SenderKind.CONTACT).last()
    assert answer.body == "Talk to a person"
    last = phone_thread(client, channel)[-1]
    assert (last["direction"], last["body"]) == ("in", "Talk to a person")


def test_a_tap_on_a_button_the_reply_does_not_have_is_refused(client, demo):
    key, typed, _, name = CUSTOMERS[ChannelType.TELEGRAM]
    stored = Message.objects.count()

    tapped = client.post(TAP, {"inbox": key, "customer": typed, "name": name, "reply": "404", "button": "x"})

    assert tapped.status_code == 400
    assert tapped.json()["error"].startswith("No such button")
    assert Message.objects.count() == stored


def test_a_photo_arrives_as_the_providers_media_and_is_downloaded(client, demo):
    answer = customer_writes(client, ChannelType.SMS, "This is how it came", photo="1")
    assert answer.status_code == 200, answer.content
    message = Message.objects.get(body="This is how it came")
    attachment = message.attachments.get()
    assert attachment.mime_type == "image/png"
    assert attachment.remote_url.startswith(simulator_runtime.current().provider.url)

    download_media(attachment.pk)  # the task, run here: it fetches from the fake with the inbox's keys
    attachment.refresh_from_db()
    assert attachment.file
    assert attachment.file.read().startswith(b"\x89PNG")
    assert phone_thread(client, ChannelType.SMS)[0]["photo"].endswith("simulator/parcel.png")


def test_a_messenger_customer_is_named_from_the_profile_the_fake_graph_serves(client, demo):
    key, typed, _, _ = CUSTOMERS[ChannelType.MESSENGER]
    answer = client.post(SEND, {"inbox": key, "customer": typed, "name": "Alex Moreau", "text": "Hello"})
    worker_caught_up()
    assert answer.status_code == 200, answer.content
    contact = Message.objects.get(body="Hello").conversation.contact
    assert contact.name == ""  # Messenger's webhook names nobody

    fetch_contact_profile(contact.pk, demo[ChannelType.MESSENGER].pk)  # the job, run here
    contact.refresh_from_db()
    assert contact.name == "Alex Moreau"


def test_what_no_provider_would_send_is_refused_before_parley_hears_of_it(client, demo):
    answer = client.post(SEND, {"inbox": "demo-sms", "customer": "not a number", "text": "Hello"})
    assert answer.status_code == 400
    assert "Phone number" in answer.json()["error"]
    empty = client.post(SEND, {"inbox": "demo-telegram", "customer": "431250987", "text": " "})
    assert empty.status_code == 400
    assert not Message.objects.filter(sender_kind=Message.SenderKind.CONTACT, body="Hello").exists()


def test_a_webhook_parley_refuses_shows_as_refused_on_the_phone(client, demo, simulator):
    inbox = demo[ChannelType.WHATSAPP]
    parley_url = simulator.parley_url
    simulator.parley_url = parley_url + "/nowhere"  # the webhook goes where Parley serves nothing
    try:
        answer = customer_writes(client, ChannelType.WHATSAPP, "Hello?")
    finally:
        simulator.parley_url = parley_url
    assert answer.status_code == 502
    assert answer.json()["message"]["status"] == "refused"
    assert "404" in answer.json()["message"]["detail"]
    assert not Message.objects.filter(inbox=inbox, body="Hello?").exists()


def test_the_page_lists_every_channel_and_escapes_inbox_names(client, demo):
    Inbox.objects.filter(public_key="demo-telegram").update(name="<b>Bot</b>")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("demo-sms", "demo-whatsapp", "demo-messenger", "demo-telegram", "demo-email"):
        assert f'value="{key}"' in html
    assert "<b>Bot</b>" not in html
    assert "&lt;b&gt;Bot&lt;/b&gt;" in html


@pytest.mark.django_db
def test_without_a_running_simulator_there_is_no_page(client):
    assert simulator_runtime.current() is None
    assert client.get(PAGE).status_code == 404
    assert client.get(MESSAGES, {"inbox": "demo-sms", "customer": "+14155550142"}).status_code == 404
    assert (
        client.post(SEND, {"inbox": "demo-sms", "customer": "+14155550142", "text": "Hi"}).status_code == 404
    )


@pytest.mark.parametrize(
    ("environment", "simulator_on"),
    [
        ({}, True),  # make run: embedded, no provider URL
        ({"TWILIO_API_URL": "https://api.twilio.com"}, False),  # real providers asked for
        ({"PARLEY_SIMULATOR": "0"}, False),
        ({"DATABASE_URL": "postgres://db/parley", "REDIS_URL": "redis://cache"}, False),  # production
        (
            {"DATABASE_URL": "postgres://db/parley", "REDIS_URL": "redis://cache", "PARLEY_SIMULATOR": "1"},
            True,
        ),
    ],
)
def test_the_simulator_is_on_only_in_the_embedded_demo_unless_asked(tmp_path, environment, simulator_on):
    keep = {"PATH", "HOME", "LANG"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env |= {"PARLEY_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "parley.example.com"}
    env |= environment
    command = [sys.executable, "-c", "import config.settings as s; print(s.PARLEY_SIMULATOR)"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == str(simulator_on)
