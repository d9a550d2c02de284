"""The retention benchmark's sweep worker: a process of its own (as the Celery worker that runs the
sweep in production) that drains privacy.retention.conversations_retain_batch as the task
privacy.tasks.retain_inbox_conversations does: one bounded batch per call on a low-priority thread
(conversations.pacing), the next from the batch's cursor after its rest
(privacy.retention.retention_rest) while a batch was full. It times every call.

Run by bench/retention.py as `python -m bench.retention_helper SPEC.json RESULT.json` with the
settings of the server under test in its environment: it prints READY once set up and starts on
the next line it reads on stdin. SPEC: policy_id, now (ISO, the seed's clock), limit_seconds
(a drain still going then stops, and says so).
"""

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from conversations.pacing import at_low_priority  # noqa: E402
from privacy.models import RetentionPolicy  # noqa: E402
from privacy.retention import conversations_retain_batch, retention_rest  # noqa: E402


def counted_batch(**kwargs) -> tuple:
    """One batch, with the statements it ran on this thread's connection."""
    with CaptureQueriesContext(connection) as queries:
        return conversations_retain_batch(**kwargs), len(queries)


def drain(policy: RetentionPolicy, now: datetime, limit_seconds: float) -> dict:
    batches, cursor, drained = [], None, False
    started_at = time.monotonic()
    while time.monotonic() - started_at < limit_seconds:
        began = time.perf_counter()
        batch, queries = at_low_priority(counted_batch, policy=policy, now=now, after=cursor).result
        batches.append(
            {
                "conversations": batch.conversations,
                "messages": batch.messages,
                "contacts": batch.contacts,
                "ms": round((time.perf_counter() - began) * 1000, 2),
                "queries": queries,
            }
        )
        cursor = batch.cursor
        if cursor is None:
            drained = True
            break
        time.sleep(retention_rest(batches[-1]["ms"] / 1000))
    return {
        "batches": batches,
        "drained": drained,
        "started_at": started_at,
        "seconds": round(time.monotonic() - started_at, 2),
    }


def main(spec_path: str, result_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    policy = RetentionPolicy.objects.get(pk=spec["policy_id"])
    connection.ensure_connection()
    print("READY", flush=True)
    sys.stdin.readline()
    result = drain(policy, datetime.fromisoformat(spec["now"]), spec["limit_seconds"])
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
