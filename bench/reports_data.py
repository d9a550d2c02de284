"""The reports benchmark's data: 90 days of a support team's work (100,000 conversations, about
1,000,000 messages, 50 agents, 10 inboxes, with realistic hours) as the fact log reports count
from, with the rows its pages name: inboxes with business hours, agents, teams, labels, contacts,
conversations and live chats. One call, one transaction, about a minute at full size:

    summary = generate()                                    # the issue's size, ending today 00:00 UTC
    summary = generate(conversations=2_000, messages=20_000)  # smoke size

Each conversation's course is planned first (bench/reports_plan.py: bot or person, how it ends,
whether it comes back, how many messages, adding up to `messages`), then played in time order
(bench/reports_play.py) as the services would have recorded it (bench/reports_lives.py). What
would happen at or after `end` is cut off, and each row is its state at that moment. Facts are
sorted by time and COPYed, so their ids grow with time as the live log's do. No message rows:
reports count message facts, and 1,000,000 rows would take longer than everything else together.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter

import psycopg
from django.db import connection, transaction
from django.db.models import Model
from django.test.utils import override_settings

from agents.models import AgentProfile, Team
from agents.services import agent_create
from bench.reports_lives import Life, World
from bench.reports_plan import (
    HOURS,
    INBOXES,
    TARGETS,
    TEAMS,
    WINDOWED,
    InboxKind,
    InboxPlan,
    courses,
    inbox_plan,
    presence,
    share_messages,
    staff_from,
)
from bench.reports_play import play
from bench.seed_helper import copy_rows, reserve_ids
from conversations.hours import schedule_from
from conversations.models import Contact, Conversation, Inbox, LiveSession
from conversations.services import label_create
from reports.models import CsatSettings, CsatSurvey, Fact, SlaClock, SlaPolicy

COMMENTS = (
    "Quick and friendly, thanks!",
    "Took a while to get an answer.",
    "Sorted in minutes.",
    "Still waiting for my refund.",
    "Very helpful, thank you.",
    "Had to explain it twice.",
)
LABELS = [
    ("billing", "#2563eb"),
    ("refund", "#dc2626"),
    ("shipping", "#d97706"),
    ("order-status", "#0891b2"),
    ("returns", "#7c3aed"),
    ("bug", "#b91c1c"),
    ("feature-request", "#059669"),
    ("account", "#4b5563"),
    ("vip", "#ca8a04"),
    ("complaint", "#be123c"),
    ("onboarding", "#16a34a"),
    ("cancellation", "#6b7280"),
]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Femi", "Hana", "Ivan", "Kai", "Lena", "Nia", "Omar"]
LAST_NAMES = ["Silva", "Novak", "Okafor", "Lindqvist", "Tanaka"]
CONTACTS_PER_CONVERSATION = 0.75  # some customers come back with another conversation
FACT_COLUMNS = ("at", "kind", "conversation_id", "inbox_id", "agent_id", "team_id", "data")
CHUNK = 50_000  # facts per COPY write
US_PER_HOUR = 3_600_000_000
ANALYZED = (Fact, Conversation, LiveSession, SlaClock, CsatSurvey)


@dataclass
class Summary:
    conversations: int
    messages: int  # message facts
    facts: int
    facts_by_kind: dict[str, int]
    statuses: dict[str, int]  # conversation rows by status at the end
    open_conversations: int
    contacts: int
    live_sessions: int
    sla_clocks: dict[str, int]  # by outcome ("running" for those still running at the end)
    surveys: dict[str, int]  # by state
    first_day: date
    last_day: date
    end: datetime
    inbox_ids: list[int]
    live_inbox_ids: list[int]
    agent_ids: list[int]
    team_ids: list[int]
    label_ids: list[int]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class People:
    inboxes: list[Inbox]
    teams: dict[int, list[int]]  # Team id -> its agent ids, the lead first
    label_ids: list[int]
    policies: dict[int, int]  # inbox id -> the SlaPolicy that applies to it


def generate(
    *,
    conversations: int = 100_000,
    messages: int = 1_000_000,
    agents: int = 50,
    inboxes: int = 10,
    days: int = 90,
    seed: int = 1,
    end: datetime | None = None,
) -> Summary:
    """Write `days` of activity ending at `end` (aware; default today 00:00 UTC) into the default
    database, in one transaction: the same data for the same arguments and seed (ids aside). Needs
    at least 5 agents (one per team) and 2 inboxes; the first two inboxes are live chat. Once per
    database: the teams', labels' and agents' names are fixed (and unique)."""
    end = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    if agents < len(TEAMS) or inboxes < 2:
        raise ValueError(f"at least {len(TEAMS)} agents and 2 inboxes")
    rng, start, seconds = random.Random(seed), end - timedelta(days=days), {}
    started = time.perf_counter()
    with transaction.atomic():
        connection.ensure_connection()
        db = connection.connection
        db.execute("SET LOCAL synchronous_commit = off")  # a benchmark's database: no fsync wait
        people = _people(agents=agents, inboxes=inboxes, start=start.date())
        seconds["people"] = _lap(started)
        world, lives = _play(
            db,
            rng,
            people,
            start=start.timestamp(),
            end=end.timestamp(),
            days=days,
            conversations=conversations,
            messages=messages,
        )
        seconds["plan_and_play"] = _lap(started)
        contacts = _write(db, world, lives, seconds, started)
    seconds["commit"] = _lap(started)  # the foreign keys are checked here (deferred)
    statuses, kinds = Counter(life.status for life in lives), Counter(fact[1] for fact in world.facts)
    seconds["total"] = _lap(started)
    return Summary(
        conversations=len(lives),
        messages=kinds[Fact.Kind.MESSAGE],
        facts=len(world.facts),
        facts_by_kind=dict(sorted(kinds.items())),
        statuses=dict(sorted(statuses.items())),
        open_conversations=statuses["open"],
        contacts=contacts,
        live_sessions=len(world.sessions),
        sla_clocks=dict(sorted(Counter(clock["outcome"] or "running" for clock in world.clocks).items())),
        surveys=dict(sorted(Counter(survey["state"] for survey in world.surveys).items())),
        first_day=start.date(),
        last_day=(end - timedelta(microseconds=1)).date(),
        end=end,
        inbox_ids=[inbox.pk for inbox in people.inboxes],
        live_inbox_ids=[inbox.pk for inbox in people.inboxes if inbox.mode == Inbox.Mode.LIVE],
        agent_ids=sorted(agent for team in people.teams.values() for agent in team),
        team_ids=list(people.teams),
        label_ids=people.label_ids,
        seconds=seconds,
    )


