"""Daily rollups: each day's figures computed from the fact log once, so a report over 90 days
reads 90 days of totals, not a million facts.

A day is computed from its facts, the full history of the conversations they touch (a measure
needs the moment its clock started) and what the day before carried over (the conversations open
and assigned, the agents not offline). `catch_up` recomputes every day a new fact touches, and
the days after it whose carry it changes; `compute_days` is also the raw baseline the benchmark
and the agreement test compare with.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from conversations.hours import Schedule, schedule_of
from conversations.models import Inbox

from .models import DailyFigure, DayCarry, Fact, HandledDay, RollupState
from .timeline import Measure, replay
from .workload import AgentDay, Stretch, agent_days

Dimension = DailyFigure.Dimension
ACCOUNT = ""
# Facts newer than this may still be committing in another transaction with a lower id: the
# days they fall on are recomputed on every run until they are this old.
SETTLING = timedelta(minutes=5)
# Figures that break down by a detail (a hand-off's reason, an SLA's target, a CSAT rating).
DETAILED = {"handed_off", "sla_met", "sla_missed", "csat_answered"}


def reporting_zone() -> ZoneInfo:
    return ZoneInfo(settings.PARLEY_REPORTS_TIME_ZONE)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = reporting_zone()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def day_of(instant: datetime) -> date:
    return instant.astimezone(reporting_zone()).date()


@dataclass(frozen=True)
class InboxFacts:
    schedule: Schedule
    channel: str
    live: bool


def inbox_facts() -> dict[int, InboxFacts]:
    return {
        inbox.pk: InboxFacts(schedule_of(inbox), inbox.channel_type, inbox.mode == Inbox.Mode.LIVE)
        for inbox in Inbox.objects.all()
    }


@dataclass
class Totals:
    count: int = 0
    seconds: float = 0.0
    business_seconds: float = 0.0
    peak: float = 0.0


@dataclass
class DayResult:
    day: date
    figures: dict[tuple[str, str, str], Totals] = field(default_factory=lambda: defaultdict(Totals))
    handled: set[tuple[int, int, int]] = field(default_factory=set)  # (agent, conversation, inbox)
    carry_conversations: list[list] = field(default_factory=list)  # [conversation, agent, live]
    carry_agents: dict[str, str] = field(default_factory=dict)


# --- computing one day ---


def compute_day(day: date, carry: DayCarry | None, inboxes: dict[int, InboxFacts]) -> DayResult:
    """One day's figures. Conversations with facts that day are replayed from their first fact;
    those the day before carried over and that stay quiet all day are carried on as they were,
    without reading their history (an open conversation is quiet on most of its days)."""
    start, end = day_bounds(day)
    result = DayResult(day)
    touched = set(
        Fact.objects.filter(at__gte=start, at__lt=end, conversation_id__isnull=False)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    stretches: list[Stretch] = []
    for conversation_id, agent_id, live in carry.conversations if carry else ():
        if conversation_id not in touched:
            stretches.append(Stretch(agent_id, start, None, live))
            result.carry_conversations.append([conversation_id, agent_id, live])
    for conversation_id, inbox_id, facts in _histories(touched, end):
        inbox = inboxes.get(inbox_id)
        if inbox is None:
            continue
        replayed = replay(facts, inbox.schedule, live=inbox.live)
        for measure in replayed.measures:
            if start <= measure.stopped_at < end:
                _add(result, measure, inbox_id, inbox.channel)
        for agent_id, at in replayed.handled:
            if start <= at < end:
                result.handled.add((agent_id, conversation_id, inbox_id))
        stretches.extend(Stretch(c.agent_id, c.start, c.end, inbox.live) for c in replayed.carried)
        if replayed.carried and replayed.carried[-1].end is None:
            result.carry_conversations.append([conversation_id, replayed.carried[-1].agent_id, inbox.live])
    availability = {int(agent): state for agent, state in (carry.agents if carry else {}).items()}
    presence = list(
        Fact.objects.filter(kind=Fact.Kind.PRESENCE, at__gte=start, at__lt=end)
        .order_by("at", "id")
        .values_list("agent_id", "at", "data__availability")
    )
    for agent_id, day_figures in agent_days(
        start, end, availability_at_start=availability, presence=presence, stretches=stretches
    ).items():
        _add_agent_day(result, agent_id, day_figures)
    for agent_id, _, state in presence:
        availability[agent_id] = state
    result.carry_agents = {str(agent): state for agent, state in availability.items() if state != "offline"}
    result.carry_conversations.sort()
    return result


def _histories(conversation_ids: set[int], end: datetime) -> Iterator[tuple[int, int, list[Fact]]]:
    """Each conversation's facts up to `end`, in order, read in chunks."""
    ids = sorted(conversation_ids)
    for offset in range(0, len(ids), 2000):
        chunk = ids[offset : offset + 2000]
        rows = (
            Fact.objects.filter(conversation_id__in=chunk, at__lt=end)
            .order_by("conversation_id", "at", "id")
            .only("at", "kind", "conversation_id", "inbox_id", "agent_id", "team_id", "data")
        )
        current, inbox_id, facts = None, None, []
        for fact in rows.iterator(chunk_size=5000):
            if fact.conversation_id != current:
                if facts:
                    yield current, inbox_id, facts
                current, inbox_id, facts = fact.conversation_id, fact.inbox_id, []
            facts.append(fact)
        if facts:
            yield current, inbox_id, facts


