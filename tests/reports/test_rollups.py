"""Daily rollups agree exactly with the raw facts: every stored day is recomputed from the fact log
and compared, after three days of conversations written through the real services, a reopen on
another day, a late fact and a presence day. Also an agent's day computed by hand."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from agents.presence import agent_desk_connected, agent_desk_disconnected
from conversations import services
from reports import rollups
from reports.models import DailyFigure, DayCarry, Fact, HandledDay, SlaPolicy
from reports.workload import Stretch, agent_days
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ContactFactory, InboxFactory

MONDAY = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)


def stored() -> dict:
    return {
        (f.day, f.figure, f.dimension, f.key): (
            f.count,
            round(f.seconds, 3),
            round(f.business_seconds, 3),
            f.peak,
        )
        for f in DailyFigure.objects.all()
    }


def raw(first: date, last: date) -> tuple[dict, set]:
    figures, handled = {}, set()
    for result in rollups.compute_days(first, last):
        for (figure, dimension, key), t in result.figures.items():
            figures[(result.day, figure, dimension, key)] = (
                t.count,
                round(t.seconds, 3),
                round(t.business_seconds, 3),
                t.peak,
            )
        handled |= {(result.day, *row) for row in result.handled}
    return figures, handled


@pytest.fixture
def team_at_work(db):
    inbox = InboxFactory(name="Support", business_hours={"mon": [["09:00", "12:00"], ["13:00", "18:00"]]})
    ana, ben = (AgentProfileFactory(display_name=name).user for name in ("Ana", "Ben"))
    for user in (ana, ben):
        InboxMembershipFactory(inbox=inbox, agent=user)
    return inbox, ana, ben


def test_rollups_agree_with_the_raw_facts_across_days_reopens_and_late_facts(team_at_work):
    inbox, ana, ben = team_at_work
    with time_machine.travel(MONDAY, tick=False) as clock:
        agent_desk_connected(agent=ana, channel_name="desk.ana")
        first = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hello").conversation
        second = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
        clock.shift(timedelta(minutes=4))
        services.conversation_assign(conversation=first, assignee=ana, actor=ana)
        services.conversation_assign(conversation=second, assignee=ana, actor=ana)
        services.message_post_reply(conversation=first, agent=ana, body="Hello, how can I help?")
        clock.shift(timedelta(hours=2))
        services.message_post_reply(conversation=second, agent=ana, body="Hi!")
        services.conversation_resolve(conversation=first, actor=ana)
        clock.shift(timedelta(hours=1))
        assert rollups.catch_up() >= 1
        first_day = stored()

        # Tuesday: the first customer comes back (a reopen on another day); Ben takes it over.
        clock.shift(timedelta(days=1))
        agent_desk_connected(agent=ben, channel_name="desk.ben")
        services.message_receive(inbox=inbox, contact=first.contact, body="One more thing")
        services.conversation_assign(conversation=first, assignee=ben, actor=ben)
        clock.shift(timedelta(minutes=30))
        services.message_post_reply(conversation=first, agent=ben, body="Sure")
        services.conversation_resolve(conversation=first, actor=ben)
        agent_desk_disconnected(agent_id=ana.pk, channel_name="desk.ana")
        rollups.catch_up()
        # Monday's figures did not move: the reopen is Tuesday's.
        assert {k: v for k, v in stored().items() if k[0] == MONDAY.date()} == first_day

        # A fact that arrives late: written Wednesday about Monday (a long transaction, a replay).
        clock.shift(timedelta(days=1))
        Fact.objects.create(
            at=MONDAY + timedelta(hours=3),
            kind=Fact.Kind.HANDED_OFF,
            conversation_id=second.pk,
            inbox_id=inbox.pk,
            data={"reason": "asked_for_person"},
        )
        services.conversation_resolve(conversation=second, actor=ana)
        rollups.catch_up()

    wednesday = MONDAY.date() + timedelta(days=2)
    figures, handled = raw(MONDAY.date(), wednesday)
    assert stored() == figures
    assert {(h.day, h.agent_id, h.conversation_id, h.inbox_id) for h in HandledDay.objects.all()} == handled
    # The late hand-off now counts on Monday, where it happened.
    monday = stored()
    assert monday[(MONDAY.date(), "handed_off", "account", "")][0] == 1
    assert first_day.get((MONDAY.date(), "handed_off", "account", "")) is None
    # What was measured, by hand: Monday two first responses (4 min by Ana, 2 h 4 min by Ana),
    # one resolution (2 h 4 min); Tuesday one first response (30 min by Ben) after the reopen.
    assert monday[(MONDAY.date(), "first_response", "agent", str(ana.pk))][:2] == (2, 4 * 60 + 124 * 60)
    tuesday = MONDAY.date() + timedelta(days=1)
    assert monday[(tuesday, "reopened", "account", "")][0] == 1
    assert monday[(tuesday, "first_response", "agent", str(ben.pk))][:2] == (1, 30 * 60)
    assert monday[(wednesday, "resolved", "agent", str(ana.pk))][0] == 1
    # Business time: Monday 09:00-11:04 in an inbox open 09:00-12:00 (UTC): all of it.
    assert monday[(MONDAY.date(), "resolution", "inbox", str(inbox.pk))][2] == 124 * 60


def test_a_day_is_recomputed_from_the_carry_of_the_day_before(team_at_work):
    inbox, ana, _ = team_at_work
    with time_machine.travel(MONDAY, tick=False) as clock:
        agent_desk_connected(agent=ana, channel_name="desk.ana")
        conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
        services.conversation_assign(conversation=conversation, assignee=ana, actor=ana)
        clock.shift(timedelta(days=2))
        rollups.catch_up()
    # Ana carried it, online, from Monday 09:00 to the end of Wednesday: Tuesday had no fact at
    # all and still counts 24 hours online with one conversation.
    tuesday = MONDAY.date() + timedelta(days=1)
    assert DayCarry.objects.get(day=tuesday).conversations == [[conversation.pk, ana.pk, False]]
    figures = stored()
    assert figures[(tuesday, "online", "agent", str(ana.pk))][1] == 24 * 3600
    assert figures[(tuesday, "load_messaging", "agent", str(ana.pk))][1:4:2] == (24 * 3600, 1)


def test_rebuild_reports_recomputes_a_range_and_refuses_a_bad_date(team_at_work):
    inbox, ana, _ = team_at_work
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
        clock.shift(timedelta(minutes=3))
        services.message_post_reply(conversation=conversation, agent=ana, body="Hello")
        out = io.StringIO()
        call_command("rebuild_reports", stdout=out)
    assert "Recomputed 1 days" in out.getvalue()
    assert stored()[(MONDAY.date(), "first_response", "account", "")][:2] == (1, 180)
    with pytest.raises(CommandError, match="is not a date"):
        call_command("rebuild_reports", "--from", "monday")


def at(hour: float) -> datetime:
    return MONDAY.replace(hour=0) + timedelta(hours=hour)


def test_an_agents_day_by_hand():
    # Online 09:00-17:00 but away 12:00-13:00. Messaging A 09:30-11:30 and D 11:00-12:30, live B
    # 10:00-10:30, messaging C from 14:00 on, still carried at midnight.
    day = agent_days(
        at(0),
        at(24),
        availability_at_start={},
        presence=[(1, at(9), "online"), (1, at(12), "away"), (1, at(13), "online"), (1, at(17), "offline")],
        stretches=[
            Stretch(1, at(9.5), at(11.5), live=False),
            Stretch(1, at(11), at(12.5), live=False),
            Stretch(1, at(10), at(10.5), live=True),
            Stretch(1, at(14), None, live=False),
        ],
    )[1]
    assert day.online == 7 * 3600  # 09-12 and 13-17
    assert day.away == 3600
    # Messaging while online: A 2 h, D 1 h (11-12; 12-12:30 is away), C 3 h (14-17).
    assert day.load_messaging == 6 * 3600
    assert day.load_live == 1800
    assert (day.peak_messaging, day.peak_live) == (2, 1)
    assert day.busy == 2.5 * 3600 + 3 * 3600  # 09:30-12:00 and 14:00-17:00
    # Time-weighted concurrency 6/7 of a conversation; occupancy 5.5 h of 7.
    assert round(day.load_messaging / day.online, 3) == 0.857


def test_a_transfer_at_one_instant_is_no_peak():
    day = agent_days(
        at(0),
        at(24),
        availability_at_start={1: "online"},
        presence=[],
        stretches=[Stretch(1, at(9), at(10), live=False), Stretch(1, at(10), at(11), live=False)],
    )[1]
    assert day.peak_messaging == 1
    assert day.load_messaging == 2 * 3600
    assert day.online == 24 * 3600


def test_seed_reports_turns_the_demo_on_once(db):
    inbox = InboxFactory(name="Demo chat")
    out = io.StringIO()
    call_command("seed_reports", stdout=out)
    call_command("seed_reports", stdout=out)
    assert "Created the SLA policy" in out.getvalue() and "Found the SLA policy" in out.getvalue()
    assert inbox.csat_settings.enabled
    assert SlaPolicy.objects.count() == 1
