"""The reports pages in the desk: one view for every page, its tables as HTML or CSV.

Supervisors and administrators see every page; an agent sees their own figures (the agents page,
their row only). Each page reads the daily rollups in a fixed number of queries.
"""

import csv
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from agents.selectors import sees_all_reports

from . import selectors
from .pages import BUSINESS, CALENDAR, CARDS, HANDLED, PAGES, Row, Table, cells
from .rollups import Totals, reporting_zone
from .selectors import Period

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 2
CHART_FIGURES = ("opened", "resolved", "first_response")


def _period(request: HttpRequest) -> tuple[Period, list[str]]:
    """The period asked for (default: the last 30 days), and what was wrong with the asking."""
    today = timezone.now().astimezone(reporting_zone()).date()
    problems = []

    def day(name: str, default: date) -> date:
        text = request.GET.get(name, "")
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            problems.append(
                gettext('"%(text)s" is not a date: write it as YYYY-MM-DD. Showing the default period.')
                % {"text": text}
            )
            return default

    last = day("to", today)
    first = day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        problems.append(gettext("The period starts after it ends: the dates were swapped."))
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        problems.append(
            gettext("A report covers at most %(days)s days: the start was moved.") % {"days": MAX_DAYS}
        )
        first = last - timedelta(days=MAX_DAYS - 1)
    return Period(first, last), problems


@login_required(login_url="desk:login")
def report(request: HttpRequest, page: str = "overview") -> HttpResponse:
    if page not in PAGES:
        raise Http404("No such report")
    everyone = sees_all_reports(request.user)
    if not everyone and page != "agents":
        return redirect("reports:page", page="agents")
    period, problems = _period(request)
    basis = BUSINESS if request.GET.get("time") == BUSINESS else CALENDAR
    title, tables = PAGES[page]
    only = None if everyone else str(request.user.pk)
    built = [(table, _rows(table, period, basis, only)) for table in tables]
    export = request.GET.get("export")
    if export:
        for table, rows in built:
            if table.name == export:
                return _csv(table, rows, period)
        raise Http404("No such table")
    context = {
        "page": page,
        "title": title,
        "tabs": tabs(request, page, everyone=everyone),
        "period": period,
        "basis": basis,
        "problems": problems,
        "tables": built,
        "query": request.GET.urlencode(),
    }
    if page == "overview":
        context.update(_overview(period, basis))
    return render(request, "reports/page.html", context)


def tabs(request: HttpRequest, current: str, *, everyone: bool) -> list[tuple[str, str, bool]]:
    """The reports' tabs (url, label, current): every page and the live floor for supervisors and
    administrators, an agent's own figures for an agent. Pages keep the period asked for."""
    query = request.GET.copy()
    query.pop("export", None)
    suffix = f"?{query.urlencode()}" if query else ""
    shown = [
        (reverse("reports:page", args=[name]) + suffix, label, name == current)
        for name, (label, _) in PAGES.items()
        if everyone or name == "agents"
    ]
    if everyone:
        shown.append((reverse("reports:floor"), gettext("Live floor"), current == "floor"))
    return shown


def _rows(table: Table, period: Period, basis: str, only: str | None) -> list[Row]:
    if table.dimension == "account":
        return _days(table, period, basis)
    slices = selectors.totals(period, table.dimension, key=only, figures=table.figures - {HANDLED})
    if HANDLED in table.figures:
        for key, conversations in selectors.handled(period).items():
            if only is None or key == only:
                slices[key][HANDLED] = Totals(count=conversations)
    names = selectors.names(table.dimension)
    keys = [key for key in slices if key in names] if only is None else [only]
    rows = [Row(key, names.get(key, key), cells(table.columns, slices.get(key, {}), basis)) for key in keys]
    rows.sort(key=lambda row: row.name.lower())
    return rows


def _days(table: Table, period: Period, basis: str) -> list[Row]:
    by_day = selectors.daily(period, table.figures)
    rows = [
        Row(day.isoformat(), day.isoformat(), cells(table.columns, figures, basis))
        for day, figures in by_day.items()
    ]
    account = selectors.totals(period, "account", figures=table.figures).get("", {})
    rows.append(Row("total", gettext("Total"), cells(table.columns, account, basis)))
    return rows


def _overview(period: Period, basis: str) -> dict:
    wanted = {figure for column in CARDS for figure in column.formula.figures}
    now = selectors.totals(period, "account", figures=wanted).get("", {})
    before = selectors.totals(period.previous(), "account", figures=wanted).get("", {})
    by_day = selectors.daily(period, CHART_FIGURES)
    days = [day.isoformat() for day in by_day]
    first_response = [
        None
        if not figures["first_response"].count
        else round(
            (
                figures["first_response"].business_seconds
                if basis == BUSINESS
                else figures["first_response"].seconds
            )
            / figures["first_response"].count
            / 60,
            2,
        )
        for figures in by_day.values()
    ]
    return {
        "previous": period.previous(),
        "cards": [
            (column.title, pair)
            for column, pair in zip(
                CARDS, zip(cells(CARDS, now, basis), cells(CARDS, before, basis), strict=True), strict=True
            )
        ],
        "charts": [
            {
                "id": "volumes",
                "title": gettext("Conversations opened and resolved"),
                "days": days,
                "series": [
                    {
                        "label": pgettext("report figure", "Opened"),
                        "values": [figures["opened"].count for figures in by_day.values()],
                    },
                    {
                        "label": pgettext("report figure", "Resolved"),
                        "values": [figures["resolved"].count for figures in by_day.values()],
                    },
                ],
            },
            {
                "id": "first-response",
                "title": (
                    gettext("Average first response, minutes (business time)")
                    if basis == BUSINESS
                    else gettext("Average first response, minutes (calendar time)")
                ),
                "days": days,
                "series": [{"label": gettext("First response (min)"), "values": first_response}],
            },
        ],
    }


def _csv(table: Table, rows: list[Row], period: Period) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="parley-{table.name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["key", "name", *(_csv_title(column) for column in table.columns)])
    for row in rows:
        writer.writerow([row.key, row.name, *(cell.csv for cell in row.cells)])
    return response


def _csv_title(column) -> str:
    unit = {"duration": " (seconds)", "hours": " (seconds)", "percent": " (ratio)"}.get(column.kind, "")
    return str(column.title) + unit
