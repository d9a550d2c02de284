"""Reads for the reports pages: a period's totals per slice, straight from the daily rollups, in
a fixed number of queries whatever the period's length or the account's size."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Sum

from agents.models import Team
from conversations.models import ChannelType, Inbox, Label

from .models import DailyFigure, HandledDay
from .rollups import Totals

Dimension = DailyFigure.Dimension


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


Slices = dict[str, dict[str, Totals]]  # slice key -> figure -> totals


def totals(
    period: Period, dimension: str, *, key: str | None = None, figures: Iterable[str] | None = None
) -> Slices:
    """The figures (all, or those named) of every slice of `dimension` over `period` (one query,
    an index range per figure)."""
    rows = DailyFigure.objects.filter(dimension=dimension, day__gte=period.first, day__lte=period.last)
    if figures is not None:
        rows = rows.filter(figure__in=sorted(figures))
    if key is not None:
        rows = rows.filter(key=key)
    slices: Slices = defaultdict(lambda: defaultdict(Totals))
    for row in rows.values("key", "figure").annotate(
        count=Sum("count"), seconds=Sum("seconds"), business_seconds=Sum("business_seconds"), peak=Max("peak")
    ):
        slices[row["key"]][row["figure"]] = Totals(
            row["count"], row["seconds"], row["business_seconds"], row["peak"]
        )
    return slices


def daily(period: Period, figures: Iterable[str] | None = None) -> dict:
    """The account's totals day by day, of `figures` or all (one query): {day: {figure: totals}}."""
    rows = DailyFigure.objects.filter(
        dimension=Dimension.ACCOUNT, day__gte=period.first, day__lte=period.last
    ).values_list("day", "figure", "count", "seconds", "business_seconds", "peak")
    if figures is not None:
        rows = rows.filter(figure__in=sorted(figures))
    by_day: dict = {period.first + timedelta(days=n): defaultdict(Totals) for n in range(period.days)}
    for day, figure, count, seconds, business_seconds, peak in rows:
        by_day[day][figure] = Totals(count, seconds, business_seconds, peak)
    return by_day


def handled(period: Period) -> dict[str, int]:
    """Distinct conversations each agent wrote in over the period (one query)."""
    rows = (
        HandledDay.objects.filter(day__gte=period.first, day__lte=period.last)
        .values("agent_id")
        .annotate(conversations=Count("conversation_id", distinct=True))
    )
    return {str(row["agent_id"]): row["conversations"] for row in rows}


def names(dimension: str) -> dict[str, str]:
    """What each slice of `dimension` is called (one query, none for channels)."""
    if dimension == Dimension.CHANNEL:
        return {value: str(label) for value, label in ChannelType.choices}
    if dimension == Dimension.INBOX:
        return {str(pk): name for pk, name in Inbox.objects.values_list("pk", "name")}
    if dimension == Dimension.TEAM:
        return {str(pk): name for pk, name in Team.objects.values_list("pk", "name")}
    if dimension == Dimension.LABEL:
        return {str(pk): name for pk, name in Label.objects.values_list("pk", "name")}
    if dimension == Dimension.AGENT:
        users = get_user_model().objects.select_related("agent_profile").filter(agent_profile__isnull=False)
        return {str(user.pk): user.agent_profile.name for user in users}
    return {"": "Account"}
