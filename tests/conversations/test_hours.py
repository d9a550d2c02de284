"""Business hours: open and closed at the edges, the next opening across weekends, holidays and
daylight-saving changes, and schedules the admin must refuse. No database: an unsaved Inbox."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from conversations.hours import is_open, next_opening, schedule_from
from conversations.models import Inbox

WEEKDAYS_9_TO_5_30 = {day: [["09:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def paris_office(**fields) -> Inbox:
    return Inbox(timezone="Europe/Paris", business_hours=WEEKDAYS_9_TO_5_30, **fields)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 6, 8, 6, 59, 59), False),  # Monday 08:59:59 in Paris (UTC+2 in summer)
        (utc(2026, 6, 8, 7, 0), True),  # 09:00 opens
        (utc(2026, 6, 8, 15, 29, 59), True),
        (utc(2026, 6, 8, 15, 30), False),  # 17:30 is closed: the end is exclusive
        (utc(2026, 6, 6, 10, 0), False),  # Saturday, left out of the schedule
    ],
)
def test_open_from_the_start_up_to_but_not_including_the_end(at, expected):
    assert is_open(paris_office(), at) is expected


def test_a_day_may_run_to_midnight_with_24_00():
    late = Inbox(timezone="UTC", business_hours={"sat": [["10:00", "24:00"]]})
    assert is_open(late, utc(2026, 6, 6, 23, 59, 59))
    assert not is_open(late, utc(2026, 6, 7, 0, 0))


def test_an_empty_schedule_is_always_open_and_never_announces_an_opening():
    always = Inbox(timezone="Europe/Paris", business_hours={})
    assert is_open(always, utc(2026, 12, 25, 3, 0))
    assert next_opening(always, utc(2026, 12, 25, 3, 0)) is None


def test_a_holiday_is_closed_all_day():
    christmas = paris_office(holidays=["2026-12-25"])
    assert not is_open(christmas, utc(2026, 12, 25, 10, 0))
    assert is_open(christmas, utc(2026, 12, 24, 10, 0))


def test_while_open_the_next_opening_is_now():
    assert next_opening(paris_office(), utc(2026, 6, 8, 10, 0)) == utc(2026, 6, 8, 10, 0)


def test_the_next_opening_may_be_later_the_same_day_after_a_break():
    lunch = Inbox(timezone="UTC", business_hours={"mon": [["13:30", "18:00"], ["09:00", "12:30"]]})
    assert next_opening(lunch, utc(2026, 6, 8, 7, 0)) == utc(2026, 6, 8, 9, 0)
    assert next_opening(lunch, utc(2026, 6, 8, 12, 45)) == utc(2026, 6, 8, 13, 30)


def test_after_friday_closing_the_next_opening_is_monday_morning():
    friday_evening = utc(2026, 6, 5, 16, 0)  # 18:00 in Paris
    assert next_opening(paris_office(), friday_evening) == utc(2026, 6, 8, 7, 0)


def test_the_next_opening_skips_a_holiday_and_the_weekend_after_it():
    christmas = paris_office(holidays=["2026-12-25"])
    thursday_evening = utc(2026, 12, 24, 18, 0)
    assert next_opening(christmas, thursday_evening) == utc(2026, 12, 28, 8, 0)  # Monday 09:00 CET


def test_no_opening_within_two_weeks_is_none():
    mondays_off = Inbox(
        timezone="UTC",
        business_hours={"mon": [["09:00", "17:00"]]},
        holidays=["2026-06-08", "2026-06-15", "2026-06-22"],
    )
    assert next_opening(mondays_off, utc(2026, 6, 7, 12, 0)) is None
    assert next_opening(Inbox(timezone="UTC", business_hours={"mon": []}), utc(2026, 6, 7)) is None


def test_opening_hours_follow_the_wall_clock_across_the_spring_forward_change():
    """Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026: 09:00 is 08:00 UTC on the Friday
    before and 07:00 UTC on the Monday after."""
    friday_evening = utc(2026, 3, 27, 17, 0)
    assert is_open(paris_office(), utc(2026, 3, 27, 8, 0))
    assert not is_open(paris_office(), utc(2026, 3, 27, 7, 30))
    assert next_opening(paris_office(), friday_evening) == utc(2026, 3, 30, 7, 0)
    assert is_open(paris_office(), utc(2026, 3, 30, 7, 0))


def test_an_opening_in_the_skipped_hour_is_read_with_the_offset_before_the_change():
    """New York skips 02:00-03:00 on Sunday 8 March 2026; 02:30 EST is 03:30 EDT, 07:30 UTC."""
    night_shift = Inbox(timezone="America/New_York", business_hours={"sun": [["02:30", "05:00"]]})
    assert next_opening(night_shift, utc(2026, 3, 7, 23, 0)) == utc(2026, 3, 8, 7, 30)
    assert is_open(night_shift, utc(2026, 3, 8, 7, 30))


def test_a_good_schedule_passes():
    schedule = schedule_from(
        timezone="America/New_York",
        business_hours={"mon": [["00:00", "12:00"], ["12:00", "24:00"]], "sun": []},
        holidays=["2026-07-04"],
    )
    assert not schedule.always_open


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Europe/Pariss", '"Europe/Pariss" is not a time zone'),
        ("timezone", "../etc/passwd", "is not a time zone"),
        ("business_hours", ["09:00", "17:00"], "Write the hours as"),
        ("business_hours", {"monday": [["09:00", "17:00"]]}, '"monday" is not a weekday'),
        ("business_hours", {"mon": ["09:00", "17:00"]}, "mon: write each period as a pair"),
        ("business_hours", {"mon": [["9:00", "17:00"]]}, 'mon: "9:00" is not a time'),
        ("business_hours", {"tue": [["09:00", "24:30"]]}, 'tue: "24:30" is not a time'),
        ("business_hours", {"wed": [["22:00", "02:00"]]}, "wed: 22:00-02:00 does not end after it starts"),
        ("business_hours", {"thu": [["09:00", "09:00"]]}, "does not end after it starts"),
        ("business_hours", {"fri": [["13:00", "18:00"], ["09:00", "14:00"]]}, "fri: 09:00-14:00 overlaps"),
        ("holidays", "2026-12-25", "Write the holidays as a list"),
        ("holidays", ["2026-02-30"], '"2026-02-30" is not a date; write YYYY-MM-DD.'),
        ("holidays", ["2026-W52-5"], "is not a date"),
        ("holidays", [20261225], '"20261225" is not a date'),
    ],
)
def test_a_bad_schedule_is_refused_with_a_message_on_its_field(field, value, message):
    inbox = paris_office(holidays=[])
    setattr(inbox, field, value)
    with pytest.raises(ValidationError) as refused:
        inbox.clean()
    assert list(refused.value.message_dict) == [field]
    assert any(message in text for text in refused.value.message_dict[field]), refused.value.message_dict


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as refused:
        schedule_from(
            timezone="Mars/Olympus",
            business_hours={"sun": [["10:00", "09:00"]], "funday": []},
            holidays=["soon"],
        )
    errors = refused.value.message_dict
    assert set(errors) == {"timezone", "business_hours", "holidays"}
    assert len(errors["business_hours"]) == 2
