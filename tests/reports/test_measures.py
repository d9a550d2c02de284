"""Response, resolution, wait and handle times computed by hand (docs/reports.md).

Each case writes out one conversation's timeline, in the inbox's local time, and the measures a
person computes from it with the definitions: which clocks start and stop where, whom each is
credited to, and its length in calendar and in business time. No database: the replay is pure.

The business hours, unless a case says otherwise: Paris, Monday to Friday 09:00-12:30 and
13:30-18:00, closed on Christmas Day. 2026-06-08 is a Monday; Paris is UTC+2 in June, UTC+1 in
December, and moves to summer time on Sunday 2026-03-29.
"""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from conversations.hours import schedule_from
from reports.timeline import replay

MIN, HOUR = 60, 3600
PARIS = schedule_from(
    timezone="Europe/Paris",
    business_hours={d: [["09:00", "12:30"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    holidays=["2026-12-25"],
)
SUNDAYS_IN_PARIS = schedule_from(
    timezone="Europe/Paris", business_hours={"sun": [["00:00", "24:00"]]}, holidays=[]
)
NEW_YORK = schedule_from(
    timezone="America/New_York",
    business_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    holidays=[],
)
LENGTHS = ("first_response", "next_response", "resolution", "wait", "handle")

_zone = ZoneInfo("Europe/Paris")


def at(text: str, zone: ZoneInfo = _zone) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def fact(when: str, kind: str, *, agent=None, team=None, zone=_zone, **data):
    return SimpleNamespace(at=at(when, zone), kind=kind, agent_id=agent, team_id=team, data=data)


def created(when, **kw):
    return fact(when, "created", **kw)


def customer(when, **kw):
    return fact(when, "message", sender="contact", **kw)


def person(when, agent, **kw):
    return fact(when, "message", agent=agent, sender="agent", **kw)


def bot(when):
    return fact(when, "message", sender="bot")


def status(when, to, previous):
    return fact(when, "status", status=to, previous=previous)


def resolve(when, previous="open"):
    return status(when, "resolved", previous)


def assign(when, agent, team=None):
    return fact(when, "assigned", agent=agent, team=team)


def lengths(facts, schedule=PARIS, *, live=False):
    """(figure, credited agent, calendar seconds, business seconds) of every length measured."""
    return [
        (m.figure, m.agent_id, m.seconds, m.business_seconds)
        for m in replay(facts, schedule, live=live).measures
        if m.figure in LENGTHS
    ]


def counts(facts, schedule=PARIS, *, live=False):
    return sorted(m.figure for m in replay(facts, schedule, live=live).measures if m.figure not in LENGTHS)


# --- first response ---

CASES = [
    pytest.param(
        # Mon 09:00 the customer writes; 09:10 agent 1 answers: 10 minutes both ways.
        [created("2026-06-08 09:00"), customer("2026-06-08 09:00"), person("2026-06-08 09:10", 1)],
        [("first_response", 1, 10 * MIN, 10 * MIN)],
        id="first response inside business hours",
    ),
    pytest.param(
        # 12:20 writes, 13:40 answered: 80 minutes; open 12:20-12:30 and 13:30-13:40 = 20 minutes.
        [created("2026-06-08 12:20"), customer("2026-06-08 12:20"), person("2026-06-08 13:40", 1)],
        [("first_response", 1, 80 * MIN, 20 * MIN)],
        id="first response across the lunch break (two intervals a day)",
    ),
    pytest.param(
        # Mon 17:50 writes, Tue 09:05 answered: 15 h 15 min; open 17:50-18:00 and 09:00-09:05 = 15 min.
        [created("2026-06-08 17:50"), customer("2026-06-08 17:50"), person("2026-06-09 09:05", 2)],
        [("first_response", 2, 15 * HOUR + 15 * MIN, 15 * MIN)],
        id="first response overnight",
    ),
    pytest.param(
        # Fri 17:00 writes, Mon 09:30 answered: 64 h 30 min; open Fri 17:00-18:00 + Mon 09:00-09:30.
        [created("2026-06-12 17:00"), customer("2026-06-12 17:00"), person("2026-06-15 09:30", 1)],
        [("first_response", 1, 64 * HOUR + 30 * MIN, 90 * MIN)],
        id="first response over a weekend",
    ),
    pytest.param(
        # Thu 24 Dec 17:30 writes; Fri 25 is a holiday, then the weekend; Mon 28 Dec 09:00 answered.
        # Calendar 3 days 15 h 30 min; open only Thu 17:30-18:00.
        [created("2026-12-24 17:30"), customer("2026-12-24 17:30"), person("2026-12-28 09:00", 1)],
        [("first_response", 1, 3 * 24 * HOUR + 15 * HOUR + 30 * MIN, 30 * MIN)],
        id="first response over a holiday",
    ),
    pytest.param(
        # Fri 27 Mar 17:00 (UTC+1) writes; Mon 30 Mar 09:30 (UTC+2) answered. The clocks went
        # forward on Sunday: 64 h 30 min on the wall, 63 h 30 min elapsed; open 1 h + 30 min.
        [created("2026-03-27 17:00"), customer("2026-03-27 17:00"), person("2026-03-30 09:30", 1)],
        [("first_response", 1, 63 * HOUR + 30 * MIN, 90 * MIN)],
        id="first response across the change to summer time",
    ),
    pytest.param(
        # 09:00 writes; the bot answers 09:00:05 and again 09:02; the customer asks for a person;
        # the bot hands off at 09:03; agent 1 answers 09:13. The clock starts at the hand-off.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            bot("2026-06-08 09:00:05"),
            customer("2026-06-08 09:01"),
            bot("2026-06-08 09:02"),
            fact("2026-06-08 09:03", "handed_off", reason="asked_for_person"),
            person("2026-06-08 09:13", 1),
        ],
        [("first_response", 1, 10 * MIN, 10 * MIN)],
        id="bot replies before a hand-off are not a response and do not start the clock",
    ),
    pytest.param(
        # An automatic message (sender system: a greeting, an away notice) at 09:00:01 is no
        # response: the clock runs from 09:00 to agent 1's 09:05.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            fact("2026-06-08 09:00:01", "message", sender="system"),
            person("2026-06-08 09:05", 1),
        ],
        [("first_response", 1, 5 * MIN, 5 * MIN)],
        id="automatic messages are not a response",
    ),
    pytest.param(
        # 09:00 writes, snoozed 09:05 until 11:00, woken 11:00, answered 11:10: snooze does not
        # pause the clock (the customer is still waiting): 2 h 10 min.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            status("2026-06-08 09:05", "snoozed", "open"),
            status("2026-06-08 11:00", "open", "snoozed"),
            person("2026-06-08 11:10", 1),
        ],
        [("first_response", 1, 130 * MIN, 130 * MIN)],
        id="snooze does not pause the first response",
    ),
    pytest.param(
        # 09:00 writes; agent 1 takes it 09:01; transferred to agent 2 at 09:30; agent 2 answers
        # 09:40: one clock of 40 minutes, credited to agent 2 who answered.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:01", 1, team=7),
            assign("2026-06-08 09:30", 2, team=8),
            person("2026-06-08 09:40", 2),
        ],
        [("first_response", 2, 40 * MIN, 40 * MIN)],
        id="a transfer does not restart the clock; the answer's author is credited",
    ),
    pytest.param(
        # Mon 09:00 the customer (in Tokyo, 16:00 there) writes to a New York inbox at Sun 20:00
        # New York time; answered Mon 09:15 New York: 13 h 15 min; open 15 min (the inbox's zone).
        [
            created("2026-06-08 09:00", zone=ZoneInfo("Asia/Tokyo")),
            customer("2026-06-08 09:00", zone=ZoneInfo("Asia/Tokyo")),
            person("2026-06-08 09:15", 1, zone=ZoneInfo("America/New_York")),
        ],
        [("first_response", 1, 13 * HOUR + 15 * MIN, 15 * MIN)],
        id="a customer in another time zone: business time is the inbox's",
    ),
    pytest.param(
        # The agent writes first (09:00, outbound); the customer answers 09:30; agent 1 09:45.
        # The customer's first message is what waits for a first response: 15 minutes.
        [
            created("2026-06-08 09:00"),
            person("2026-06-08 09:00", 1),
            customer("2026-06-08 09:30"),
            person("2026-06-08 09:45", 1),
        ],
        [("first_response", 1, 15 * MIN, 15 * MIN)],
        id="a conversation the agent started: first response from the customer's first message",
    ),
    # --- next response ---
    pytest.param(
        # 09:00 writes, 09:05 answered (first response 5 min); 09:10 and 09:12 writes again (one
        # burst); agent 2 answers 09:30: next response from 09:10, 20 minutes, credited to agent 2.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            person("2026-06-08 09:05", 1),
            customer("2026-06-08 09:10"),
            customer("2026-06-08 09:12"),
            person("2026-06-08 09:30", 2),
        ],
        [("first_response", 1, 5 * MIN, 5 * MIN), ("next_response", 2, 20 * MIN, 20 * MIN)],
        id="next response counts a burst once, from its first message",
    ),
    pytest.param(
        # 09:10 the customer writes again; at 09:15 the agent sets it pending (waiting on the
        # customer): the next-response clock stops without a verdict. The 09:40 message answers
        # nobody. 10:00 the customer writes (the conversation opens); 10:06 answered: 6 minutes.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            person("2026-06-08 09:05", 1),
            customer("2026-06-08 09:10"),
            status("2026-06-08 09:15", "pending", "open"),
            person("2026-06-08 09:40", 1),
            customer("2026-06-08 10:00"),
            status("2026-06-08 10:00", "open", "pending"),
            person("2026-06-08 10:06", 1),
        ],
        [("first_response", 1, 5 * MIN, 5 * MIN), ("next_response", 1, 6 * MIN, 6 * MIN)],
        id="pending stops the next response",
    ),
    pytest.param(
        # 09:10 the customer writes again; 09:20 resolved: the next response stops without a
        # verdict; resolution 20 minutes credited to the assignee (agent 1).
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:01", 1),
            person("2026-06-08 09:05", 1),
            customer("2026-06-08 09:10"),
            resolve("2026-06-08 09:20"),
        ],
        [("first_response", 1, 5 * MIN, 5 * MIN), ("resolution", 1, 20 * MIN, 20 * MIN)],
        id="resolve stops the next response",
    ),
    pytest.param(
        # Next response across the night: 17:55 the customer writes, answered 09:10 next day:
        # 15 h 15 min; open 5 + 10 minutes.
        [
            created("2026-06-08 17:00"),
            customer("2026-06-08 17:00"),
            person("2026-06-08 17:01", 1),
            customer("2026-06-08 17:55"),
            person("2026-06-09 09:10", 1),
        ],
        [("first_response", 1, MIN, MIN), ("next_response", 1, 15 * HOUR + 15 * MIN, 15 * MIN)],
        id="next response in business time overnight",
    ),
    # --- reopen ---
    pytest.param(
        # First cycle: 09:00 writes, 09:05 answered, resolved 09:30 by agent 1 (resolution 30 min).
        # The customer writes at 10:00, which reopens it; agent 1 answers 10:20. The second cycle
        # has its own first response (20 min, from the message that reopened it); the first stays 5.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:00", 1),
            person("2026-06-08 09:05", 1),
            resolve("2026-06-08 09:30"),
            customer("2026-06-08 10:00"),
            status("2026-06-08 10:00", "open", "resolved"),
            person("2026-06-08 10:20", 1),
            resolve("2026-06-08 11:00"),
        ],
        [
            ("first_response", 1, 5 * MIN, 5 * MIN),
            ("resolution", 1, 30 * MIN, 30 * MIN),
            ("first_response", 1, 20 * MIN, 20 * MIN),
            ("resolution", 1, 60 * MIN, 60 * MIN),
        ],
        id="a reopen starts a new measure and never inflates the first",
    ),
    pytest.param(
        # Reopened by an agent at 14:00 (no customer message): the cycle has no first response;
        # resolution from the reopen, 14:00 to 15:00.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:00", 1),
            person("2026-06-08 09:05", 1),
            resolve("2026-06-08 09:30"),
            status("2026-06-08 14:00", "open", "resolved"),
            resolve("2026-06-08 15:00"),
        ],
        [
            ("first_response", 1, 5 * MIN, 5 * MIN),
            ("resolution", 1, 30 * MIN, 30 * MIN),
            ("resolution", 1, HOUR, HOUR),
        ],
        id="resolution of a reopened cycle runs from the reopen",
    ),
    pytest.param(
        # Resolved 09:30; the customer answers the satisfaction survey at 09:35 ("5": it reopens
        # nothing). Wednesday 10:00 an agent reopens it and writes at 10:05; the customer writes at
        # 11:00 and is answered at 11:10. The second cycle's first response is those 10 minutes,
        # not two days from the survey answer.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:00", 1),
            person("2026-06-08 09:05", 1),
            resolve("2026-06-08 09:30"),
            customer("2026-06-08 09:35"),
            fact("2026-06-08 09:35", "csat_answered", agent=1, rating=5),
            status("2026-06-10 10:00", "open", "resolved"),
            person("2026-06-10 10:05", 1),
            customer("2026-06-10 11:00"),
            person("2026-06-10 11:10", 1),
        ],
        [
            ("first_response", 1, 5 * MIN, 5 * MIN),
            ("resolution", 1, 30 * MIN, 30 * MIN),
            ("first_response", 1, 10 * MIN, 10 * MIN),
        ],
        id="a survey answer while resolved is not the customer waiting after a later reopen",
    ),
    # --- resolution ---
    pytest.param(
        # Created Fri 17:00, resolved Mon 10:00 by agent 3: 65 hours; open Fri 1 h + Mon 1 h.
        [
            created("2026-06-12 17:00"),
            customer("2026-06-12 17:00"),
            assign("2026-06-12 17:00", 3, team=5),
            person("2026-06-12 17:30", 3),
            resolve("2026-06-15 10:00"),
        ],
        [("first_response", 3, 30 * MIN, 30 * MIN), ("resolution", 3, 65 * HOUR, 2 * HOUR)],
        id="resolution in calendar and business time over a weekend",
    ),
    pytest.param(
        # Transferred from agent 1 to agent 2 before the resolve: resolution credited to agent 2.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:00", 1),
            person("2026-06-08 09:02", 1),
            assign("2026-06-08 10:00", 2),
            resolve("2026-06-08 10:30"),
        ],
        [("first_response", 1, 2 * MIN, 2 * MIN), ("resolution", 2, 90 * MIN, 90 * MIN)],
        id="resolution credited to the assignee at resolve",
    ),
    pytest.param(
        # A 24-hour Sunday inbox in Paris: Saturday 28 Mar 23:00 to Monday 30 Mar 01:00. Sunday
        # 29 March lost an hour: it was open 23 hours; 26 hours on the wall, 25 elapsed.
        [created("2026-03-28 23:00"), customer("2026-03-28 23:00"), person("2026-03-30 01:00", 1)],
        [("first_response", 1, 25 * HOUR, 23 * HOUR)],
        id="an open day that lasts 23 hours (DST)",
    ),
    # --- live chat: wait and handle ---
    pytest.param(
        # Live inbox. 09:00 the customer writes; agent 1 takes it 09:02 (wait 2 min); answers 09:03
        # (first response 3 min); the chat ends 09:20 (handle 18 min, resolution 20 min).
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:02", 1),
            person("2026-06-08 09:03", 1),
            fact("2026-06-08 09:20", "session_ended", reason="agent_ended"),
            resolve("2026-06-08 09:20"),
        ],
        [
            ("wait", 1, 2 * MIN, 2 * MIN),
            ("first_response", 1, 3 * MIN, 3 * MIN),
            ("handle", 1, 18 * MIN, 18 * MIN),
            ("resolution", 1, 20 * MIN, 20 * MIN),
        ],
        id="live: wait, handle and resolution",
    ),
    pytest.param(
        # Live chat over lunch: taken 12:20, ended 13:40: handle 80 min, 20 of them open.
        [
            created("2026-06-08 12:19"),
            customer("2026-06-08 12:19"),
            assign("2026-06-08 12:20", 1),
            person("2026-06-08 12:21", 1),
            resolve("2026-06-08 13:40"),
            fact("2026-06-08 13:40", "session_ended", reason="resolved"),
        ],
        [
            ("wait", 1, MIN, MIN),
            ("first_response", 1, 2 * MIN, 2 * MIN),
            ("handle", 1, 80 * MIN, 20 * MIN),
            ("resolution", 1, 81 * MIN, 21 * MIN),
        ],
        id="live: handle time in business time",
    ),
    pytest.param(
        # Live: taken by agent 1 at 09:02 and transferred to agent 2 at 09:10 who ends it at 09:30:
        # one wait (ended by the first take), handle from the take credited to who ended it.
        [
            created("2026-06-08 09:00"),
            customer("2026-06-08 09:00"),
            assign("2026-06-08 09:02", 1),
            person("2026-06-08 09:04", 1),
            assign("2026-06-08 09:10", 2),
            fact("2026-06-08 09:30", "session_ended", reason="agent_ended"),
            resolve("2026-06-08 09:30"),
        ],
        [
            ("wait", 1, 2 * MIN, 2 * MIN),
            ("first_response", 1, 4 * MIN, 4 * MIN),
            ("handle", 2, 28 * MIN, 28 * MIN),
            ("resolution", 2, 30 * MIN, 30 * MIN),
        ],
        id="live: a transfer keeps one wait and one handle",
    ),
    pytest.param(
        # Bot first, then a person, across a day boundary and a holiday: 24 Dec 17:50 writes, the
        # bot answers, hands off at 17:55 (not solved); answered 28 Dec 09:10. From the hand-off:
        # open 17:55-18:00 and 09:00-09:10 = 15 min.
        [
            created("2026-12-24 17:50"),
            customer("2026-12-24 17:50"),
            bot("2026-12-24 17:50:02"),
            fact("2026-12-24 17:55", "handed_off", reason="not_solved"),
            person("2026-12-28 09:10", 4),
        ],
        [("first_response", 4, 3 * 24 * HOUR + 15 * HOUR + 15 * MIN, 15 * MIN)],
        id="hand-off before a holiday: from the hand-off, in business time",
    ),
]


