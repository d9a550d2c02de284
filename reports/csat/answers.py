"""The customer's answer to a survey: the reply catcher the core asks (registry.reply_taker) before
a customer's message reopens a resolved conversation, and what taking each kind of answer does.

A survey takes answers while the conversation stays resolved by the resolve it follows, and until a
person or the bot writes to the customer again (their words come after the question: a lone "3"
then answers them, not the survey). What it takes, without reopening anything:
- the first rating: counted once (fact csat_answered), shown to agents, then the comment invitation
  (or thanks);
- while the invitation stands (COMMENT_WINDOW), the next message as the comment, or the decline;
- a rating again, at any time after: kept as an activity line, never counted.
Anything else is not an answer: the conversation reopens as usual, and a person reads it.

Takers run inside message_receive's transaction, which holds the conversation's lock; they lock
the survey after it, as sending does (one lock order).
"""

import logging
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import registry, services
from conversations.models import Conversation, Message
from reports.models import CsatSettings, CsatSurvey, Fact

from . import asking
from .reading import declines_comment, rating_in

logger = logging.getLogger(__name__)
State = CsatSurvey.State
COMMENT_WINDOW = timedelta(hours=1)
PEOPLE = (Message.SenderKind.AGENT, Message.SenderKind.BOT)


def catch_reply(conversation: Conversation, body: str) -> registry.ReplyTaker | None:
    """The reply catcher: what takes `body` to the resolved `conversation`, or None. Changes
    nothing itself (the core may ask before it takes the lock)."""
    survey = _answerable_survey(conversation)
    if survey is None:
        return None
    rating = rating_in(body, survey.offered)
    if survey.state == State.SENT:
        return partial(_take_rating, survey.pk, rating) if rating is not None else None
    if rating is not None:
        return partial(_take_again, survey.pk, rating)
    if survey.comment_until is None or timezone.now() >= survey.comment_until:
        return None
    settings = CsatSettings.objects.filter(inbox_id=survey.inbox_id).first()
    if settings is not None and declines_comment(body, settings.no_comment_title):
        return partial(_take_no_comment, survey.pk)
    return partial(_take_comment, survey.pk)


def _answerable_survey(conversation: Conversation) -> CsatSurvey | None:
    survey = (
        CsatSurvey.objects.filter(
            conversation_id=conversation.pk,
            resolved_at=conversation.resolved_at,
            state__in=(State.SENT, State.ANSWERED),
        )
        .select_related("message")
        .first()
    )
    if survey is None or survey.message is None:
        return None
    spoken_since = Message.objects.filter(
        conversation_id=conversation.pk, seq__gt=survey.message.seq, is_private=False, sender_kind__in=PEOPLE
    ).exists()
    return None if spoken_since else survey


def _take_rating(survey_id: int, rating: int, message: Message) -> None:
    survey = _locked(survey_id)
    if survey.state != State.SENT:  # answered meanwhile: the first answer counts
        _take_again(survey_id, rating, message)
        return
    settings = CsatSettings.objects.filter(inbox_id=survey.inbox_id).first() or CsatSettings()
    now = timezone.now()
    survey.state, survey.rating, survey.rated_at = State.ANSWERED, rating, now
    survey.comment_until = now + COMMENT_WINDOW if settings.ask_comment else None
    survey.save(update_fields=["state", "rating", "rated_at", "comment_until"])
    survey.fact(Fact.Kind.CSAT_ANSWERED, now, rating=rating).save()
    services.message_post_activity(conversation_id=survey.conversation_id, text=asking.rated_note(rating))
    follow_up = asking.after_rating(settings)
    try:
        services.message_post_automatic(
            conversation_id=survey.conversation_id,
            body=follow_up.body,
            actions=follow_up.actions,
            client_message_id=f"csat-{survey.pk}-rated",
        )
    except ValidationError as refused:  # the rating stands, unthanked
        logger.info("survey %s: no follow-up to the rating: %s", survey.pk, " ".join(refused.messages))


def _take_comment(survey_id: int, message: Message) -> None:
    survey = _locked(survey_id)
    survey.comment, survey.comment_until = message.body, None
    survey.save(update_fields=["comment", "comment_until"])
    services.message_post_activity(
        conversation_id=survey.conversation_id, text=asking.commented_note(survey.rating, message.body)
    )


def _take_no_comment(survey_id: int, message: Message) -> None:
    survey = _locked(survey_id)
    survey.comment_until = None
    survey.save(update_fields=["comment_until"])


def _take_again(survey_id: int, rating: int, message: Message) -> None:
    survey = _locked(survey_id)
    services.message_post_activity(
        conversation_id=survey.conversation_id, text=asking.answered_again_note(rating, survey.rating)
    )


def _locked(survey_id: int) -> CsatSurvey:
    return CsatSurvey.objects.select_for_update().get(pk=survey_id)
