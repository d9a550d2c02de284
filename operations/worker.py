"""Celery's processes (worker and beat) watched like the web ones: Django's LOGGING kept (JSON
lines, each with the task's id while a task runs), each task counted and timed, and /metrics
served on PARLEY_METRICS_PORT, since these processes serve no HTTP of their own.

Connected by config/celery.py when the Celery app is made, before Celery sets up its logging.
"""

import glob
import logging
import os
import threading
import time
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery import signals
from django.conf import settings
from prometheus_client import multiprocess

from . import exposition
from .logs import TASK_ID
from .metrics import MULTIPROCESS_DIR, TASK_DURATION, TASKS

logger = logging.getLogger(__name__)
_running = threading.local()  # the task this thread runs: its id's context token and start time


def connect_signals() -> None:
    signals.setup_logging.connect(keep_django_logging, weak=False)
    signals.worker_init.connect(forget_earlier_processes, weak=False)
    signals.worker_ready.connect(serve_metrics, weak=False)
    signals.beat_init.connect(serve_metrics, weak=False)
    signals.worker_process_shutdown.connect(process_gone, weak=False)
    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_ended, weak=False)


def keep_django_logging(**kwargs: Any) -> None:
    """Connected, so Celery leaves the root logger to Django's LOGGING (config/observability.py)."""


def forget_earlier_processes(**kwargs: Any) -> None:
    """A worker starting in its own multiprocess directory drops the files of processes gone
    before it (a restart in the same container): their counters would otherwise be summed in."""
    for path in glob.glob(os.path.join(MULTIPROCESS_DIR, "*.db")) if MULTIPROCESS_DIR else ():
        os.remove(path)


def process_gone(pid: int | None = None, **kwargs: Any) -> None:
    """A prefork child exited: its live gauges stop counting."""
    if MULTIPROCESS_DIR:
        multiprocess.mark_process_dead(pid or os.getpid(), MULTIPROCESS_DIR)


def task_started(task_id: str = "", **kwargs: Any) -> None:
    _running.token = TASK_ID.set(task_id or "")
    _running.started = time.perf_counter()


def task_ended(task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    name = getattr(task, "name", "") or "(unknown)"
    TASKS.labels(name, (state or "unknown").lower()).inc()
    started = getattr(_running, "started", None)
    if started is not None:
        TASK_DURATION.labels(name).observe(time.perf_counter() - started)
        _running.started = None
    token = getattr(_running, "token", None)
    if token is not None:
        TASK_ID.reset(token)
        _running.token = None


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """A scrape every 15 s is not worth a log line."""


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def metrics_app(environ: dict, start_response: Any) -> list[bytes]:
    if environ.get("PATH_INFO") not in ("/metrics", "/"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Only /metrics here.\n"]
    if not exposition.authorized(environ.get("HTTP_AUTHORIZATION")):
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"A bearer token is required.\n"]
    start_response("200 OK", [("Content-Type", exposition.CONTENT_TYPE), ("Cache-Control", "no-store")])
    return [exposition.worker_page()]


def serve_metrics(**kwargs: Any) -> None:
    """Serve /metrics from a thread of this process when PARLEY_METRICS_PORT is set."""
    port = settings.PARLEY_METRICS_PORT
    if not port:
        return
    server = make_server(
        settings.PARLEY_METRICS_ADDRESS, port, metrics_app, ThreadingServer, handler_class=QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="parley-metrics", daemon=True).start()
    logger.info("metrics served on %s:%s/metrics", settings.PARLEY_METRICS_ADDRESS, port)
