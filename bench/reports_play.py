"""How each conversation's course (bench/reports_plan.py) is played, step by step, as its customer,
the bot and the agents of its inbox's team would have it go (bench/reports_lives.py records it):
the customer's first messages, the bot's turns, routing to an agent on shift, replies and answers
with the delays of live chat or messaging and of the hours, labels, snoozes, transfers, pending
questions, the ending (resolved, a live chat ended, pending to auto-resolve, or left open), and
sometimes the customer's return. No database here.
"""

import json
from math import log

from bench.reports_lives import Life
from bench.reports_plan import DAY, HOUR, Ended
from reports.models import Fact

Kind = Fact.Kind

PRIORITIES, PRIORITY_WEIGHTS = (0, 1, 2, 3, 4), (50, 15, 20, 10, 5)
HAND_OFF_REASONS = ("asked_for_person", "no_answer", "not_covered", "not_solved")
SNOOZES = (2 * HOUR, 4 * HOUR, DAY, 2 * DAY)
LIVE_TIMEOUT = 600.0  # a live chat ends this long after its last message (the inactivity sweep)
CHAT_ENDS_AFTER = {
    "inactivity": (LIVE_TIMEOUT, LIVE_TIMEOUT + 60),
    "customer_left": (30, 300),
    "agent_ended": (20, 180),
}


def play(life: Life) -> Life:
    """The course from the customer's first message to its end, or to the window's."""
    course = life.course
    try:
        life.emit(Kind.CREATED.value)
        life.created_at = life.t
        life.cycle_start()
        life.customer(course.opening)
        if not course.bot or with_the_bot(life):
            if course.ending in ("unanswered", "abandoned"):
                left_waiting(life)
            else:
                with_people(life)
    except Ended:
        pass
    life.flush(life.world.end)
    return life


def with_the_bot(life: Life) -> bool:
    """The bot answers (again, if asked again); then it resolves, the customer goes quiet (resolved
    a day later; a live chat ends after inactivity), or it hands off. True when people take over."""
    rng, course = life.rng, life.course
    life.bot_says()
    for _ in range(course.bot_rounds):
        life.t += rng.uniform(15, 120)
        life.customer(1)
        life.bot_says()
    if course.bot == "resolved":
        life.t += rng.uniform(20, 300)
        resolve(life)
    elif course.bot == "abandoned" and life.inbox.live:
        chat_ends(life, "inactivity")
    elif course.bot == "abandoned":
        life.t += DAY + rng.uniform(0, 600)
        resolve(life)
    else:
        life.t += rng.uniform(5, 60)
        life.bot_says()  # "a person will answer you here"
        life.emit(Kind.HANDED_OFF.value, data=json.dumps({"reason": rng.choice(HAND_OFF_REASONS)}))
        life.bot_active, life.waiting_since = False, life.t
        life.clock_start("first_response")
    return course.bot == "handed_off"


def left_waiting(life: Life) -> None:
    """Nobody answers: a live chat's customer leaves the queue; a messaging customer writes again
    now and then (half of them routed to someone who never replies), still waiting at the end."""
    rng = life.rng
    if life.inbox.live:
        life.t += rng.uniform(60, 600)
        chat_ends(life, "customer_left")
        return
    if rng.random() < 0.5:
        route(life)
    for _ in range(life.course.chasers):
        life.t += rng.lognormvariate(log(4 * HOUR), 1.0)
        life.customer(1)


def with_people(life: Life) -> None:
    route(life)
    exchange(life, life.course.replies)
    ending = life.course.ending
    if ending == "pending":
        pending_to_the_end(life)
    elif ending in ("customer_left", "inactivity", "agent_ended"):
        chat_ends(life, ending)
    elif ending == "resolved":
        resolve_by_agent(life)
    if life.course.reopen and life.status == "resolved":
        comes_back(life)


def exchange(life: Life, left: int) -> None:
    """Replies and answers until the planned messages are spent; on the way a label, now and then
    a snooze, a transfer, a question left pending."""
    rng, first = life.rng, True
    while left > 0:
        if not first:
            customer_delay(life)
            count = min(left, 2 if rng.random() < 0.25 else 1)
            life.customer(count)
            left -= count
            if not left:
                break
            if not life.inbox.live and rng.random() < 0.015:
                snooze(life)
        agent_delay(life)
        if not first and rng.random() < 0.02:
            transfer(life)
        count = min(left, 2 if rng.random() < 0.15 else 1)
        life.agent_says(count)
        left -= count
        if first and rng.random() < 0.53:
            label(life)
        if left and not life.inbox.live and rng.random() < 0.04:  # a question, left pending on them
            life.t += rng.uniform(10, 120)
            life.set_status("pending")
        first = False


