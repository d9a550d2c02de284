"""What self-service achieved, read from the bot's episodes: deflection, how many "resolved"
customers came back, what contacts cost, and the questions no article answers (suggestions for
new ones). Pure reads returning dataclasses, each a fixed number of queries whatever the number
of episodes, on Postgres and SQLite alike.

Definitions (docs and the admin's "Self-service report" page use the same words):
- An episode belongs to the period it **started** in (when the customer asked), and to its inbox
  and channel. Open episodes have no outcome yet: they are counted as `open` and left out of rates.
- **Deflection rate** = resolved (confirmed + assumed) / ended episodes.
- A contact **wrote again** after an episode when, within RETURN_WINDOW after it ended, they sent
  a message in any conversation of that inbox, or started a new episode (in any inbox).
- **7-day return rate** = of resolved episodes whose window has passed, the share whose contact
  wrote again. Episodes still inside their window are counted as `watching`, never as "did not
  come back": counting them would flatter the rate for every recent period.
- **Cost per contact** (one ended episode is one contact): resolved episodes at the self-service
  cost; handed-off ones at the person cost; abandoned ones at the person cost (a customer who
  walked away from the bot most likely came back to a person), except those whose window has
  passed without them writing again, which cost what self-service costs (they used the bot and
  nobody else). The saving is against every contact handled by a person.
- **Unanswered questions**: the questions of episodes handed off because no article answered
  (no_answer, not_covered) or the answer did not solve it (not_solved), grouped by meaning: see
  grouping.py.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from conversations.models import ChannelType, Message

from .grouping import GROUPING_THRESHOLD, AskedQuestion, QuestionGroup, group_questions
from .models import Episode

Outcome, Reason = Episode.Outcome, Episode.HandoffReason
RESOLVED = (Outcome.RESOLVED_CONFIRMED, Outcome.RESOLVED_ASSUMED)
UNANSWERED_REASONS = (Reason.NO_ANSWER, Reason.NOT_COVERED, Reason.NOT_SOLVED)
RETURN_WINDOW = timedelta(days=7)
MAX_GROUPED_QUESTIONS = 2000  # the most recent ones: a few hundred milliseconds to embed and group
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """From `start` (included) to `end` (excluded), both aware."""

    start: datetime
    end: datetime

    @classmethod
    def last_days(cls, days: int, *, now: datetime | None = None) -> "Period":
        """Today and the `days - 1` days before it (local days), up to now."""
        now = now or timezone.now()
        first = timezone.localdate(now) - timedelta(days=days - 1)
        return cls(start=datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone()), end=now)

    def days(self) -> list[date]:
        """Every local day the period touches, oldest first."""
        first = timezone.localdate(self.start)
        last = timezone.localdate(self.end - timedelta(microseconds=1))
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class OutcomeCounts:
    resolved_confirmed: int = 0
    resolved_assumed: int = 0
    handed_off: int = 0
    abandoned: int = 0
    open: int = 0

    @property
    def resolved(self) -> int:
        return self.resolved_confirmed + self.resolved_assumed

    @property
    def ended(self) -> int:
        return self.resolved + self.handed_off + self.abandoned

    @property
    def started(self) -> int:
        return self.ended + self.open

    @property
    def deflection_rate(self) -> float | None:
        """Resolved by the bot / ended; None when none ended."""
        return self.resolved / self.ended if self.ended else None


@dataclass(frozen=True)
class InboxDeflection:
    inbox_id: int
    inbox_name: str
    counts: OutcomeCounts


@dataclass(frozen=True)
class ChannelDeflection:
    channel_type: str
    label: str
    counts: OutcomeCounts


@dataclass(frozen=True)
class DayDeflection:
    day: date
    counts: OutcomeCounts


@dataclass(frozen=True)
class Deflection:
    total: OutcomeCounts
    by_inbox: tuple[InboxDeflection, ...]  # most episodes first
    by_channel: tuple[ChannelDeflection, ...]  # most episodes first
    by_day: tuple[DayDeflection, ...]  # every day of the period, oldest first, quiet days as zeros


@dataclass(frozen=True)
class ReturnRate:
    resolved: int  # episodes resolved by the bot
    observed: int  # of those, the ones whose window has passed
    returned: int  # of the observed, the ones whose contact wrote again within the window
    window: timedelta

    @property
    def watching(self) -> int:
        """Resolved episodes still inside their window: not counted either way yet."""
        return self.resolved - self.observed

    @property
    def rate(self) -> float | None:
        return self.returned / self.observed if self.observed else None


@dataclass(frozen=True)
class ContactCost:
    contacts: int  # ended episodes
    resolved_by_bot: int
    handed_off: int
    abandoned_came_back: int  # wrote again, or still inside their window: at the person cost
    abandoned_gone: int  # never wrote again in the window: at the self-service cost
    self_service_unit: Decimal
    person_unit: Decimal

    @property
    def at_person_cost(self) -> int:
        return self.handed_off + self.abandoned_came_back

    @property
    def at_self_service_cost(self) -> int:
        return self.resolved_by_bot + self.abandoned_gone

    @property
    def self_service_total(self) -> Decimal:
        return self.at_self_service_cost * self.self_service_unit

    @property
    def person_total(self) -> Decimal:
        return self.at_person_cost * self.person_unit

    @property
    def total(self) -> Decimal:
        return self.self_service_total + self.person_total

    @property
    def per_contact(self) -> Decimal | None:
        return (self.total / self.contacts).quantize(CENT, ROUND_HALF_UP) if self.contacts else None

    @property
    def all_by_person(self) -> Decimal:
        """What the same contacts would have cost had a person handled every one."""
        return self.contacts * self.person_unit

    @property
    def saving(self) -> Decimal:
        return self.all_by_person - self.total

    @property
    def saving_per_contact(self) -> Decimal | None:
        return (self.saving / self.contacts).quantize(CENT, ROUND_HALF_UP) if self.contacts else None


@dataclass(frozen=True)
class SelfServiceReport:
    period: Period
    deflection: Deflection
    return_rate: ReturnRate
    cost: ContactCost
    unanswered: tuple[QuestionGroup, ...]


def self_service_report(
    *,
    period: Period,
    inbox_id: int | None = None,
    channel_type: str | None = None,
    now: datetime | None = None,
) -> SelfServiceReport:
    """All four figures for one period and filter: four queries."""
    scope = {"period": period, "inbox_id": inbox_id, "channel_type": channel_type}
    return SelfServiceReport(
        period=period,
        deflection=deflection(**scope),
        return_rate=return_rate(**scope, now=now),
        cost=cost_per_contact(**scope, now=now),
        unanswered=tuple(unanswered_questions(**scope)),
    )


def deflection(*, period: Period, inbox_id: int | None = None, channel_type: str | None = None) -> Deflection:
    """Episodes by outcome, in total, per inbox, per channel and per local day: one query."""
    day = TruncDate("started_at", tzinfo=timezone.get_current_timezone())
    rows = (
        episodes_in(period=period, inbox_id=inbox_id, channel_type=channel_type)
        .annotate(day=day)
        .values("inbox_id", "inbox__name", "channel_type", "day", "outcome")
        .annotate(count=Count("pk"))
        .order_by()
    )
    total: Counter = Counter()
    inboxes: dict[int, tuple[str, Counter]] = {}
    channels: dict[str, Counter] = {}
    days: dict[date, Counter] = {day: Counter() for day in period.days()}
    for row in rows:
        outcome, count = row["outcome"] or "open", row["count"]
        total[outcome] += count
        inboxes.setdefault(row["inbox_id"], (row["inbox__name"], Counter()))[1][outcome] += count
        channels.setdefault(row["channel_type"], Counter())[outcome] += count
        days.setdefault(row["day"], Counter())[outcome] += count
    by_inbox = [InboxDeflection(pk, name, _counts(counter)) for pk, (name, counter) in inboxes.items()]
    by_channel = [
        ChannelDeflection(channel, _channel_label(channel), _counts(counter))
        for channel, counter in channels.items()
    ]
    return Deflection(
        total=_counts(total),
        by_inbox=tuple(sorted(by_inbox, key=lambda row: (-row.counts.started, row.inbox_name, row.inbox_id))),
        by_channel=tuple(sorted(by_channel, key=lambda row: (-row.counts.started, row.label))),
        by_day=tuple(DayDeflection(day, _counts(days[day])) for day in sorted(days)),
    )


def return_rate(
    *,
    period: Period,
    inbox_id: int | None = None,
    channel_type: str | None = None,
    now: datetime | None = None,
) -> ReturnRate:
    """Of the period's episodes resolved by the bot, how many contacts wrote again within
    RETURN_WINDOW (counted over those whose window has passed by `now`): one query."""
    passed = Q(ended_at__lte=(now or timezone.now()) - RETURN_WINDOW)
    figures = (
        episodes_in(period=period, inbox_id=inbox_id, channel_type=channel_type)
        .filter(outcome__in=RESOLVED)
        .aggregate(
            resolved=Count("pk"),
            observed=Count("pk", filter=passed),
            returned=Count("pk", filter=passed & wrote_again()),
        )
    )
    return ReturnRate(window=RETURN_WINDOW, **figures)


def cost_per_contact(
    *,
    period: Period,
    inbox_id: int | None = None,
    channel_type: str | None = None,
    now: datetime | None = None,
) -> ContactCost:
    """What the period's ended episodes cost at PARLEY_COST_SELF_SERVICE_CONTACT and
    PARLEY_COST_PERSON_CONTACT (see the module for who counts at which): one query."""
    passed = Q(ended_at__lte=(now or timezone.now()) - RETURN_WINDOW)
    abandoned = Q(outcome=Outcome.ABANDONED)
    figures = (
        episodes_in(period=period, inbox_id=inbox_id, channel_type=channel_type)
        .filter(ended_at__isnull=False)
        .aggregate(
            contacts=Count("pk"),
            resolved_by_bot=Count("pk", filter=Q(outcome__in=RESOLVED)),
            handed_off=Count("pk", filter=Q(outcome=Outcome.HANDED_OFF)),
            abandoned=Count("pk", filter=abandoned),
            abandoned_gone=Count("pk", filter=abandoned & passed & ~wrote_again()),
        )
    )
    abandoned_count = figures.pop("abandoned")
    return ContactCost(
        **figures,
        abandoned_came_back=abandoned_count - figures["abandoned_gone"],
        self_service_unit=_money(settings.PARLEY_COST_SELF_SERVICE_CONTACT),
        person_unit=_money(settings.PARLEY_COST_PERSON_CONTACT),
    )


def unanswered_questions(
    *,
    period: Period,
    inbox_id: int | None = None,
    channel_type: str | None = None,
    threshold: float = GROUPING_THRESHOLD,
) -> list[QuestionGroup]:
    """The questions the bot handed off unanswered (no_answer, not_solved) in the period, the
    MAX_GROUPED_QUESTIONS most recent, grouped by meaning; biggest group first: one query."""
    rows = (
        episodes_in(period=period, inbox_id=inbox_id, channel_type=channel_type)
        .filter(outcome=Outcome.HANDED_OFF, handoff_reason__in=UNANSWERED_REASONS)
        .exclude(question="")
        .order_by("-started_at", "-pk")
        .values_list("question", "started_at", "handoff_reason")[:MAX_GROUPED_QUESTIONS]
    )
    return group_questions(
        [AskedQuestion(text=text, asked_at=asked_at, reason=reason) for text, asked_at, reason in rows],
        threshold=threshold,
    )


def episodes_in(*, period: Period, inbox_id: int | None, channel_type: str | None) -> QuerySet[Episode]:
    """The episodes that started in the period, in the inbox and on the channel when given."""
    episodes = Episode.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
    if inbox_id is not None:
        episodes = episodes.filter(inbox_id=inbox_id)
    if channel_type:
        episodes = episodes.filter(channel_type=channel_type)
    return episodes


def wrote_again() -> Q:
    """A condition on an ended episode (the outer row): did its contact write again within
    RETURN_WINDOW, in a conversation of its inbox or by starting another episode anywhere?"""
    window_end = ExpressionWrapper(OuterRef("ended_at") + RETURN_WINDOW, output_field=DateTimeField())
    messages = Message.objects.filter(
        inbox_id=OuterRef("inbox_id"),
        conversation__contact_id=OuterRef("contact_id"),
        sender_kind=Message.SenderKind.CONTACT,
        created_at__gt=OuterRef("ended_at"),
        created_at__lte=window_end,
    )
    episodes = Episode.objects.filter(
        contact_id=OuterRef("contact_id"), started_at__gt=OuterRef("ended_at"), started_at__lte=window_end
    )
    return Q(Exists(messages)) | Q(Exists(episodes))


def _counts(counter: Counter) -> OutcomeCounts:
    return OutcomeCounts(**{field: counter[field] for field in OutcomeCounts.__dataclass_fields__})


def _channel_label(channel_type: str) -> str:
    return ChannelType(channel_type).label if channel_type in ChannelType.values else channel_type


def _money(setting: float | int | str | Decimal) -> Decimal:
    return Decimal(str(setting))
