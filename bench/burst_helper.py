"""The routing benchmark's workers: processes of their own (a web or worker process each, as in
production, and no GIL shared between them), each calling one product service for its share of
the conversations, all starting on the same signal.

Run by bench/routing.py as `python -m bench.burst_helper SPEC.json RESULT.json`, with the Django
settings of the run in its environment. SPEC: action ("receive": message_receive for each contact
id in `ids` on inbox `inbox_id`; "resolve": conversation_resolve of each conversation id in `ids`
by its assignee). The worker prints READY once set up, waits for a line on stdin, works, and
writes its first start and last end (CLOCK_MONOTONIC, one clock for the machine), each call's ms
and the first errors.
"""

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from conversations import events, services  # noqa: E402
from conversations.models import Contact, Conversation, Inbox  # noqa: E402


class ErrorsLogged(logging.Handler):
    """Routing runs in robust on_commit callbacks: Django logs what they raise and goes on."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.samples) < 3:
            self.samples.append(self.format(record)[-600:])


def _calls(spec: dict):
    """The (prepared) calls of this worker's share, loaded before the signal."""
    if spec["action"] == "receive":
        inbox = Inbox.objects.get(pk=spec["inbox_id"])
        contacts = Contact.objects.in_bulk(spec["ids"])
        return [
            lambda c=contacts[pk]: services.message_receive(inbox=inbox, contact=c, body=f"Hello from {c.pk}")
            for pk in spec["ids"]
        ]
    conversations = Conversation.objects.select_related("assignee").in_bulk(spec["ids"])
    return [
        lambda c=conversations[pk]: services.conversation_resolve(conversation=c, actor=c.assignee)
        for pk in spec["ids"]
    ]


def main(spec_path: str, result_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    errors = ErrorsLogged()
    logging.getLogger("django.db.backends.base").addHandler(errors)
    calls = _calls(spec)
    print("READY", flush=True)
    sys.stdin.readline()
    timings, raised = [], []
    started = time.monotonic()
    for call in calls:
        t0 = time.perf_counter()
        try:
            call()
        except Exception as error:  # a failing call is a finding: count it and go on
            if len(raised) < 3:
                raised.append(f"{type(error).__name__}: {error}"[:500])
        timings.append(round((time.perf_counter() - t0) * 1000, 3))
    ended = time.monotonic()
    with contextlib.suppress(TimeoutError):  # what is unsent by then goes with the process
        events.publisher.drain(timeout=30)
    result = {
        "started": started,
        "ended": ended,
        "call_ms": timings,
        "raised": raised,
        "routing_errors": errors.count,
        "routing_error_samples": errors.samples,
    }
    Path(result_path).write_text(json.dumps(result))
    connection.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
