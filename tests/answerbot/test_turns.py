"""The answer bot answers first, never guesses, and hands off without dropping the customer."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from answerbot.models import Episode
from answerbot.services import bot_take_turn, settle_quiet_episodes
from conversations.event_catalogue import EventType
from conversations.models import Conversation, Message
from conversations.services import conversation_assign, message_post_bot, message_receive
from tests.factories.conversations import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def customer_says(inbox, contact, text: str) -> Message:
    message = message_receive(inbox=inbox, contact=contact, body=text)
    bot_take_turn(conversation_id=message.conversation_id)
    return message


def bot_lines(conversation_id: int) -> list[Message]:
    return list(Message.objects.filter(conversation_id=conversation_id, sender_kind="bot").order_by("seq"))


def test_a_new_question_is_answered_first_with_the_best_article_and_a_yes_no_choice(
    bot, inbox, contact, bot_turns
):
    asked = customer_says(inbox, contact, "I forgot my password, how can I get back in?")
    conversation = Conversation.objects.get(pk=asked.conversation_id)
    assert conversation.bot_active and conversation.assignee_id is None
    assert bot_turns == [conversation.pk]
    [answer] = bot_lines(conversation.pk)
    assert "Reset your password" in answer.body.splitlines()[2]
    assert "/help/acme/en/articles/reset-your-password/" in answer.body
    assert [action["id"] for action in answer.actions] == ["solved", "not_solved"]
    assert "Reply 1" not in answer.body  # the widget draws buttons
    episode = Episode.objects.get(conversation=conversation)
    assert episode.state == Episode.State.ANSWERED and episode.handled_seq == asked.seq


def test_the_customer_confirming_resolves_it_as_resolved_by_the_bot(bot, inbox, contact, bot_turns):
    asked = customer_says(inbox, contact, "how do I change my password")
    customer_says(inbox, contact, "Yes, that solved it")
    conversation = Conversation.objects.get(pk=asked.conversation_id)
    assert conversation.status == Conversation.Status.RESOLVED
    episode = Episode.objects.get(conversation=conversation)
    assert episode.outcome == Episode.Outcome.RESOLVED_CONFIRMED and episode.ended_at is not None
    assert bot_lines(conversation.pk)[-1].body.startswith("Glad that helped")


def test_asking_for_a_person_hands_off_with_a_summary_agents_see_and_the_desk_is_told(
    bot, inbox, contact, agent, listen, bot_turns
):
    asked = customer_says(inbox, contact, "where is my parcel?")
    desk = listen(f"inbox.{inbox.pk}")
    customer_says(inbox, contact, "human please")
    conversation = Conversation.objects.get(pk=asked.conversation_id)
    assert not conversation.bot_active and conversation.waiting_since is not None
    note = Message.objects.filter(conversation=conversation, is_private=True, sender_kind="system").last()
    assert "the customer asked for a person" in note.body
    assert "Question: where is my parcel?" in note.body and "Track your order" in note.body
    assert "passing you to a person" in bot_lines(conversation.pk)[-1].body
    handed = [event for event in desk.receive_all() if event.get("type") == EventType.CONVERSATION_HANDED_OFF]
    assert handed and handed[0]["reason"] == "asked_for_person"
    episode = Episode.objects.get(conversation=conversation)
    assert (episode.outcome, episode.handoff_reason) == ("handed_off", "asked_for_person")


def test_below_the_threshold_it_does_not_guess_it_hands_off(bot, inbox, contact, bot_turns):
    asked = customer_says(inbox, contact, "Can I bring my dog to your annual shareholder meeting?")
    conversation = Conversation.objects.get(pk=asked.conversation_id)
    assert not conversation.bot_active
    note = Message.objects.filter(conversation=conversation, is_private=True).last()
    assert "no article answered it" in note.body and "Offered: nothing" in note.body
    assert bot_lines(conversation.pk)[0].body.startswith("I'm passing you to a person")


def test_sms_gets_numbered_replies_and_a_digit_answers(sms_bot, sms_inbox, bot_turns, sms_sender):
    customer = ContactFactory(phone="+15550001111")
    asked = customer_says(sms_inbox, customer, "my order has not arrived yet")
    [answer] = bot_lines(asked.conversation_id)
    assert (
        "Reply 1 for: Yes, that solved it" in answer.body
        and "Reply 2 for: No, talk to a person" in answer.body
    )
    assert answer.delivery_status == Message.DeliveryStatus.PENDING  # through the outbox, like any reply
    customer_says(sms_inbox, customer, "2")
    episode = Episode.objects.get(conversation_id=asked.conversation_id)
    assert episode.handoff_reason == Episode.HandoffReason.NOT_SOLVED


def test_the_inbox_can_offer_the_choice_up_front(bot, inbox, contact, bot_turns):
    bot.offer_choice_up_front = True
    bot.save()
    asked = customer_says(inbox, contact, "where is my parcel")
    [choice] = bot_lines(asked.conversation_id)
    assert [action["title"] for action in choice.actions] == ["Get an answer now", "Talk to a person"]
    customer_says(inbox, contact, "Get an answer now")
    assert "Track your order" in bot_lines(asked.conversation_id)[-1].body


def test_out_of_hours_it_says_when_people_are_back_and_takes_an_email(bot, inbox, contact, bot_turns):
    tuesday = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    with time_machine.travel(tuesday, tick=False):
        away_journey(inbox, contact)


def away_journey(inbox, contact) -> None:
    inbox.timezone = "UTC"
    inbox.business_hours = {"mon": [["09:00", "09:01"]]}
    inbox.save()
    asked = customer_says(inbox, contact, "I want to talk to a person")
    away = bot_lines(asked.conversation_id)[-1].body
    assert "We're back Monday 09:00" in away and "email address or phone number" in away
    assert Conversation.objects.get(pk=asked.conversation_id).bot_active
    customer_says(inbox, contact, "sure, it's dana@example.com")
    contact.refresh_from_db()
    assert contact.email == "dana@example.com"
    assert not Conversation.objects.get(pk=asked.conversation_id).bot_active


def test_once_a_person_has_it_the_bot_stays_out(bot, inbox, contact, agent, bot_turns):
    asked = customer_says(inbox, contact, "where is my parcel")
    conversation = Conversation.objects.get(pk=asked.conversation_id)
    conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    bot_turns.clear()
    customer_says(inbox, contact, "still there?")
    assert bot_turns == [] and len(bot_lines(conversation.pk)) == 1
    assert Episode.objects.get(conversation=conversation).handoff_reason == "person_took_it"
    assert message_post_bot(conversation_id=conversation.pk, body="late") is None


def test_two_turns_for_the_same_message_answer_once(bot, inbox, contact, bot_turns):
    asked = customer_says(inbox, contact, "how do I change my password")
    bot_take_turn(conversation_id=asked.conversation_id)
    assert len(bot_lines(asked.conversation_id)) == 1


def test_a_bot_turned_off_mid_conversation_hands_off_rather_than_leaving_the_customer(
    bot, inbox, contact, bot_turns
):
    asked = customer_says(inbox, contact, "how do I change my password")
    bot.enabled = False
    bot.save()
    customer_says(inbox, contact, "hmm, and my email?")
    assert not Conversation.objects.get(pk=asked.conversation_id).bot_active


def test_quiet_episodes_settle_resolved_when_answered_and_abandoned_when_not(
    bot, inbox, contact, clock, bot_turns
):
    answered = customer_says(inbox, contact, "how do I change my password")
    bot.offer_choice_up_front = True
    bot.save()
    other = customer_says(inbox, ContactFactory(), "where is my parcel")
    clock.advance(hours=23)
    assert settle_quiet_episodes() == 0
    clock.advance(hours=2)
    assert settle_quiet_episodes() == 2
    assert Episode.objects.get(conversation_id=answered.conversation_id).outcome == "resolved_assumed"
    assert Conversation.objects.get(pk=answered.conversation_id).status == "resolved"
    assert Episode.objects.get(conversation_id=other.conversation_id).outcome == "abandoned"


def test_an_inbox_without_a_bot_routes_as_before(inbox, contact, bot_turns):
    asked = message_receive(inbox=inbox, contact=contact, body="hello")
    assert bot_turns == [] and not Conversation.objects.get(pk=asked.conversation_id).bot_active


def test_offered_replies_are_checked(bot, inbox, contact, bot_turns):
    asked = customer_says(inbox, contact, "where is my parcel")
    with pytest.raises(ValidationError):
        message_post_bot(conversation_id=asked.conversation_id, body="x", actions=[{"id": "a"}])