# The cases whose inbox is not the Paris weekday one.
OTHER_HOURS = {
    "a customer in another time zone: business time is the inbox's": NEW_YORK,
    "an open day that lasts 23 hours (DST)": SUNDAYS_IN_PARIS,
}


@pytest.mark.parametrize(("facts", "expected"), CASES)
def test_hand_computed_measures(facts, expected, request):
    case = request.node.callspec.id
    schedule = OTHER_HOURS.get(case, PARIS)
    assert lengths(facts, schedule, live=case.startswith("live:")) == expected


def test_there_are_at_least_25_hand_computed_cases():
    assert len(CASES) >= 25


def test_an_abandoned_live_chat():
    facts = [created("2026-06-08 09:00"), customer("2026-06-08 09:00"), resolve("2026-06-08 09:05")]
    assert counts(facts, live=True) == [
        "abandoned_in_queue",
        "opened",
        "resolved",
        "resolved_without_response",
    ]


def test_live_wait_and_handle_only_in_live_inboxes():
    facts = [
        created("2026-06-08 09:00"),
        customer("2026-06-08 09:00"),
        assign("2026-06-08 09:02", 1),
        person("2026-06-08 09:03", 1),
        resolve("2026-06-08 09:20"),
    ]
    assert [m[0] for m in lengths(facts, live=True)] == ["wait", "first_response", "handle", "resolution"]
    assert [m[0] for m in lengths(facts)] == ["first_response", "resolution"]


