"""Background jobs, asked for by name: how a service queues work without importing the tasks that
do it (tasks call services, so services importing tasks would be a cycle). A job's name is its
Celery task's name; each app's AppConfig.ready imports its tasks module, so every name resolves in
web processes as in workers, and an unknown name fails loudly (celery.exceptions.NotRegistered)."""

from functools import partial

from celery import current_app
from django.db import transaction

# The core's jobs (conversations/tasks.py).
DELIVER_MESSAGE = "conversations.tasks.deliver_message"
ANNOUNCE_QUEUE = "conversations.tasks.announce_queue"
ROUTE_FREED_AGENTS = "conversations.tasks.route_freed_agents"
SEND_TRANSCRIPT = "conversations.tasks.send_transcript"
NOTIFY_CONTACT_OF_REPLIES = "conversations.tasks.notify_contact_of_replies"


def run(job: str, *args, countdown: float | None = None) -> None:
    """Queue the job now (sweeps; or from inside an on-commit callback)."""
    current_app.tasks[job].apply_async(args, countdown=countdown)


def run_after_commit(job: str, *args, countdown: float | None = None) -> None:
    """Queue the job once the current transaction commits, never if it rolls back. Robust: a
    broker that is down loses nothing, since the row the job works on is committed and a sweep
    queues what is due."""
    transaction.on_commit(partial(run, job, *args, countdown=countdown), robust=True)
