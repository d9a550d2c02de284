"""Service-level clocks through the real services: started and stopped by the changes themselves,
deadlines in business time fixed at the start, the most specific policy, the bot's time left out,
next response stopped by pending and resolve, and a sweep that records a breach once, tells the
desks, and stays set-based."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from conversations import events, services
from conversations.event_catalogue import EventType
from conversations.models import Conversation
from reports.models import Fact, SlaClock, SlaPolicy
from reports.sla import sla_breaches_sweep, track_clocks
from tests.factories.conversations import ContactFactory, InboxFactory

MONDAY = datetime(2026, 6, 8, 10, 0, tzinfo=UTC)
Outcome = SlaClock.Outcome


@pytest.fixture
def inbox(db):
    return InboxFactory(name="Support")  # always open


@pytest.fixture
def policy(inbox):
    return SlaPolicy.objects.create(
        name="Standard",
        inbox=inbox,
        first_response=timedelta(minutes=30),
        next_response=timedelta(minutes=20),
        resolution=timedelta(hours=4),
    )


def write(inbox, contact, body="Hello"):
    return services.message_receive(inbox=inbox, contact=contact, body=body).conversation


def clocks(conversation):
    return {
        clock.target: (clock.due_at, clock.outcome)
        for clock in SlaClock.objects.filter(conversation_id=conversation.pk).order_by("pk")
    }


def verdicts():
    return sorted((fact.kind, fact.data["target"]) for fact in Fact.objects.filter(kind__startswith="sla_"))


def test_a_reply_in_time_meets_the_first_response(policy, inbox, agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox, ContactFactory())
        assert clocks(conversation)["first_response"] == (MONDAY + timedelta(minutes=30), Outcome.RUNNING)
        conversation.refresh_from_db()
        assert conversation.sla_due_at == MONDAY + timedelta(minutes=30)  # nearer than resolution's
        clock.shift(timedelta(minutes=10))
        services.message_post_reply(conversation=conversation, agent=agent, body="Hi!")
    assert clocks(conversation)["first_response"][1] == Outcome.MET
    assert verdicts() == [("sla_met", "first_response")]
    conversation.refresh_from_db()
    assert conversation.sla_due_at == MONDAY + timedelta(hours=4)  # resolution still runs


def test_a_breach_is_recorded_once_and_the_desks_are_told(
    policy, inbox, agent, listen, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox, ContactFactory())
        services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
        heard = listen(events.inbox_group(inbox.pk))
        clock.shift(timedelta(minutes=29))
        assert sla_breaches_sweep() == 0
        clock.shift(timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            assert sla_breaches_sweep() == 1
        assert sla_breaches_sweep() == 0  # once
        clock.shift(timedelta(minutes=5))
        services.message_post_reply(conversation=conversation, agent=agent, body="Sorry for the wait")
    [breached] = [event for event in heard.receive_all() if event["type"] == EventType.SLA_BREACHED]
    assert (breached["targets"], breached["assignee_id"]) == (["first_response"], agent.pk)
    assert clocks(conversation)["first_response"][1] == Outcome.MISSED
    assert verdicts() == [("sla_missed", "first_response")]  # one miss, not a miss and a late stop
    missed = Fact.objects.get(kind="sla_missed")
    assert missed.agent_id == agent.pk  # credited to the assignee


def test_the_beat_sweeps_often_enough_to_see_a_breach_within_a_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-sla-breaches"]
    assert entry["task"] == "reports.tasks.sweep_sla_breaches"
    assert entry["schedule"] <= timedelta(seconds=60)


def test_a_late_reply_the_sweep_has_not_seen_is_still_missed(policy, inbox, agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox, ContactFactory())
        clock.shift(timedelta(minutes=31))
        services.message_post_reply(conversation=conversation, agent=agent, body="Hi")
    assert verdicts() == [("sla_missed", "first_response")]


def test_deadlines_are_in_business_time(agent):
    # Open Monday to Friday 09:00-17:00 UTC: a message at Monday 16:50 with 30 minutes to answer is
    # due Tuesday 09:20.
    inbox = InboxFactory(
        business_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    SlaPolicy.objects.create(name="Office", inbox=inbox, first_response=timedelta(minutes=30))
    with time_machine.travel(MONDAY.replace(hour=16, minute=50), tick=False):
        conversation = write(inbox, ContactFactory())
    assert clocks(conversation)["first_response"][0] == datetime(2026, 6, 9, 9, 20, tzinfo=UTC)


def test_the_most_specific_policy_wins(inbox, agent):
    urgent = services.label_create(name="urgent")
    SlaPolicy.objects.create(name="Everyone", first_response=timedelta(hours=8))
    SlaPolicy.objects.create(name="This inbox", inbox=inbox, first_response=timedelta(hours=1))
    SlaPolicy.objects.create(
        name="Urgent here", inbox=inbox, label=urgent, first_response=timedelta(minutes=5)
    )
    with time_machine.travel(MONDAY, tick=False):
        plain = write(inbox, ContactFactory())
        labelled = Conversation.objects.create(inbox=inbox, contact=ContactFactory(), last_activity_at=MONDAY)
        services.conversation_update(conversation=labelled, actor=None, labels=[urgent])
        services.message_receive(inbox=inbox, contact=labelled.contact, body="Help!")
        elsewhere = write(InboxFactory(name="Other"), ContactFactory())
    assert clocks(plain)["first_response"][0] == MONDAY + timedelta(hours=1)
    assert clocks(labelled)["first_response"][0] == MONDAY + timedelta(minutes=5)
    assert clocks(elsewhere)["first_response"][0] == MONDAY + timedelta(hours=8)


def test_next_response_stops_without_a_verdict_on_pending_and_on_resolve(policy, inbox, agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox, ContactFactory())
        services.message_post_reply(conversation=conversation, agent=agent, body="Hi")
        clock.shift(timedelta(minutes=5))
        services.message_receive(inbox=inbox, contact=conversation.contact, body="One more thing")
        assert clocks(conversation)["next_response"] == (MONDAY + timedelta(minutes=25), Outcome.RUNNING)
        services.conversation_mark_pending(conversation=conversation, actor=agent)
        assert clocks(conversation)["next_response"][1] == Outcome.CANCELLED
        clock.shift(timedelta(hours=1))
        services.conversation_resolve(conversation=conversation, actor=agent)
        clock.shift(timedelta(hours=1))
        assert sla_breaches_sweep() == 0  # nothing runs after a resolve (chatwoot#10178)
    assert verdicts() == [("sla_met", "first_response"), ("sla_met", "resolution")]
    conversation.refresh_from_db()
    assert conversation.sla_due_at is None


def test_a_reopen_starts_new_clocks(policy, inbox, agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        conversation = write(inbox, ContactFactory())
        services.message_post_reply(conversation=conversation, agent=agent, body="Hi")
        services.conversation_resolve(conversation=conversation, actor=agent)
        clock.shift(timedelta(days=1))
        services.message_receive(inbox=inbox, contact=conversation.contact, body="It broke again")
    running = SlaClock.objects.filter(conversation_id=conversation.pk, stopped_at=None)
    assert sorted(running.values_list("target", flat=True)) == ["first_response", "resolution"]
    assert all(clock.cycle == 1 for clock in running)


def test_the_bots_time_is_not_on_the_clock(policy, inbox):
    with time_machine.travel(MONDAY, tick=False) as clock:
        contact = ContactFactory()
        conversation = Conversation.objects.create(
            inbox=inbox, contact=contact, last_activity_at=MONDAY, bot_active=True
        )
        services.message_receive(inbox=inbox, contact=contact, body="Where is my parcel?")
        assert "first_response" not in clocks(conversation)
        clock.shift(timedelta(minutes=10))
        services.conversation_hand_off(
            conversation_id=conversation.pk,
            reason="asked_for_person",
            customer_text="A person will answer you here.",
            summary="Asked for a person",
        )
    assert clocks(conversation)["first_response"][0] == MONDAY + timedelta(minutes=40)


def test_the_sweep_is_set_based(policy, inbox, django_assert_max_num_queries):
    with time_machine.travel(MONDAY, tick=False) as clock:
        for _ in range(40):
            write(inbox, ContactFactory())
        clock.shift(timedelta(minutes=31))
        with django_assert_max_num_queries(8):
            assert sla_breaches_sweep() == 40
    assert Fact.objects.filter(kind="sla_missed").count() == 40


def test_without_a_policy_a_message_costs_no_clock_query(inbox, django_assert_num_queries):
    write(inbox, ContactFactory())  # the policies were read once for this process
    with django_assert_num_queries(0):
        track_clocks([{"type": EventType.MESSAGE_CREATED, "sender_kind": "contact", "is_private": False}])


def test_the_desk_counts_down_and_lists_what_breaches_soon(client, policy, inbox, agent):
    with time_machine.travel(MONDAY, tick=False) as clock:
        late = write(inbox, ContactFactory(name="Late Lou"))
        clock.shift(timedelta(minutes=20))
        soon = write(inbox, ContactFactory(name="Soon Sue"))  # due 10:50
        fine = write(inbox, ContactFactory(name="Fine Fay"))
        services.message_post_reply(conversation=fine, agent=agent, body="Hi")  # resolution due 14:20
        clock.shift(timedelta(minutes=15))  # 10:35: Lou missed 10:30, Sue due in 15 minutes
        client.force_login(agent)
        listed = client.get("/desk/list/", {"view": "all", "sort": "breaching"}).content.decode()
        everything = client.get("/desk/list/", {"view": "all"}).content.decode()
    rows = re.findall(r'data-conversation-id="(\d+)"', listed)
    assert rows == [str(late.pk), str(soon.pk)]  # nearest deadline first; Fay is hours away
    assert re.search(
        rf'data-conversation-id="{late.pk}".*?<span class="sla breached"[^>]*>SLA missed<', listed, re.S
    )
    assert re.search(
        rf'data-conversation-id="{soon.pk}".*?<span class="sla soon"[^>]*>SLA 15m<', listed, re.S
    )
    assert re.search(rf'data-conversation-id="{fine.pk}".*?<span class="sla "[^>]*>SLA 3h<', everything, re.S)