def _slices(measure: Measure, inbox_id: int, channel: str) -> Iterator[tuple[str, str]]:
    yield Dimension.ACCOUNT, ACCOUNT
    yield Dimension.INBOX, str(inbox_id)
    yield Dimension.CHANNEL, channel
    if measure.team_id is not None:
        yield Dimension.TEAM, str(measure.team_id)
    if measure.agent_id is not None:
        yield Dimension.AGENT, str(measure.agent_id)
    for label in measure.labels:
        yield Dimension.LABEL, str(label)


def _add(result: DayResult, measure: Measure, inbox_id: int, channel: str) -> None:
    names = [measure.figure]
    if measure.figure in DETAILED and measure.detail:
        names.append(f"{measure.figure}.{measure.detail}")
    for dimension, key in _slices(measure, inbox_id, channel):
        for name in names:
            totals = result.figures[(name, dimension, key)]
            totals.count += 1
            totals.seconds += measure.seconds
            totals.business_seconds += measure.business_seconds


AGENT_TIME = ("online", "away", "busy")


def _add_agent_day(result: DayResult, agent_id: int, day: AgentDay) -> None:
    values = {
        "online": (day.online, 0),
        "away": (day.away, 0),
        "busy": (day.busy, 0),
        "load_live": (day.load_live, day.peak_live),
        "load_messaging": (day.load_messaging, day.peak_messaging),
    }
    for name, (seconds, peak) in values.items():
        for dimension, key in ((Dimension.AGENT, str(agent_id)), (Dimension.ACCOUNT, ACCOUNT)):
            totals = result.figures[(name, dimension, key)]
            totals.count += 1
            totals.seconds += seconds
            totals.peak = max(totals.peak, peak)


def compute_days(first: date, last: date) -> Iterator[DayResult]:
    """Every day from `first` to `last`, straight from the facts: the chain of carries starts
    from the first day that has facts."""
    inboxes = inbox_facts()
    carry = None
    earliest = first_fact_day()
    if earliest is None:
        return
    day = min(first, earliest)
    while day <= last:
        result = compute_day(day, carry, inboxes)
        carry = DayCarry(day=day, conversations=result.carry_conversations, agents=result.carry_agents)
        if day >= first:
            yield result
        day += timedelta(days=1)


def first_fact_day() -> date | None:
    first = Fact.objects.aggregate(first=Min("at"))["first"]
    return None if first is None else day_of(first)


# --- storing ---


def store(result: DayResult) -> None:
    with transaction.atomic():
        DailyFigure.objects.filter(day=result.day).delete()
        HandledDay.objects.filter(day=result.day).delete()
        DailyFigure.objects.bulk_create(
            DailyFigure(
                day=result.day,
                figure=figure,
                dimension=dimension,
                key=key,
                count=totals.count,
                seconds=totals.seconds,
                business_seconds=totals.business_seconds,
                peak=totals.peak,
            )
            for (figure, dimension, key), totals in result.figures.items()
        )
        HandledDay.objects.bulk_create(
            HandledDay(day=result.day, agent_id=agent, conversation_id=conversation, inbox_id=inbox)
            for agent, conversation, inbox in result.handled
        )
        DayCarry.objects.update_or_create(
            day=result.day,
            defaults={"conversations": result.carry_conversations, "agents": result.carry_agents},
        )


def rebuild(first: date, last: date) -> int:
    """Recompute and store every day from `first` to `last`, each from the day before's carry
    (computed first when it is missing). Returns how many days were stored."""
    inboxes = inbox_facts()
    earliest = first_fact_day()
    if earliest is None:
        return 0
    day = max(first, earliest)
    carry = DayCarry.objects.filter(day=day - timedelta(days=1)).first()
    if carry is None and day > earliest:
        stored_before = DayCarry.objects.filter(day__lt=day).aggregate(last=Max("day"))["last"]
        day = earliest if stored_before is None else stored_before + timedelta(days=1)
        carry = DayCarry.objects.filter(day=day - timedelta(days=1)).first()
    stored = 0
    while day <= last:
        result = compute_day(day, carry, inboxes)
        store(result)
        stored += 1
        carry = DayCarry(day=day, conversations=result.carry_conversations, agents=result.carry_agents)
        day += timedelta(days=1)
    return stored


def catch_up(now: datetime | None = None) -> int:
    """Take in the facts written since the last run: recompute from the earliest day any of
    them falls on (or from the settling window) to today. Returns the days stored."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        new = Fact.objects.filter(id__gt=state.last_fact_id).aggregate(first=Min("at"), newest=Max("id"))
        since = now - SETTLING
        earliest = since if new["first"] is None else min(new["first"], since)
        stored = rebuild(day_of(earliest), day_of(now))
        if new["newest"] is not None:
            state.last_fact_id = new["newest"]
            state.save(update_fields=["last_fact_id", "updated_at"])
    return stored
