"""The self-service figures, counted from episodes written with the ORM at fixed times (no clock:
every figure takes its period and `now` as arguments)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from answerbot import grouping, metrics
from answerbot.models import Episode
from conversations.models import Contact, Conversation, Inbox, Message
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory

pytestmark = pytest.mark.django_db

Outcome, Reason = Episode.Outcome, Episode.HandoffReason
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = metrics.Period(start=MONDAY.replace(hour=0), end=MONDAY.replace(hour=0) + timedelta(days=7))
LONG_AFTER = MONDAY + timedelta(days=30)  # every resolved episode's 7-day window has passed


def episode(
    conversation: Conversation,
    outcome: str = "",
    *,
    started_at: datetime = MONDAY,
    reason: str = "",
    question: str = "How do I reset my password?",
    lasted: timedelta = timedelta(minutes=5),
) -> Episode:
    """An episode of `conversation`; ended `lasted` after it started unless it is still open."""
    return Episode.objects.create(
        conversation=conversation,
        inbox=conversation.inbox,
        contact=conversation.contact,
        channel_type=conversation.inbox.channel_type,
        state=Episode.State.ENDED if outcome else Episode.State.ANSWERED,
        question=question,
        outcome=outcome,
        handoff_reason=reason,
        started_at=started_at,
        last_turn_at=started_at,
        ended_at=started_at + lasted if outcome else None,
    )


def customer_writes(inbox: Inbox, contact: Contact, at: datetime) -> Message:
    """A message from the contact in a new conversation of `inbox`, written at `at`."""
    conversation = ConversationFactory(inbox=inbox, contact=contact)
    return Message.objects.create(
        conversation=conversation,
        inbox=inbox,
        seq=1,
        sender_kind=Message.SenderKind.CONTACT,
        body="Me again",
        created_at=at,
    )


@pytest.fixture
def widget(db) -> Inbox:
    return InboxFactory(name="Website")


@pytest.fixture
def sms(db) -> Inbox:
    return InboxFactory(name="Texts", channel_type="sms")


def test_deflection_counts_outcomes_per_inbox_per_channel_and_per_day(widget, sms):
    tuesday = MONDAY + timedelta(days=1)
    for outcome in (Outcome.RESOLVED_CONFIRMED, Outcome.RESOLVED_ASSUMED, Outcome.HANDED_OFF):
        episode(ConversationFactory(inbox=widget), outcome)
    episode(ConversationFactory(inbox=widget), Outcome.ABANDONED, started_at=tuesday)
    episode(ConversationFactory(inbox=widget), started_at=tuesday)  # still open
    episode(ConversationFactory(inbox=sms), Outcome.RESOLVED_CONFIRMED, started_at=tuesday)
    episode(ConversationFactory(inbox=sms), Outcome.HANDED_OFF, started_at=tuesday, reason=Reason.NO_ANSWER)
    episode(ConversationFactory(inbox=sms), Outcome.RESOLVED_CONFIRMED, started_at=MONDAY - timedelta(days=1))

    figures = metrics.deflection(period=WEEK)

    assert figures.total == metrics.OutcomeCounts(
        resolved_confirmed=2, resolved_assumed=1, handed_off=2, abandoned=1, open=1
    )
    assert figures.total.ended == 6
    assert figures.total.deflection_rate == pytest.approx(3 / 6)
    assert [(row.inbox_name, row.counts.started, row.counts.deflection_rate) for row in figures.by_inbox] == [
        ("Website", 5, pytest.approx(2 / 4)),
        ("Texts", 2, pytest.approx(1 / 2)),
    ]
    assert [(row.channel_type, row.label, row.counts.resolved) for row in figures.by_channel] == [
        ("web_widget", "Web widget", 2),
        ("sms", "SMS (Twilio)", 1),
    ]
    assert [row.day for row in figures.by_day] == [date(2026, 3, 2) + timedelta(days=n) for n in range(7)]
    monday, tuesday_row, *quiet_days = figures.by_day
    assert (monday.counts.ended, monday.counts.resolved) == (3, 2)
    assert (tuesday_row.counts.ended, tuesday_row.counts.resolved, tuesday_row.counts.open) == (3, 1, 1)
    assert all(
        row.counts == metrics.OutcomeCounts() and row.counts.deflection_rate is None for row in quiet_days
    )


def test_deflection_filters_by_inbox_and_by_channel(widget, sms):
    episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_CONFIRMED)
    episode(ConversationFactory(inbox=sms), Outcome.HANDED_OFF, reason=Reason.ASKED_FOR_PERSON)

    by_inbox = metrics.deflection(period=WEEK, inbox_id=sms.pk)
    by_channel = metrics.deflection(period=WEEK, channel_type="web_widget")

    assert by_inbox.total == metrics.OutcomeCounts(handed_off=1)
    assert [row.inbox_id for row in by_inbox.by_inbox] == [sms.pk]
    assert by_channel.total == metrics.OutcomeCounts(resolved_confirmed=1)
    assert by_channel.total.deflection_rate == 1.0


def test_return_rate_counts_resolved_customers_who_wrote_again_within_seven_days(widget, sms):
    came_back = episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_CONFIRMED)
    customer_writes(widget, came_back.contact, came_back.ended_at + timedelta(days=2))
    stayed_away = episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_ASSUMED)
    customer_writes(widget, stayed_away.contact, stayed_away.ended_at + timedelta(days=8))  # too late
    customer_writes(sms, stayed_away.contact, stayed_away.ended_at + timedelta(days=1))  # another inbox
    asked_the_bot_again = episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_CONFIRMED)
    episode(
        ConversationFactory(inbox=sms, contact=asked_the_bot_again.contact),
        started_at=asked_the_bot_again.ended_at + timedelta(days=3),
    )
    episode(ConversationFactory(inbox=widget), Outcome.HANDED_OFF, reason=Reason.NOT_SOLVED)  # not resolved

    figures = metrics.return_rate(period=WEEK, now=LONG_AFTER)

    assert (figures.resolved, figures.observed, figures.returned) == (3, 3, 2)
    assert figures.rate == pytest.approx(2 / 3)
    assert figures.window == timedelta(days=7)


def test_return_rate_waits_for_the_window_to_pass_before_counting_a_customer_as_gone(widget):
    quiet = episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_CONFIRMED)
    already_back = episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_CONFIRMED)
    customer_writes(widget, already_back.contact, already_back.ended_at + timedelta(hours=1))

    three_days_later = metrics.return_rate(period=WEEK, now=quiet.ended_at + timedelta(days=3))
    ten_days_later = metrics.return_rate(period=WEEK, now=quiet.ended_at + timedelta(days=10))

    assert (three_days_later.observed, three_days_later.watching, three_days_later.rate) == (0, 2, None)
    assert (ten_days_later.observed, ten_days_later.returned, ten_days_later.rate) == (2, 1, 0.5)


def cost_mix(inbox: Inbox) -> None:
    """Two resolved, one handed off, one abandoned who came back, one abandoned who never did,
    and one still open (not a contact yet)."""
    episode(ConversationFactory(inbox=inbox), Outcome.RESOLVED_CONFIRMED)
    episode(ConversationFactory(inbox=inbox), Outcome.RESOLVED_ASSUMED)
    episode(ConversationFactory(inbox=inbox), Outcome.HANDED_OFF, reason=Reason.ASKED_FOR_PERSON)
    came_back = episode(ConversationFactory(inbox=inbox), Outcome.ABANDONED)
    customer_writes(inbox, came_back.contact, came_back.ended_at + timedelta(days=1))
    episode(ConversationFactory(inbox=inbox), Outcome.ABANDONED)
    episode(ConversationFactory(inbox=inbox))


def test_cost_per_contact_at_the_default_costs(widget):
    cost_mix(widget)

    cost = metrics.cost_per_contact(period=WEEK, now=LONG_AFTER)

    assert (cost.contacts, cost.at_self_service_cost, cost.at_person_cost) == (5, 3, 2)
    assert (cost.self_service_unit, cost.person_unit) == (Decimal("0.10"), Decimal("8.01"))
    assert cost.total == Decimal("16.32")  # 3 x 0.10 + 2 x 8.01
    assert cost.per_contact == Decimal("3.26")
    assert cost.all_by_person == Decimal("40.05")
    assert cost.saving == Decimal("23.73")
    assert cost.saving_per_contact == Decimal("4.75")


def test_cost_per_contact_at_configured_costs(widget, settings):
    settings.PARLEY_COST_PERSON_CONTACT = 12
    settings.PARLEY_COST_SELF_SERVICE_CONTACT = 0.5
    cost_mix(widget)

    cost = metrics.cost_per_contact(period=WEEK, now=LONG_AFTER)

    assert cost.total == Decimal("25.5")  # 3 x 0.5 + 2 x 12
    assert cost.per_contact == Decimal("5.10")
    assert cost.saving == Decimal("34.5")


def test_an_abandoned_customer_costs_a_person_until_their_window_has_passed(widget):
    gone = episode(ConversationFactory(inbox=widget), Outcome.ABANDONED)

    soon = metrics.cost_per_contact(period=WEEK, now=gone.ended_at + timedelta(days=1))
    later = metrics.cost_per_contact(period=WEEK, now=LONG_AFTER)

    assert (soon.abandoned_came_back, soon.abandoned_gone, soon.total) == (1, 0, Decimal("8.01"))
    assert (later.abandoned_came_back, later.abandoned_gone, later.total) == (0, 1, Decimal("0.10"))


def test_no_contacts_cost_nothing_and_have_no_rate():
    cost = metrics.cost_per_contact(period=WEEK, now=LONG_AFTER)

    assert (cost.contacts, cost.total, cost.per_contact, cost.saving) == (0, 0, None, 0)


def test_unanswered_questions_are_grouped_by_meaning_biggest_first(widget):
    asked = [
        ("How do I cancel my subscription?", Reason.NO_ANSWER),
        ("I want to cancel my subscription", Reason.NO_ANSWER),
        ("Please cancel my subscription", Reason.NOT_SOLVED),
        ("how can I cancel the subscription plan", Reason.NO_ANSWER),
        ("Do you ship to Canada?", Reason.NO_ANSWER),
        ("Can you ship my order to Canada?", Reason.NO_ANSWER),
        ("Is shipping to Canada possible?", Reason.NOT_SOLVED),
        ("Can I pay with PayPal?", Reason.NO_ANSWER),
    ]
    for hours, (question, reason) in enumerate(asked):
        started_at = MONDAY + timedelta(hours=hours)
        episode(
            ConversationFactory(inbox=widget),
            Outcome.HANDED_OFF,
            reason=reason,
            question=question,
            started_at=started_at,
        )
    episode(
        ConversationFactory(inbox=widget),
        Outcome.HANDED_OFF,
        reason=Reason.ASKED_FOR_PERSON,
        question="Cancel my subscription",
    )
    episode(ConversationFactory(inbox=widget), Outcome.RESOLVED_CONFIRMED, question="Cancel my subscription")

    groups = metrics.unanswered_questions(period=WEEK)

    assert [group.size for group in groups] == [4, 3, 1]
    cancelling, shipping, paying = groups
    assert {cancelling.representative, *cancelling.examples} == {question for question, _ in asked[:4]}
    assert (cancelling.no_answer, cancelling.not_solved) == (3, 1)
    assert cancelling.latest == MONDAY + timedelta(hours=3)
    assert {shipping.representative, *shipping.examples} == {question for question, _ in asked[4:7]}
    assert shipping.latest == MONDAY + timedelta(hours=6)
    assert (paying.representative, paying.examples) == ("Can I pay with PayPal?", ())


def test_the_same_words_asked_again_are_one_wording_counted_twice():
    groups = grouping.group_questions(
        [
            grouping.AskedQuestion("where is my  PARCEL", MONDAY),
            grouping.AskedQuestion("Where is my parcel", MONDAY + timedelta(hours=1)),
            grouping.AskedQuestion("Can I pay with PayPal?", MONDAY + timedelta(hours=2)),
        ]
    )

    assert [(group.size, group.representative, group.examples, group.latest) for group in groups] == [
        (2, "Where is my parcel", (), MONDAY + timedelta(hours=1)),
        (1, "Can I pay with PayPal?", (), MONDAY + timedelta(hours=2)),
    ]
    assert grouping.group_questions([]) == []


@pytest.mark.parametrize("rows", [1, 6])
def test_each_figure_is_one_query_whatever_the_number_of_episodes(
    widget, sms, rows, django_assert_num_queries
):
    for n in range(rows):
        for inbox in (widget, sms):
            contact = ContactFactory()
            resolved = episode(ConversationFactory(inbox=inbox, contact=contact), Outcome.RESOLVED_CONFIRMED)
            customer_writes(inbox, contact, resolved.ended_at + timedelta(days=1))
            episode(ConversationFactory(inbox=inbox), Outcome.ABANDONED)
            episode(
                ConversationFactory(inbox=inbox),
                Outcome.HANDED_OFF,
                reason=Reason.NO_ANSWER,
                question=f"Question number {n} about topic {inbox.pk}",
            )
    scope = {"period": WEEK}

    with django_assert_num_queries(1):
        metrics.deflection(**scope)
    with django_assert_num_queries(1):
        metrics.return_rate(**scope, now=LONG_AFTER)
    with django_assert_num_queries(1):
        metrics.cost_per_contact(**scope, now=LONG_AFTER)
    with django_assert_num_queries(1):
        metrics.unanswered_questions(**scope)
    with django_assert_num_queries(4):
        report = metrics.self_service_report(**scope, now=LONG_AFTER)

    assert report.deflection.total.ended == rows * 6
    assert report.return_rate.rate == 1.0
