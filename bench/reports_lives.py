"""The reports data's lives (bench/reports_data.py): what one conversation leaves as its course
is played (bench/reports_play.py) in time order, as the services would have recorded it: the facts
(reports/facts.py), the SLA clocks (reports/sla.py), the surveys (reports/csat), the live sessions,
and the conversation as it stands at the window's end. No database here.

A fact is a tuple (microseconds since the epoch, kind, "conversation id<TAB>inbox id", agent id,
team id, data), the last five as COPY text. What happens at a known later time (the sweep seeing
a breach, a survey's answer) waits in `later` and happens before anything after it, if it still
applies then. Nothing at or after the window's end is written: `Ended` stops the life there.
"""

import json
import random
from dataclasses import dataclass, field
from math import log
from operator import itemgetter

from bench.reports_plan import DAY, TARGETS, Course, Ended, Staff
from reports.models import Fact

NULL = "\\N"
Kind = Fact.Kind
FROM = {sender: json.dumps({"sender": sender}) for sender in ("contact", "agent", "bot")}
TARGET = {target: json.dumps({"target": target}) for target in TARGETS[True]}
RATING = {rating: json.dumps({"rating": rating}) for rating in range(1, 6)}
STATUSES = ("open", "pending", "snoozed", "resolved")
STATUS_CHANGE = {
    (new, old): json.dumps({"status": new, "previous": old}) for new in STATUSES for old in STATUSES
}
RATINGS_MET, RATINGS_MISSED = (8, 4, 8, 20, 60), (18, 12, 15, 20, 35)  # weights of 1 to 5
ANSWERED = 0.35  # of the surveys sent
WINDOW_CLOSED = (  # reports.csat.sending's reason, for a survey where the channel's window had closed
    "Outside the 24-hour window the channel allows automatic messages in. "
    "No approved template is set for surveys on this inbox, so none was sent."
)


@dataclass
class World:
    rng: random.Random
    end: float
    staff: Staff
    team_ids: list[int]
    label_ids: list[int]
    next_session: int  # the id the next live session gets
    facts: list[tuple] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)  # LiveSession rows, times as epoch seconds
    clocks: list[dict] = field(default_factory=list)  # SlaClock rows
    surveys: list[dict] = field(default_factory=list)  # CsatSurvey rows
    text: dict = field(default_factory=lambda: {None: NULL})  # id -> its COPY text

    def name(self, value: int | None) -> str:
        text = self.text.get(value)
        if text is None:
            text = self.text[value] = str(value)
        return text


