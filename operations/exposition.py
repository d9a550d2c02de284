"""What /metrics answers, on every process: the web processes through their ASGI stack (ahead of
Django, config/asgi.py), Celery workers and beat on a port of their own (operations.worker).

One process (PROMETHEUS_MULTIPROC_DIR unset): the process's default registry, with the process's
CPU, memory and GC figures. Several processes of one container sharing the directory (a prefork
worker): every live and dead process's values summed from its files. A web process adds the
scrape-time figures (operations.collectors), which read the database and the broker.
"""

import hmac
from collections.abc import Iterator

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from .metrics import MULTIPROCESS_DIR

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ThisProcess(Collector):
    """The process's own values: the files of every process in the directory, or the default registry."""

    def __init__(self) -> None:
        self.files = CollectorRegistry(auto_describe=False)
        if MULTIPROCESS_DIR:
            multiprocess.MultiProcessCollector(self.files, MULTIPROCESS_DIR)

    def collect(self) -> Iterator[Metric]:
        yield from (self.files if MULTIPROCESS_DIR else REGISTRY).collect()


_web = CollectorRegistry(auto_describe=False)
_worker = CollectorRegistry(auto_describe=False)
_registered: list[Collector] = []


def register_collectors(*, web_only: Collector) -> None:
    """Once, when the app is ready: this process's values on both pages, and `web_only` (the
    scrape-time figures) on the web processes' page."""
    if not _registered:
        this_process = ThisProcess()
        _registered.append(this_process)
        _web.register(this_process)
        _web.register(web_only)
        _worker.register(this_process)


def web_page() -> bytes:
    return generate_latest(_web)


def worker_page() -> bytes:
    return generate_latest(_worker)


def authorized(header: str | None) -> bool:
    """Whether an Authorization header may read the metrics (PARLEY_METRICS_TOKEN unset: anyone)."""
    token = settings.PARLEY_METRICS_TOKEN
    if not token:
        return True
    return hmac.compare_digest((header or "").encode(), f"Bearer {token}".encode())