def test_volumes_of_a_reopened_conversation():
    facts = [
        created("2026-06-08 09:00"),
        customer("2026-06-08 09:00"),
        person("2026-06-08 09:05", 1),
        resolve("2026-06-08 09:30"),
        customer("2026-06-08 10:00"),
        status("2026-06-08 10:00", "open", "resolved"),
        resolve("2026-06-08 10:05"),
    ]
    # The second cycle was resolved without any person answering it.
    assert counts(facts) == [
        "opened",
        "opened",
        "reopened",
        "resolved",
        "resolved",
        "resolved_without_response",
    ]


def test_bot_resolved_and_handed_off_volumes():
    by_bot = [
        created("2026-06-08 09:00"),
        customer("2026-06-08 09:00"),
        bot("2026-06-08 09:00:02"),
        resolve("2026-06-08 09:10"),
    ]
    assert counts(by_bot) == ["opened", "resolved", "resolved_by_bot"]
    handed = [
        created("2026-06-08 09:00"),
        customer("2026-06-08 09:00"),
        bot("2026-06-08 09:00:02"),
        fact("2026-06-08 09:01", "handed_off", reason="no_answer"),
        resolve("2026-06-08 09:10"),
    ]
    assert counts(handed) == ["handed_off", "opened", "resolved", "resolved_without_response"]
    [handoff] = [m for m in replay(handed, PARIS).measures if m.figure == "handed_off"]
    assert handoff.detail == "no_answer"


