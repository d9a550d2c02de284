"""The inbox admin's "Business hours" fieldset: a line of opening times per weekday and a date per
line for holidays, not JSON; a schedule the widget could not read is refused next to its day."""

from django.urls import reverse

from tests.factories.conversations import InboxFactory

from .formdata import form_data, form_errors


def test_hours_are_typed_per_day_and_a_bad_schedule_is_refused_next_to_its_day(admin_client):
    inbox = InboxFactory()
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    data = form_data(admin_client.get(url))
    assert all(data[f"hours_{day}"] == "" for day in ("mon", "sun"))  # always open: every day empty

    data.update(timezone="Mars/Olympus", hours_mon="18:00-09:00", hours_tue="9h to 6")
    errors = form_errors(admin_client.post(url, data))
    assert any(error.startswith("timezone:") for error in errors), errors
    assert any(error.startswith("hours_mon:") and "does not end after it starts" in error for error in errors)
    assert any(error.startswith("hours_tue:") and "09:00-18:00" in error for error in errors), errors

    data.update(
        timezone="Europe/Paris",
        hours_mon="09:00-12:30, 13:30 \u2013 18:00",  # an en dash, as a copied text may have
        hours_tue="09:00-18:00",
        holidays_lines="2026-12-25\n\n2027-01-01 ",
        reply_time="hours",
    )
    saved = admin_client.post(url, data)

    assert saved.status_code == 302, form_errors(saved)
    inbox.refresh_from_db()
    assert (inbox.timezone, inbox.business_hours, inbox.holidays, inbox.reply_time) == (
        "Europe/Paris",
        {"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "tue": [["09:00", "18:00"]]},
        ["2026-12-25", "2027-01-01"],
        "hours",
    )
    again = form_data(admin_client.get(url))  # shown as typed, and saved unchanged as it is
    assert (again["hours_mon"], again["holidays_lines"]) == (
        "09:00-12:30, 13:30-18:00",
        "2026-12-25\n2027-01-01",
    )
    assert admin_client.post(url, again).status_code == 302
    inbox.refresh_from_db()
    assert inbox.business_hours["mon"] == [["09:00", "12:30"], ["13:30", "18:00"]]
