"""The outbound benchmark's figures (bench/outbound.py): messages read back from the database,
matched against the fake provider's record of accepted sends."""

import time
from collections import defaultdict

from bench import scale
from bench.measure import cpu_seconds, quantiles
from bench.webhooks_load import machine_busy
from conversations.models import Message, OutboundDelivery

FINAL = {
    (Message.DeliveryStatus.SENT, OutboundDelivery.State.DONE),
    (Message.DeliveryStatus.FAILED, OutboundDelivery.State.DEAD),
}

TARGETS = {"sends_per_second": (">=", 50), "p99_ms": ("<=", 2000), "accepted_exactly_once": ("==", True)}
NOTES = [
    "Steady: POSTERS threads in the bench process call conversations.services.message_post_reply "
    "(the desk's own service: message + outbox row in one transaction, deliver_message enqueued on "
    "the Redis broker after commit), paced open loop to RATE a second in all, round-robin over "
    "500 SMS conversations whose customers wrote in first. Latency = the fake's received_at of the "
    "accepted send (the moment it records the send, before its 100-300 ms answer) minus the "
    "message's created_at (inside the posting transaction); to_outbox_done_ms = the outbox row's "
    "updated_at when it turned done, after the answer came back. One clock: same machine.",
    "Retried: a message whose outbox row needed more than one attempt (the fake answered 500, 1% "
    "of sends): its next try waits backoff_seconds(1) = uniform(1, 2) s (full jitter), so its "
    "latency is 1-2 s more; latency_ms covers every message, first_try_ms and retried_ms split "
    "them.",
    "sends_per_second (steady) = sends accepted between 1 s after posting began and the last post, "
    "divided by that window: the steady state. The burst queues BURST replies with the worker "
    "stopped, starts it, and divides BURST by the time from the first to the last acceptance: the "
    "most this worker set-up sends. The throughput target is met when the steady phase kept up at "
    "RATE (>= 97% of it) and the burst drained at >= 50/s.",
    "Exactly once: every send the fake accepted during a phase is matched to a message by its "
    "body (unique per message); a body with two accepted sends is a duplicate, a message with "
    "none is missing; each message's provider_message_id must be its one send's id. Every "
    "attempt is accounted for: the send requests the fake saw for a message's body are as many "
    "as its outbox row's attempts, and exactly one of them was accepted (none for a failed one).",
    "checks (python -m bench exits non-zero when one is false): invariants at any load, read "
    "after each phase settled: every reply posted once, settled, sent, accepted exactly once, "
    "none missing, its final state matching its outbox row's, each attempt one request at the "
    "fake (full scale: at most one, as an answer lost under overload is settled by asking the "
    "provider); the baseline's every send answered. In smoke mode (error rate 10%) also that "
    "retries happened at all. Throughput and latency stay figures beside their targets.",
    "Baseline (bench/outbound_load.py): the same fake driven directly by one asyncio process with "
    "httpx, at most as many requests in flight as the largest worker concurrency: RATE a second "
    "open loop for 10 s (latency from the due time), then that many clients back to back for "
    "10 s (the ceiling for that many concurrent senders against 100-300 ms answers). No retries: "
    "the baseline's 500s are counted, not sent again. Its to_accepted_ms is read from the fake's "
    "record like Parley's (received_at minus the send's due time); its latency_ms is the round "
    "trip, compared with Parley's to_outbox_done_ms.",
    "Workers: `celery -A config worker` processes started by the benchmark with "
    "CELERY_VISIBILITY_TIMEOUT=60, on this run's database and Redis db; worker_cpu_pct is the "
    "worker's processes (children too) in percent of one core, machine_busy_pct the whole "
    "machine (100 = both cores busy). gevent/eventlet are not "
    "installed: threads (one process) and prefork are what can be had.",
]


