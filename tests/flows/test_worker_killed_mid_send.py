"""A real Celery worker is SIGKILLed while Twilio (a local fake speaking its wire format) holds
its send: the next worker settles the lost answer by asking Twilio, and the customer gets the
reply exactly once (DESIGN.md invariant 5)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conversations import services
from conversations.models import DeliveryAttempt, Message
from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeProvider
from tests.broker import broker_empty
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3  # the worker's CELERY_VISIBILITY_TIMEOUT: how long a send holds its outbox row

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_worker(fake_url: str, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TWILIO_API_URL": fake_url,
        "CELERY_VISIBILITY_TIMEOUT": str(LEASE_SECONDS),
        "PARLEY_PROVIDER_TIMEOUT_SECONDS": "30",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_worker_killed_mid_send_leaves_the_reply_delivered_exactly_once(tmp_path):
    with FakeProvider(latency_ms=(4000, 4000)) as twilio:
        inbox = InboxFactory(
            channel_type="sms",
            public_key="sms-kill",
            config={
                "account_sid": TWILIO_ACCOUNT_SID,
                "auth_token": TWILIO_AUTH_TOKEN,
                "phone_number": "+14155550100",
            },
        )
        contact = services.contact_identify(inbox=inbox, source_id="+14155550199", phone="+14155550199")
        conversation = services.message_receive(inbox=inbox, contact=contact, body="Hello?").conversation
        agent = AgentProfileFactory().user
        InboxMembershipFactory(inbox=inbox, agent=agent)
        log = tmp_path / "worker.log"
        # What earlier tests left, the unacked task of this test's last run's killed worker too.
        # Not before the second worker: it is meant to find what the first one left.
        broker_empty()
        first = start_worker(twilio.url, log)
        try:
            reply = services.message_post_reply(conversation=conversation, agent=agent, body="Here I am.")
            # Twilio has the request (accepted on arrival) and is still "thinking" about its answer.
            wait_until(lambda: len(twilio.sends("twilio")) == 1, 60, "the first worker's send")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        twilio.behave(latency_ms=[0, 0])

        attempt = DeliveryAttempt.objects.get(delivery__message=reply)
        assert attempt.finished_at is None  # the send began and nobody heard how it ended
        second = start_worker(twilio.url, log)
        try:
            time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out
            services.outbound_requeue_due()  # what beat does every minute
            wait_until(
                lambda: Message.objects.get(pk=reply.pk).delivery_status == Message.DeliveryStatus.SENT,
                60,
                "the second worker to settle the send",
            )
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=20)

        [sent] = twilio.sends("twilio")
        reply.refresh_from_db()
        assert reply.provider_message_id == sent["id"]
        attempt.refresh_from_db()
        assert attempt.outcome == DeliveryAttempt.Outcome.FOUND, log.read_text()[-3000:]
        assert DeliveryAttempt.objects.filter(delivery__message=reply).count() == 1
