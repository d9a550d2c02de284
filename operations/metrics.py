"""Parley's instruments: every counter, gauge and histogram a process keeps, declared once.

A neutral module (it imports none of our apps), so the core and every edge app count through it
with one line at the place the thing happens. Hot-path instruments are a label lookup done once
and an increment per event: never more per socket per event than one counter.

Multiprocess-safe: with PROMETHEUS_MULTIPROC_DIR set (docker-compose sets it, a directory of the
container's own, empty at every start) each process writes its values to files there and
operations.exposition sums them; unset (`make run`, tests, a plain dev process), values live in
the process and the default registry serves them. Figures that are a state of the database or
the broker (outbox depth and age, receipts pending, queue lengths) are not kept here: they are
read when scraped (operations.collectors).
"""

import functools
import os

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.metrics import MetricWrapperBase

# No `_created` series (a timestamp per labelled child, beside every counter and histogram):
# Prometheus does not need them, they double the page, and a family grew them only once its
# first child existed, so the page's list of names depended on what had happened.
disable_created_metrics()

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROCESS_DIR:  # prometheus_client writes its files there from the first value on
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)

# --- HTTP: every request, by the URL pattern it matched (never the path: ids would explode it) ---
HTTP_REQUESTS = Counter(
    "parley_http_requests",
    "HTTP requests answered, by matched route, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "parley_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by matched route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# --- Sockets and events ---
SOCKETS_OPEN = Gauge(
    "parley_sockets_open",
    "Websockets serving (authenticated and hearing their groups), by kind.",
    ["kind"],
    multiprocess_mode="livesum",
)
SOCKETS_CLOSED = Counter(
    "parley_sockets_closed",
    "Serving websockets that ended, by kind and close code (1000/1001: the client left).",
    ["kind", "code"],
)
EVENTS_PUBLISHED = Counter(
    "parley_events_published",
    "Events handed to the channel layer after their commit, by type.",
    ["type"],
)
EVENTS_DELIVERED = Counter(
    "parley_events_delivered",
    "Event frames written to a socket, by socket kind.",
    ["kind"],
)
SOCKET_RESYNCS = Counter(
    "parley_socket_resyncs",
    "Sockets that fell behind (client not reading, events late, layer overflow) and were told to resync.",
    ["kind", "reason"],
)

# --- Outbound delivery, webhooks, routing, the bot, Celery ---
DELIVERY_ATTEMPTS = Counter(
    "parley_delivery_attempts",
    "Provider delivery attempts, by channel type, outcome (accepted, found, retry, refused, unknown, "
    "not_sent) and provider error code ('' when none).",
    ["provider", "outcome", "code"],
)
WEBHOOKS_RECEIVED = Counter(
    "parley_webhooks_received",
    "Provider webhook requests answered by the webhook door, by channel and status code.",
    ["provider", "status"],
)
ROUTING_WAIT = Histogram(
    "parley_routing_wait_seconds",
    "How long a conversation waited unassigned before routing gave it to an agent, by inbox mode.",
    ["mode"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
)
BOT_OUTCOMES = Counter(
    "parley_bot_outcomes",
    "Answer-bot episodes ended, by outcome (resolved_confirmed, resolved_assumed, handed_off, abandoned).",
    ["outcome"],
)
# --- Email inboxes read by IMAP ---
MAILS_READ = Counter(
    "parley_mailbox_mails_read",
    "Mails read from email inboxes' IMAP mailboxes and stored (by the beat's poll or a watcher).",
)
MAILBOX_POLL_FAILURES = Counter(
    "parley_mailbox_poll_failures",
    "Reads of an IMAP mailbox that failed (server away, login refused), by error class.",
    ["error"],
)
MAILBOXES_WATCHED = Gauge(
    "parley_mailboxes_watched",
    "Email inboxes whose mailbox a watcher is idling on now (IMAP IDLE): new mail in at once.",
    multiprocess_mode="livesum",
)
TASKS = Counter(
    "parley_celery_tasks",
    "Celery tasks run by this worker, by task name and result (success, retry, failure).",
    ["task", "result"],
)
TASK_DURATION = Histogram(
    "parley_celery_task_duration_seconds",
    "Run time of a Celery task, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0),
)


@functools.cache
def bound(metric: MetricWrapperBase, *labels: str) -> MetricWrapperBase:
    """`metric`'s child for `labels`, made once: `labels()` checks and locks on every call, which
    the hot path (an event published, a socket opened) need not pay again. For labels from a
    small fixed set only (event types, socket kinds), never from user input."""
    return metric.labels(*labels)