class CpuMeter:
    """The workers' CPU (percent of one core) and the whole machine's busy share since created."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.started, self.before = pids, time.monotonic(), cpu_seconds(pids)
        self.machine_before = machine_busy()

    def read(self) -> dict:
        after, machine_after = cpu_seconds(self.pids), machine_busy()
        busy, total = (b - a for a, b in zip(self.machine_before, machine_after, strict=True))
        worker = None
        if after is not None and self.before is not None:
            worker = round((after - self.before) / (time.monotonic() - self.started) * 100, 1)
        return {"worker_cpu_pct": worker, "machine_busy_pct": round(busy / max(1, total) * 100, 1)}


def _matched(
    message_ids: list[int], planned: int, sends: list[dict], requests: list[dict]
) -> tuple[list[dict], dict]:
    """Each message with its accepted send(s), and the exactly-once checks."""
    messages = list(
        Message.objects.filter(pk__in=message_ids).values(
            "pk",
            "body",
            "created_at",
            "delivery_status",
            "provider_message_id",
            "outbound__attempts",
            "outbound__state",
            "outbound__updated_at",
        )
    )
    by_body: dict[str, list[dict]] = defaultdict(list)
    for send in sends:
        by_body[send["body"]].append(send)
    ours = {message["body"] for message in messages}
    for message in messages:
        message["sends"] = by_body.get(message["body"], [])
    statuses: dict[str, int] = defaultdict(int)
    for message in messages:
        statuses[message["delivery_status"]] += 1
    checks = {
        "messages": len(messages),
        "delivery_status": dict(statuses),
        "all_sent": statuses.get(Message.DeliveryStatus.SENT, 0) == len(message_ids),
        "missing": sum(1 for m in messages if not m["sends"]),
        "duplicated": sum(1 for m in messages if len(m["sends"]) > 1),
        "stray_sends": sum(len(found) for body, found in by_body.items() if body not in ours),
        "provider_id_mismatch": sum(
            1 for m in messages if len(m["sends"]) == 1 and m["sends"][0]["id"] != m["provider_message_id"]
        ),
    }
    checks["accepted_exactly_once"] = (
        checks["all_sent"]
        and checks["missing"]
        == checks["duplicated"]
        == checks["stray_sends"]
        == checks["provider_id_mismatch"]
        == 0
    )
    checks.update(_accounted(message_ids, planned, messages, requests))
    return messages, checks


def _accounted(message_ids: list[int], planned: int, messages: list[dict], requests: list[dict]) -> dict:
    """Each planned reply posted once (one message with its body) and ended in a final state
    matching its outbox row; each outbox attempt one send request at the fake, exactly one of
    them accepted when the reply was sent."""
    tried: dict[str, int] = defaultdict(int)
    accepted: dict[str, int] = defaultdict(int)
    for request in requests:
        if request["kind"] != "sends":
            continue
        body = request.get("form", {}).get("Body", [""])[0]
        tried[body] += 1
        accepted[body] += 1 if request["accepted_id"] else 0

    def attempts(m: dict) -> int:
        return m["outbound__attempts"] or 0

    def accepted_not_once(m: dict) -> bool:
        return accepted[m["body"]] != int(m["delivery_status"] == Message.DeliveryStatus.SENT)

    outbox: dict[str, int] = defaultdict(int)
    for message in messages:
        outbox[message["outbound__state"]] += 1
    ids_once = planned == len(message_ids) == len(set(message_ids)) == len(messages)
    # A reply posted twice is a second message with its body, whatever ids the posters returned.
    bodies = {m["body"] for m in messages}
    body_once = len(bodies) == len(messages) == Message.objects.filter(body__in=bodies).count()
    return {
        "planned": planned,
        "posted": len(message_ids),
        "posted_once": ids_once and body_once,
        "outbox_state": dict(outbox),
        "not_final": sum(1 for m in messages if (m["delivery_status"], m["outbound__state"]) not in FINAL),
        "accepted_not_once": sum(1 for m in messages if accepted_not_once(m)),
        # A send the outbox did not count: never, at any load.
        "sends_without_an_attempt": sum(1 for m in messages if tried[m["body"]] > attempts(m)),
        # An attempt that sent nothing: an answer lost and then found by asking the provider, or
        # the provider unreachable; only under overload (a 15 s timeout against a 0.3 s fake).
        "attempts_without_a_send": sum(1 for m in messages if tried[m["body"]] < attempts(m)),
        "provider_500s": sum(1 for r in requests if r["kind"] == "sends" and r.get("fault") == "500"),
    }


def _latencies(messages: list[dict]) -> dict:
    accepted = [m for m in messages if len(m["sends"]) == 1]

    def ms(m: dict) -> float:
        return (m["sends"][0]["received_at"] - m["created_at"].timestamp()) * 1000

    retried = [m for m in accepted if (m["outbound__attempts"] or 0) > 1]
    first_try = [m for m in accepted if (m["outbound__attempts"] or 0) <= 1]
    done = [m for m in messages if m["outbound__state"] == "done" and m["outbound__updated_at"]]
    return {
        "latency_ms": quantiles([ms(m) for m in accepted]),
        "first_try_ms": quantiles([ms(m) for m in first_try]),
        "retried_ms": quantiles([ms(m) for m in retried]),
        "retried": len(retried),
        "attempts_total": sum(m["outbound__attempts"] or 0 for m in messages),
        "to_outbox_done_ms": quantiles(
            [(m["outbound__updated_at"] - m["created_at"]).total_seconds() * 1000 for m in done]
        ),
    }


def steady(
    *,
    message_ids: list[int],
    planned: int,
    sends: list[dict],
    requests: list[dict],
    behind_schedule_s: float,
    offered: int,
    started: float,
    posted: float,
    settled: bool,
    cpu: dict,
) -> dict:
    messages, checks = _matched(message_ids, planned, sends, requests)
    window = (started + 1.0, posted)
    in_window = sum(1 for s in sends if window[0] <= s["received_at"] <= window[1])
    rate = round(in_window / (window[1] - window[0]), 1) if window[1] > window[0] else None
    latencies = _latencies(messages)
    summary = {
        "sends_per_second": rate,
        "posted_per_second": round(len(message_ids) / (posted - started), 1),
        "posters_most_behind_schedule_s": behind_schedule_s,
        "p50_ms": latencies["latency_ms"]["p50_ms"],
        "p95_ms": latencies["latency_ms"]["p95_ms"],
        "p99_ms": latencies["latency_ms"]["p99_ms"],
        "retried": latencies["retried"],
        "exactly_once": checks["accepted_exactly_once"],
    }
    return {
        "summary": summary,
        "offered_per_second": offered,
        "messages": len(message_ids),
        "settled": settled,
        **latencies,
        "provider_500s": checks["provider_500s"],
        "checks": checks,
        **cpu,
    }


def burst(
    *, message_ids: list[int], planned: int, sends: list[dict], requests: list[dict], settled: bool, cpu: dict
) -> dict:
    messages, checks = _matched(message_ids, planned, sends, requests)
    times = sorted(s["received_at"] for s in sends)
    seconds = times[-1] - times[0] if len(times) > 1 else None
    rate = round(len(times) / seconds, 1) if seconds else None
    return {
        "summary": {
            "sends_per_second": rate,
            "seconds": round(seconds or 0, 2),
            "exactly_once": checks["accepted_exactly_once"],
        },
        "messages": len(message_ids),
        "settled": settled,
        "retried": _latencies(messages)["retried"],
        "provider_500s": checks["provider_500s"],
        "checks": checks,
        **cpu,
    }


def baseline_to_accepted(open_loop: dict, sends: list[dict]) -> dict:
    """The baseline's open-loop sends, from their due time to the fake's received_at (what Parley's
    latency_ms measures), read from the fake's record: "Baseline send <n> of run <run>"."""
    latencies = []
    for send in sends:
        words = send["body"].split()
        if send["body"].startswith("Baseline send ") and int(words[2]) < 1_000_000:  # closed loop: >= 1e6
            due = open_loop["start_epoch"] + int(words[2]) / open_loop["offered_per_second"]
            latencies.append((send["received_at"] - due) * 1000)
    return quantiles(latencies)


