"""The channels' benchmarks' tables: signed webhook ingest (bench/webhooks.py), outbound delivery
(bench/outbound.py) and mail ingest (bench/email.py), each beside its baseline of the same run."""

from bench.rows import Row, row


def email_rows(report: dict) -> list[Row]:
    bare, imap = report["baseline_bare_store"], report["imap"]
    return [
        row(
            "mails ingested a second by IMAP, end to end",
            imap["per_second"],
            bare["per_second"],
            target=f">= {report['target_per_second']}",
            met=imap["per_second"] >= report["target_per_second"],
        ),
        row("of which fetching and keeping them (s)", imap["poll_seconds"]),
        row("of which reading, threading and storing them (s)", imap["apply_seconds"]),
        row(
            "mails two racing pollers stored, each",
            " / ".join(map(str, report["raced"]["stored_by_each_poller"])),
        ),
        *_email_webhook_rows(report),
    ]


def _email_webhook_rows(report: dict) -> list[Row]:
    webhook = report.get("webhook")
    if webhook is None:  # a report from before the webhook was measured
        return []
    return [
        row(
            "mails ingested a second by the Mailgun webhook, end to end",
            webhook["per_second"],
            report["baseline_bare_store"]["per_second"],
            target=f">= {report['target_per_second']}",
            met=webhook["per_second"] >= report["target_per_second"],
        ),
        row(
            f"signed posts answered, {webhook['connections']} at a time, a worker applying (s)",
            webhook["post_seconds"],
        ),
        row("then the worker's catching up after the last answer (s)", webhook["catch_up_seconds"]),
        row("re-signed replays posted (stored again: none)", webhook["replays"]),
    ]


def webhooks_rows(report: dict) -> list[Row]:
    tps = round(report["baseline"].get("tps") or report["baseline"].get("per_second"))
    rows = []
    for processes, summary in report["summary"].items():
        label, met = (
            processes.replace("_process", " Daphne")
            .replace("1 Daphne", "one Daphne")
            .replace("2 Daphne", "two Daphne"),
            summary["targets_met"],
        )
        rows += [
            row(
                f"{label}: requests a second held at p99 <= 100 ms",
                summary["highest_step_held"],
                tps,
                summary["ratio_vs_pgbench_tps"],
                ">= 300",
                met["requests_per_second"],
            ),
            row(
                f"{label}: highest rate answered, any latency",
                summary["highest_rate_kept_up_any_latency"],
                tps,
                summary["ratio_ceiling_vs_pgbench_tps"],
            ),
            row(
                f"{label}: p99 at the rate held (ms)",
                summary["latency_ms"]["p99_ms"],
                target="<= 100",
                met=met["p99_ms"],
            ),
        ]
    return rows


def outbound_rows(report: dict) -> list[Row]:
    baseline = report["baseline"].get("open_loop", {}).get("accepted_per_second")
    targets, rows = report["targets"], []
    for variant, summary in report["summary"].items():
        met, latency = summary["targets_met"], summary["latency_ms"]
        rows += [
            row(
                f"{variant}: replies accepted a second, steady",
                summary["steady_sends_per_second"],
                baseline,
                summary["ratio_steady_rate_vs_baseline_open"],
                targets["sends_per_second"],
                met["sends_per_second"],
            ),
            row(
                f"{variant}: reply to acceptance, p50 / p99 (ms)",
                f"{latency['p50_ms']} / {latency['p99_ms']}",
                target=f"p99 {targets['p99_ms']}",
                met=met["p99_ms"],
            ),
        ]
    return rows
