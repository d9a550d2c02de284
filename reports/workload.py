"""An agent's day: time online and away, and how many conversations they carried while online.

Pure, like reports.timeline: presence changes and carried stretches in, one `AgentDay` per agent
out. Concurrency and occupancy count only time online (docs/reports.md, "Agents").
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

ONLINE, AWAY, OFFLINE = "online", "away", "offline"


@dataclass
class AgentDay:
    online: float = 0.0  # seconds
    away: float = 0.0
    busy: float = 0.0  # online with at least one open conversation assigned
    load_live: float = 0.0  # conversation-seconds while online, live inboxes
    load_messaging: float = 0.0
    peak_live: int = 0
    peak_messaging: int = 0


@dataclass(frozen=True)
class Stretch:
    """One conversation carried by one agent, in a live inbox or not."""

    agent_id: int
    start: datetime
    end: datetime | None  # None: still carried
    live: bool


def agent_days(
    start: datetime,
    end: datetime,
    *,
    availability_at_start: dict[int, str],
    presence: Iterable[tuple[int, datetime, str]],
    stretches: Iterable[Stretch],
) -> dict[int, AgentDay]:
    """Each agent's figures between `start` and `end`, from their availability at `start`, their
    presence changes (agent, instant, availability) and the stretches they carried."""
    changes: dict[int, list[tuple[datetime, int, object]]] = defaultdict(list)
    # Order at one instant: presence first, then load ends, then load starts (no false peak on a
    # transfer at the same instant).
    for agent_id, at, availability in presence:
        if start <= at < end:
            changes[agent_id].append((at, 0, availability))
    for stretch in stretches:
        begin = max(stretch.start, start)
        finish = end if stretch.end is None else min(stretch.end, end)
        if begin >= finish:
            continue
        key = "live" if stretch.live else "messaging"
        changes[stretch.agent_id].append((begin, 2, key))
        if finish < end:
            changes[stretch.agent_id].append((finish, 1, key))
    agents = set(changes) | {agent for agent, state in availability_at_start.items() if state != OFFLINE}
    return {
        agent_id: _sweep(start, end, availability_at_start.get(agent_id, OFFLINE), sorted(changes[agent_id]))
        for agent_id in agents
    }


def _sweep(start: datetime, end: datetime, availability: str, changes: list) -> AgentDay:
    day = AgentDay()
    load = {"live": 0, "messaging": 0}
    at = start
    index = 0
    while at < end:
        while index < len(changes) and changes[index][0] == at:
            _, order, what = changes[index]
            if order == 0:
                availability = what
            else:
                load[what] += 1 if order == 2 else -1
            index += 1
        following = changes[index][0] if index < len(changes) else end
        seconds = (following - at).total_seconds()
        if availability == AWAY:
            day.away += seconds
        elif availability == ONLINE and seconds > 0:
            day.online += seconds
            day.load_live += load["live"] * seconds
            day.load_messaging += load["messaging"] * seconds
            if load["live"] or load["messaging"]:
                day.busy += seconds
            day.peak_live = max(day.peak_live, load["live"])
            day.peak_messaging = max(day.peak_messaging, load["messaging"])
        at = following
    return day
