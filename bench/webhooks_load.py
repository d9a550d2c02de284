"""The load generator of bench/webhooks.py: one asyncio process, no Django, posting signed
provider webhooks (Twilio SMS and WhatsApp Cloud API, built and signed by
simulator.fake_provider.webhooks exactly as the providers post them) at a fixed offered rate.

Run as `python -m bench.webhooks_load SPEC.json RESULT.json`. Every request is built and signed
before the clock starts, so the generator spends its time on the wire, not on HMACs. The load is
open loop: request n is due at start + n / rate whatever the server answers, and its latency is
counted from that due time (waiting for a free connection counts), so a slow server cannot hide
its queue by slowing the generator down. A share of the requests are exact replays (the same
bytes and signature) of an earlier one, as providers retry when our answer is slow or lost.
Requests go round-robin to the spec's servers (one Daphne, or two on distinct ports), each
encoded to its bytes before the clock starts and sent on bench/keepalive_http.py's pool.
"""

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.keepalive_http import HTTPFailure, Pool, encode_request
from bench.measure import cpu_seconds, own_cpu_seconds
from simulator.fake_provider.webhooks import (
    meta_signature,
    twilio_inbound_sms,
    twilio_signature,
    whatsapp_text,
)

REQUEST_TIMEOUT = 30.0


def log(*parts: object) -> None:
    print("[webhooks-load]", *parts, file=sys.stderr, flush=True)


@dataclass
class Planned:
    kind: str  # "sms" or "whatsapp"
    provider_id: str
    replay: bool
    target: int
    url: str
    raw: bytes  # the whole request, encoded


def _sms(spec: dict, base: str, run: str, n: int, customer: int) -> Planned:
    sms = spec["sms"]
    url = f"{base}/hooks/twilio/{sms['key']}/"
    sid = f"SM{run}{n:010d}".ljust(34, "0")[:34]
    form = twilio_inbound_sms(
        sms["phone_number"],
        f"+1555{customer:07d}",
        f"Hello, this is customer {customer}, message {n} of run {run}.",
        message_sid=sid,
        account_sid=sms["account_sid"],
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(sms["auth_token"], url, form),
    }
    return Planned("sms", sid, False, 0, url, encode_request("POST", url, urlencode(form).encode(), headers))


def _whatsapp(spec: dict, base: str, run: str, n: int, customer: int) -> Planned:
    whatsapp = spec["whatsapp"]
    url = f"{base}/hooks/whatsapp/{whatsapp['key']}/"
    wamid = f"wamid.bench{run}{n:010d}"
    body = whatsapp_text(
        whatsapp["phone_number_id"],
        f"4477{customer:08d}",
        f"Customer {customer}",
        f"Hi, customer {customer} here, message {n} of run {run}.",
        wamid=wamid,
    )
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": meta_signature(whatsapp["app_secret"], body),
    }
    return Planned("whatsapp", wamid, False, 0, url, encode_request("POST", url, body, headers))


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every CPU so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def plan(spec: dict) -> list[Planned]:
    """rate x seconds requests: new messages from `customers` customers per channel (each
    customer writes again and again, so most land in a conversation that exists), alternating
    SMS and WhatsApp, with `replay_share` of them exact copies of an earlier request."""
    rng = random.Random(spec["seed"])
    total = int(spec["rate"] * spec["seconds"])
    bases, run = spec["targets"], spec["run"]
    planned: list[Planned] = []
    originals: list[Planned] = []
    for n in range(total):
        target = n % len(bases)
        if originals and rng.random() < spec["replay_share"]:
            # A provider retries a recent webhook: one of the last ~2 s of originals.
            window = originals[-max(1, int(spec["rate"] * 2)) :]
            original = rng.choice(window)
            planned.append(Planned(**{**original.__dict__, "replay": True}))
            continue
        customer = rng.randrange(spec["customers"])
        build = _sms if n % 2 == 0 else _whatsapp
        item = build(spec, bases[target], run, n, customer)
        item.target = target
        originals.append(item)
        planned.append(item)
    return planned


async def fire(spec: dict, planned: list[Planned]) -> dict:
    pools = [Pool(base, spec["connections"], REQUEST_TIMEOUT) for base in spec["targets"]]
    results: list[list] = [[] for _ in planned]
    loop = asyncio.get_running_loop()

    async def one(index: int, item: Planned, due: float) -> None:
        try:
            status = await pools[item.target].request(item.raw)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HTTPFailure) as error:
            status = type(error).__name__
        results[index] = [
            item.kind,
            item.provider_id,
            item.replay,
            item.target,
            status,
            (loop.time() - due) * 1000,
        ]

    server_pids = spec.get("server_pids", [])
    cpu_before, server_before, wall_before = own_cpu_seconds(), cpu_seconds(server_pids), time.monotonic()
    machine_before = machine_busy()
    start = loop.time() + 0.2
    tasks = []
    for index, item in enumerate(planned):
        due = start + index / spec["rate"]
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, item, due)))
    last_due = loop.time()
    await asyncio.gather(*tasks)
    finished = loop.time()
    wall = time.monotonic() - wall_before
    server_after = cpu_seconds(server_pids)
    machine_after = machine_busy()
    for pool in pools:
        await pool.close()
    return {
        "results": results,
        "seconds_offered": round(last_due - start, 3),
        "seconds_until_last_answer": round(finished - start, 3),
        "generator_cpu_pct": round((own_cpu_seconds() - cpu_before) / wall * 100, 1),
        "machine_busy_pct": round(
            (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1]) * 100, 1
        ),
        "server_cpu_pct": round((server_after - server_before) / wall * 100, 1)
        if server_before is not None and server_after is not None
        else None,
    }


async def main(spec_path: str, result_path: str) -> None:
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    started = time.monotonic()
    planned = plan(spec)
    log(f"{len(planned)} requests planned in {time.monotonic() - started:.1f} s; firing at {spec['rate']}/s")
    outcome = await fire(spec, planned)
    with open(result_path, "w") as result_file:
        json.dump(outcome, result_file)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
