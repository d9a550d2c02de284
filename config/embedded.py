"""The embedded shape's background machinery: a Celery worker thread on the memory:// transport and
a timer thread that runs CELERY_BEAT_SCHEDULE, both inside the one `make run` process.

Same tasks, same schedule as production's separate worker and beat; only the transport differs.
"""

import logging
import threading
import time
from datetime import UTC, datetime

from celery.schedules import maybe_schedule
from celery.worker import WorkController
from django.conf import settings

from config.celery import app

logger = logging.getLogger(__name__)


def start_worker_thread() -> threading.Thread:
    worker = WorkController(
        app=app,
        hostname="embedded@parley",
        pool_cls="solo",
        concurrency=1,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        quiet=True,
    )
    thread = threading.Thread(target=worker.start, name="parley-embedded-worker", daemon=True)
    thread.start()
    return thread


def start_periodic_timer(tick_seconds: float = 1.0) -> threading.Thread:
    """Send each scheduled task when it is due, like beat does, until the process exits."""
    schedules = {
        name: maybe_schedule(entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }
    # Never run: every job is due at start, so a restart sweeps the outbox and wakes snoozes at once.
    never = datetime(2000, 1, 1, tzinfo=UTC)
    last_run = {name: never for name in schedules}

    def run() -> None:
        while True:
            for name, schedule in schedules.items():
                due, _ = schedule.is_due(last_run[name])
                if due:
                    last_run[name] = app.now()
                    try:
                        app.send_task(settings.CELERY_BEAT_SCHEDULE[name]["task"])
                    except Exception:
                        logger.exception("periodic job %s could not be queued", name)
            time.sleep(tick_seconds)

    thread = threading.Thread(target=run, name="parley-embedded-timer", daemon=True)
    thread.start()
    return thread
