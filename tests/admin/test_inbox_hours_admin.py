"""The inbox admin's "Business hours" fieldset refuses a schedule the widget could not read."""

import json

from django.urls import reverse

from tests.factories.conversations import InboxFactory

from .formdata import form_data


def test_a_bad_schedule_is_refused_next_to_its_fields_and_a_good_one_saved(admin_client):
    inbox = InboxFactory()
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    data = form_data(admin_client.get(url))

    data.update(timezone="Mars/Olympus", business_hours='{"mon": [["18:00", "09:00"]]}')
    refused = admin_client.post(url, data)
    data.update(
        timezone="Europe/Paris",
        business_hours=json.dumps({"mon": [["09:00", "18:00"]]}),
        holidays='["2026-12-25"]',
        reply_time="hours",
    )
    saved = admin_client.post(url, data)

    errors = refused.context["adminform"].form.errors
    assert set(errors) == {"timezone", "business_hours"}
    assert "does not end after it starts" in errors["business_hours"][0]
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    inbox.refresh_from_db()
    assert (inbox.timezone, inbox.business_hours, inbox.holidays, inbox.reply_time) == (
        "Europe/Paris",
        {"mon": [["09:00", "18:00"]]},
        ["2026-12-25"],
        "hours",
    )
