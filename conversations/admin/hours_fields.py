"""An inbox's business hours in the admin as a person types them: a line of opening times per
weekday ("09:00-12:30, 13:30-18:00"; empty is closed, every day empty is always open) and a date
per line for holidays. Read into the JSON the inbox keeps (conversations/hours.py), each day
checked on its own so a problem shows next to its day."""

import re

from django import forms
from django.core.exceptions import ValidationError

from ..hours import WEEKDAYS, schedule_from

NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES = dict(zip(WEEKDAYS, NAMES, strict=True))
DASHES = "-\u2013\u2014"  # a hyphen, or the en or em dash a keyboard or a copied text may give
OPENING = re.compile(rf"^(\d{{1,2}}):(\d\d)\s*[{DASHES}]\s*(\d{{1,2}}):(\d\d)$")
HOW = "Write each opening as 09:00-18:00, several separated by commas."
HOURS_FIELDS = [f"hours_{day}" for day in WEEKDAYS]


def _hours_form_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {
        f"hours_{day}": forms.CharField(
            label=name,
            required=False,
            help_text="09:00-12:30, 13:30-18:00; empty: closed" if day == "mon" else "",
        )
        for day, name in DAY_NAMES.items()
    }
    fields["holidays_lines"] = forms.CharField(
        label="Holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 20}),
        help_text="Closed all day: one date a line, 2026-12-25.",
    )
    return fields


# hours_mon … hours_sun and holidays_lines, declared for the inbox form to inherit.
HoursFields = type("HoursFields", (forms.Form,), _hours_form_fields())


def hours_initial(business_hours: object, holidays: object) -> dict[str, str]:
    days = business_hours if isinstance(business_hours, dict) else {}
    initial = {
        f"hours_{day}": ", ".join(f"{start}-{end}" for start, end in days.get(day) or []) for day in WEEKDAYS
    }
    initial["holidays_lines"] = "\n".join(holidays) if isinstance(holidays, list) else ""
    return initial


def hours_read(form: forms.Form) -> tuple[dict, list] | None:
    """The business hours and holidays typed in `form`'s cleaned data, or None after adding an
    error to each field that cannot be read."""
    business_hours, readable = {}, True
    for day in WEEKDAYS:
        field = f"hours_{day}"
        try:
            periods = _periods(form.cleaned_data.get(field) or "")
            schedule_from(timezone="UTC", business_hours={day: periods} if periods else {}, holidays=[])
        except ValidationError as error:
            form.add_error(field, error.messages)
            readable = False
            continue
        if periods:
            business_hours[day] = periods
    holidays = [
        line.strip() for line in (form.cleaned_data.get("holidays_lines") or "").splitlines() if line.strip()
    ]
    try:
        schedule_from(timezone="UTC", business_hours={}, holidays=holidays)
    except ValidationError as error:
        form.add_error("holidays_lines", error.messages)
        readable = False
    return (business_hours, holidays) if readable else None


def _periods(text: str) -> list[list[str]]:
    periods = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = OPENING.match(part)
        if match is None:
            raise ValidationError(f"{part!r}: {HOW}")
        start_hour, start_minute, end_hour, end_minute = match.groups()
        periods.append([f"{int(start_hour):02}:{start_minute}", f"{int(end_hour):02}:{end_minute}"])
    return periods