def test_measures_carry_the_labels_and_team_at_their_stop():
    facts = [
        created("2026-06-08 09:00"),
        customer("2026-06-08 09:00"),
        assign("2026-06-08 09:00", 1, team=7),
        fact("2026-06-08 09:01", "updated", labels=[3], priority=0),
        person("2026-06-08 09:05", 1),
        fact("2026-06-08 09:10", "updated", labels=[3, 4], priority=2),
        resolve("2026-06-08 09:30"),
    ]
    by_figure = {m.figure: m for m in replay(facts, PARIS).measures}
    assert by_figure["first_response"].labels == (3,)
    assert by_figure["resolution"].labels == (3, 4)
    assert by_figure["resolution"].team_id == 7


def test_carried_stretches_follow_assignee_and_status():
    facts = [
        created("2026-06-08 09:00"),
        customer("2026-06-08 09:00"),
        assign("2026-06-08 09:10", 1),
        status("2026-06-08 10:00", "pending", "open"),
        status("2026-06-08 11:00", "open", "pending"),
        assign("2026-06-08 12:00", 2),
        resolve("2026-06-08 13:00"),
    ]
    carried = [(c.agent_id, c.start, c.end) for c in replay(facts, PARIS).carried]
    assert carried == [
        (1, at("2026-06-08 09:10"), at("2026-06-08 10:00")),
        (1, at("2026-06-08 11:00"), at("2026-06-08 12:00")),
        (2, at("2026-06-08 12:00"), at("2026-06-08 13:00")),
    ]
