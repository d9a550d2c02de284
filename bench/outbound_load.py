"""The outbound benchmark's baseline (bench/outbound.py): the fake provider driven directly, no
Parley, no Celery, by the same number of concurrent httpx clients as the worker has threads.

Run as `python -m bench.outbound_load SPEC.json RESULT.json`. Two modes, one after the other:
- open: sends due at a fixed rate (open loop, as Parley's replies are posted), at most
  `clients` in flight; latency from the due time to the answer;
- closed: `clients` senders back to back for `seconds`: the most N concurrent clients get
  through a provider that takes 100-300 ms to answer.
Each send is a real Twilio Messages.json POST (form, HTTP Basic), accepted by the fake as a
send; a 5xx is counted, never retried (the baseline has no outbox).
"""

import asyncio
import json
import sys
import time

import httpx

from bench.measure import quantiles

REQUEST_TIMEOUT = 30.0


def log(*parts: object) -> None:
    print("[outbound-load]", *parts, file=sys.stderr, flush=True)


def _form(spec: dict, n: int) -> dict[str, str]:
    return {
        "To": f"+1555{n % spec['recipients']:07d}",
        "From": spec["from"],
        "Body": f"Baseline send {n} of run {spec['run']}",
    }


async def _send(client: httpx.AsyncClient, spec: dict, n: int) -> int | str:
    try:
        response = await client.post(
            spec["path"], data=_form(spec, n), auth=(spec["account_sid"], spec["auth_token"])
        )
        return response.status_code
    except httpx.HTTPError as error:
        return type(error).__name__


def _figures(answers: list[tuple[int | str, float]], seconds: float) -> dict:
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    accepted = statuses.get("201", 0) + statuses.get("200", 0)
    return {
        "requests": len(answers),
        "accepted": accepted,
        "statuses": statuses,
        "seconds": round(seconds, 3),
        "requests_per_second": round(len(answers) / seconds, 1) if seconds else None,
        "accepted_per_second": round(accepted / seconds, 1) if seconds else None,
        "latency_ms": quantiles([ms for _, ms in answers]),
    }


async def open_loop(client: httpx.AsyncClient, spec: dict) -> dict:
    loop = asyncio.get_running_loop()
    total = int(spec["rate"] * spec["seconds"])
    answers: list[tuple[int | str, float]] = []
    start = loop.time() + 0.2
    start_epoch = time.time() + (start - loop.time())  # send n is due at start_epoch + n / rate

    async def one(n: int, due: float) -> None:
        status = await _send(client, spec, n)
        answers.append((status, (loop.time() - due) * 1000))

    tasks = []
    for n in range(total):
        due = start + n / spec["rate"]
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    figures = _figures(answers, loop.time() - start)
    return {"offered_per_second": spec["rate"], "start_epoch": start_epoch, **figures}


async def closed_loop(client: httpx.AsyncClient, spec: dict) -> dict:
    loop = asyncio.get_running_loop()
    answers: list[tuple[int | str, float]] = []
    start = loop.time()
    deadline = start + spec["closed_seconds"]
    counter = iter(range(10**9))

    async def sender() -> None:
        while loop.time() < deadline:
            sent = loop.time()
            status = await _send(client, spec, 1_000_000 + next(counter))
            answers.append((status, (loop.time() - sent) * 1000))

    await asyncio.gather(*(sender() for _ in range(spec["clients"])))
    return {"clients": spec["clients"], **_figures(answers, loop.time() - start)}


async def main(spec_path: str, result_path: str) -> None:
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    limits = httpx.Limits(max_connections=spec["clients"], max_keepalive_connections=spec["clients"])
    async with httpx.AsyncClient(base_url=spec["url"], limits=limits, timeout=REQUEST_TIMEOUT) as client:
        log(f"open loop: {spec['rate']}/s for {spec['seconds']} s, at most {spec['clients']} in flight")
        opened = await open_loop(client, spec)
        time.sleep(0.5)
        log(f"closed loop: {spec['clients']} clients for {spec['closed_seconds']} s")
        closed = await closed_loop(client, spec)
    with open(result_path, "w") as result_file:
        json.dump({"open_loop": opened, "closed_loop": closed}, result_file)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