def _lap(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def _kind(n: int) -> InboxKind:
    return INBOXES[n % len(INBOXES)]


def _people(*, agents: int, inboxes: int, start: date) -> People:
    """Inboxes with their survey settings and SLA policies, teams, labels and agents, through the
    models and services (a few hundred rows)."""
    teams = [Team.objects.create(name=name, description=f"Works in {zone}") for name, zone in TEAMS]
    created = [_inbox(n, start) for n in range(inboxes)]
    standard = _policy("Standard", live=False)
    policies = {
        inbox.pk: _policy(f"Live chat: {inbox.name}", live=True, inbox=inbox).pk
        if _kind(n).live
        else standard.pk
        for n, inbox in enumerate(created)
    }
    label_ids = [label_create(name=name, color=color).pk for name, color in LABELS]
    staff: dict[int, list[int]] = {team.pk: [] for team in teams}
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for n in range(agents):
            team = teams[n % len(teams)]
            works = [inbox for i, inbox in enumerate(created) if _kind(i).team == n % len(teams)]
            agent = agent_create(
                username=f"reports-agent-{n}",
                email=f"reports-agent-{n}@example.com",
                password=f"reports-agent-{n}-password",
                display_name=_agent_name(n),
                inboxes=created if n < len(teams) else works,  # each team's lead works every inbox
                teams=[team],
            )
            staff[team.pk].append(agent.pk)
    return People(created, staff, label_ids, policies)


def _inbox(n: int, start: date) -> Inbox:
    kind = _kind(n)
    inbox = Inbox.objects.create(
        name=kind.name if n < len(INBOXES) else f"{kind.name} {n // len(INBOXES) + 1}",
        channel_type=kind.channel,
        mode=Inbox.Mode.LIVE if kind.live else Inbox.Mode.MESSAGING,
        timezone=TEAMS[kind.team][1],
        business_hours=HOURS[kind.hours],
        holidays=[(start + timedelta(days=20 + 9 * kind.team)).isoformat()] if kind.hours == "office" else [],
        auto_resolve_after=timedelta(days=3) if kind.auto_resolve else None,
    )
    CsatSettings.objects.create(inbox=inbox, enabled=kind.surveys)
    return inbox


def _agent_name(n: int) -> str:
    surname, name = divmod(n, len(FIRST_NAMES))
    return f"{FIRST_NAMES[name]} {LAST_NAMES[surname % len(LAST_NAMES)]}"


def _policy(name: str, *, live: bool, inbox: Inbox | None = None) -> SlaPolicy:
    targets = {target: timedelta(seconds=seconds) for target, seconds in TARGETS[live].items()}
    return SlaPolicy.objects.create(name=name, inbox=inbox, **targets)


def _play(
    db: psycopg.Connection,
    rng: random.Random,
    people: People,
    *,
    start: float,
    end: float,
    days: int,
    conversations: int,
    messages: int,
) -> tuple[World, list[Life]]:
    team_ids, plans = list(people.teams), _inbox_plans(people, start, days)
    staff = staff_from(rng, people.teams, start, days)
    planned = courses(rng, plans, [_kind(n).share for n in range(len(plans))], staff, conversations)
    share_messages(rng, planned, messages)
    first_session = reserve_ids(db, LiveSession, 1)[0]  # and up: _copy_sessions moves the sequence on
    world = World(rng, end, staff, team_ids, people.label_ids, next_session=first_session)
    ids = reserve_ids(db, Conversation, len(planned))
    lives = [play(Life(world, conversation_id, c)) for conversation_id, c in zip(ids, planned, strict=True)]
    for at, agent, availability in presence(rng, staff, end):
        data = f'{{"availability": "{availability}"}}'
        world.facts.append(
            (int(at * 1_000_000), Fact.Kind.PRESENCE.value, "\\N\t\\N", str(agent), "\\N", data)
        )
    world.facts.sort(key=itemgetter(0))
    return world, lives


def _inbox_plans(people: People, start: float, days: int) -> list[InboxPlan]:
    team_ids, plans = list(people.teams), []
    for n, inbox in enumerate(people.inboxes):
        kind = _kind(n)
        schedule = schedule_from(
            timezone=inbox.timezone, business_hours=inbox.business_hours, holidays=inbox.holidays
        )
        fields = {
            "id": inbox.pk,
            "live": kind.live,
            "team": team_ids[kind.team],
            "policy": people.policies[inbox.pk],
        }
        fields |= {
            "auto_resolve": kind.auto_resolve,
            "surveys": kind.surveys,
            "window": kind.channel in WINDOWED,
        }
        plans.append(inbox_plan(fields, schedule, start, days))
    return plans


def _moment(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


def _moments(row: dict, *names: str) -> dict:
    return row | {name: _moment(row.get(name)) for name in names}


def _write(db: psycopg.Connection, world: World, lives: list[Life], seconds: dict, started: float) -> int:
    """Every row by COPY (live sessions with the ids their facts name), then the facts; each step's
    time since `started` in `seconds`."""
    contact_ids = reserve_ids(db, Contact, max(1, round(len(lives) * CONTACTS_PER_CONVERSATION)))
    first = _moment(min((life.created_at for life in lives), default=world.end))
    contacts = (
        {
            "id": contact_id,
            "name": f"Customer {n}",
            "email": f"customer{n}@example.com" if n % 3 else "",
            "phone": f"+1555{n:07d}" if n % 3 != 1 else "",
            "created_at": first,
            "last_seen_at": first,
        }
        for n, contact_id in enumerate(contact_ids)
    )
    rows = (_row(life, contact_ids[n * 7919 % len(contact_ids)]) for n, life in enumerate(lives))
    links = ({"conversation_id": life.id, "label_id": label} for life in lives for label in life.labels)
    session_times = ("opened_at", "assigned_at", "first_response_at", "last_activity_at", "closed_at")
    clock_times = ("started_at", "due_at", "stopped_at", "breached_at")
    steps = [
        ("contacts", lambda: copy_rows(db, Contact, contacts)),
        ("conversations", lambda: copy_rows(db, Conversation, rows)),
        ("labels", lambda: copy_rows(db, Conversation.labels.through, links, with_pk=False)),
        ("sessions", lambda: _copy_sessions(db, world, session_times)),
        (
            "sla_clocks",
            lambda: copy_rows(db, SlaClock, (_moments(c, *clock_times) for c in world.clocks), with_pk=False),
        ),
        ("surveys", lambda: copy_rows(db, CsatSurvey, map(_survey_row, world.surveys), with_pk=False)),
        ("facts", lambda: _copy_facts(db, world.facts)),
        ("profiles", lambda: _presence_now(world)),
        ("analyze", lambda: db.execute(f"ANALYZE {', '.join(m._meta.db_table for m in ANALYZED)}")),
    ]
    for name, step in steps:
        step()
        seconds[name] = _lap(started)
    return len(contact_ids)


def _copy_sessions(db: psycopg.Connection, world: World, times: tuple[str, ...]) -> None:
    copy_rows(db, LiveSession, (_moments(session, *times) for session in world.sessions))
    _sequence_beyond(db, LiveSession, world.next_session)


def _sequence_beyond(db: psycopg.Connection, model: type[Model], free_id: int) -> None:
    """After rows COPYed with ids of their own, all below `free_id`: the model's id sequence hands
    out ids above it from now on."""
    table, pk = model._meta.db_table, model._meta.pk.column
    db.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, pk, free_id])


