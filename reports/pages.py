"""What each reports page shows: its tables, their columns, and how each cell is computed from a
slice's totals. The page and its CSV export render the same cells, so they cannot disagree; every
figure is the one docs/reports.md defines."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .rollups import Totals

Figures = dict[str, Totals]
CALENDAR, BUSINESS = "calendar", "business"


@dataclass(frozen=True)
class Formula:
    """How a cell is computed from a slice's figures (and the time basis), and which figures it
    reads: a page asks the rollups for those only."""

    compute: Callable[[Figures, str], float | None]
    figures: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    title: str
    formula: Formula
    kind: str = "count"  # count, duration (seconds), percent (0-1), money, number, hours

    def value(self, figures: Figures, basis: str) -> float | None:
        return self.formula.compute(figures, basis)


@dataclass(frozen=True)
class Cell:
    value: float | None
    kind: str

    @property
    def csv(self) -> str:
        if self.value is None:
            return ""
        if self.kind == "count":
            return str(int(self.value))
        return f"{self.value:.4f}".rstrip("0").rstrip(".")


@dataclass
class Row:
    key: str
    name: str
    cells: list[Cell] = field(default_factory=list)


# What the first column of a table of each dimension is headed (the account's table is by day).
DIMENSION_TITLES = {
    "account": _("Account"),
    "agent": _("Agent"),
    "inbox": _("Inbox"),
    "channel": _("Channel"),
    "team": _("Team"),
    "label": _("Label"),
}


@dataclass(frozen=True)
class Table:
    name: str  # in the CSV's file name and the export link
    title: str
    dimension: str
    columns: tuple[Column, ...]

    @property
    def figures(self) -> frozenset[str]:
        return frozenset(figure for column in self.columns for figure in column.formula.figures)

    @property
    def dimension_title(self) -> str:
        return str(DIMENSION_TITLES.get(self.dimension, self.dimension.capitalize()))


# --- cell arithmetic ---

HANDLED = "handled"  # not a rollup figure: distinct conversations, from HandledDay (selectors.handled)


def _count_of(figures: Figures, figure: str) -> int:
    return figures[figure].count if figure in figures else 0


def count(figure: str) -> Formula:
    return Formula(lambda figures, basis: _count_of(figures, figure), (figure,))


def average(figure: str) -> Formula:
    """Mean length of `figure`, in the basis asked for; None when nothing was measured."""

    def mean(figures: Figures, basis: str) -> float | None:
        totals = figures.get(figure)
        if totals is None or not totals.count:
            return None
        return (totals.business_seconds if basis == BUSINESS else totals.seconds) / totals.count

    return Formula(mean, (figure,))


def share(numerator: Iterable[str], denominator: Iterable[str]) -> Formula:
    numerator, denominator = tuple(numerator), tuple(denominator)

    def ratio(figures: Figures, basis: str) -> float | None:
        below = sum(_count_of(figures, f) for f in denominator)
        return None if not below else sum(_count_of(figures, f) for f in numerator) / below

    return Formula(ratio, tuple(dict.fromkeys(numerator + denominator)))


def total(*names: str) -> Formula:
    return Formula(lambda figures, basis: sum(_count_of(figures, f) for f in names), names)


def seconds_of(figure: str) -> Formula:
    return Formula(lambda figures, basis: figures[figure].seconds if figure in figures else 0.0, (figure,))


def per_online(figure: str) -> Formula:
    """Time-weighted concurrency (conversation-seconds over seconds online), or occupancy."""

    def weighted(figures: Figures, basis: str) -> float | None:
        online = figures["online"].seconds if "online" in figures else 0
        return None if not online else (figures[figure].seconds if figure in figures else 0) / online

    return Formula(weighted, (figure, "online"))


def peak(figure: str) -> Formula:
    return Formula(lambda figures, basis: figures[figure].peak if figure in figures else 0, (figure,))


def _cost_per_contact(figures: Figures, basis: str) -> float | None:
    """Resolved conversations at the self-service cost when the bot resolved them, at the person
    cost otherwise (docs/reports.md, "Volumes")."""
    resolved = _count_of(figures, "resolved")
    if not resolved:
        return None
    by_bot = _count_of(figures, "resolved_by_bot")
    person, self_service = settings.PARLEY_COST_PERSON_CONTACT, settings.PARLEY_COST_SELF_SERVICE_CONTACT
    return (by_bot * self_service + (resolved - by_bot) * person) / resolved


COST_PER_CONTACT = Formula(_cost_per_contact, ("resolved", "resolved_by_bot"))


# --- the columns ---

OPENED = Column(pgettext_lazy("report figure", "Opened"), count("opened"))
REOPENED = Column(pgettext_lazy("report figure", "Reopened"), count("reopened"))
RESOLVED = Column(pgettext_lazy("report figure", "Resolved"), count("resolved"))
FIRST_RESPONSES = Column(_("First responses"), count("first_response"))
FIRST_RESPONSE = Column(_("Avg first response"), average("first_response"), "duration")
NEXT_RESPONSE = Column(_("Avg next response"), average("next_response"), "duration")
RESOLUTION = Column(_("Avg resolution"), average("resolution"), "duration")
WAIT = Column(_("Avg live wait"), average("wait"), "duration")
HANDLE = Column(_("Avg handle (live)"), average("handle"), "duration")
BY_BOT = Column(_("Resolved by the bot"), count("resolved_by_bot"))
HANDED_OFF = Column(_("Handed off"), count("handed_off"))
DEFLECTION = Column(_("Deflection"), share(["resolved_by_bot"], ["resolved_by_bot", "handed_off"]), "percent")
COST = Column(_("Cost per contact"), COST_PER_CONTACT, "money")
CSAT = Column(_("CSAT"), share(["csat_positive"], ["csat_answered"]), "percent")
CSAT_ANSWERS = Column(_("Ratings"), count("csat_answered"))
CSAT_SENT = Column(_("Surveys sent"), count("csat_sent"))
CSAT_RESPONSE = Column(_("Response rate"), share(["csat_answered"], ["csat_sent"]), "percent")
SLA_HIT = Column(_("SLA met"), share(["sla_met"], ["sla_met", "sla_missed"]), "percent")

VOLUME_AND_SPEED = (
    OPENED,
    RESOLVED,
    REOPENED,
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    WAIT,
    HANDLE,
    HANDED_OFF,
    CSAT,
    SLA_HIT,
)
CREDITED = (RESOLVED, FIRST_RESPONSES, FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION, CSAT, SLA_HIT)
AGENT_COLUMNS = (
    Column(_("Handled"), count(HANDLED)),
    FIRST_RESPONSES,
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLVED,
    RESOLUTION,
    HANDLE,
    Column(pgettext_lazy("agent availability", "Online"), seconds_of("online"), "hours"),
    Column(pgettext_lazy("agent availability", "Away"), seconds_of("away"), "hours"),
    Column(_("Occupancy"), per_online("busy"), "percent"),
    Column(_("Live at once (avg)"), per_online("load_live"), "number"),
    Column(_("Live at once (peak)"), peak("load_live")),
    Column(_("Messaging at once (avg)"), per_online("load_messaging"), "number"),
    Column(_("Messaging at once (peak)"), peak("load_messaging")),
    CSAT,
)
RATINGS = tuple(Column(f"{n} ★", count(f"csat_answered.{n}")) for n in range(1, 6))
SLA_COLUMNS = tuple(
    column
    for target, met, missed, hit_rate in (
        ("first_response", _("First response met"), _("First response missed"), _("First response hit rate")),
        ("next_response", _("Next response met"), _("Next response missed"), _("Next response hit rate")),
        ("resolution", _("Resolution met"), _("Resolution missed"), _("Resolution hit rate")),
    )
    for column in (
        Column(met, count(f"sla_met.{target}")),
        Column(missed, count(f"sla_missed.{target}")),
        Column(
            hit_rate,
            share([f"sla_met.{target}"], [f"sla_met.{target}", f"sla_missed.{target}"]),
            "percent",
        ),
    )
)
HANDOFF_REASONS = {
    "asked_for_person": _("Handed off: asked for person"),
    "no_answer": _("Handed off: no answer"),
    "not_covered": _("Handed off: not covered"),
    "not_solved": _("Handed off: not solved"),
    "bot_turned_off": _("Handed off: bot turned off"),
    "person_took_it": _("Handed off: person took it"),
}
BOT_COLUMNS = (
    Column(_("Bot conversations"), total("resolved_by_bot", "handed_off")),
    BY_BOT,
    HANDED_OFF,
    DEFLECTION,
    *(Column(title, count(f"handed_off.{reason}")) for reason, title in HANDOFF_REASONS.items()),
    COST,
)

PAGES: dict[str, tuple[str, tuple[Table, ...]]] = {
    "overview": (
        _("Overview"),
        (Table("days", _("Day by day"), "account", (*VOLUME_AND_SPEED, BY_BOT, DEFLECTION, COST)),),
    ),
    "agents": (_("Agents"), (Table("agents", _("Agents"), "agent", AGENT_COLUMNS),)),
    "inboxes": (
        _("Inboxes and channels"),
        (
            Table("inboxes", _("Inboxes"), "inbox", VOLUME_AND_SPEED),
            Table("channels", _("Channels"), "channel", VOLUME_AND_SPEED),
        ),
    ),
    "teams": (_("Teams"), (Table("teams", _("Teams"), "team", CREDITED),)),
    "labels": (_("Labels"), (Table("labels", _("Labels"), "label", (OPENED, *CREDITED)),)),
    "csat": (
        _("Satisfaction"),
        (
            Table(
                "csat-agents",
                _("By agent"),
                "agent",
                (CSAT_SENT, CSAT_ANSWERS, CSAT_RESPONSE, CSAT, *RATINGS),
            ),
            Table(
                "csat-inboxes",
                _("By inbox"),
                "inbox",
                (CSAT_SENT, CSAT_ANSWERS, CSAT_RESPONSE, CSAT, *RATINGS),
            ),
        ),
    ),
    "sla": (
        _("Service levels"),
        (
            Table("sla-inboxes", _("By inbox"), "inbox", SLA_COLUMNS),
            Table("sla-agents", _("By agent"), "agent", SLA_COLUMNS),
        ),
    ),
    "bot": (_("Answer bot"), (Table("bot", _("By inbox"), "inbox", BOT_COLUMNS),)),
}
# The overview's cards: the account's figure now and in the period before.
CARDS = (
    OPENED,
    RESOLVED,
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    BY_BOT,
    DEFLECTION,
    COST,
    CSAT,
    SLA_HIT,
)


def cells(columns: Iterable[Column], figures: Figures, basis: str) -> list[Cell]:
    return [Cell(column.value(figures, basis), column.kind) for column in columns]
