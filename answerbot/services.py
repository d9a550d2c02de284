"""The answer bot's turns: after a customer writes in a conversation the bot has, read what they
wrote since its last turn, decide (answer from the help center, confirm, hand off), and say it.

A turn decides without locks (searching, or asking a generative model, may take a while), then
applies under the conversation's lock only if nothing moved meanwhile: the episode is where the
plan found it and no newer customer message arrived; otherwise it plans again with everything.
So two turns queued for one conversation answer once, and a message written during a turn is
read by the next plan. Every step is idempotent (bot messages carry a client id per turn).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from conversations import hours
from conversations.models import Conversation, Message
from conversations.services import (
    contact_update_details,
    conversation_hand_off,
    conversation_resolve,
    message_post_bot,
)
from knowledge.models import Article, Portal
from knowledge.search import MAX_QUERY_LENGTH, SearchHit, answer_threshold, search_articles
from operations.metrics import BOT_OUTCOMES

from . import replies
from .generative import GenerativeUnavailable, generative_enabled, write_answer
from .models import AnswerBot, Episode
from .reading import Reply, asks_for_person, contact_details, picked_action, yes_or_no

State, Outcome, Reason = Episode.State, Episode.Outcome, Episode.HandoffReason
PLAN_ATTEMPTS = 3
ANSWERS_SHOWN = 3
# Out of hours the bot asks for contact details before handing off; a customer who never answers
# is handed off anyway after this long.
COLLECTING_GRACE = timedelta(minutes=10)


@dataclass
class Plan:
    """What one turn will do, decided from the messages after `since` up to `upto`."""

    since: int
    upto: int
    text: str
    state: str = State.ANSWERED
    says: replies.BotSays | None = None
    hand_off: str = ""
    outcome: str = ""
    question: str = ""
    hits: list[SearchHit] = field(default_factory=list)
    top_score: float | None = None
    details: dict[str, str] = field(default_factory=dict)


def bot_take_turn(*, conversation_id: int) -> None:
    for _ in range(PLAN_ATTEMPTS):
        conversation = Conversation.objects.select_related("inbox", "contact").get(pk=conversation_id)
        episode = _open_episode(conversation_id)
        if not conversation.bot_active:
            if episode is not None:
                _end(episode, Outcome.HANDED_OFF, reason=Reason.PERSON_TOOK_IT)
            return
        plan = _plan(conversation, episode)
        if plan is None or _apply(conversation, plan):
            return


def _plan(conversation: Conversation, episode: Episode | None) -> Plan | None:
    since = episode.handled_seq if episode is not None else _last_reply_seq(conversation)
    messages = list(
        Message.objects.filter(
            conversation=conversation, seq__gt=since, sender_kind=Message.SenderKind.CONTACT
        ).order_by("seq")
    )
    if not messages:
        return None
    text = "\n".join(message.body for message in messages if message.body.strip())
    plan = Plan(since=since, upto=messages[-1].seq, text=text, question=episode.question if episode else "")
    bot = AnswerBot.objects.filter(inbox_id=conversation.inbox_id).first()
    channel = conversation.inbox.channel_type
    if bot is None or not bot.enabled:
        plan.hand_off = Reason.BOT_TURNED_OFF
        return plan
    offered = _offered_actions(conversation, before=messages[0].seq)
    picked = picked_action(text, offered) if offered else None
    state = episode.state if episode is not None else None
    if picked == Reply.PERSON or asks_for_person(text, bot.person_words.splitlines()):
        plan.hand_off = Reason.ASKED_FOR_PERSON
    elif state == State.COLLECTING:
        plan.details = contact_details(text)
        plan.hand_off = episode.handoff_reason
    elif state == State.ANSWERED and (
        picked == Reply.SOLVED or (not picked and yes_or_no(text) == Reply.SOLVED)
    ):
        plan.outcome, plan.says = Outcome.RESOLVED_CONFIRMED, replies.glad_it_helped()
    elif state == State.ANSWERED and (picked == Reply.NOT_SOLVED or yes_or_no(text) == Reply.NOT_SOLVED):
        plan.hand_off = Reason.NOT_SOLVED
    elif state == State.CHOOSING and picked == Reply.ANSWER_NOW:
        if plan.question:
            _answer(plan, bot, conversation, plan.question)
        else:
            plan.state, plan.says = State.LISTENING, replies.ask_question()
    elif episode is None and bot.offer_choice_up_front and text:
        plan.state, plan.question, plan.says = State.CHOOSING, text, replies.choose_first(channel)
    elif text:
        _answer(plan, bot, conversation, text)
    else:  # only files: the bot reads words, so a person looks
        plan.hand_off = Reason.NO_ANSWER
    if plan.hand_off and state != State.COLLECTING and _away(conversation):
        plan.state, plan.says = State.COLLECTING, replies.out_of_hours(_back_when(conversation))
    return plan


def _answer(plan: Plan, bot: AnswerBot, conversation: Conversation, question: str) -> None:
    """Search the bot's help center for `question`; answer from what clears the threshold, or
    plan a hand-off when nothing does (the bot never guesses)."""
    plan.question = question
    portal = _portal_of(bot)
    if portal is None:
        plan.hand_off = Reason.NO_ANSWER
        return
    hits = search_articles(portal=portal, query=_searchable(question), limit=ANSWERS_SHOWN)
    threshold = bot.confidence_threshold or answer_threshold()
    plan.top_score = hits[0].score if hits else None
    plan.hits = [hit for hit in hits if hit.score >= threshold]
    if not plan.hits:
        plan.hand_off = Reason.NO_ANSWER
        return
    channel = conversation.inbox.channel_type
    plan.state = State.ANSWERED
    if bot.generative and generative_enabled():
        try:
            written = write_answer(question=question, hits=plan.hits)
        except GenerativeUnavailable:
            written = None
            plan.says = replies.articles_answer(channel, plan.hits)
        else:
            if written is None:  # the articles do not cover it
                plan.hand_off = Reason.NOT_COVERED
                return
            plan.says = replies.generated_answer(channel, written)
        return
    plan.says = replies.articles_answer(channel, plan.hits)


def _apply(conversation: Conversation, plan: Plan) -> bool:
    """Carry the plan out if nothing moved since it was made; False to plan again."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        episode = _open_episode(conversation.pk)
        if not locked.bot_active:
            return True
        seen = episode.handled_seq if episode is not None else _last_reply_seq(locked)
        newest = Message.objects.filter(
            conversation=locked, sender_kind=Message.SenderKind.CONTACT
        ).aggregate(newest=Max("seq"))["newest"]
        if seen != plan.since or newest != plan.upto:
            return False
        now = timezone.now()
        episode = episode or Episode(
            conversation=locked,
            inbox_id=locked.inbox_id,
            contact_id=locked.contact_id,
            channel_type=conversation.inbox.channel_type,
            state=plan.state,
            started_at=now,
        )
        episode.handled_seq, episode.last_turn_at = plan.upto, now
        episode.question = plan.question or episode.question or plan.text
        if plan.hits:
            episode.offered_article_ids = [hit.article.pk for hit in plan.hits]
        if plan.top_score is not None:
            episode.top_score = plan.top_score
        if plan.details:
            contact_update_details(contact=conversation.contact, **plan.details)
        turn_id = f"bot-{locked.pk}-{plan.upto}"
        if plan.says is not None:
            message_post_bot(
                conversation_id=locked.pk,
                body=plan.says.body,
                actions=plan.says.actions,
                client_message_id=turn_id,
            )
        if plan.state == State.COLLECTING and plan.hand_off:
            episode.state, episode.handoff_reason = State.COLLECTING, plan.hand_off
            episode.save()
        elif plan.hand_off:
            episode.save()
            _hand_off(locked, episode, plan.hand_off, now)
        elif plan.outcome:
            _end(episode, plan.outcome, at=now)
            conversation_resolve(conversation=locked, actor=None)
        else:
            episode.state = plan.state
            episode.save()
        return True