def route(life: Life) -> None:
    """Routing gives the conversation to an agent of the inbox's team on shift: at once in hours (a
    live chat waits in the queue a little), at the next shift's start out of them."""
    rng, staff, team = life.rng, life.world.staff, life.inbox.team
    agents = staff.on_shift(team, life.t)
    if agents:
        life.t += min(rng.expovariate(1 / 45), 900) if life.inbox.live else rng.uniform(2, 30)
    else:
        life.t = staff.next_shift(team, life.t) + rng.uniform(60, 1200)
        agents = staff.on_shift(team, life.t) or staff.members[team]
    life.assign(rng.choice(agents), team)


def customer_delay(life: Life) -> None:
    """Seconds in a live chat; minutes to hours in messaging (longer to a question left pending),
    and most customers do not write between midnight and seven."""
    rng, inbox = life.rng, life.inbox
    if inbox.live and life.session is not None:
        life.t += rng.lognormvariate(log(40), 0.6)
        return
    life.t += rng.lognormvariate(log(3 * HOUR if life.status == "pending" else 600), 1.4)
    slot = int((life.t - life.world.staff.start) // HOUR)
    hour = inbox.local_hours[slot] if 0 <= slot < len(inbox.local_hours) else 12
    if hour < 7 and rng.random() < 0.85:
        life.t += (7 - hour) * HOUR + rng.uniform(0, 3 * HOUR)


def agent_delay(life: Life) -> None:
    """Seconds in a live chat, minutes in messaging; out of their shift, early in the next."""
    rng = life.rng
    life.t += rng.lognormvariate(log(35), 0.5) if life.inbox.live else rng.lognormvariate(log(240), 1.0)
    life.t = life.world.staff.ready(life.assignee, life.t, rng)


def snooze(life: Life) -> None:
    rng = life.rng
    life.t += rng.uniform(60, 900)
    until = life.t + rng.choice(SNOOZES)
    life.set_status("snoozed", until)
    life.t = until + rng.uniform(0, 60)  # the beat wakes it
    life.set_status("open")


def transfer(life: Life) -> None:
    """To a teammate, or now and then to another team's lead (who works every inbox)."""
    rng, staff = life.rng, life.world.staff
    teammates = [agent for agent in staff.members.get(life.team, ()) if agent != life.assignee]
    if teammates and rng.random() >= 0.25:
        team, agent = life.team, rng.choice(teammates)
    else:
        team = rng.choice(life.world.team_ids)
        agent = staff.leads[team]
    if agent != life.assignee:
        life.t += rng.uniform(30, 600)
        life.assign(agent, team)


def label(life: Life) -> None:
    rng = life.rng
    life.t += rng.uniform(10, 600)
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    labels = sorted(rng.sample(life.world.label_ids, 1 if rng.random() < 0.7 else 2))
    life.emit(Kind.UPDATED.value, data=json.dumps({"priority": priority, "labels": labels}))
    life.priority, life.labels = priority, labels


def resolve(life: Life) -> None:
    """conversation_resolve: a live chat's session ends with it; a survey is queued."""
    life.session_end("resolved")
    life.set_status("resolved")
    life.survey(life.assignee, life.team)


def resolve_by_agent(life: Life) -> None:
    rng = life.rng
    life.t += rng.uniform(20, 240) if life.inbox.live else rng.lognormvariate(log(1.5 * HOUR), 1.0)
    life.t = life.world.staff.ready(life.assignee, life.t, rng)
    resolve(life)


def chat_ends(life: Life, reason: str) -> None:
    """live_chats_end: the session ends, the conversation is resolved and unassigned."""
    life.t += life.rng.uniform(*CHAT_ENDS_AFTER[reason])
    agent, team = life.assignee, life.team
    life.session_end(reason)
    life.set_status("resolved")
    if agent is not None:
        life.assign(None, team)
    life.survey(agent, team)


def pending_to_the_end(life: Life) -> None:
    """Pending on the customer, who never answers; inboxes that auto-resolve close it 3 days later."""
    rng = life.rng
    life.t += rng.uniform(30, 600)
    life.set_status("pending")
    if life.inbox.auto_resolve:
        life.t += 3 * DAY + rng.uniform(0, 60)
        life.bot_says()  # the inbox's closing message
        life.set_status("resolved")
        life.survey(life.assignee, life.team)


def comes_back(life: Life) -> None:
    """The customer writes again: a new cycle, with the same agent when it was recent, else routed."""
    rng = life.rng
    life.t += min(rng.lognormvariate(log(DAY), 1.0), 20 * DAY)
    resolved_at = life.resolved_at
    life.customer(1)
    if life.assignee is not None and life.t - resolved_at > DAY:
        life.assign(None, life.team)
    if life.assignee is None:
        route(life)
    agent_delay(life)
    life.agent_says(1)
    resolve_by_agent(life)
