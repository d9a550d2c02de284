"""The expiry sweep's reads of due sessions walk their partial indexes, oldest first, however many
sessions earlier batches closed: a drain's batches cost the same at its end as at its start.

Unordered, with many sessions due, Postgres chose to read the table from its start: past every
session the drain had already closed, so each batch read more rows than the one before (74,000
rows and 13 ms for the 241st of 250 in bench/expiry.py).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, LiveSession
from tests.factories.conversations import ContactFactory, InboxFactory

CLOSED_EARLIER = 3000  # what a drain has ended so far: closed rows ahead in the table
STILL_DUE = 600  # far more than a batch, as in the middle of a drain


def seed(inbox, *, left: bool) -> None:
    """Open sessions, all due (the customer left, or idle past the timeout), and the statistics
    Postgres had of them when a drain began; then the first CLOSED_EARLIER closed by the drain."""
    now = timezone.now()
    contact = ContactFactory()
    conversations = Conversation.objects.bulk_create(
        Conversation(inbox=inbox, contact=contact, last_activity_at=now)
        for _ in range(CLOSED_EARLIER + STILL_DUE)
    )
    long_ago = now - timedelta(hours=2)
    sessions = LiveSession.objects.bulk_create(
        LiveSession(
            conversation=conversation,
            inbox=inbox,
            opened_at=long_ago,
            last_activity_at=long_ago,
            customer_left_at=long_ago if left else None,
        )
        for conversation in conversations
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LiveSession._meta.db_table}")
    LiveSession.objects.filter(pk__in=[session.pk for session in sessions[:CLOSED_EARLIER]]).update(
        closed_at=now
    )


def due_scans_plans() -> list[str]:
    """EXPLAIN of each read of due sessions one batch of the sweep makes."""
    with CaptureQueriesContext(connection) as captured:
        services.live_sessions_expire_batch()
    scans = [  # the locking reads but the one that re-reads the sessions found with their conversations
        query["sql"]
        for query in captured.captured_queries
        if "SKIP LOCKED" in query["sql"] and "FOR UPDATE OF" not in query["sql"]
    ]
    assert scans, "the sweep read no due sessions"
    plans = []
    with connection.cursor() as cursor:
        for sql in scans:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("left", [True, False], ids=["customers-left", "idle-past-the-timeout"])
def test_due_sessions_are_read_from_their_index_not_the_table(left):
    if connection.vendor != "postgresql":
        pytest.skip("the plans are Postgres's")
    seed(InboxFactory(mode="live", session_timeout=timedelta(minutes=10)), left=left)

    for plan in due_scans_plans():
        assert f"Seq Scan on {LiveSession._meta.db_table}" not in plan, plan
