"""The reports data's calendar (bench/reports_data.py): the inboxes' hours and busy times, who is
on shift when and their presence, and each conversation's course planned before it is played
(bench/reports_lives.py), so the planned messages add up to the total asked for. No database here.

Times are epoch seconds (floats) throughout; hour slots count from the window's start.
"""

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

from conversations.hours import WEEKDAYS, Schedule
from conversations.models import ChannelType

HOUR, DAY = 3600.0, 86400.0
TEAMS = [  # name, the time zone its people and inboxes work in
    ("Live chat", "Europe/London"),
    ("Americas", "America/New_York"),
    ("Europe", "Europe/Paris"),
    ("Latin America", "America/Sao_Paulo"),
    ("Asia Pacific", "Asia/Singapore"),
]
WORKDAYS = WEEKDAYS[:5]
HOURS = {  # business hours, several periods a day, in the inbox's zone (conversations.hours)
    "chat": {
        **{day: [["08:00", "12:30"], ["13:00", "20:00"]] for day in WORKDAYS},
        "sat": [["10:00", "16:00"]],
    },
    "office": {day: [["09:00", "12:30"], ["13:30", "18:00"]] for day in WORKDAYS},
    "long": {
        **{day: [["08:00", "12:00"], ["13:00", "17:00"], ["18:00", "21:00"]] for day in WORKDAYS},
        "sat": [["09:00", "13:00"]],
    },
}


class InboxKind(NamedTuple):
    name: str
    channel: str
    live: bool  # live chat, else messaging
    team: int  # the team (of TEAMS) that works it
    hours: str  # of HOURS
    share: int  # of the conversations, relative to the others
    auto_resolve: bool  # pending conversations resolve themselves after 3 days
    surveys: bool  # asks for a rating on resolve


INBOXES = [
    InboxKind("Website chat", ChannelType.WEB_WIDGET, True, 0, "chat", 16, True, True),
    InboxKind("Store chat", ChannelType.WEB_WIDGET, True, 1, "chat", 12, True, True),
    InboxKind("WhatsApp Europe", ChannelType.WHATSAPP, False, 2, "long", 14, True, True),
    InboxKind("WhatsApp Brasil", ChannelType.WHATSAPP, False, 3, "long", 10, True, True),
    InboxKind("Mobile app", ChannelType.API, False, 4, "office", 9, True, False),
    InboxKind("Instagram", ChannelType.INSTAGRAM, False, 0, "office", 7, False, False),
    InboxKind("SMS US", ChannelType.SMS, False, 1, "office", 8, True, False),
    InboxKind("Messenger", ChannelType.MESSENGER, False, 2, "office", 9, True, True),
    InboxKind("Telegram", ChannelType.TELEGRAM, False, 3, "office", 5, False, False),
    InboxKind("SMS Singapore", ChannelType.SMS, False, 4, "long", 10, True, False),
]
WINDOWED = {ChannelType.WHATSAPP, ChannelType.MESSENGER, ChannelType.INSTAGRAM}  # 24 hours after the customer
# Conversations by local hour and weekday: busy weekdays 9-18, quiet nights, a lighter weekend.
BY_HOUR = (3, 2, 1.6, 1.2, 1.2, 2, 5, 10, 18, 24, 27, 27, 23, 24, 26, 26, 24, 21, 18, 15, 13, 11, 8, 5)
BY_WEEKDAY = (1.15, 1.1, 1.05, 1.0, 0.9, 0.45, 0.35)
SHIFTS = {
    "early": (7 * 60 + 45, 16 * 60 + 15),
    "late": (12 * 60 + 45, 21 * 60 + 15),
    "sat": (8 * 60 + 45, 16 * 60 + 15),
}
DAY_OFF = 0.04  # a sick or holiday day
BOT_SHARE, BOT_ENDS = 0.30, (("resolved", 35), ("abandoned", 10), ("handed_off", 55))
MESSAGING_ENDS = (("resolved", 74), ("pending", 10), ("stale", 8), ("unanswered", 8))
LIVE_ENDS = (
    ("resolved", 50),
    ("customer_left", 22),
    ("inactivity", 10),
    ("agent_ended", 8),
    ("abandoned", 10),
)
REOPEN = 0.13  # of the conversations a person resolves
LIVE_EXCHANGE = 1.3  # a live chat's exchange is this much longer than a messaging one's
TARGETS = {  # SLA targets in business seconds, live chat and messaging (the policies reports_data makes)
    True: {"first_response": 120, "next_response": 180, "resolution": 2 * HOUR},
    False: {"first_response": HOUR, "next_response": 2 * HOUR, "resolution": 24 * HOUR},
}


