"""Reports benchmark: 90 days of a support team (bench/reports_data.py: 100,000 conversations,
about 1,000,000 message facts, 50 agents, 10 inboxes) on the throwaway Postgres database.

1. Rollups: every day computed and stored from the facts (`reports.rollups.rebuild`), each day
   timed; three days then recomputed from the raw facts and compared with what was stored.
2. Pages: every reports page and the live floor, over the whole 90 days for the whole account,
   through Django's test client as a supervisor (the view, its queries, the template), 60 times
   each after two warm-ups: p50/p95/max.
   Each table's CSV export of the 90 days.
3. Baseline: the same 90-day figures computed straight from the raw facts
   (`reports.rollups.compute_days`, what a page would do without rollups), in the same run.
4. The SLA sweep: 10,000 open conversations each given a running clock, due over ten minutes;
   beat's sweep every 30 seconds of the clock: each sweep's time, and how long after its deadline
   each breach was recorded. Then 10,000 clocks due at once, in one sweep.

`--smoke`: 2,000 conversations over 30 days, 500 clocks, 3 requests a page.
"""

import gc
import statistics
import sys
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from agents.services import agent_create
from bench import reports_data
from bench.measure import quantiles
from bench.scale import scaled
from conversations.models import Conversation
from reports import rollups
from reports.models import DailyFigure, Fact, SlaClock, SlaPolicy
from reports.pages import PAGES
from reports.sla import sla_breaches_sweep

CONVERSATIONS = scaled(100_000, 2_000)
MESSAGES = scaled(1_000_000, 20_000)
DAYS = scaled(90, 30)
REQUESTS_PER_PAGE = scaled(60, 3)
CLOCKS = scaled(10_000, 500)
SWEEP_WINDOW = timedelta(minutes=10)
BEAT = timedelta(seconds=30)
TARGETS = {"page_p95_ms": 200, "csv_ms": 2000, "rollup_day_s": 5.0, "sweep_s": 1.0, "breach_lag_s": 60}


def log(*parts: object) -> None:
    print("[reports]", *parts, file=sys.stderr, flush=True)


