"""One conversation's facts, replayed into the measures docs/reports.md defines.

Pure: facts in, measures out, no database. The rollups, the raw baseline and the tests all call
`replay`, so a figure is computed one way only. Each measure carries the instant it stops (the
day it belongs to), whom it is credited to, and its length in calendar and business time.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from conversations.hours import Schedule


class Figure(StrEnum):
    # lengths
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"
    WAIT = "wait"  # live: queued until a person takes it
    HANDLE = "handle"  # live: a person took it until the session ended
    # counts
    OPENED = "opened"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    RESOLVED_BY_BOT = "resolved_by_bot"
    RESOLVED_WITHOUT_RESPONSE = "resolved_without_response"
    HANDED_OFF = "handed_off"
    ABANDONED_IN_QUEUE = "abandoned_in_queue"
    CSAT_SENT = "csat_sent"
    CSAT_ANSWERED = "csat_answered"
    CSAT_POSITIVE = "csat_positive"  # a 4 or a 5
    SLA_MET = "sla_met"
    SLA_MISSED = "sla_missed"


class FactLike(Protocol):
    at: datetime
    kind: str
    agent_id: int | None
    team_id: int | None
    data: dict


@dataclass(frozen=True)
class Measure:
    figure: str
    stopped_at: datetime
    started_at: datetime | None = None  # None: a count, not a length
    agent_id: int | None = None  # credited
    team_id: int | None = None
    labels: tuple[int, ...] = ()
    business_seconds: float = 0.0
    detail: str = ""  # a hand-off's reason, an SLA's target, a CSAT rating

    @property
    def seconds(self) -> float:
        if self.started_at is None:
            return 0.0
        return self.stopped_at.timestamp() - self.started_at.timestamp()  # elapsed, across DST too


@dataclass(frozen=True)
class Carried:
    """A stretch in which one agent carried the conversation open (not pending, snoozed or
    resolved): what concurrency and occupancy add up."""

    agent_id: int
    start: datetime
    end: datetime | None  # None: still carried when the facts end


@dataclass
class Replay:
    measures: list[Measure] = field(default_factory=list)
    carried: list[Carried] = field(default_factory=list)
    handled: list[tuple[int, datetime]] = field(default_factory=list)  # (agent, instant) of person messages
    open_at_end: bool = False
    assignee_at_end: int | None = None


@dataclass
class _Cycle:
    start: datetime
    first_contact: datetime | None = None
    handed_off: datetime | None = None
    bot_spoke: bool = False
    responded: bool = False
    waiting_since: datetime | None = None  # next response: the customer's first unanswered message
    taken_at: datetime | None = None  # live: when a person took it (the queue wait ended)
    session_done: bool = False


class _State:
    def __init__(self, schedule: Schedule, *, live: bool) -> None:
        self.schedule, self.live = schedule, live
        self.out = Replay()
        self.status = "open"
        self.assignee: int | None = None
        self.team: int | None = None
        self.labels: tuple[int, ...] = ()
        self.cycle: _Cycle | None = None
        self.contact_while_closed: datetime | None = None
        self.carried_since: datetime | None = None

    # --- output ---

    def count(self, figure: str, at: datetime, *, agent: int | None = None, detail: str = "") -> None:
        self.out.measures.append(
            Measure(figure, at, agent_id=agent, team_id=self.team, labels=self.labels, detail=detail)
        )

    def length(self, figure: str, start: datetime, stop: datetime, *, agent: int | None) -> None:
        self.out.measures.append(
            Measure(
                figure,
                stop,
                started_at=start,
                agent_id=agent,
                team_id=self.team,
                labels=self.labels,
                business_seconds=self.schedule.open_seconds(start, stop),
            )
        )

    # --- who carries it ---

    def _carries(self) -> bool:
        return self.assignee is not None and self.status == "open" and self.cycle is not None

    def before_change(self, at: datetime) -> None:
        if self.carried_since is not None:
            self.out.carried.append(Carried(self.assignee, self.carried_since, at))
            self.carried_since = None

    def after_change(self, at: datetime) -> None:
        if self._carries():
            self.carried_since = at

    # --- cycles ---

    def begin_cycle(self, at: datetime, *, reopened: bool) -> None:
        self.cycle = _Cycle(start=at)
        self.count(Figure.OPENED, at)
        if reopened:
            self.count(Figure.REOPENED, at)
            if self.contact_while_closed is not None:  # the message that reopened it
                self.cycle.first_contact = self.contact_while_closed
        self.contact_while_closed = None

    def end_cycle(self, at: datetime) -> None:
        cycle = self.cycle
        self.cycle = None
        if cycle is None:
            return
        self.end_session(at, cycle)
        self.count(Figure.RESOLVED, at, agent=self.assignee)
        self.length(Figure.RESOLUTION, cycle.start, at, agent=self.assignee)
        if not cycle.responded:
            by_bot = cycle.bot_spoke and cycle.handed_off is None
            self.count(Figure.RESOLVED_BY_BOT if by_bot else Figure.RESOLVED_WITHOUT_RESPONSE, at)

    def end_session(self, at: datetime, cycle: _Cycle) -> None:
        if not self.live or cycle.session_done or cycle.first_contact is None:
            return
        cycle.session_done = True
        if cycle.taken_at is not None:
            self.length(Figure.HANDLE, cycle.taken_at, at, agent=self.assignee)
        else:
            self.count(Figure.ABANDONED_IN_QUEUE, at)

    # --- facts ---

    def on_message(self, at: datetime, sender: str, author: int | None) -> None:
        cycle = self.cycle
        if cycle is None:
            if sender == "contact":
                self.contact_while_closed = at
            return
        if sender == "bot":
            cycle.bot_spoke = True
        elif sender == "contact":
            if cycle.first_contact is None:
                cycle.first_contact = at
            elif cycle.responded and cycle.waiting_since is None:
                cycle.waiting_since = at
        elif sender == "agent":
            if author is not None:
                self.out.handled.append((author, at))
            if cycle.first_contact is None:
                return  # the agent wrote first: nobody was waiting on an answer yet
            if not cycle.responded:
                cycle.responded = True
                start = max(cycle.first_contact, cycle.handed_off or cycle.first_contact)
                self.length(Figure.FIRST_RESPONSE, start, at, agent=author)
            elif cycle.waiting_since is not None:
                self.length(Figure.NEXT_RESPONSE, cycle.waiting_since, at, agent=author)
            cycle.waiting_since = None

    def on_status(self, at: datetime, status: str, previous: str) -> None:
        if status == "resolved" and previous != "resolved":
            self.end_cycle(at)
        elif previous == "resolved" and status != "resolved":
            self.begin_cycle(at, reopened=True)
        elif status == "pending" and self.cycle is not None:
            self.cycle.waiting_since = None  # the next move is the customer's
        self.status = status

    def on_assigned(self, at: datetime, agent: int | None, team: int | None) -> None:
        self.assignee, self.team = agent, team
        cycle = self.cycle
        if not self.live or cycle is None or agent is None or cycle.taken_at is not None:
            return
        if cycle.first_contact is not None and not cycle.session_done:
            cycle.taken_at = at
            self.length(Figure.WAIT, cycle.first_contact, at, agent=agent)

    def on_session_ended(self, at: datetime) -> None:
        if self.cycle is not None:
            self.end_session(at, self.cycle)


# Facts that may fall between a customer's message and the reopen it causes (same transaction).
KEEP_REOPENING_MESSAGE = frozenset({"assigned", "updated"})


def replay(facts: Iterable[FactLike], schedule: Schedule, *, live: bool = False) -> Replay:
    """The measures of one conversation's facts, given in the order they happened."""
    state = _State(schedule, live=live)
    for fact in facts:
        at, data = fact.at, fact.data or {}
        state.before_change(at)
        kind = fact.kind
        if kind == "created":
            state.status = "open"
            state.begin_cycle(at, reopened=False)
        elif kind == "message":
            state.on_message(at, data.get("sender", ""), fact.agent_id)
        elif kind == "status":
            state.on_status(at, data.get("status", ""), data.get("previous", ""))
        elif kind == "assigned":
            state.on_assigned(at, fact.agent_id, fact.team_id)
        elif kind == "handed_off":
            if state.cycle is not None and state.cycle.handed_off is None:
                state.cycle.handed_off = at
            state.count(Figure.HANDED_OFF, at, detail=data.get("reason", ""))
        elif kind == "updated":
            state.labels = tuple(sorted(data.get("labels") or ()))
        elif kind == "session_ended":
            state.on_session_ended(at)
        elif kind in ("csat_sent", "csat_answered", "sla_met", "sla_missed"):
            _credited_count(state, fact)
        if kind not in KEEP_REOPENING_MESSAGE and not (kind == "message" and data.get("sender") == "contact"):
            # A customer message while resolved reopens only if the reopen follows it at once:
            # an answer to the satisfaction survey (csat_answered comes next) reopens nothing.
            state.contact_while_closed = None
        state.after_change(at)
    if state.carried_since is not None:
        state.out.carried.append(Carried(state.assignee, state.carried_since, None))
    state.out.open_at_end = state.cycle is not None
    state.out.assignee_at_end = state.assignee
    return state.out


def _credited_count(state: _State, fact: FactLike) -> None:
    """CSAT and SLA facts carry whom they are credited to themselves (the resolution's agent and
    team for CSAT, the clock's assignee for SLA)."""
    data = fact.data or {}
    detail = str(data.get("rating", "")) if fact.kind == "csat_answered" else data.get("target", "")
    state.out.measures.append(
        Measure(
            fact.kind,
            fact.at,
            agent_id=fact.agent_id,
            team_id=fact.team_id,
            labels=state.labels,
            detail=detail,
        )
    )
    if fact.kind == "csat_answered" and int(data.get("rating") or 0) >= 4:
        state.out.measures.append(
            Measure(
                Figure.CSAT_POSITIVE,
                fact.at,
                agent_id=fact.agent_id,
                team_id=fact.team_id,
                labels=state.labels,
            )
        )