def _hand_off(conversation: Conversation, episode: Episode, reason: str, now: datetime) -> None:
    conversation_hand_off(
        conversation_id=conversation.pk,
        reason=reason,
        customer_text=replies.handing_off(_back_when(conversation) if _away(conversation) else None).body,
        summary=_summary(episode, reason),
    )
    _end(episode, Outcome.HANDED_OFF, reason=reason, at=now)


def _summary(episode: Episode, reason: str) -> str:
    """The private note agents read first: the question, what the bot offered, why it stopped."""
    lines = [f"Answer bot handed off: {Reason(reason).label.lower()}."]
    if episode.question:
        lines.append(f"Question: {episode.question[:500]}")
    titles = _offered_titles(episode)
    lines.append(
        f"Offered: {'; '.join(titles)}" if titles else "Offered: nothing (no article cleared the threshold)"
    )
    if episode.top_score is not None:
        lines.append(
            f"Best match score {episode.top_score:.2f} (answers at {answer_threshold():.2f} or more)."
        )
    return "\n".join(lines)


def _end(episode: Episode, outcome: str, *, reason: str = "", at: datetime | None = None) -> None:
    episode.state, episode.outcome = State.ENDED, outcome
    BOT_OUTCOMES.labels(outcome).inc()
    episode.handoff_reason = reason if outcome == Outcome.HANDED_OFF else ""
    episode.ended_at = at or timezone.now()
    episode.save()


