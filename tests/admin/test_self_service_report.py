"""The "Self-service report" admin page and the answer bot's admin: who may open them, what they
show, and what they cost in queries."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from answerbot.models import AnswerBot, Episode
from conversations.models import Inbox
from tests.factories.agents import UserFactory
from tests.factories.conversations import ConversationFactory, InboxFactory
from tests.knowledge.factories import PortalFactory

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:answerbot_self_service_report")
Outcome, Reason = Episode.Outcome, Episode.HandoffReason


def episode(
    inbox: Inbox, outcome: str, *, reason: str = "", question: str = "", hours_ago: int = 2
) -> Episode:
    started_at = timezone.now() - timedelta(hours=hours_ago)
    conversation = ConversationFactory(inbox=inbox)
    return Episode.objects.create(
        conversation=conversation,
        inbox=inbox,
        contact=conversation.contact,
        channel_type=inbox.channel_type,
        state=Episode.State.ENDED,
        question=question,
        outcome=outcome,
        handoff_reason=reason,
        started_at=started_at,
        last_turn_at=started_at,
        ended_at=started_at + timedelta(minutes=3),
    )


@pytest.fixture
def episodes(db) -> tuple[Inbox, Inbox]:
    website, texts = InboxFactory(name="Website"), InboxFactory(name="Texts", channel_type="sms")
    episode(website, Outcome.RESOLVED_CONFIRMED)
    episode(website, Outcome.RESOLVED_ASSUMED)
    episode(texts, Outcome.ABANDONED)
    for question in ("How do I cancel my subscription?", "I want to cancel my subscription"):
        episode(website, Outcome.HANDED_OFF, reason=Reason.NO_ANSWER, question=question)
    episode(
        texts,
        Outcome.HANDED_OFF,
        reason=Reason.NO_ANSWER,
        question="Do you ship to Canada?",
        hours_ago=24 * 20,
    )
    return website, texts


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(REPORT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_episode_permission_may_not_read_it(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    assert client.get(REPORT).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_episode"))
    assert client.get(REPORT).status_code == 200


def test_the_report_shows_deflection_returns_cost_and_the_questions_to_write_about(admin_client, episodes):
    response = admin_client.get(REPORT)

    assert response.status_code == 200
    page = response.content.decode()
    report = response.context["report"]
    assert (report.deflection.total.resolved, report.deflection.total.ended) == (2, 5)
    assert [row.inbox_name for row in report.deflection.by_inbox] == ["Website", "Texts"]
    assert len(report.deflection.by_day) == 7
    for shown in (
        "Self-service report",
        "Deflection by inbox",
        "Deflection by channel",
        "Deflection by day",
        "7-day return rate",
        "Cost per contact",
        "SMS (Twilio)",
        "40%",
    ):
        assert shown in page
    assert "Do you ship to Canada?" not in page  # 20 days ago: outside the last 7 days
    (cancelling,) = report.unanswered
    assert cancelling.size == 2
    write_url = response.context["suggestions"][0][1]
    assert write_url.startswith(reverse("admin:knowledge_article_add"))
    assert parse_qs(urlsplit(write_url).query)["title"] == [cancelling.representative]
    assert "Write an article" in page
    assert admin_client.get(write_url).status_code == 200


def test_the_period_and_filters_are_picked_in_the_page(admin_client, episodes):
    _, texts = episodes

    month = admin_client.get(REPORT, {"days": 30}).context["report"]
    texts_only = admin_client.get(REPORT, {"days": 30, "inbox": texts.pk}).context["report"]
    sms_only = admin_client.get(REPORT, {"days": 30, "channel": "sms"}).context["report"]
    nonsense = admin_client.get(REPORT, {"days": "many", "inbox": "x"})

    assert len(month.deflection.by_day) == 30
    assert [group.representative for group in month.unanswered][-1] == "Do you ship to Canada?"
    assert texts_only.deflection.total.ended == sms_only.deflection.total.ended == 2
    assert nonsense.status_code == 200
    assert len(nonsense.context["report"].deflection.by_day) == 7


def test_the_report_is_linked_from_the_admin_index_and_the_bots_list(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    bots = admin_client.get(reverse("admin:answerbot_answerbot_changelist")).content.decode()
    episodes_list = admin_client.get(reverse("admin:answerbot_episode_changelist")).content.decode()

    assert f'href="{REPORT}"' in index
    assert f'href="{REPORT}"' in bots
    assert f'href="{REPORT}"' in episodes_list


def test_the_report_costs_the_same_queries_for_few_episodes_as_for_many(admin_client):
    inbox = InboxFactory()
    counts = []
    for rows in (1, 8):
        for n in range(rows):
            episode(inbox, Outcome.RESOLVED_CONFIRMED)
            episode(
                inbox,
                Outcome.HANDED_OFF,
                reason=Reason.NO_ANSWER,
                question=f"Question {n} about topic {rows}",
            )
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(REPORT).status_code == 200
        counts.append(len(captured))

    assert counts[0] == counts[1]


def test_episodes_are_listed_read_only_with_their_filters(admin_client, episodes):
    response = admin_client.get(reverse("admin:answerbot_episode_changelist"), {"outcome": "handed_off"})
    record = Episode.objects.filter(outcome=Outcome.HANDED_OFF).first()
    change = admin_client.get(reverse("admin:answerbot_episode_change", args=[record.pk]))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert {"outcome", "handoff reason", "inbox", "channel type", "started at"} <= filters
    assert change.status_code == 200
    assert not response.context["has_add_permission"]
    assert admin_client.get(reverse("admin:answerbot_episode_add")).status_code == 403


def test_a_bot_answers_only_from_a_help_center_linked_to_its_inbox(admin_client):
    inbox, linked, unlinked = InboxFactory(), PortalFactory(), PortalFactory(name="Elsewhere")
    linked.inboxes.add(inbox)
    form = {"inbox": inbox.pk, "name": "Helper", "confidence_threshold": 0, "person_words": ""}

    refused = admin_client.post(reverse("admin:answerbot_answerbot_add"), {**form, "portal": unlinked.pk})
    saved = admin_client.post(
        reverse("admin:answerbot_answerbot_add"), {**form, "portal": linked.pk, "enabled": "on"}
    )

    assert refused.status_code == 200
    assert "is not linked to the inbox" in str(refused.context["adminform"].form.errors["portal"])
    assert saved.status_code == 302
    bot = AnswerBot.objects.get(inbox=inbox)
    assert (bot.portal, bot.enabled) == (linked, True)
    listed = admin_client.get(reverse("admin:answerbot_answerbot_changelist")).content.decode()
    assert "shipped (" in listed
