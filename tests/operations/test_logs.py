"""Logs are JSON lines with the request's or task's id, and never a message's text or a contact's
name, email or phone (docs/operations.md): read from a real Daphne's and a real Celery worker's
logs after a customer, marked in every field, wrote through the widget."""

import asyncio
import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from config.celery import app as celery_app
from tests.factories.conversations import InboxFactory
from tests.realtime.harness import CeleryWorker, Client, live_daphne

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = "https://shop.example.com"
# What `celery worker` prints itself, outside logging: its start-up banner with its task list, its
# shutdown notice, and (as root, as in this sandbox) Python's warning about running as root.
CELERY_PRINTS = [
    re.compile(r"^ -------------- .*?^\[tasks\]\n(?:  \. [^\n]*\n)*", re.M | re.S),
    re.compile(r"^worker: (Warm|Cold) shutdown[^\n]*\n", re.M),
    re.compile(
        r"^\S*platforms\.py:\d+: SecurityWarning.*?_warn_or_raise_security_error\([^\n]*\n", re.M | re.S
    ),
]


def json_lines(log: Path) -> list[dict]:
    """Every line the process logged, each parsed (a line that is not one JSON object fails)."""
    lines = []
    for line in log.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            assert isinstance(record, dict) and {"time", "level", "logger", "message"} <= record.keys(), line
            lines.append(record)
    return lines


def worker_log_lines(log: Path) -> list[str]:
    """The worker's logged lines: its log without what Celery prints outside logging."""
    text = log.read_text()
    for printed in CELERY_PRINTS:
        text = printed.sub("", text)
    return [line for line in text.splitlines() if line.strip()]


def test_a_customers_message_leaves_json_lines_with_ids_and_none_of_its_text(
    tmp_path, django_db_blocker, monkeypatch
):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")  # every line any logger would write, ours and the libraries'
    marker = uuid.uuid4().hex[:12]
    inbox = InboxFactory(name="Website", allowed_origins=ORIGIN)
    daphne_log, worker_log = tmp_path / "daphne.log", tmp_path / "worker.log"
    with live_daphne(daphne_log, django_db_blocker) as daphne:
        worker = CeleryWorker(daphne, log_path=worker_log)
        try:
            status, session = daphne.open_session(
                inbox.public_key,
                origin=ORIGIN,
                name=f"Zed {marker}",
                email=f"zed.{marker}@example.com",
                phone="+14155550199",
            )
            assert status == 200, session

            async def journey() -> None:
                client = await Client.connect(daphne, session["connect_token"], origin=ORIGIN)
                await client.next_event()
                ack = await client.send_message(f"My card ends 4242, order {marker}")
                assert ack["type"] == "message.ack"
                await client.close()

            asyncio.run(journey())
            missing = urllib.request.Request(f"{daphne.http}/nope/", headers={"X-Request-ID": "req-77"})
            with pytest.raises(urllib.error.HTTPError):  # a 404 Django logs, with the request's id
                urllib.request.urlopen(missing, timeout=10)
            celery_app.send_task("conversations.tasks.wake_snoozed_conversations")
            worker.wait_idle()
        finally:
            worker.stop()

    server_lines = json_lines(daphne_log)
    worker_text = "\n".join(worker_log_lines(worker_log))
    task_lines = [json.loads(line) for line in worker_text.splitlines()]
    everything = daphne_log.read_text() + worker_text

    assert any(line.get("request_id") == "req-77" and line["level"] == "WARNING" for line in server_lines)
    assert any(line.get("task_id") for line in task_lines), worker_text[-2000:]
    assert marker not in everything
    assert "4242" not in everything
    assert "4155550199" not in everything
