"""The reports benchmark's rows in docs/benchmarks.md (bench/render.py declares the section)."""

from bench.rows import Row, row

PAGE_NAMES = ("overview", "agents", "inboxes", "teams", "labels", "csat", "sla", "bot", "floor")


def _times_faster(parley: float, baseline: float) -> str:
    """A page against computing its figures from the raw facts: "1/1,236" is 1,236 times faster."""
    return f"1/{round(baseline / parley):,}" if parley else ""


def reports_rows(report: dict) -> list[Row]:
    targets, met = report["targets"], report["met"]
    raw_ms = report["baseline_raw"]["seconds"] * 1000
    rows = [
        row(
            f"page p95, {name}, 90 days (ms)",
            report["pages"][name]["p95_ms"],
            raw_ms if name != "floor" else None,
            ratio=_times_faster(report["pages"][name]["p95_ms"], raw_ms) if name != "floor" else None,
            target=f"<= {targets['page_p95_ms']}",
            met=report["pages"][name]["p95_ms"] <= targets["page_p95_ms"],
        )
        for name in PAGE_NAMES
        if name in report["pages"]
    ]
    slowest_csv = max(report["csv_ms"].values())
    rows += [
        row(
            "slowest CSV export, 90 days (ms)",
            slowest_csv,
            raw_ms,
            ratio=_times_faster(slowest_csv, raw_ms),
            target=f"<= {targets['csv_ms']}",
            met=met["csv_ms"],
        ),
        row(
            "rollups, one day of facts, slowest of 90 (s)",
            report["rollups"]["per_day_s"]["max"],
            target=f"<= {targets['rollup_day_s']:g}",
            met=met["rollup_day_s"],
        ),
        row("rollups, one day of facts, median (s)", report["rollups"]["per_day_s"]["p50"]),
        row(
            f"SLA sweep, {report['sla_sweep']['open_conversations']:,} open conversations due at once (s)",
            report["sla_sweep"]["all_due_at_once"]["seconds"],
            target=f"<= {targets['sweep_s']:g}",
            met=met["sweep_s"],
        ),
        row(
            "SLA breach recorded after its deadline, worst (s)",
            report["sla_sweep"]["beat"]["max_lag_s"],
            target=f"<= {targets['breach_lag_s']}",
            met=met["breach_lag_s"],
        ),
        row("SLA sweep every 30 s, p95 (ms)", report["sla_sweep"]["beat"]["sweep_ms"]["p95_ms"]),
    ]
    return rows
