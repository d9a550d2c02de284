"""/metrics on every process (docs/operations.md): a real Daphne and a real Celery worker answer,
and counters move with what they did."""

import asyncio
import time
import urllib.error
import urllib.request
import uuid

import pytest

from config.celery import app as celery_app
from tests.factories.conversations import InboxFactory
from tests.realtime.harness import CeleryWorker, Client, DaphneServer, free_port

from .conftest import has_sample, sample, scrape

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = "https://shop.example.com"


@pytest.fixture
def widget_inbox():
    return InboxFactory(name="Website", allowed_origins=ORIGIN)


def wait_for(predicate, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        time.sleep(0.1)


def test_a_web_process_counts_a_widget_message_its_socket_and_the_request_that_opened_it(
    daphne, widget_inbox
):
    metrics = f"{daphne.http}/metrics"
    before = scrape(metrics)
    status, session = daphne.open_session(widget_inbox.public_key, origin=ORIGIN)
    assert status == 200

    async def journey() -> tuple[str, str]:
        client = await Client.connect(daphne, session["connect_token"], origin=ORIGIN)
        await client.next_event()  # hello
        await client.send_message("Where is my order?")
        await client.quiet(0.3)  # its message.created has come back to this socket
        while_open = await asyncio.to_thread(scrape, metrics)
        await client.close()
        return while_open

    while_open = asyncio.run(journey())
    published = "parley_events_published_total"
    assert (
        sample(while_open, published, type="message.created")
        == sample(before, published, type="message.created") + 1
    )
    assert sample(while_open, "parley_events_delivered_total", kind="client") > sample(
        before, "parley_events_delivered_total", kind="client"
    )
    assert sample(while_open, "parley_sockets_open", kind="client") == 1
    session_route = {"route": "widget/api/v1/session", "method": "POST", "status": "200"}
    assert sample(while_open, "parley_http_requests_total", **session_route) == (
        sample(before, "parley_http_requests_total", **session_route) + 1
    )
    latency = "parley_http_request_duration_seconds_count"
    assert sample(while_open, latency, route="widget/api/v1/session") >= 1
    # The client left: no longer open, counted as closed by the client.
    wait_for(lambda: sample(scrape(metrics), "parley_sockets_open", kind="client") == 0)
    assert sample(scrape(metrics), "parley_sockets_closed_total", kind="client") >= 1


def test_a_web_process_reads_the_outboxes_receipts_and_queues_when_scraped(daphne):
    page = scrape(f"{daphne.http}/metrics")

    assert sample(page, "parley_scrape_errors") == 0  # every scrape-time figure was read
    assert has_sample(page, "parley_webhook_receipts")
    assert sample(page, "parley_webhook_receipts", state="pending") == 0
    assert has_sample(page, "parley_celery_queue_length")
    assert has_sample(page, "parley_outbox_depth")  # the business webhooks' outbox, at least


def test_every_response_carries_a_request_id_and_a_sane_one_given_is_kept(daphne):
    with urllib.request.urlopen(f"{daphne.http}/healthz", timeout=10) as response:
        made = response.headers["X-Request-ID"]
    given = urllib.request.Request(f"{daphne.http}/healthz", headers={"X-Request-ID": "lb-4f2a.77"})
    with urllib.request.urlopen(given, timeout=10) as response:
        kept = response.headers["X-Request-ID"]
    odd = urllib.request.Request(f"{daphne.http}/healthz", headers={"X-Request-ID": "no spaces <please>"})
    with urllib.request.urlopen(odd, timeout=10) as response:
        replaced = response.headers["X-Request-ID"]

    assert len(made) == 32
    assert kept == "lb-4f2a.77"
    assert replaced != "no spaces <please>" and len(replaced) == 32


def test_metrics_answer_only_the_bearer_of_the_token_when_one_is_set(
    monkeypatch, tmp_path, django_db_blocker
):
    token = uuid.uuid4().hex
    monkeypatch.setenv("PARLEY_METRICS_TOKEN", token)
    with django_db_blocker.unblock():
        server = DaphneServer(log_path=tmp_path / "daphne.log")
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            scrape(f"{server.http}/metrics", token="wrong")
        page = scrape(f"{server.http}/metrics", token=token)
    finally:
        server.stop()

    assert refused.value.code == 401
    assert has_sample(page, "parley_http_requests_total")


def test_a_celery_worker_serves_its_own_metrics_and_counts_the_tasks_it_ran(daphne, tmp_path):
    port = free_port()
    worker = CeleryWorker(daphne, log_path=tmp_path / "worker.log", env={"PARLEY_METRICS_PORT": str(port)})
    task = "conversations.tasks.wake_snoozed_conversations"
    try:
        before = sample(scrape(f"http://127.0.0.1:{port}/metrics"), "parley_celery_tasks_total", task=task)
        celery_app.send_task(task)
        celery_app.send_task(task)
        worker.wait_idle()
        page = scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        worker.stop()

    assert sample(page, "parley_celery_tasks_total", task=task, result="success") == before + 2
    assert sample(page, "parley_celery_task_duration_seconds_count", task=task) == before + 2
    assert not has_sample(page, "parley_outbox_depth")  # the web processes' figures, not the worker's


def test_a_method_nobody_uses_is_counted_as_other_not_as_a_new_label(daphne):
    invented = urllib.request.Request(f"{daphne.http}/healthz", method="BREW")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(invented, timeout=10)
    # Counted once its response has ended: the client may read it before the server counts it.
    wait_for(
        lambda: sample(scrape(f"{daphne.http}/metrics"), "parley_http_requests_total", method="OTHER") >= 1
    )

    assert sample(scrape(f"{daphne.http}/metrics"), "parley_http_requests_total", method="BREW") == 0
