"""The worker's half of a webhook, run in the test's process: the view only stores the receipts
and answers; a Celery worker applies them (channels_in.tasks.apply_new_receipts)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.http import HttpResponse

from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_apply_new
from tests.waiting import wait_until


def applied(response: HttpResponse) -> HttpResponse:
    """`response`, once the drain a webhook queues has run (it applies every receipt stored and
    not yet tried, as the worker would)."""
    receipts_apply_new()
    return response


@contextmanager
def receipts_worker(every: float = 0.05) -> Iterator[None]:
    """A worker applying receipts in a thread for as long as the block runs, for a live server
    in the test's process: there the drains the webhooks queue go to a broker no worker reads, so
    this one runs the same drain every `every` seconds instead. Needs committed data (a
    transactional test)."""
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.wait(every):
                receipts_apply_new()
        finally:
            connection.close()

    thread = threading.Thread(target=work, name="receipts-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def worker_caught_up() -> None:
    """Wait until the running receipts_worker has tried every receipt stored so far."""
    wait_until(
        lambda: not WebhookReceipt.objects.filter(state=WebhookReceipt.State.PENDING, attempts=0).exists()
    )