def run() -> dict:
    started = time.perf_counter()
    summary = reports_data.generate(conversations=CONVERSATIONS, messages=MESSAGES, days=DAYS)
    log(f"generated {summary.facts:,} facts in {summary.seconds['total']:.1f} s")
    rollup = _rollups(summary)
    log("rollups:", rollup["per_day_s"])
    baseline = _raw_baseline(summary)
    log(f"raw baseline: {baseline['seconds']} s")
    pages = _pages(summary)
    log("pages:", {name: figures["p95_ms"] for name, figures in pages["pages"].items()})
    sweep = _sweep(summary)
    log("sweep:", sweep)
    page_p95 = max(figures["p95_ms"] for figures in pages["pages"].values())
    csv_ms = max(pages["csv_ms"].values())
    return {
        "setup": {
            "conversations": summary.conversations,
            "message_facts": summary.messages,
            "facts": summary.facts,
            "days": DAYS,
            "agents": len(summary.agent_ids),
            "inboxes": len(summary.inbox_ids),
            "generate_seconds": round(summary.seconds["total"], 1),
            "generate_seconds_by_step_end": {
                step: round(seconds, 1) for step, seconds in summary.seconds.items()
            },
        },
        "rollups": rollup,
        "baseline_raw": baseline,
        **pages,
        "sla_sweep": sweep,
        "targets": TARGETS,
        "met": {
            "page_p95_ms": page_p95 <= TARGETS["page_p95_ms"],
            "csv_ms": csv_ms <= TARGETS["csv_ms"],
            "rollup_day_s": rollup["per_day_s"]["max"] <= TARGETS["rollup_day_s"],
            "sweep_s": sweep["all_due_at_once"]["seconds"] <= TARGETS["sweep_s"],
            "breach_lag_s": sweep["beat"]["max_lag_s"] <= TARGETS["breach_lag_s"],
        },
        "checks": {
            "rollups_agree_with_raw_facts": rollup["agree"],
            "every_page_answered": pages["all_ok"],
            "sweep_found_every_breach": sweep["beat"]["breached"] == sweep["beat"]["due"]
            and sweep["all_due_at_once"]["breached"] == sweep["open_conversations"],
            "pages_agree_with_the_raw_totals": pages["opened"] == baseline["opened"],
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def _rollups(summary) -> dict:
    inboxes = rollups.inbox_facts()
    day, carry, timings = summary.first_day, None, []
    while day <= summary.last_day:
        began = time.perf_counter()
        result = rollups.compute_day(day, carry, inboxes)
        rollups.store(result)
        timings.append(time.perf_counter() - began)
        carry = rollups.DayCarry(
            day=day, conversations=result.carry_conversations, agents=result.carry_agents
        )
        day += timedelta(days=1)
    sample = [summary.first_day + timedelta(days=n) for n in (1, DAYS // 2, DAYS - 1)]
    agree = all(_stored(day) == _recomputed(day) for day in sample)
    return {
        "days": len(timings),
        "per_day_s": {
            "p50": round(statistics.median(timings), 3),
            "max": round(max(timings), 3),
            "total": round(sum(timings), 1),
        },
        "rows": DailyFigure.objects.count(),
        "agree": agree,
        "compared_days": [str(day) for day in sample],
    }


def _stored(day) -> dict:
    return {
        (f.figure, f.dimension, f.key): (f.count, round(f.seconds, 3), round(f.business_seconds, 3), f.peak)
        for f in DailyFigure.objects.filter(day=day)
    }


def _recomputed(day) -> dict:
    [result] = rollups.compute_days(day, day)
    return {
        key: (t.count, round(t.seconds, 3), round(t.business_seconds, 3), t.peak)
        for key, t in result.figures.items()
    }


def _raw_baseline(summary) -> dict:
    """The overview's 90-day account figures straight from the facts: every day replayed."""
    began = time.perf_counter()
    opened = sum(
        result.figures[("opened", "account", "")].count
        for result in rollups.compute_days(summary.first_day, summary.last_day)
        if ("opened", "account", "") in result.figures
    )
    return {"seconds": round(time.perf_counter() - began, 2), "opened": opened}


def _supervisor_client() -> Client:
    user = get_user_model().objects.filter(username="bench-supervisor").first() or agent_create(
        username="bench-supervisor",
        email="",
        password="bench-password",  # noqa: S106 (a throwaway database's user)
        display_name="Bench",
        role="supervisor",
    )
    client = Client()
    client.force_login(user)
    return client


def _pages(summary) -> dict:
    """Templates render without collectstatic's manifest, as in the tests."""
    plain = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(DEBUG=False, STORAGES=plain):
        return _timed_pages(summary)


def _timed_pages(summary) -> dict:
    client = _supervisor_client()
    period = {"from": summary.first_day.isoformat(), "to": summary.last_day.isoformat()}
    timed, ok = {}, True
    urls = {name: reverse("reports:page", args=[name]) for name in PAGES}
    urls["floor"] = reverse("reports:floor")
    for name, url in urls.items():
        gc.collect()  # the previous phase's garbage is not this page's to collect
        durations = []
        for attempt in range(REQUESTS_PER_PAGE + 2):
            began = time.perf_counter()
            response = client.get(url, period)
            elapsed = (time.perf_counter() - began) * 1000
            ok = ok and response.status_code == 200
            if attempt >= 2:  # two warm-ups: templates compiled, connections open
                durations.append(elapsed)
        timed[name] = quantiles(durations)
    csv_ms = {}
    for name, (_, tables) in PAGES.items():
        for table in tables:
            began = time.perf_counter()
            response = client.get(urls[name], {**period, "export": table.name})
            csv_ms[table.name] = round((time.perf_counter() - began) * 1000, 1)
            ok = ok and response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    overview = client.get(urls["overview"], {**period, "export": "days"}).content.decode().splitlines()
    opened = int(overview[-1].split(",")[2])  # the total line's "Opened"
    return {"pages": timed, "csv_ms": csv_ms, "all_ok": ok, "opened": opened}


def _sweep(summary) -> dict:
    start = summary.end + timedelta(hours=1)
    open_ids = list(
        Conversation.objects.exclude(status=Conversation.Status.RESOLVED)
        .order_by("pk")
        .values_list("pk", "inbox_id")
    )[:CLOCKS]
    policy = SlaPolicy.objects.order_by("pk").first()
    beat = _beat(open_ids, policy, start)
    at_once = _all_due(open_ids, policy, start + timedelta(days=1))
    return {"open_conversations": len(open_ids), "beat": beat, "all_due_at_once": at_once}


def _clocks(open_ids, policy, first_due, spread: timedelta) -> None:
    step = spread / max(len(open_ids), 1)
    with transaction.atomic():
        SlaClock.objects.filter(stopped_at=None).update(stopped_at=first_due, outcome="cancelled")
        SlaClock.objects.bulk_create(
            SlaClock(
                conversation_id=conversation_id,
                inbox_id=inbox_id,
                policy=policy,
                target="first_response",
                started_at=first_due - timedelta(minutes=30),
                due_at=first_due + n * step,
            )
            for n, (conversation_id, inbox_id) in enumerate(open_ids)
        )


def _beat(open_ids, policy, start) -> dict:
    """Sweeps every BEAT over SWEEP_WINDOW (each timed), as beat would run them."""
    _clocks(open_ids, policy, start, SWEEP_WINDOW)
    due = SlaClock.objects.filter(stopped_at=None, due_at__lte=start + SWEEP_WINDOW).count()
    now, timings, swept = start, [], 0
    while now <= start + SWEEP_WINDOW:
        began = time.perf_counter()
        swept += sla_breaches_sweep(now)
        timings.append((time.perf_counter() - began) * 1000)
        now += BEAT
    lags = [
        (breached - due_at).total_seconds()
        for breached, due_at in SlaClock.objects.filter(
            breached_at__isnull=False, due_at__gte=start
        ).values_list("breached_at", "due_at")
    ]
    return {
        "due": due,
        "breached": swept,
        "sweeps": len(timings),
        "sweep_ms": quantiles(timings),
        "max_lag_s": round(max(lags, default=0), 1),
        "missed_facts": Fact.objects.filter(kind="sla_missed", at__gte=start).count(),
    }


def _all_due(open_ids, policy, start) -> dict:
    _clocks(open_ids, policy, start - timedelta(minutes=1), timedelta(seconds=30))
    began = time.perf_counter()
    breached = sla_breaches_sweep(start)
    return {"breached": breached, "seconds": round(time.perf_counter() - began, 3)}
