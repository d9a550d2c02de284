"""The reports benchmark's data generator (bench/reports_data.py) on the real database, at a tiny
size: the rows and facts it is asked for, each conversation's facts in an order the services could
have written them, rows that agree with their facts, and the same data again for the same seed."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction

from agents.models import AgentProfile, InboxMembership, Team
from bench.reports_data import Summary, generate
from bench.reports_plan import HOURS, OpenHours
from conversations.hours import schedule_from
from conversations.models import Conversation, Inbox, Label, LiveSession
from reports.models import CsatSurvey, Fact, SlaClock

pytestmark = pytest.mark.django_db

END = datetime(2026, 11, 2, tzinfo=UTC)  # Europe and North America left summer time in the window
SIZE = {"conversations": 200, "messages": 2_000, "agents": 10, "inboxes": 10, "days": 14, "end": END}


@pytest.fixture
def dataset() -> Summary:
    return generate(**SIZE)


def facts_by_conversation() -> dict[int, list[Fact]]:
    facts = defaultdict(list)
    for fact in Fact.objects.exclude(conversation_id=None).order_by("at", "id"):
        facts[fact.conversation_id].append(fact)
    return facts


def test_business_deadlines_agree_with_the_inbox_schedule():
    schedule = schedule_from(timezone="Europe/Paris", business_hours=HOURS["long"], holidays=["2026-10-28"])
    hours = OpenHours(schedule, date(2026, 10, 15), date(2026, 12, 31))
    rng = random.Random(7)
    for _ in range(300):
        start = datetime(2026, 10, 20, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 20 * 86400))
        seconds = rng.choice([120, 180, 3600, 7200, 86400])
        expected = schedule.deadline(start, seconds)
        assert hours.deadline(start.timestamp(), seconds) == pytest.approx(expected.timestamp(), abs=1e-3)


def test_the_dataset_has_the_rows_and_facts_asked_for(dataset):
    assert Conversation.objects.count() == dataset.conversations == 200
    assert Fact.objects.filter(kind=Fact.Kind.CREATED).count() == 200
    messages = Fact.objects.filter(kind=Fact.Kind.MESSAGE).count()
    assert messages == dataset.messages
    assert 0.85 * 2_000 <= messages <= 1.1 * 2_000  # planned exactly; less what the window's end cuts off
    assert Fact.objects.count() == dataset.facts
    inboxes = Inbox.objects.filter(pk__in=dataset.inbox_ids)
    assert [inbox.mode for inbox in inboxes.order_by("pk")][:2] == [Inbox.Mode.LIVE] * 2
    assert inboxes.filter(mode=Inbox.Mode.LIVE).count() == 2
    for inbox in inboxes:
        inbox.clean()  # the hours are ones the admin accepts
        assert max(len(periods) for periods in inbox.business_hours.values()) >= 2
    assert AgentProfile.objects.filter(user_id__in=dataset.agent_ids).count() == 10
    assert Team.objects.filter(pk__in=dataset.team_ids).count() == 5
    assert Label.objects.filter(pk__in=dataset.label_ids).count() == 12
    assert set(Fact.objects.values_list("kind", flat=True)) == set(Fact.Kind.values)


def test_every_conversation_starts_with_its_creation_and_its_facts_run_forward(dataset):
    start = END - timedelta(days=14)
    assert not Fact.objects.filter(at__lt=start).exists()
    assert not Fact.objects.filter(at__gte=END).exists()
    facts = facts_by_conversation()
    assert len(facts) == 200
    for conversation_id, history in facts.items():
        assert history[0].kind == Fact.Kind.CREATED, conversation_id
        assert (history[1].kind, history[1].data) == (Fact.Kind.MESSAGE, {"sender": "contact"})
        assert [fact.id for fact in history] == sorted(fact.id for fact in history)  # ids follow time
        assert len({fact.at for fact in history}) == len(history)  # no two at one instant
        assert all(fact.at.utcoffset() == timedelta(0) for fact in history)


def test_each_conversation_row_agrees_with_its_facts(dataset):
    facts = facts_by_conversation()
    for conversation in Conversation.objects.all():
        history = facts[conversation.pk]
        statuses = [fact for fact in history if fact.kind == Fact.Kind.STATUS]
        assert conversation.status == (statuses[-1].data["status"] if statuses else "open")
        assignments = [fact for fact in history if fact.kind == Fact.Kind.ASSIGNED]
        assert conversation.assignee_id == (assignments[-1].agent_id if assignments else None)
        if conversation.status == "resolved":
            assert conversation.resolved_at == statuses[-1].at
        if conversation.status == "snoozed":
            assert conversation.snoozed_until > END
        reopens = [fact for fact in statuses if fact.data == {"status": "open", "previous": "resolved"}]
        assert conversation.reopen_count == len(reopens)
    assert Conversation.objects.filter(status="open").count() == dataset.open_conversations > 0
    assert Conversation.objects.filter(status="resolved").count() > 100


def test_agents_answer_only_in_inboxes_they_work(dataset):
    works = set(InboxMembership.objects.values_list("agent_id", "inbox_id"))
    answered = Fact.objects.filter(kind=Fact.Kind.MESSAGE, data__sender="agent")
    assigned = Fact.objects.filter(kind=Fact.Kind.ASSIGNED).exclude(agent_id=None)
    for fact in [*answered, *assigned]:
        assert (fact.agent_id, fact.inbox_id) in works


def test_live_sessions_sla_clocks_and_surveys_agree_with_the_facts(dataset):
    for fact in Fact.objects.filter(kind=Fact.Kind.SESSION_ENDED):
        session = LiveSession.objects.get(pk=fact.data["session"])
        assert (session.conversation_id, session.closed_at, session.close_reason) == (
            fact.conversation_id,
            fact.at,
            fact.data["reason"],
        )
    assert not LiveSession.objects.exclude(inbox_id__in=dataset.live_inbox_ids).exists()
    running = SlaClock.objects.filter(stopped_at=None)
    assert running.exists()
    for conversation in Conversation.objects.all():
        due = [clock.due_at for clock in running if clock.conversation_id == conversation.pk]
        assert conversation.sla_due_at == (min(due) if due else None)
    missed = Fact.objects.filter(kind=Fact.Kind.SLA_MISSED).count()
    assert (
        missed
        == SlaClock.objects.exclude(breached_at=None).count()
        + SlaClock.objects.filter(outcome="missed", breached_at=None).count()
    )
    resolves = set(
        Fact.objects.filter(kind=Fact.Kind.STATUS, data__status="resolved").values_list(
            "conversation_id", "at"
        )
    )
    assert (
        set(CsatSurvey.objects.values_list("conversation_id", "resolved_at")) <= resolves
    )  # one per resolve
    sent = Fact.objects.filter(kind=Fact.Kind.CSAT_SENT).count()
    assert sent == CsatSurvey.objects.filter(state__in=["sent", "answered"]).count() > 0
    assert (
        Fact.objects.filter(kind=Fact.Kind.CSAT_ANSWERED).count()
        == CsatSurvey.objects.filter(state="answered").count()
    )


def normalised(summary: Summary) -> list[tuple]:
    """The fact log with each id replaced by its rank among its kind's ids (ids differ run to run)."""
    conversations = {pk: n for n, pk in enumerate(sorted(Conversation.objects.values_list("pk", flat=True)))}
    sessions = {pk: n for n, pk in enumerate(sorted(LiveSession.objects.values_list("pk", flat=True)))}
    people = {pk: n for n, pk in enumerate([*summary.agent_ids, *summary.team_ids])} | {None: None}
    inboxes = {pk: n for n, pk in enumerate(summary.inbox_ids)} | {None: None}
    labels = {pk: n for n, pk in enumerate(summary.label_ids)}
    rows = []
    for fact in Fact.objects.order_by("id"):
        data = dict(fact.data)
        if "session" in data:
            data["session"] = sessions[data["session"]]
        if "labels" in data:
            data["labels"] = [labels[pk] for pk in data["labels"]]
        conversation = conversations.get(fact.conversation_id)
        agent, team, inbox = people[fact.agent_id], people[fact.team_id], inboxes[fact.inbox_id]
        rows.append((fact.at, fact.kind, conversation, inbox, agent, team, sorted(data.items())))
    return rows


def generated(seed: int) -> list[tuple]:
    with transaction.atomic():
        rows = normalised(generate(**SIZE, seed=seed))
        transaction.set_rollback(True)
    return rows


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    first = generated(seed=3)
    assert generated(seed=3) == first
    assert generated(seed=4) != first