class Life:
    """One conversation's facts, in time order, and its state when the window ends."""

    def __init__(self, world: World, conversation_id: int, course: Course) -> None:
        self.world, self.rng, self.course, self.inbox = world, world.rng, course, course.inbox
        self.id, self.where = conversation_id, f"{conversation_id}\t{course.inbox.id}"
        self.t = self.created_at = self.last_activity = self.customer_at = course.at
        self.last_us, self.later, self.clocks = 0, [], {}
        self.status, self.assignee, self.team, self.priority, self.labels = "open", None, None, 0, []
        self.bot_active, self.answered, self.missed, self.session = bool(course.bot), False, False, None
        self.waiting_since = self.first_reply_at = self.resolved_at = self.snoozed_until = None
        self.reopens = self.replies = 0

    def emit(self, kind: str, agent: int | None = None, team: int | None = None, data: str = "{}") -> None:
        """A fact now (self.t), after whatever was due before it; Ended at or past the window's end."""
        if self.later:
            self.flush(self.t)
        if self.t >= self.world.end:
            raise Ended
        self.t = self.last_activity = self.write(self.t, kind, agent, team, data)

    def write(self, at: float, kind: str, agent: int | None, team: int | None, data: str) -> float:
        """Append a fact; returns the instant written (to the microsecond, as the rows must say it)."""
        us = max(int(at * 1_000_000), self.last_us + 1)  # never two facts of a life at one instant
        self.last_us = us
        self.world.facts.append((us, kind, self.where, self.world.name(agent), self.world.name(team), data))
        return us / 1_000_000

    def flush(self, until: float) -> None:
        self.later.sort(key=itemgetter(0))
        while self.later and self.later[0][0] <= until and self.later[0][0] < self.world.end:
            at, what, subject = self.later.pop(0)
            if what == "sweep":
                self.swept(at, subject)
            else:
                self.rated(at, *subject)

    # --- SLA clocks (reports/sla.py): deadlines in business time, a breach seen by the sweep ---

    def clock_start(self, target: str) -> None:
        if target in self.clocks:
            return
        due = self.inbox.hours.deadline(self.t, TARGETS[self.inbox.live][target])
        if due is None:  # no deadline can be promised: no clock
            return
        clock = {
            "conversation_id": self.id,
            "inbox_id": self.inbox.id,
            "policy_id": self.inbox.policy,
            "target": target,
            "cycle": self.reopens,
            "started_at": self.t,
            "due_at": due,
            "stopped_at": None,
            "breached_at": None,
            "outcome": "",
        }
        self.world.clocks.append(clock)
        self.clocks[target] = clock
        self.later.append((due + self.rng.uniform(5, 30), "sweep", clock))

    def swept(self, at: float, clock: dict) -> None:
        if clock["stopped_at"] is None:
            clock["breached_at"] = self.write(
                at, Kind.SLA_MISSED.value, self.assignee, self.team, TARGET[clock["target"]]
            )
            self.missed = True

    def clock_stop(self, target: str, *, verdict: bool) -> None:
        """Met or missed when the stop gives a verdict, cancelled when not; a breached clock stays missed."""
        clock = self.clocks.pop(target, None)
        if clock is None:
            return
        if clock["breached_at"] is not None:
            outcome = "missed"
        elif not verdict:
            outcome = "cancelled"
        else:
            outcome = "met" if self.t <= clock["due_at"] else "missed"
            kind = Kind.SLA_MET if outcome == "met" else Kind.SLA_MISSED
            self.write(self.t, kind.value, self.assignee, self.team, TARGET[target])
            self.missed |= outcome == "missed"
        clock["stopped_at"], clock["outcome"] = self.t, outcome

    def cycle_start(self) -> None:
        self.answered = self.missed = False
        self.clock_start("resolution")
        if not self.bot_active:  # with the bot, people's clock starts at the hand-off
            self.clock_start("first_response")

    # --- what the customer, people and the bot do ---

    def customer(self, count: int) -> None:
        """The customer writes; whatever the status, the conversation opens and they wait."""
        for n in range(count):
            self.t += self.rng.uniform(4, 60) if n else 0
            self.emit(Kind.MESSAGE.value, data=FROM["contact"])
            self.customer_at = self.t
            if self.status != "open":
                self.set_status("open")
            if self.inbox.live and self.session is None:
                self.session_open()
            if self.session is not None:
                self.session["last_activity_at"] = self.t
            if self.waiting_since is None:
                self.waiting_since = self.t
                if self.answered:
                    self.clock_start("next_response")

    def agent_says(self, count: int) -> None:
        for n in range(count):
            self.t += self.rng.uniform(10, 90) if n else 0
            self.emit(Kind.MESSAGE.value, self.assignee, None, FROM["agent"])
            self.replies += 1
            self.first_reply_at = self.first_reply_at or self.t
            self.waiting_since = None
            if self.session is not None:
                self.session["first_response_at"] = self.session["first_response_at"] or self.t
                self.session["last_activity_at"] = self.t
            self.clock_stop("first_response", verdict=True)
            self.clock_stop("next_response", verdict=True)
        self.answered = True

    def bot_says(self) -> None:
        self.t += self.rng.uniform(1.5, 6)
        self.emit(Kind.MESSAGE.value, data=FROM["bot"])

    def set_status(self, status: str, until: float | None = None) -> None:
        previous = self.status
        self.emit(Kind.STATUS.value, data=STATUS_CHANGE[status, previous])
        self.status, self.snoozed_until = status, until
        if status == "resolved":
            self.resolved_at, self.waiting_since, self.bot_active = self.t, None, False
            self.clock_stop("first_response", verdict=False)  # resolved without a response
            self.clock_stop("next_response", verdict=False)
            self.clock_stop("resolution", verdict=True)
        elif status == "pending":
            self.clock_stop("next_response", verdict=False)
        elif previous == "resolved":
            self.reopens, self.resolved_at = self.reopens + 1, None
            self.cycle_start()

    def assign(self, agent: int | None, team: int | None) -> None:
        self.emit(Kind.ASSIGNED.value, agent, team)
        self.assignee, self.team = agent, team
        if agent is not None:
            self.bot_active = False
            if self.session is not None:
                self.session["agent_id"] = agent
                self.session["assigned_at"] = self.session["assigned_at"] or self.t

    def session_open(self) -> None:
        """A live chat opens with the customer's message (the queue's event is not a fact)."""
        self.session = {
            "id": self.world.next_session,
            "conversation_id": self.id,
            "inbox_id": self.inbox.id,
            "opened_at": self.t,
            "last_activity_at": self.t,
            "agent_id": None,
            "assigned_at": None,
            "first_response_at": None,
            "closed_at": None,
            "close_reason": "",
        }
        self.world.next_session += 1
        self.world.sessions.append(self.session)

    def session_end(self, reason: str) -> None:
        if self.session is not None:
            data = json.dumps({"session": self.session["id"], "reason": reason})
            self.emit(Kind.SESSION_ENDED.value, data=data)
            self.session |= {"closed_at": self.t, "close_reason": reason}
            self.session = None

    def survey(self, agent: int | None, team: int | None) -> None:
        """A resolve on an inbox that asks queues a survey crediting `agent` and `team`: sent a few
        seconds later, unless the channel's window had closed; answered by a third of customers
        while the conversation stays resolved (their reply is a message that reopens nothing)."""
        if not self.inbox.surveys:
            return
        survey = {"conversation_id": self.id, "inbox_id": self.inbox.id, "resolved_at": self.resolved_at}
        survey |= {"agent_id": agent, "team_id": team, "state": "queued", "created_at": self.t}
        self.world.surveys.append(survey)
        if self.inbox.window and self.t - self.customer_at > DAY:
            survey |= {"state": "skipped", "skip_reason": WINDOW_CLOSED}
            return
        self.t += self.rng.uniform(1, 5)
        self.emit(Kind.CSAT_SENT.value, agent, team)
        survey |= {"state": "sent", "sent_at": self.t}
        if self.rng.random() < ANSWERED:
            rating = self.rng.choices(range(1, 6), RATINGS_MISSED if self.missed else RATINGS_MET)[0]
            answered = self.t + min(self.rng.lognormvariate(log(1200), 1.2), 3 * DAY)
            self.later.append((answered, "rating", (survey, rating)))

    def rated(self, at: float, survey: dict, rating: int) -> None:
        if self.status == "resolved" and self.resolved_at == survey["resolved_at"]:
            self.write(at, Kind.MESSAGE.value, None, None, FROM["contact"])
            rated_at = self.write(
                at, Kind.CSAT_ANSWERED.value, survey["agent_id"], survey["team_id"], RATING[rating]
            )
            survey |= {"state": "answered", "rating": rating, "rated_at": rated_at}
