"""Satisfaction surveys (issue 18): one per resolve, asked as each channel allows, answered without
reopening anything, counted once. Real Postgres; providers are the local fake (simulator/
fake_provider), their webhooks signed as the providers sign them. No worker runs here: each test
takes the send job itself, as the worker's task would (reports.csat.tasks.send_surveys)."""

import pytest
from django.db.models import Q

from answerbot.models import AnswerBot
from conversations import registry, services
from conversations.models import Conversation, Message, MessageTemplate
from conversations.tasks import deliver_message
from reports.csat.answers import COMMENT_WINDOW
from reports.csat.asking import rating_buttons
from reports.csat.reading import rating_in
from reports.csat.tasks import send_surveys
from reports.models import CsatSettings, CsatSurvey, Fact
from simulator.fake_provider import taps
from tests.channels import conftest as on_channels
from tests.channels.adapter_cases.entry import signed
from tests.channels.worker import applied
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, TeamFactory
from tests.factories.conversations import ContactFactory, InboxFactory

# The channel tests' fixtures: inboxes with the fixtures' secrets, the local fake provider.
public_url, fake_provider = on_channels.public_url, on_channels.fake_provider
whatsapp_inbox, telegram_inbox = on_channels.whatsapp_inbox, on_channels.telegram_inbox

State = CsatSurvey.State
FIVE = "5 ★★★★★"  # the widget's and a provider's button title: a tap arrives as it


@pytest.fixture
def asks(inbox) -> CsatSettings:
    return CsatSettings.objects.create(inbox=inbox, enabled=True)


def new_agent(inbox, name: str = "Ana"):
    agent = AgentProfileFactory(display_name=name).user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    return agent


def resolved_by(agent, inbox, contact=None, *, text: str = "Where is my order?", team=None) -> Conversation:
    """A customer writes, `agent` takes it and resolves it; the survey job runs."""
    contact = contact or ContactFactory()
    conversation = services.message_receive(inbox=inbox, contact=contact, body=text).conversation
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent, team_id=team)
    services.message_post_reply(conversation=conversation, agent=agent, body="It ships today.")
    services.conversation_resolve(conversation=conversation, actor=agent)
    send_surveys(conversation.pk)
    return Conversation.objects.get(pk=conversation.pk)


def customer_says(conversation: Conversation, text: str) -> Conversation:
    services.message_receive(
        inbox=conversation.inbox, contact=conversation.contact, conversation_id=conversation.pk, body=text
    )
    return Conversation.objects.get(pk=conversation.pk)


def survey_of(conversation: Conversation) -> CsatSurvey:
    return CsatSurvey.objects.filter(conversation=conversation).order_by("-resolved_at").first()


def notes(conversation: Conversation) -> list[str]:
    lines = Message.objects.filter(conversation=conversation, is_private=True, body__startswith="Customer")
    return list(lines.order_by("seq").values_list("body", flat=True))


def facts(kind: str) -> list[Fact]:
    return list(Fact.objects.filter(kind=kind).order_by("id"))


# --- asking ---


def test_a_resolve_asks_the_widget_customer_with_five_buttons_and_logs_the_survey_sent(inbox, asks):
    ana, team = new_agent(inbox), TeamFactory()
    conversation = resolved_by(ana, inbox, team=team.pk)

    survey = survey_of(conversation)
    assert (survey.state, survey.agent_id, survey.team_id) == (State.SENT, ana.pk, team.pk)
    assert survey.resolved_at == conversation.resolved_at
    question = survey.message
    assert (question.sender_kind, question.is_private, question.body) == ("system", False, asks.question)
    assert [action["id"] for action in question.actions] == ["csat:1", "csat:2", "csat:3", "csat:4", "csat:5"]
    assert question.actions[4]["title"] == FIVE
    [sent] = facts(Fact.Kind.CSAT_SENT)
    assert (sent.conversation_id, sent.inbox_id, sent.agent_id, sent.team_id) == (
        conversation.pk,
        inbox.pk,
        ana.pk,
        team.pk,
    )
    send_surveys(conversation.pk)  # the job again (a redelivered task): asked once
    assert (
        Message.objects.filter(conversation=conversation, sender_kind="system", is_private=False).count() == 1
    )


def test_an_inbox_that_does_not_ask_sends_no_survey(inbox):
    CsatSettings.objects.create(inbox=inbox, enabled=False)
    conversation = resolved_by(new_agent(inbox), inbox)
    other = InboxFactory()  # and one with no settings at all
    resolved_by(new_agent(other), other)

    assert not CsatSurvey.objects.exists()
    assert not Message.objects.filter(sender_kind="system", is_private=False).exists()
    assert not facts(Fact.Kind.CSAT_SENT)
    assert conversation.status == Conversation.Status.RESOLVED


