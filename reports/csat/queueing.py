"""Queue a survey for each resolve, inside the resolve's own transaction (the core's durable
subscribers: events.subscribe_durably), so a committed resolve always has its survey and a rolled
back one never does. Sending is a job after commit; a broker that was down loses nothing, since
the sweep here queues again what stayed queued.

Credit: the assignee at resolve time and the conversation's team then (docs/reports.md). Ending a
live chat resolves and unassigns in one statement, so there the credit goes to the agent who had
the session it closed.
"""

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from conversations import events, jobs
from conversations.event_catalogue import EventType
from conversations.models import Conversation, LiveSession
from reports.models import CsatSettings, CsatSurvey

SEND_SURVEYS = "reports.csat.tasks.send_surveys"  # a job (conversations.jobs): sending.surveys_send
STALE_AFTER = timedelta(minutes=2)  # a queued survey older than this lost its job: queue it again
REQUEUE_BATCH = 500


def surveys_queue(batch: Sequence[events.Event]) -> None:
    """The durable subscriber: a queued survey for every resolve in `batch` on an inbox that asks,
    and its send job after commit. Every other event costs one comparison."""
    resolves = [
        event
        for event in batch
        if event.get("type") == EventType.CONVERSATION_STATUS_CHANGED
        and event.get("status") == Conversation.Status.RESOLVED
    ]
    if not resolves:
        return
    # Which of the batch's inboxes ask, from the small settings table: a sweep ending hundreds of
    # chats on inboxes that do not ask reads no conversation.
    asking = set(
        CsatSettings.objects.filter(
            enabled=True, inbox_id__in={event["inbox_id"] for event in resolves}
        ).values_list("inbox_id", flat=True)
    )
    if not asking:
        return
    resolved = list(
        Conversation.objects.filter(
            pk__in={event["conversation_id"] for event in resolves if event["inbox_id"] in asking},
            status=Conversation.Status.RESOLVED,
            resolved_at__isnull=False,
        ).values("pk", "inbox_id", "resolved_at", "assignee_id", "team_id")
    )
    if not resolved:
        return
    live_agents = _live_chat_agents([row for row in resolved if row["assignee_id"] is None])
    CsatSurvey.objects.bulk_create(
        [
            CsatSurvey(
                conversation_id=row["pk"],
                inbox_id=row["inbox_id"],
                resolved_at=row["resolved_at"],
                agent_id=row["assignee_id"] or live_agents.get((row["pk"], row["resolved_at"])),
                team_id=row["team_id"],
            )
            for row in resolved
        ],
        ignore_conflicts=True,  # one survey per resolve, whatever announced it twice
    )
    for row in resolved:
        jobs.run_after_commit(SEND_SURVEYS, row["pk"])


def _live_chat_agents(unassigned: list[dict]) -> dict[tuple, int]:
    """(conversation id, resolved at) -> the agent of the live session that resolve closed."""
    if not unassigned:
        return {}
    closed = LiveSession.objects.filter(
        conversation_id__in=[row["pk"] for row in unassigned],
        closed_at__in=[row["resolved_at"] for row in unassigned],
        kind=LiveSession.Kind.LIVE,
        agent__isnull=False,
    ).values_list("conversation_id", "closed_at", "agent_id")
    return {(conversation_id, closed_at): agent_id for conversation_id, closed_at, agent_id in closed}


def surveys_requeue_stale(*, now=None) -> int:
    """Queue again the send of surveys queued for longer than STALE_AFTER (their job was lost to a
    broker outage); the send is idempotent, so a slow job queued twice sends once. Beat runs it."""
    now = now or timezone.now()
    stale = (
        CsatSurvey.objects.filter(state=CsatSurvey.State.QUEUED, created_at__lt=now - STALE_AFTER)
        .order_by("created_at")
        .values_list("conversation_id", flat=True)[:REQUEUE_BATCH]
    )
    conversation_ids = set(stale)
    for conversation_id in conversation_ids:
        jobs.run(SEND_SURVEYS, conversation_id)
    return len(conversation_ids)
