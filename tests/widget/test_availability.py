"""What the widget learns about when the team answers: the `availability` object of the config and
session answers (docs/protocol.md), built once by customer_clients.widget.availability."""

from datetime import UTC, datetime, timedelta

import pytest

from agents.models import AgentProfile
from conversations.hours import WEEKDAYS
from customer_clients.widget import availability
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db


def open_only_tomorrow() -> tuple[dict, str]:
    """Hours that are closed today whatever today is, and the opening they announce."""
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    hours = {WEEKDAYS[tomorrow.weekday()]: [["09:00", "17:00"]]}
    return hours, f"{tomorrow.date().isoformat()}T09:00:00+00:00"


def open_session(client, inbox) -> dict:
    return client.post(
        "/widget/api/v1/session", {"public_key": inbox.public_key}, content_type="application/json"
    ).json()


def test_config_says_when_a_closed_inbox_opens_and_what_it_promises(client):
    hours, opening = open_only_tomorrow()
    inbox = InboxFactory(timezone="UTC", business_hours=hours, reply_time="hours")

    answer = client.get("/widget/api/v1/config", {"key": inbox.public_key}).json()

    assert answer["availability"] == {
        "team_online": False,
        "open_now": False,
        "next_open_at": opening,
        "reply_time": "hours",
        "timezone": "UTC",
    }


def test_the_session_answer_carries_the_same_availability_and_keeps_team_online(client):
    inbox = InboxFactory(timezone="Europe/Paris", business_hours={}, reply_time="day")
    member = AgentProfileFactory(availability=AgentProfile.Availability.ONLINE)
    InboxMembershipFactory(inbox=inbox, agent=member.user)

    answer = open_session(client, inbox)

    assert answer["team_online"] is True
    assert answer["availability"] == {
        "team_online": True,
        "open_now": True,
        "next_open_at": None,
        "reply_time": "day",
        "timezone": "Europe/Paris",
    }


def test_an_inbox_closed_for_the_next_two_weeks_announces_no_opening(client):
    inbox = InboxFactory(timezone="UTC", business_hours={"mon": []})
    available = open_session(client, inbox)["availability"]
    assert (available["open_now"], available["next_open_at"]) == (False, None)


def test_the_next_opening_is_sent_in_utc_whatever_the_inboxs_time_zone():
    inbox = InboxFactory(
        timezone="Europe/Paris", business_hours={"mon": [["09:00", "17:30"]], "fri": [["09:00", "17:30"]]}
    )
    friday_evening = datetime(2026, 6, 5, 16, 0, tzinfo=UTC)  # 18:00 in Paris
    assert availability(inbox, friday_evening)["next_open_at"] == "2026-06-08T07:00:00+00:00"


def test_the_frame_page_starts_with_the_availability(client):
    hours, opening = open_only_tomorrow()
    inbox = InboxFactory(timezone="UTC", business_hours=hours)
    page = client.get("/widget/frame/", {"key": inbox.public_key}).content.decode()
    assert f'"next_open_at": "{opening}"' in page


def test_hours_saved_past_the_admins_check_do_not_break_the_widget(client):
    inbox = InboxFactory(timezone="Mars/Olympus", business_hours={"mon": [["09:00", "17:00"]]})
    answer = client.get(f"/widget/api/v1/config?key={inbox.public_key}").json()
    assert answer["availability"]["open_now"] is True
    assert answer["availability"]["next_open_at"] is None