def test_a_customer_who_writes_before_the_job_runs_is_not_asked(inbox, asks):
    ana = new_agent(inbox)
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    services.conversation_resolve(conversation=conversation, actor=ana)
    customer_says(conversation, "Oh, and one more thing")  # reopens it
    send_surveys(conversation.pk)

    survey = survey_of(conversation)
    assert survey.state == State.SKIPPED and "reopened" in survey.skip_reason
    assert survey.message is None and not facts(Fact.Kind.CSAT_SENT)


def test_a_live_chat_ended_by_its_agent_credits_that_agent(db):
    live = InboxFactory(mode="live")
    CsatSettings.objects.create(inbox=live, enabled=True)
    ana = new_agent(live)
    conversation = services.message_receive(inbox=live, contact=ContactFactory(), body="Hi").conversation
    services.conversation_assign(conversation=conversation, assignee=ana, actor=ana)
    services.live_session_end(conversation=conversation, reason="agent_ended", actor=ana)  # unassigns it
    send_surveys(conversation.pk)

    assert survey_of(conversation).agent_id == ana.pk
    assert facts(Fact.Kind.CSAT_SENT)[0].agent_id == ana.pk


# --- answering ---


@pytest.mark.parametrize(
    ("said", "rating"),
    [(FIVE, 5), ("csat:2", 2), ("4", 4), (" 4/5 ", 4), ("3 stars", 3), ("1.", 1), ("★★★★", 4), ("⭐️⭐️", 2)],
)
def test_a_rating_is_a_button_its_id_a_lone_digit_or_stars(said, rating):
    assert rating_in(said, rating_buttons()) == rating


@pytest.mark.parametrize(
    "said", ["0", "6", "10", "45", "2 items are missing", "five", "4 stars but slow", ""]
)
def test_anything_else_is_not_a_rating(said):
    assert rating_in(said, rating_buttons()) is None


def test_a_tapped_button_is_the_rating_and_the_conversation_stays_resolved(inbox, asks):
    ana = new_agent(inbox)
    conversation = resolved_by(ana, inbox)
    before = conversation

    after = customer_says(conversation, FIVE)

    survey = survey_of(conversation)
    assert (survey.state, survey.rating) == (State.ANSWERED, 5)
    assert (after.status, after.reopen_count, after.waiting_since) == ("resolved", before.reopen_count, None)
    assert (after.resolved_at, after.assignee_id) == (before.resolved_at, ana.pk)
    [answered] = facts(Fact.Kind.CSAT_ANSWERED)
    assert answered.data == {"rating": 5}
    assert (answered.conversation_id, answered.inbox_id, answered.agent_id) == (
        conversation.pk,
        inbox.pk,
        ana.pk,
    )
    assert notes(conversation) == ["Customer rated 5/5 in the satisfaction survey."]
    invitation = Message.objects.filter(
        conversation=conversation, sender_kind="system", is_private=False
    ).last()
    assert invitation.body == asks.comment_prompt
    assert invitation.actions == [{"id": "csat:no_comment", "title": "No, thanks"}]


def test_a_comment_right_after_the_rating_is_kept_and_shown_to_agents_then_the_next_message_reopens(
    inbox, asks
):
    conversation = resolved_by(new_agent(inbox), inbox)
    customer_says(conversation, "4")
    after = customer_says(conversation, "Quick and friendly, thanks!")

    survey = survey_of(conversation)
    assert (survey.rating, survey.comment, survey.comment_until) == (4, "Quick and friendly, thanks!", None)
    assert after.status == Conversation.Status.RESOLVED
    assert notes(conversation)[-1] == "Customer rated 4/5: Quick and friendly, thanks!"

    assert customer_says(conversation, "Actually, my invoice is wrong").status == Conversation.Status.OPEN


def test_declining_the_comment_takes_nothing_more(inbox, asks):
    conversation = resolved_by(new_agent(inbox), inbox)
    customer_says(conversation, "3")
    assert customer_says(conversation, "No, thanks").status == Conversation.Status.RESOLVED
    survey = survey_of(conversation)
    assert (survey.rating, survey.comment, survey.comment_until) == (3, "", None)
    assert customer_says(conversation, "Hello again").status == Conversation.Status.OPEN


def test_a_comment_after_the_window_reopens_instead(inbox, asks, clock):
    conversation = resolved_by(new_agent(inbox), inbox)
    customer_says(conversation, "5")
    clock.advance(seconds=COMMENT_WINDOW.total_seconds() + 1)
    assert customer_says(conversation, "It broke again").status == Conversation.Status.OPEN
    assert survey_of(conversation).comment == ""


