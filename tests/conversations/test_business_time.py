"""Business time, computed by hand: how much open time lies between two instants (a wait measured in
the inbox's hours) and when a span of open time ends (an SLA deadline). Each case writes out its
timeline in the inbox's local time; the instants are UTC. No database."""

from datetime import UTC, datetime, timedelta

import pytest

from conversations.hours import schedule_from

HOUR = 3600
# Two intervals a day on weekdays, Christmas off: Paris is UTC+1 in winter, UTC+2 in summer.
PARIS = schedule_from(
    timezone="Europe/Paris",
    business_hours={
        day: [["09:00", "12:30"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    holidays=["2026-12-25"],
)
ALWAYS = schedule_from(timezone="UTC", business_hours={}, holidays=[])
SUNDAYS_IN_PARIS = schedule_from(
    timezone="Europe/Paris", business_hours={"sun": [["00:00", "24:00"]]}, holidays=[]
)
LATE_WEEKEND = schedule_from(
    timezone="UTC", business_hours={"sat": [["10:00", "24:00"]], "sun": [["00:00", "02:00"]]}, holidays=[]
)
ONE_HOUR_A_WEEK = schedule_from(timezone="UTC", business_hours={"mon": [["09:00", "10:00"]]}, holidays=[])


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "start", "end", "hours"),
    [
        pytest.param(
            PARIS, utc(2026, 6, 8, 8), utc(2026, 6, 8, 9), 1, id="Mon 10:00-11:00, inside the morning"
        ),
        pytest.param(
            PARIS, utc(2026, 6, 8, 10), utc(2026, 6, 8, 12), 1, id="Mon 12:00-14:00: lunch 12:30-13:30 off"
        ),
        pytest.param(
            PARIS,
            utc(2026, 6, 12, 15),
            utc(2026, 6, 15, 8),
            2,
            id="Fri 17:00 to Mon 10:00: 1 h Fri + 1 h Mon",
        ),
        pytest.param(
            PARIS,
            utc(2026, 6, 8, 18),
            utc(2026, 6, 9, 7, 30),
            0.5,
            id="Mon 20:00 to Tue 09:30: the night is off",
        ),
        pytest.param(
            PARIS,
            utc(2026, 12, 24, 16),
            utc(2026, 12, 28, 9),
            2,
            id="Thu 24 Dec 17:00 to Mon 28 Dec 10:00: Christmas and the weekend off",
        ),
        pytest.param(
            PARIS,
            utc(2026, 3, 27, 16),
            utc(2026, 3, 30, 8),
            2,
            id="Fri 17:00 CET to Mon 10:00 CEST across the spring change: 1 h + 1 h",
        ),
        pytest.param(
            PARIS,
            utc(2026, 6, 8, 12, 30),
            utc(2026, 6, 8, 13, 30),
            1,
            id="a customer in New York writes at 08:30 EDT (14:30 Paris), answered 09:30 EDT",
        ),
        pytest.param(
            SUNDAYS_IN_PARIS,
            utc(2026, 3, 28, 23),
            utc(2026, 3, 29, 22),
            23,
            id="spring forward: Sunday 29 March has 23 open hours",
        ),
        pytest.param(
            SUNDAYS_IN_PARIS,
            utc(2026, 10, 24, 22),
            utc(2026, 10, 25, 23),
            25,
            id="fall back: Sunday 25 October has 25 open hours",
        ),
        pytest.param(
            LATE_WEEKEND,
            utc(2026, 6, 6, 23),
            utc(2026, 6, 7, 1),
            2,
            id="Sat until 24:00 runs on into Sun 00:00",
        ),
        pytest.param(PARIS, utc(2026, 6, 6, 8), utc(2026, 6, 7, 20), 0, id="a whole weekend: no open time"),
        pytest.param(ALWAYS, utc(2026, 6, 6, 8), utc(2026, 6, 7, 20), 36, id="always open: calendar time"),
        pytest.param(PARIS, utc(2026, 6, 8, 9), utc(2026, 6, 8, 8), 0, id="an end before the start: nothing"),
    ],
)
def test_open_time_between_two_instants(schedule, start, end, hours):
    assert schedule.open_seconds(start, end) == hours * HOUR


@pytest.mark.parametrize(
    ("schedule", "start", "hours", "due"),
    [
        pytest.param(PARIS, utc(2026, 6, 8, 8), 1, utc(2026, 6, 8, 9), id="Mon 10:00 + 1 h = 11:00"),
        pytest.param(
            PARIS, utc(2026, 6, 8, 10), 1, utc(2026, 6, 8, 12), id="Mon 12:00 + 1 h = 14:00, lunch skipped"
        ),
        pytest.param(PARIS, utc(2026, 6, 12, 15), 2, utc(2026, 6, 15, 8), id="Fri 17:00 + 2 h = Mon 10:00"),
        pytest.param(
            PARIS, utc(2026, 6, 12, 15), 1, utc(2026, 6, 12, 16), id="Fri 17:00 + 1 h = Fri 18:00, not Mon"
        ),
        pytest.param(
            PARIS, utc(2026, 6, 13, 10), 1, utc(2026, 6, 15, 8), id="Sat 12:00 + 1 h: from Mon 09:00"
        ),
        pytest.param(
            PARIS,
            utc(2026, 12, 24, 16, 30),
            1,
            utc(2026, 12, 28, 8, 30),
            id="Thu 24 Dec 17:30 + 1 h: Mon 09:30",
        ),
        pytest.param(
            PARIS, utc(2026, 3, 27, 16), 2, utc(2026, 3, 30, 8), id="Fri 17:00 CET + 2 h = Mon 10:00 CEST"
        ),
        pytest.param(
            ALWAYS, utc(2026, 6, 6, 8), 1.5, utc(2026, 6, 6, 9, 30), id="always open: calendar time"
        ),
        pytest.param(PARIS, utc(2026, 6, 13, 10), 0, utc(2026, 6, 13, 10), id="no time at all: the start"),
    ],
)
def test_the_deadline_of_a_span_of_open_time(schedule, start, hours, due):
    assert schedule.deadline(start, hours * HOUR) == due


def test_a_deadline_the_schedule_cannot_reach_within_the_horizon_is_none():
    """One hour a week gives about 57 open hours in 400 days."""
    assert ONE_HOUR_A_WEEK.deadline(utc(2026, 6, 8, 8), 100 * HOUR) is None
    assert ONE_HOUR_A_WEEK.deadline(utc(2026, 6, 8, 8), 3 * HOUR) == utc(2026, 6, 22, 10)


@pytest.mark.parametrize("hours", [0.25, 1, 4.5, 9, 30])
@pytest.mark.parametrize(
    "start",
    [utc(2026, 3, 27, 11, 17), utc(2026, 10, 23, 16, 59), utc(2026, 12, 24, 10, 5), utc(2026, 6, 13, 3)],
)
def test_the_open_time_up_to_a_deadline_is_the_span_asked(start, hours):
    due = PARIS.deadline(start, hours * HOUR)

    assert PARIS.open_seconds(start, due) == pytest.approx(hours * HOUR)
    assert PARIS.is_open(due - timedelta(seconds=1))
