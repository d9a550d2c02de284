"""The simulator's email customer (`make run`'s demo) through the real stack: a mail they write
reaches a live Parley as Mailgun forwards it, signed with the seeded inbox's key; an agent's reply
goes out by SMTP to the simulator's mail server and shows in the customer's mailbox; the
customer's answer to it threads back into the same conversation."""

import pytest
from django.contrib.auth import get_user_model

from agents.demo import seed_demo
from conversations.models import Inbox, Message
from conversations.services import message_post_reply
from conversations.tasks import deliver_message
from simulator import runtime as simulator_runtime
from tests.channels.worker import receipts_worker, worker_caught_up
from tests.waiting import wait_until

SEND, MESSAGES, TAP = "/simulator/api/send", "/simulator/api/messages", "/simulator/api/tap"
CUSTOMER = {"inbox": "demo-email", "customer": "Maria.Garcia@example.net", "name": "María García"}


@pytest.fixture
def email_demo(live_server, settings, tmp_path):
    settings.PUBLIC_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a faster seed
    simulator = simulator_runtime.start(parley_url=live_server.url, smtp_port=0)  # a free port
    try:
        seed_demo()
        inbox = Inbox.objects.get(public_key="demo-email")
        inbox.config = {**inbox.config, "smtp_port": simulator.mail_server.port}  # as make run's 2525
        inbox.save()
        with receipts_worker():
            yield inbox
    finally:
        simulator_runtime.stop()


def customer_writes(client, text: str, subject: str = ""):
    answer = client.post(SEND, {**CUSTOMER, "text": text, "subject": subject})
    worker_caught_up()
    return answer


def mailbox(client) -> list[tuple[str, str, str]]:
    answer = client.get(MESSAGES, {"inbox": "demo-email", "customer": CUSTOMER["customer"]})
    assert answer.status_code == 200
    return [(m["direction"], m["subject"], m["body"]) for m in answer.json()["messages"]]


def test_a_mail_written_lands_and_the_agents_reply_shows_in_the_customers_mailbox(client, email_demo):
    answer = customer_writes(client, "My order #1042 has not arrived.", subject="Order #1042")
    assert answer.status_code == 200, answer.content
    assert answer.json()["message"]["status"] == "stored"
    message = Message.objects.select_related("conversation__contact").get(inbox=email_demo)
    assert message.body == "My order #1042 has not arrived."
    assert message.conversation.contact.email == "maria.garcia@example.net"

    ana = get_user_model().objects.get(username="ana")
    reply = message_post_reply(conversation=message.conversation, agent=ana, body="It ships today.")
    deliver_message(reply.pk)
    wait_until(lambda: len(mailbox(client)) == 2)

    assert mailbox(client) == [
        ("in", "Order #1042", "My order #1042 has not arrived."),
        ("out", "Re: Order #1042", "It ships today."),
    ]
    assert Message.objects.get(pk=reply.pk).delivery_status == Message.DeliveryStatus.SENT

    assert customer_writes(client, "Thank you!").json()["message"]["subject"] == "Re: Order #1042"
    answered = Message.objects.get(inbox=email_demo, body="Thank you!")
    assert answered.conversation_id == message.conversation_id  # threaded by the reply's headers


def test_a_mail_without_a_valid_address_or_text_is_refused_before_parley_hears_of_it(client, email_demo):
    assert client.post(SEND, {**CUSTOMER, "customer": "not an address", "text": "Hi"}).status_code == 400
    assert client.post(SEND, {**CUSTOMER, "text": " "}).status_code == 400
    assert client.post(TAP, {**CUSTOMER, "reply": "x", "button": "y"}).status_code == 400
    assert not Message.objects.filter(inbox=email_demo).exists()
