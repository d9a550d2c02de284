"""Business hours: is an inbox open at a given moment, when does it open next, how much open time
lies between two instants, and when a span of open time ends (reports' business time, SLA
deadlines).

An inbox's hours are wall-clock times in its own time zone (`Inbox.timezone`), so "09:00" stays
09:00 across daylight-saving changes: every local time is turned into an instant through zoneinfo,
and instants are compared in UTC only. Pure functions, no database; `Inbox.clean()` runs
`schedule_from` so the admin refuses a schedule these functions could not read.

    business_hours = {"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "sat": [["10:00", "24:00"]]}
    holidays = ["2026-12-25"]

A day left out is closed all day; an empty schedule means always open. A period may end at
"24:00" but never runs past midnight: split it across two days instead.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
LOOKAHEAD_DAYS = 14
# A deadline further than this in open time is never met: a schedule open one hour a week reaches
# a year of hours after 60 years; a deadline is searched this many calendar days ahead at most.
DEADLINE_HORIZON_DAYS = 400
CLOCK_TIME = re.compile(r"^(\d\d):([0-5]\d)$")
ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
MINUTES_PER_DAY = 24 * 60

Period = tuple[int, int]  # minutes after local midnight: start inclusive, end exclusive


class HasHours(Protocol):
    """What the functions here read of an inbox (conversations.models.Inbox has these fields)."""

    timezone: str
    business_hours: dict
    holidays: list


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    periods: dict[int, tuple[Period, ...]]  # weekday (0 = Monday) -> its periods, sorted
    holidays: frozenset[date]
    always_open: bool

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        local = at.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(start <= minute < end for start, end in self.periods.get(local.weekday(), ()))

    def next_opening(self, at: datetime) -> datetime | None:
        """The first instant at or after `at` when the inbox is open (`at` itself when open then),
        in UTC; None when always open or when it does not open within LOOKAHEAD_DAYS."""
        if self.always_open:
            return None
        if self.is_open(at):
            return at.astimezone(UTC)
        now, first_day = at.astimezone(UTC), at.astimezone(self.zone).date()
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = first_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _end in self.periods.get(day.weekday(), ()):
                opening = self._instant(day, start)
                if now < opening <= now + timedelta(days=LOOKAHEAD_DAYS):
                    return opening
        return None

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Open time between two instants, in seconds (0 when `end` is not after `start`): the
        business-time length of a wait. Elapsed time, not wall-clock: an open day with a
        spring-forward change lasts 23 hours, one with a fall-back change 25."""
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        stop_day = end.astimezone(self.zone).date()
        spans = self._open_spans(start.astimezone(self.zone).date() - timedelta(days=1), stop_day)
        return sum(
            (min(closing, end) - max(opening, start)).total_seconds()
            for opening, closing in spans
            if opening < end and closing > start
        )

    def deadline(self, start: datetime, seconds: float) -> datetime | None:
        """The instant when `seconds` of open time have passed since `start` (an SLA target in
        business time), in UTC; a clock started while closed begins at the next opening. None
        when the schedule does not give that much open time within DEADLINE_HORIZON_DAYS."""
        start = start.astimezone(UTC)
        if seconds <= 0 or self.always_open:
            return start + timedelta(seconds=max(seconds, 0))
        left = timedelta(seconds=seconds)
        first_day = start.astimezone(self.zone).date() - timedelta(days=1)
        last_day = first_day + timedelta(days=DEADLINE_HORIZON_DAYS)
        for opening, closing in self._open_spans(first_day, last_day):
            if closing <= start:
                continue
            available = closing - max(opening, start)
            if left <= available:
                return max(opening, start) + left
            left -= available
        return None

    def _open_spans(self, first_day: date, last_day: date) -> Iterator[tuple[datetime, datetime]]:
        """(opening, closing) UTC instants of each open period from `first_day` to `last_day`
        (local dates, both included), in order; holidays left out."""
        day = first_day
        while day <= last_day:
            if day not in self.holidays:
                for start, end in self.periods.get(day.weekday(), ()):
                    yield self._instant(day, start), self._instant(day, end)
            day += timedelta(days=1)

    def _instant(self, day: date, minute: int) -> datetime:
        """A local wall-clock time as a UTC instant ("24:00" is the next day's 00:00). A time that
        a spring-forward change skips (02:30 in Paris on the last Sunday of March) is read with the
        offset before the change: 02:30 CET, which is 03:30 CEST."""
        if minute == MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(UTC)


