"""The load generator of bench/realtime.py: one asyncio process, no Django, the same code against
Parley and against bench/baseline_server.py (which speaks the same protocol subset).

Run by the orchestrator as `python -m bench.realtime_load SPEC.json RESULT.json`; progress goes to
stderr. Modes (spec["mode"]):
- latency (bench/realtime_latency.py): connect customers and agents, then offer message.send at
  fixed rates, step after step; every agent socket records when each message.created arrives.
- memory (here): RSS of the server process (/proc/PID/status) before and after opening N idle
  customer sockets; the time to connect the first 1,000.
- storm (bench/realtime_storm.py): N customers connect and send one message each, the server is
  restarted on the same port, and each client reconnects and resyncs with history.after; its seqs
  are checked for gaps and duplicates.
The sockets and their readers are bench/realtime_clients.py; the figures, bench/measure.py.
Every loop is bounded by a count or a deadline; only loopback addresses are used.
"""

import asyncio
import json
import resource
import sys

from bench.measure import rss_kib
from bench.realtime_latency import LatencyMode
from bench.realtime_storm import StormMode


class Generator(LatencyMode, StormMode):
    """One run of one mode on the sockets of bench/realtime_clients.py; memory mode is here."""

    async def run_memory(self) -> dict:
        warm = self.customers[: self.spec.get("warm", 20)]
        await self.connect_customers(warm)
        for customer in warm:
            if customer.ws is not None:
                customer.ws.transport.abort()
        self.stopping = True  # these closes are ours
        await asyncio.sleep(self.spec.get("settle_seconds", 3.0))
        self.stopping = False
        for customer in warm:
            customer.ws, customer.conversation_id = None, None
        rss_before = rss_kib(self.pids[0])
        first = self.spec.get("timed", 1000)
        timed = await self.connect_customers(self.customers[:first])
        rest = await self.connect_customers(self.customers[first:])
        await asyncio.sleep(self.spec.get("settle_seconds", 3.0))
        rss_after = rss_kib(self.pids[0])
        open_now = sum(1 for c in self.customers if c.ws is not None)
        report = {
            "mode": "memory",
            "rss_before_kib": rss_before,
            "rss_after_kib": rss_after,
            "connections": open_now,
            "kib_per_connection": round((rss_after - rss_before) / open_now, 1)
            if open_now and rss_after and rss_before
            else None,
            "connect_first": timed,
            "connect_rest": rest,
            "connects_per_second": round(timed["connected"] / timed["seconds"], 1)
            if timed["seconds"]
            else None,
            "errors_sample": self.errors,
            "closed_by_server": self.close_codes,
            "concurrency": self.concurrency,
        }
        keep = self.spec.get("then_latency_customers")
        if keep is None:
            await self.close_all()
            return report
        # Go on to a latency run with the first `keep` of these sockets (their connects are the
        # slow part of a run): drop the others, let the server settle, connect the agents.
        for customer in self.customers[keep:]:
            ws, customer.ws = customer.ws, None
            if ws is not None:
                ws.transport.abort()
        self.customers = self.customers[:keep]
        self.close_codes = {}
        await asyncio.sleep(self.spec.get("settle_seconds", 3.0) + 2)
        return {"memory": report, "latency": await self.run_latency()}


async def main(spec_path: str, result_path: str) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    generator = Generator(spec)
    mode = spec["mode"]
    if mode == "latency":
        report = await generator.run_latency()
    elif mode == "memory":
        report = await generator.run_memory()
    elif mode == "storm":
        report = await generator.run_storm()
    else:
        raise SystemExit(f"unknown mode {mode}")
    with open(result_path, "w") as result_file:
        json.dump(report, result_file)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