def _met(value, rule) -> bool | None:
    if value is None:
        return None
    op, bound = rule
    return {">=": value >= bound, "<=": value <= bound, "==": value == bound}[op]


def report(*, results: dict, baseline: dict, setup: dict, loadavg: list) -> dict:
    base_open, base_closed = baseline["open_loop"], baseline["closed_loop"]
    summary = {}
    for name, result in results.items():
        steady_figures, burst_figures = result["steady"], result["burst"]
        kept_up = (steady_figures["summary"]["sends_per_second"] or 0) >= 0.97 * setup["rate"]
        burst_rate = burst_figures["summary"]["sends_per_second"]
        p99 = steady_figures["latency_ms"]["p99_ms"]
        summary[name] = {
            "steady_sends_per_second": steady_figures["summary"]["sends_per_second"],
            "burst_sends_per_second": burst_rate,
            "latency_ms": {
                k: steady_figures["latency_ms"][k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")
            },
            "round_trip_ms": {
                k: steady_figures["to_outbox_done_ms"][k] for k in ("p50_ms", "p95_ms", "p99_ms")
            },
            "first_try_p99_ms": steady_figures["first_try_ms"]["p99_ms"],
            "retried": steady_figures["retried"],
            "retried_p50_ms": steady_figures["retried_ms"]["p50_ms"],
            # Like for like: to acceptance (the fake's received_at), and the whole round trip
            # (Parley: the outbox row turning done; baseline: the answer back at the client).
            "ratio_to_accepted_p50_vs_baseline": _ratio(
                steady_figures["latency_ms"]["p50_ms"], base_open["to_accepted_ms"]["p50_ms"]
            ),
            "ratio_to_accepted_p99_vs_baseline": _ratio(p99, base_open["to_accepted_ms"]["p99_ms"]),
            "ratio_round_trip_p50_vs_baseline": _ratio(
                steady_figures["to_outbox_done_ms"]["p50_ms"], base_open["latency_ms"]["p50_ms"]
            ),
            "ratio_round_trip_p99_vs_baseline": _ratio(
                steady_figures["to_outbox_done_ms"]["p99_ms"], base_open["latency_ms"]["p99_ms"]
            ),
            "ratio_steady_rate_vs_baseline_open": _ratio(
                steady_figures["summary"]["sends_per_second"], base_open["accepted_per_second"]
            ),
            "ratio_burst_rate_vs_baseline_closed": _ratio(burst_rate, base_closed["requests_per_second"]),
            "targets_met": {
                "sends_per_second": kept_up and _met(burst_rate, TARGETS["sends_per_second"]),
                "p99_ms": _met(p99, TARGETS["p99_ms"]),
                "accepted_exactly_once": steady_figures["checks"]["accepted_exactly_once"]
                and burst_figures["checks"]["accepted_exactly_once"],
            },
        }
    return {
        "summary": summary,
        "checks": checks(results, baseline, setup),
        "baseline": baseline,
        "targets": {name: f"{op} {bound}" for name, (op, bound) in TARGETS.items()},
        "setup": setup,
        "results": results,
        "loadavg_at_start_and_end": loadavg,
        "notes": NOTES,
    }


def checks(results: dict, baseline: dict, setup: dict) -> dict[str, bool]:
    """The run's invariants over every variant's steady and burst phase (bench/scale.py)."""
    phases = [result[phase] for result in results.values() for phase in ("steady", "burst")]
    found = [phase["checks"] for phase in phases]
    answers = [*baseline["open_loop"]["statuses"], *baseline["closed_loop"]["statuses"]]
    invariants = {
        "every_variant_reported": bool(results) and len(results) == len(setup["workers"]),
        "every_reply_posted_once": all(c["posted_once"] for c in found),
        "every_reply_settled": all(phase["settled"] for phase in phases),
        "every_reply_sent": all(c["all_sent"] for c in found),
        "no_reply_sent_twice": all(c["duplicated"] == c["stray_sends"] == 0 for c in found),
        "no_reply_missing": all(c["missing"] == c["provider_id_mismatch"] == 0 for c in found),
        "delivery_states_final": all(c["not_final"] == 0 for c in found),
        "every_attempt_accounted_for": all(
            c["accepted_not_once"] == c["sends_without_an_attempt"] == 0
            and (c["attempts_without_a_send"] == 0 or not scale.SMOKE)
            for c in found
        ),
        "baseline_every_send_answered": bool(answers) and all(status.isdigit() for status in answers),
    }
    if scale.SMOKE:  # the smoke's error rate makes a run without a retry all but impossible
        invariants["retries_exercised"] = sum(phase["retried"] for phase in phases) > 0
    return invariants


def _ratio(value, base) -> float | None:
    return round(value / base, 3) if value is not None and base else None