def schedule_from(*, timezone: str, business_hours: object, holidays: object) -> Schedule:
    """Read and check an inbox's hours; raises ValidationError keyed by field name, with every
    problem found, so the admin shows each next to its field."""
    errors: dict[str, list[str]] = {}
    zone = periods = closed_dates = None
    try:
        zone = _zone(timezone)
    except ValidationError as error:
        errors["timezone"] = error.messages
    try:
        periods = _weekly_periods(business_hours)
    except ValidationError as error:
        errors["business_hours"] = error.messages
    try:
        closed_dates = _holidays(holidays)
    except ValidationError as error:
        errors["holidays"] = error.messages
    if errors:
        raise ValidationError(errors)
    return Schedule(zone, periods, closed_dates, always_open=not business_hours)


def schedule_of(inbox: HasHours) -> Schedule:
    return schedule_from(
        timezone=inbox.timezone, business_hours=inbox.business_hours, holidays=inbox.holidays
    )


def is_open(inbox: HasHours, at: datetime) -> bool:
    return schedule_of(inbox).is_open(at)


def next_opening(inbox: HasHours, at: datetime) -> datetime | None:
    return schedule_of(inbox).next_opening(at)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValidationError(
            f'"{name}" is not a time zone; use a name such as Europe/Paris or America/New_York.'
        ) from None


def _weekly_periods(business_hours: object) -> dict[int, tuple[Period, ...]]:
    if not isinstance(business_hours, dict):
        raise ValidationError('Write the hours as {"mon": [["09:00", "17:30"]], ...}.')
    problems: list[str] = []
    periods: dict[int, tuple[Period, ...]] = {}
    for day, day_periods in business_hours.items():
        if day not in WEEKDAYS:
            problems.append(f'"{day}" is not a weekday; use {", ".join(WEEKDAYS)}.')
            continue
        try:
            periods[WEEKDAYS.index(day)] = _day_periods(day, day_periods)
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)
    return periods


def _day_periods(day: str, day_periods: object) -> tuple[Period, ...]:
    pair_shape = f'{day}: write each period as a pair of times, e.g. [["09:00", "17:30"]].'
    if not isinstance(day_periods, list):
        raise ValidationError(pair_shape)
    parsed: list[Period] = []
    for pair in day_periods:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise ValidationError(pair_shape)
        start, end = (_minutes(day, clock) for clock in pair)
        if start >= end:
            raise ValidationError(
                f"{day}: {pair[0]}-{pair[1]} does not end after it starts; "
                "hours past midnight go on the next day, from 00:00."
            )
        parsed.append((start, end))
    parsed.sort()
    for (start, end), (next_start, next_end) in pairwise(parsed):
        if next_start < end:
            raise ValidationError(
                f"{day}: {_clock(start)}-{_clock(end)} overlaps {_clock(next_start)}-{_clock(next_end)}."
            )
    return tuple(parsed)


def _minutes(day: str, clock: object) -> int:
    match = CLOCK_TIME.match(clock) if isinstance(clock, str) else None
    minutes = int(match[1]) * 60 + int(match[2]) if match else MINUTES_PER_DAY + 1
    if minutes > MINUTES_PER_DAY:
        raise ValidationError(f'{day}: "{clock}" is not a time; write HH:MM, from 00:00 to 24:00.')
    return minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _holidays(holidays: object) -> frozenset[date]:
    if not isinstance(holidays, list):
        raise ValidationError('Write the holidays as a list of dates: ["2026-12-25", ...].')
    dates = {holiday: _date(holiday) for holiday in holidays if isinstance(holiday, str)}
    problems = [
        f'"{holiday}" is not a date; write YYYY-MM-DD.'
        for holiday in holidays
        if not isinstance(holiday, str) or dates[holiday] is None
    ]
    if problems:
        raise ValidationError(problems)
    return frozenset(dates.values())


def _date(text: str) -> date | None:
    if not ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return None