def _row(life: Life, contact_id: int) -> dict:
    """The conversation as its life left it: what the services would have stored by then."""
    return {
        "id": life.id,
        "inbox_id": life.inbox.id,
        "contact_id": contact_id,
        "status": life.status,
        "assignee_id": life.assignee,
        "team_id": life.team,
        "priority": life.priority,
        "snoozed_until": _moment(life.snoozed_until) if life.status == "snoozed" else None,
        "bot_active": life.bot_active,
        "last_activity_at": _moment(life.last_activity),
        "waiting_since": _moment(life.waiting_since),
        "sla_due_at": _moment(min((clock["due_at"] for clock in life.clocks.values()), default=None)),
        "first_reply_at": _moment(life.first_reply_at),
        "resolved_at": _moment(life.resolved_at) if life.status == "resolved" else None,
        "reopen_count": life.reopens,
        "sync_replies": life.replies if life.inbox.live else 0,
        "async_replies": 0 if life.inbox.live else life.replies,
        "created_at": _moment(life.created_at),
    }


def _survey_row(survey: dict) -> dict:
    rating = survey.get("rating")
    comment = (
        COMMENTS[int(survey["resolved_at"]) % len(COMMENTS)]
        if rating and int(survey["resolved_at"]) % 4 == 0
        else ""
    )
    return _moments(survey, "resolved_at", "created_at", "sent_at", "rated_at") | {"comment": comment}