def _open_episode(conversation_id: int) -> Episode | None:
    return Episode.objects.filter(conversation_id=conversation_id, ended_at__isnull=True).first()


def _last_reply_seq(conversation: Conversation) -> int:
    """Where a new episode starts reading: after the last public message to the customer."""
    return (
        Message.objects.filter(conversation=conversation, is_private=False)
        .exclude(sender_kind=Message.SenderKind.CONTACT)
        .aggregate(last=Max("seq"))["last"]
        or 0
    )


def _offered_actions(conversation: Conversation, *, before: int) -> list[dict]:
    """The replies the bot offered last, before the customer's new messages."""
    last_bot = (
        Message.objects.filter(conversation=conversation, sender_kind=Message.SenderKind.BOT, seq__lt=before)
        .order_by("-seq")
        .values_list("actions", flat=True)
        .first()
    )
    return last_bot or []


def _offered_titles(episode: Episode) -> list[str]:
    titles = dict(Article.objects.filter(pk__in=episode.offered_article_ids).values_list("pk", "title"))
    return [titles[pk] for pk in episode.offered_article_ids if pk in titles]


def _portal_of(bot: AnswerBot) -> Portal | None:
    return bot.portal or Portal.objects.filter(inboxes=bot.inbox_id).order_by("pk").first()


def _searchable(question: str) -> str:
    """A long message is searched by its start: the question usually comes first."""
    if len(question) <= MAX_QUERY_LENGTH:
        return question
    return question[:MAX_QUERY_LENGTH].rsplit(None, 1)[0] or question[:MAX_QUERY_LENGTH]


def _away(conversation: Conversation) -> bool:
    return not hours.is_open(conversation.inbox, timezone.now())


def _back_when(conversation: Conversation) -> str | None:
    opening = hours.next_opening(conversation.inbox, timezone.now())
    if opening is None:
        return None
    local = opening.astimezone(ZoneInfo(conversation.inbox.timezone))
    return local.strftime("%A %H:%M %Z")


def settle_quiet_episodes(*, now: datetime | None = None) -> int:
    """The outcome of episodes the customer went quiet in: an answer nobody questioned for
    PARLEY_BOT_ASSUME_RESOLVED_AFTER counts as resolved; a hand-off waiting for contact details is
    made; anything else is abandoned. Returns how many episodes it settled."""
    now = now or timezone.now()
    quiet = Episode.objects.filter(
        ended_at__isnull=True, last_turn_at__lt=now - settings.PARLEY_BOT_ASSUME_RESOLVED_AFTER
    ).select_related("conversation")
    collecting = Episode.objects.filter(
        ended_at__isnull=True, state=State.COLLECTING, last_turn_at__lt=now - COLLECTING_GRACE
    ).select_related("conversation", "conversation__inbox")
    settled = 0
    for episode in collecting:
        with transaction.atomic():
            _hand_off(episode.conversation, episode, episode.handoff_reason or Reason.ASKED_FOR_PERSON, now)
        settled += 1
    for episode in quiet.exclude(state=State.COLLECTING):
        if not episode.conversation.bot_active:
            _end(episode, Outcome.HANDED_OFF, reason=Reason.PERSON_TOOK_IT, at=now)
        elif episode.state == State.ANSWERED:
            _end(episode, Outcome.RESOLVED_ASSUMED, at=now)
            if episode.conversation.status != Conversation.Status.RESOLVED:
                conversation_resolve(conversation=episode.conversation, actor=None)
        else:
            _end(episode, Outcome.ABANDONED, at=now)
        settled += 1
    return settled
