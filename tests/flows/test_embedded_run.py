"""The `make run` journey: one process on embedded defaults (no Postgres, no Redis) serves the
product with the demo data, accepts the printed admin login, answers /healthz, runs Celery
tasks and the periodic jobs in-process, and plays customers on every channel with the provider
simulator."""

import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env |= {"PARLEY_VAR_DIR": str(var_dir), "PORT": str(port)}

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "--noinput", "-v", "0")
    seed_output = manage("seed_demo")
    log = var_dir / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(base_url + "/healthz")[0] == 200, seconds=30)
        yield {
            "url": base_url,
            "seed_output": seed_output,
            "database": var_dir / "parley.sqlite3",
            "log": log,
            "manage": manage,
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"not true within {seconds}s")


def test_healthz_answers_on_embedded_backends(embedded_server):
    status, body = get(embedded_server["url"] + "/healthz")
    assert status == 200
    assert '"backend": "sqlite"' in body
    assert '"backend": "InMemoryChannelLayer"' in body
    assert '"backend": "in-process"' in body


def test_the_printed_admin_login_opens_the_admin(embedded_server):
    output = embedded_server["seed_output"]
    password = re.search(r"password: (\S+)\)", output).group(1)
    assert re.search(r"^\s+admin\b", output, re.MULTILINE)

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = embedded_server["url"] + "/admin/login/?next=/admin/"
    status, page = get(login_url, opener)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "admin", "password": password})
    request = urllib.request.Request(login_url, data=form.encode(), headers={"Referer": login_url})
    with opener.open(request, timeout=10) as response:
        index = response.read().decode()
    assert "Run the business" in index  # the admin index, not the login form again

    status, conversations = get(embedded_server["url"] + "/admin/conversations/conversation/", opener)
    assert status == 200
    assert "Priya Shah" in conversations


def query(server: dict, sql: str, *parameters: object) -> list[tuple]:
    with sqlite3.connect(server["database"]) as database:
        return database.execute(sql, parameters).fetchall()


def outbox_delivered(server: dict) -> bool:
    rows = query(
        server,
        "SELECT outbox.state, outbox.attempts, message.delivery_status"
        " FROM conversations_outbounddelivery AS outbox"
        " JOIN conversations_message AS message ON message.id = outbox.message_id",
    )
    return bool(rows) and all(row == ("done", 1, "delivered") for row in rows)


def test_the_in_process_worker_and_timer_work_the_outbox(embedded_server):
    """Seeded SMS replies wait in the outbox. At start the timer runs the requeue sweep and the
    in-process worker sends each one through the Twilio adapter to the simulator's fake Twilio,
    whose signed status callbacks then mark it sent and delivered."""
    wait_until(lambda: outbox_delivered(embedded_server), seconds=30)


def test_the_terminal_keeps_the_addresses_in_sight_while_the_worker_works(embedded_server):
    """make run's terminal is for the person who just started it: once the worker has sent the
    outbox (tasks, provider calls, webhooks), the log still shows the addresses and holds no
    INFO line of Celery, the HTTP client or Daphne (LOG_LEVEL=INFO brings them back)."""
    wait_until(lambda: outbox_delivered(embedded_server), seconds=30)
    log = embedded_server["log"].read_text()

    assert f"Parley on {embedded_server['url']}/" in log
    assert f"Customer simulator: {embedded_server['url']}/simulator/" in log
    chatter = re.findall(r"^\S+ \S+ INFO (?:celery|httpx|daphne)\S*.*$", log, re.MULTILINE)
    assert chatter == []


def test_the_simulator_plays_a_customer_through_the_running_server(embedded_server):
    url = embedded_server["url"]
    assert f"Customer simulator: {url}/simulator/" in embedded_server["log"].read_text()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = get(url + "/simulator/", opener)
    assert status == 200
    assert 'value="demo-whatsapp"' in page
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert get(url + icon)[0] == 200
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")

    form = {"inbox": "demo-whatsapp", "customer": "5511900001111", "name": "Rui", "text": "Olá, any news?"}
    request = urllib.request.Request(
        url + "/simulator/api/send",
        data=urllib.parse.urlencode(form).encode(),
        headers={"X-CSRFToken": token, "Referer": url + "/simulator/"},
    )
    with opener.open(request, timeout=20) as response:
        assert json.loads(response.read())["message"]["status"] == "stored"

    def stored() -> list[tuple]:  # once the in-process worker applied the webhook's receipt
        return query(
            embedded_server,
            "SELECT inbox.public_key FROM conversations_message AS message JOIN conversations_inbox AS inbox"
            " ON inbox.id = message.inbox_id WHERE message.body = ?",
            "Olá, any news?",
        )

    wait_until(lambda: stored() == [("demo-whatsapp",)], seconds=20)


WRITES_TWICE = """
from conversations import services
from conversations.models import Contact, Inbox
inbox = Inbox.objects.filter(channel_type="web_widget").first()
contact = Contact.objects.create(name="Twice")
first = services.message_receive(inbox=inbox, contact=contact, body="Hello?")
again = services.message_receive(
    inbox=inbox, contact=contact, conversation_id=first.conversation_id, body="Still there?"
)
print(first.seq, again.seq, again.conversation_id == first.conversation_id)
"""


def test_a_customer_writes_again_into_their_conversation_on_embedded_backends(embedded_server):
    """The common message's single statement is Postgres's SQL; on SQLite the general path stores it."""
    printed = embedded_server["manage"]("shell", "--no-imports", "-c", WRITES_TWICE)
    assert printed.split() == ["1", "2", "True"]


ERASED_AND_SWEPT = """
from datetime import timedelta
from django.utils import timezone
from audit.actors import Actor
from conversations import services
from conversations.models import Contact, Conversation, Inbox, Message
from privacy import services as privacy
from privacy.models import RetentionPolicy
from privacy.retention import conversations_retain_batch
inbox = Inbox.objects.filter(channel_type="web_widget").first()
contact = Contact.objects.create(name="Erase Me", email="erase.me@example.com")
first = services.message_receive(inbox=inbox, contact=contact, body="My card ends 4242")
Conversation.objects.filter(pk=first.conversation_id).update(status="resolved", resolved_at=timezone.now())
privacy.erase_contact(contact=contact, actor=Actor.system())
contact.refresh_from_db()
print(repr(contact.name), Message.objects.filter(body__contains="4242").count())
old = services.message_receive(inbox=inbox, contact=Contact.objects.create(name="Old"), body="Long ago")
long_ago = timezone.now() - timedelta(days=3)
swept = {"status": "resolved", "resolved_at": long_ago, "last_activity_at": long_ago}
Conversation.objects.filter(pk=old.conversation_id).update(**swept)
policy = RetentionPolicy.objects.create(inbox=inbox, days=1, mode=RetentionPolicy.Mode.DELETE)
conversations_retain_batch(policy=policy)
print(Conversation.objects.filter(pk=old.conversation_id).exists())
"""


def test_a_contact_is_erased_and_retention_sweeps_on_embedded_backends(embedded_server):
    """Erasure's and retention's set-based statements pass ids as one Postgres array; SQLite takes
    the list."""
    printed = embedded_server["manage"]("shell", "--no-imports", "-c", ERASED_AND_SWEPT)
    assert printed.split() == ["''", "0", "False"]