def _copy_facts(db: psycopg.Connection, facts: list[tuple]) -> None:
    """COPY in text form, already in time order; the table's sequence numbers them in that order."""
    hours: dict[int, str] = {}
    statement = f"COPY {Fact._meta.db_table} ({', '.join(FACT_COLUMNS)}) FROM STDIN"
    with db.cursor() as cursor, cursor.copy(statement) as copy:
        for first in range(0, len(facts), CHUNK):
            lines = []
            for us, kind, where, agent, team, data in facts[first : first + CHUNK]:
                hour, rest = divmod(us, US_PER_HOUR)
                prefix = hours.get(hour)
                if prefix is None:
                    prefix = hours[hour] = datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%d %H:")
                stamp = (
                    f"{prefix}{rest // 60_000_000:02d}:{rest // 1_000_000 % 60:02d}.{rest % 1_000_000:06d}+00"
                )
                lines.append(f"{stamp}\t{kind}\t{where}\t{agent}\t{team}\t{data}\n")
            copy.write("".join(lines))


def _presence_now(world: World) -> None:
    """Each agent's profile as their last presence change left it."""
    last = {}
    for us, kind, _, agent, _, data in world.facts:
        if kind == Fact.Kind.PRESENCE:
            last[int(agent)] = (us, data.split('"')[3])
    for agent, (us, availability) in last.items():
        AgentProfile.objects.filter(user_id=agent).update(
            availability=availability, last_seen_at=datetime.fromtimestamp(us / 1_000_000, UTC)
        )