def test_a_second_answer_is_noted_for_agents_and_never_counted(inbox, asks):
    conversation = resolved_by(new_agent(inbox), inbox)
    customer_says(conversation, FIVE)
    customer_says(conversation, "No, thanks")
    after = customer_says(conversation, "2")

    assert after.status == Conversation.Status.RESOLVED
    assert survey_of(conversation).rating == 5
    assert [fact.data for fact in facts(Fact.Kind.CSAT_ANSWERED)] == [{"rating": 5}]
    assert notes(conversation)[-1] == (
        "Customer answered the satisfaction survey again (2/5); their first answer (5/5) counts."
    )


def test_text_that_is_not_a_rating_reopens_the_conversation_and_a_person_reads_it(inbox, asks):
    conversation = resolved_by(new_agent(inbox), inbox)
    after = customer_says(conversation, "2 items are still missing")
    assert after.status == Conversation.Status.OPEN and after.reopen_count == 1
    assert survey_of(conversation).state == State.SENT and not facts(Fact.Kind.CSAT_ANSWERED)


def test_after_an_agent_writes_again_a_digit_answers_them_not_the_survey(inbox, asks):
    ana = new_agent(inbox)
    conversation = resolved_by(ana, inbox)
    services.message_post_reply(conversation=conversation, agent=ana, body="How many parcels came?")
    assert customer_says(conversation, "3").status == Conversation.Status.OPEN
    assert survey_of(conversation).rating is None


def test_a_late_answer_after_another_reopen_and_resolve_counts_for_that_resolve(inbox, asks):
    ana, ben = new_agent(inbox, "Ana"), new_agent(inbox, "Ben")
    conversation = resolved_by(ana, inbox)
    first = survey_of(conversation)
    customer_says(conversation, "It came broken")  # reopens: the first survey is left unanswered
    services.conversation_assign(conversation=conversation, assignee=ben, actor=ben)
    services.conversation_resolve(conversation=conversation, actor=ben)
    send_surveys(conversation.pk)

    customer_says(conversation, "4")

    first.refresh_from_db()
    second = survey_of(conversation)
    assert (first.state, first.rating) == (State.SENT, None)
    assert (second.pk != first.pk, second.state, second.rating, second.agent_id) == (
        True,
        "answered",
        4,
        ben.pk,
    )
    [answered] = facts(Fact.Kind.CSAT_ANSWERED)
    assert answered.agent_id == ben.pk and len(facts(Fact.Kind.CSAT_SENT)) == 2


def test_the_answer_wakes_no_bot(inbox, asks, monkeypatch, django_capture_on_commit_callbacks):
    turns: list[int] = []
    monkeypatch.setattr(registry, "_answer_bot_turn", turns.append)
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    services.conversation_resolve(conversation=conversation, actor=None)  # resolved unassigned
    send_surveys(conversation.pk)
    AnswerBot.objects.create(inbox=inbox, enabled=True)  # it takes what comes back unassigned
    CsatSettings.objects.filter(pk=asks.pk).update(ask_comment=False)  # thanks, no comment invited

    with django_capture_on_commit_callbacks(execute=True):
        after = customer_says(conversation, "5")

    assert turns == [] and not after.bot_active and after.status == Conversation.Status.RESOLVED
    thanks = Message.objects.filter(conversation=conversation, sender_kind="system", is_private=False).last()
    assert (thanks.body, thanks.actions) == (asks.thanks, [])
    with django_capture_on_commit_callbacks(execute=True):  # a real message: the bot's turn
        assert customer_says(conversation, "Can I change my address?").bot_active
    assert turns == [conversation.pk]


# --- channels ---


def test_an_sms_customer_reads_a_number_hint_and_texts_a_digit_into_the_resolved_conversation(sms_inbox):
    sms_inbox.reopen_policy = "start_new"  # even so: the answer belongs to the conversation it rates
    sms_inbox.save()
    settings = CsatSettings.objects.create(inbox=sms_inbox, enabled=True)
    contact = services.contact_identify(inbox=sms_inbox, source_id="+14155550142", phone="+14155550142")
    conversation = resolved_by(new_agent(sms_inbox), sms_inbox, contact)

    question = survey_of(conversation).message
    assert question.body == f"{settings.question}\n\n{settings.number_hint}"
    assert question.delivery_status == "pending"  # queued for the provider, like any reply
    services.message_receive(inbox=sms_inbox, contact=contact, body=" 4 ")

    assert Conversation.objects.filter(contact=contact).count() == 1
    assert (survey_of(conversation).rating, Conversation.objects.get(pk=conversation.pk).status) == (
        4,
        "resolved",
    )