class Ended(Exception):
    """A life reached the end of the window: what comes later has not happened yet."""


def instant(zone: ZoneInfo, day: date, minute: int) -> float:
    """A local wall-clock minute of `day` as epoch seconds, read as conversations.hours reads hours."""
    if minute == 24 * 60:
        day, minute = day + timedelta(days=1), 0
    return datetime.combine(day, clock_time(minute // 60, minute % 60), tzinfo=zone).timestamp()


def pick(rng: random.Random, weighted: tuple) -> str:
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


class OpenHours:
    """An inbox's open periods from `first` to `last` as epoch seconds, so a deadline (the instant a
    span of business time runs out, as Schedule.deadline finds it) costs two bisections."""

    def __init__(self, schedule: Schedule, first: date, last: date) -> None:
        self.opens, self.before, self.after = [], [], []  # open seconds before each opening, at its close
        day, total = first, 0.0
        while day <= last:
            for start, end in () if day in schedule.holidays else schedule.periods.get(day.weekday(), ()):
                opening, closing = instant(schedule.zone, day, start), instant(schedule.zone, day, end)
                self.opens.append(opening)
                self.before.append(total)
                total += closing - opening
                self.after.append(total)
            day += timedelta(days=1)

    def deadline(self, start: float, seconds: float) -> float | None:
        """None past the last day: later than anything the window keeps."""
        k = bisect_right(self.opens, start) - 1
        spent = 0.0 if k < 0 else min(self.before[k] + start - self.opens[k], self.after[k])
        j = bisect_left(self.after, spent + seconds)
        return None if j == len(self.after) else self.opens[j] + (spent + seconds - self.before[j])


@dataclass
class InboxPlan:
    id: int
    live: bool
    team: int  # the Team id of the people who work it
    auto_resolve: bool  # a pending conversation resolves itself after 3 days
    surveys: bool  # asks for a rating on every resolve (CsatSettings)
    window: bool  # the channel closes 24 hours after the customer's last message (no template set)
    policy: int  # the SlaPolicy id that applies to its conversations
    hours: OpenHours
    local_hours: list[int]  # the local hour of day of each hour slot
    arrivals: list[float]  # cumulative weight of each hour slot, for drawing arrival times


def inbox_plan(inbox: dict, schedule: Schedule, start: float, days: int) -> InboxPlan:
    """`inbox`: the InboxPlan fields but the calendar's (hours, local_hours, arrivals)."""
    first = datetime.fromtimestamp(start, UTC).date()
    local = [datetime.fromtimestamp(start + slot * HOUR, schedule.zone) for slot in range(days * 24)]
    weights = [
        BY_HOUR[moment.hour]
        * BY_WEEKDAY[moment.weekday()]
        * (0.3 if moment.date() in schedule.holidays else 1.0)
        * (1 + 0.15 * slot / len(local))  # a business growing a little
        for slot, moment in enumerate(local)
    ]
    return InboxPlan(
        **inbox,
        hours=OpenHours(schedule, first - timedelta(days=2), first + timedelta(days=days + 30)),
        local_hours=[moment.hour for moment in local],
        arrivals=list(accumulate(weights)),
    )


@dataclass
class Staff:
    """Who works when: each agent's shifts, and per team and hour slot who is on shift."""

    start: float
    shifts: dict[int, tuple[list[float], list[float]]]  # agent -> (starts, ends)
    cover: dict[int, list[list[int]]]  # team -> per slot, the agents on shift
    following: dict[int, list[int]]  # team -> per slot, the first slot from it with someone on shift
    members: dict[int, list[int]]  # team -> its agents
    leads: dict[int, int]  # team -> its agent who works every inbox

    def on_shift(self, team: int, at: float) -> list[int]:
        slot, cover = int((at - self.start) // HOUR), self.cover[team]
        return cover[slot] if 0 <= slot < len(cover) else []

    def next_shift(self, team: int, at: float) -> float:
        slot, following = max(0, int((at - self.start) // HOUR)), self.following[team]
        if slot >= len(following) or following[slot] >= len(following):
            raise Ended
        return self.start + following[slot] * HOUR

    def ready(self, agent: int, at: float, rng: random.Random) -> float:
        """When `agent` acts on something from `at`: then, on shift; else early in their next shift."""
        starts, ends = self.shifts[agent]
        k = bisect_right(starts, at) - 1
        if k >= 0 and at < ends[k] - 300:
            return at
        if k + 1 >= len(starts):
            raise Ended
        return starts[k + 1] + rng.uniform(60, 1800)


def shifts_of(
    rng: random.Random, zone: ZoneInfo, number: int, first: date, days: int
) -> list[tuple[float, float]]:
    """An agent's shifts: early or late on weekdays; one in three works Saturdays, off on Mondays."""
    saturdays, kind = number % 3 == 1, "early" if number % 2 == 0 else "late"
    shifts = []
    for offset in range(-1, days + 1):
        day = first + timedelta(days=offset)
        weekday = day.weekday()
        works = weekday == 5 if saturdays and weekday in (0, 5) else weekday < 5
        if works and rng.random() >= DAY_OFF:
            start, end = SHIFTS["sat" if weekday == 5 else kind]
            shifts.append((instant(zone, day, start), instant(zone, day, end)))
    return shifts


def staff_from(rng: random.Random, teams: dict[int, list[int]], start: float, days: int) -> Staff:
    """`teams`: Team id -> its agent ids, in TEAMS order (the first is the lead)."""
    first, slots = datetime.fromtimestamp(start, UTC).date(), days * 24
    staff = Staff(start, {}, {}, {}, {}, {})
    for (team, agents), (_, zone) in zip(teams.items(), TEAMS, strict=True):
        staff.members[team], staff.leads[team] = agents, agents[0]
        cover = staff.cover[team] = [[] for _ in range(slots)]
        for number, agent in enumerate(agents):
            shifts = shifts_of(rng, ZoneInfo(zone), number, first, days)
            staff.shifts[agent] = ([s for s, _ in shifts], [e for _, e in shifts])
            for shift_start, shift_end in shifts:
                for slot in range(
                    max(0, int((shift_start - start) // HOUR)), min(slots, int((shift_end - start) // HOUR))
                ):
                    if shift_start <= start + slot * HOUR + HOUR / 2 < shift_end:
                        cover[slot].append(agent)
        following, upcoming = [slots] * slots, slots
        for slot in range(slots - 1, -1, -1):
            upcoming = slot if cover[slot] else upcoming
            following[slot] = upcoming
        staff.following[team] = following
    return staff


def presence(rng: random.Random, staff: Staff, end: float) -> list[tuple[float, int, str]]:
    """(at, agent, availability) over each agent's shifts in the window: online a little before the
    start, away for lunch and a break or two, now and then a dropped connection, offline after."""
    changes = []
    for agent, (starts, ends) in staff.shifts.items():
        for shift_start, shift_end in zip(starts, ends, strict=True):
            day = [
                (shift_start - rng.uniform(0, 600), "online"),
                (shift_end + rng.uniform(0, 900), "offline"),
            ]
            lunch = shift_start + 4 * HOUR + rng.uniform(-900, 900)
            day += [(lunch, "away"), (lunch + rng.uniform(1800, 3600), "online")]
            for begins in (shift_start + rng.uniform(1.5, 3) * HOUR, lunch + rng.uniform(2, 3) * HOUR):
                if rng.random() < 0.5:
                    day += [(begins, "away"), (begins + rng.uniform(300, 900), "online")]
            if rng.random() < 0.1:
                drop = lunch + rng.uniform(-3, -2) * HOUR
                day += [(drop, "offline"), (drop + rng.uniform(60, 600), "online")]
            day.sort()
            changes += [(at, agent, state) for at, state in day if staff.start <= at < end]
    return changes


@dataclass
class Course:
    """How one conversation goes, decided before it is played, so message totals can be planned."""

    at: float
    inbox: InboxPlan
    opening: int  # the customer's first messages
    bot: str  # "", or how the bot's part ends: resolved, abandoned, handed_off
    bot_rounds: int  # the customer asks the bot again this many times
    ending: str  # of MESSAGING_ENDS or LIVE_ENDS
    reopen: bool
    chasers: int  # unanswered: the customer writes again this many times
    replies: int = 0  # messages of the exchange with a person, from their first reply

    def fixed_messages(self) -> int:
        bot = (1 + 2 * self.bot_rounds + (self.bot == "handed_off")) if self.bot else 0
        closing = self.ending == "pending" and self.inbox.auto_resolve  # the inbox's closing message
        return self.opening + bot + self.chasers + 2 * self.reopen + closing

    @property
    def answered(self) -> bool:
        return self.bot in ("", "handed_off") and self.ending not in ("unanswered", "abandoned")


def course(rng: random.Random, at: float, inbox: InboxPlan, staff: Staff) -> Course:
    bot = pick(rng, BOT_ENDS) if rng.random() < BOT_SHARE else ""
    ending = pick(rng, LIVE_ENDS if inbox.live else MESSAGING_ENDS)
    if inbox.live and not staff.on_shift(inbox.team, at) and rng.random() < 0.5:
        ending = "abandoned"  # a chat out of hours: half the customers leave the queue
    planned = Course(
        at=at,
        inbox=inbox,
        opening=2 if rng.random() < 0.3 else 1,
        bot=bot,
        bot_rounds=1 if bot and rng.random() < 0.4 else 0,
        ending=ending,
        reopen=False,
        chasers=rng.choice((0, 1, 1, 2)) if ending == "unanswered" else 0,
    )
    planned.reopen = planned.answered and ending not in ("pending", "stale") and rng.random() < REOPEN
    return planned


def courses(
    rng: random.Random, inboxes: list[InboxPlan], shares: list[float], staff: Staff, count: int
) -> list[Course]:
    """`count` courses in the order they start, arriving by each inbox's busy hours."""
    chosen = rng.choices(range(len(inboxes)), shares, k=count)
    planned = []
    for number, inbox in enumerate(inboxes):
        slots = rng.choices(range(len(inbox.arrivals)), cum_weights=inbox.arrivals, k=chosen.count(number))
        planned += [(staff.start + (slot + rng.random()) * HOUR, inbox) for slot in slots]
    planned.sort(key=lambda arrival: arrival[0])
    return [course(rng, at, inbox, staff) for at, inbox in planned]


def share_messages(rng: random.Random, planned: list[Course], messages: int) -> None:
    """Give each answered course its exchange's length (long-tailed, at least the first reply), so
    that every course's messages add up to `messages` exactly."""
    answered = [c for c in planned if c.answered]
    spare = messages - sum(c.fixed_messages() for c in planned)
    if spare < len(answered):
        raise ValueError(f"{messages} messages are too few for {len(planned)} conversations")
    weights = [LIVE_EXCHANGE if c.inbox.live else 1.0 for c in answered]
    mean = spare / sum(weights)
    for c, weight in zip(answered, weights, strict=True):
        c.replies = max(1, min(200, round(rng.expovariate(1 / (weight * mean)))))
    difference = spare - sum(c.replies for c in answered)
    while difference:
        c = answered[rng.randrange(len(answered))]
        step = 1 if difference > 0 else -1
        if c.replies + step >= 1:
            c.replies += step
            difference -= step
