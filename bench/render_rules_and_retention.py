"""The tables of issue 22's benchmarks: automation rules per message (bench/automation.py's report)
and retention beside the real-time load (bench/retention.py's)."""

from bench.rows import Row, row


def automation_rows(report: dict) -> list[Row]:
    base, target = report["without_rules"], report["target_added_p95_ms"]
    rows = []
    for name, label in (("text_rules", "text first"), ("conversation_rules", "reading the conversation")):
        ruled = report[name]
        rows += [
            row(f"message p95 (ms), 50 rules {label} / none", ruled["p95_ms"], base["p95_ms"]),
            row(
                f"p95 added per message, 50 rules {label} (ms)",
                ruled["added_p95_ms"],
                target=f"<= {target}",
                met=report["met"][name],
            ),
            row(f"50 rules {label} evaluated alone, p95 (ms)", ruled["rules_run_alone"]["p95_ms"]),
        ]
    return rows


def retention_rows(report: dict) -> list[Row]:
    impact, sweep = report["realtime_impact"], report["realtime_impact"]["sweep_under_load"]
    target = report["targets"]["target_p99_ratio"]
    return [
        row(
            "L1 p99 with the retention sweep / alone (ms)",
            impact["p99_with_sweep_ms"],
            impact["p99_alone_ms"],
        ),
        row(
            "L1 p99 ratio, with the sweep / alone",
            impact["p99_ratio"],
            target=f"<= {target}",
            met=impact["met"],
        ),
        row("conversations anonymised during the L1 step", sweep.get("anonymised")),
        row(f"retention batch of {report['batch_size']}, p99 (ms)", sweep.get("batch_ms", {}).get("p99")),
    ]