def test_a_telegram_customer_taps_a_rating_on_the_inline_keyboard(client, fake_provider, telegram_inbox):
    CsatSettings.objects.create(inbox=telegram_inbox, enabled=True)
    chat_id = "111222333"
    contact = services.contact_identify(inbox=telegram_inbox, source_id=chat_id)
    conversation = resolved_by(new_agent(telegram_inbox), telegram_inbox, contact)
    deliver_message(survey_of(conversation).message_id)
    [send] = fake_provider.sends("telegram")
    assert send["buttons"][4] == {"id": "csat:5", "title": FIVE}

    tapped = {"chat": {"id": int(chat_id), "type": "private"}, "message_id": int(send["id"]), "date": 0}
    update = taps.telegram_callback_query(987654341, int(chat_id), "Ana", "csat:5", tapped)
    headers = {"X-Telegram-Bot-Api-Secret-Token": on_channels.TELEGRAM_SECRET}
    hook = f"/hooks/telegram/{telegram_inbox.public_key}/"
    assert (
        applied(client.post(hook, data=update, content_type="application/json", headers=headers)).status_code
        == 200
    )

    assert survey_of(conversation).rating == 5
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.RESOLVED


WA_ID = "16505551234"
CSAT_TEMPLATE = {
    "name": "csat_survey",
    "language": "en_US",
    "body": "How did we do? Tap a rating.",
    "components": [
        {"type": "BODY", "text": "How did we do? Tap a rating."},
        {
            "type": "BUTTONS",
            "buttons": [{"type": "QUICK_REPLY", "text": t} for t in ("5 - Excellent", "3 - OK", "1 - Poor")],
        },
    ],
}


@pytest.fixture
def late_whatsapp(whatsapp_inbox, fake_provider, clock) -> Conversation:
    """A WhatsApp conversation resolved 24 hours and a second after the customer last wrote."""
    contact = services.contact_identify(inbox=whatsapp_inbox, source_id=WA_ID, phone="+" + WA_ID)
    conversation = services.message_receive(inbox=whatsapp_inbox, contact=contact, body="Hi").conversation
    clock.advance(hours=24, seconds=1)
    services.conversation_resolve(conversation=conversation, actor=new_agent(whatsapp_inbox))
    return conversation


def test_whatsapp_past_its_window_asks_through_the_approved_template_and_takes_its_button(
    client, late_whatsapp, fake_provider
):
    fake_provider.behave(templates=[CSAT_TEMPLATE])
    services.templates_sync(inbox=late_whatsapp.inbox)
    template = MessageTemplate.objects.get(name="csat_survey")
    CsatSettings.objects.create(
        inbox=late_whatsapp.inbox, enabled=True, whatsapp_template=template
    ).full_clean()
    services.conversation_reopen(conversation=late_whatsapp, actor=None)  # resolved again, now surveys are on
    services.conversation_resolve(conversation=late_whatsapp, actor=None)
    send_surveys(late_whatsapp.pk)

    question = survey_of(late_whatsapp).message
    assert question.template == {"name": "csat_survey", "language": "en_US", "parameters": []}
    deliver_message(question.pk)
    [sent] = fake_provider.sends("whatsapp")
    assert sent["raw"]["json"]["type"] == "template"

    tap = taps.whatsapp_template_button(
        on_channels.WHATSAPP_PHONE_NUMBER_ID, WA_ID, "Sheena", "5 - Excellent", "5 - Excellent", sent["id"]
    )
    signed(
        f"/hooks/whatsapp/{late_whatsapp.inbox.public_key}/", "whatsapp", tap, on_channels.META["app_secret"]
    ).post(client)
    assert survey_of(late_whatsapp).rating == 5
    assert Conversation.objects.get(pk=late_whatsapp.pk).status == Conversation.Status.RESOLVED


def test_whatsapp_past_its_window_without_a_template_asks_nothing_and_says_why(late_whatsapp, fake_provider):
    CsatSettings.objects.create(inbox=late_whatsapp.inbox, enabled=True)
    services.conversation_reopen(conversation=late_whatsapp, actor=None)
    services.conversation_resolve(conversation=late_whatsapp, actor=None)
    send_surveys(late_whatsapp.pk)

    survey = survey_of(late_whatsapp)
    assert survey.state == State.SKIPPED and survey.message is None
    assert "24 hours" in survey.skip_reason and "No approved template" in survey.skip_reason
    assert not Message.objects.filter(Q(sender_kind="system") & Q(is_private=False)).exists()
    assert not facts(Fact.Kind.CSAT_SENT) and fake_provider.sends("whatsapp") == []


def test_whatsapp_inside_its_window_asks_in_text_with_the_number_hint(whatsapp_inbox, fake_provider):
    settings = CsatSettings.objects.create(inbox=whatsapp_inbox, enabled=True)
    contact = services.contact_identify(inbox=whatsapp_inbox, source_id=WA_ID, phone="+" + WA_ID)
    conversation = resolved_by(new_agent(whatsapp_inbox), whatsapp_inbox, contact)
    deliver_message(survey_of(conversation).message_id)

    [sent] = fake_provider.sends("whatsapp")  # five ratings are more than WhatsApp's three buttons
    assert sent["raw"]["json"]["type"] == "text" and settings.number_hint in sent["body"]
