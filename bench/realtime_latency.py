"""The real-time load generator's latency mode (bench/realtime_load.py): connect customers and
agents, then offer message.send at fixed rates, step after step (open loop: sends follow the
schedule whatever the server answers). Each body carries the message's index and its send time
(CLOCK_MONOTONIC, one clock for the whole machine); every agent socket records when its
message.created arrives, and each step's figures are over every (message, agent) delivery that
should have happened.
"""

import asyncio
import contextlib
import json
import random
from array import array

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.measure import CpuMeter, censored_quantiles, quantiles
from bench.realtime_clients import Sockets, log, now, now_ns


class LatencyMode(Sockets):
    resending: set = set()  # the resends on their way (kept referenced until done)

    async def agent_read(self, slot: int, ws: ClientConnection) -> None:
        got = self.got[slot]
        prefix = f"rt:{self.run_id}:"
        try:
            async for raw in ws:
                arrived = now_ns()
                if '"message.created"' not in raw:
                    if raw.startswith('{"type":"resync"'):
                        self.agent_resyncs += 1
                    continue
                event = json.loads(raw)
                if event.get("type") != "message.created":
                    continue
                body = event["message"]["body"]
                if not body.startswith(prefix):
                    continue
                _, _, index_text, sent_ns = body.split(":")
                index = int(index_text)
                if got[index]:
                    self.duplicates[self.step_of[index]] += 1
                    continue
                got[index] = 1
                self.latencies[self.step_of[index]].append((arrived - int(sent_ns)) / 1e6)
                self.delivered[index] += 1
                if self.delivered[index] == self.agent_count:
                    self.complete[self.step_of[index]] += 1
        except ConnectionClosed:
            if not self.stopping:
                self.closed_during_run += 1
                code = f"agent {ws.close_code} {ws.close_reason or ''}".strip()
                self.close_codes[code] = self.close_codes.get(code, 0) + 1

    async def offer(self, step: int, rate: float, seconds: float, start: int) -> tuple[int, list[float]]:
        """Send round-robin over the customers on an open-loop schedule; returns (count, lags in ms)."""
        count = int(rate * seconds)
        customers = [c for c in self.customers if c.ws is not None and c.conversation_id is not None]
        offset = random.randrange(len(customers))
        lags = []
        origin = now() + 0.02
        for k in range(count):
            due = origin + k / rate
            wait = due - now()
            if wait > 0:
                await asyncio.sleep(wait)
            index = start + k
            customer = customers[(offset + k) % len(customers)]
            self.step_of[index] = step
            frame = json.dumps(
                {
                    "type": "message.send",
                    "conversation_id": customer.conversation_id,
                    "client_message_id": f"{self.run_id}-{index}",
                    "body": f"rt:{self.run_id}:{index}:{now_ns()}",
                    "ref": str(index),
                }
            )
            sent = now()
            lags.append((sent - due) * 1000)
            self.sent_at[index] = sent
            self.frames[index] = frame
            try:
                if customer.ws is None:
                    raise ConnectionClosed(None, None)
                await customer.ws.send(frame)
            except ConnectionClosed:
                self.send_failures[step] += 1
                self.sent_at[index] = -1.0
        return count, lags

    async def run_latency(self) -> dict:
        """Steps in order; a step with "retry": n runs again (up to n times) when it fails, since one
        scheduling hiccup of a shared 2-core machine can fail a step by itself."""
        steps = self.spec["steps"]
        slots = sum(1 + s.get("retry", 0) for s in steps)
        total = sum(int(s["rate"] * s["seconds"]) * (1 + s.get("retry", 0)) for s in steps)
        self.agent_count = 0
        self.sent_at = array("d", bytes(8 * total))
        self.acked_at = array("d", bytes(8 * total))
        self.delivered = array("H", bytes(2 * total))
        self.step_of = array("H", bytes(2 * total))
        self.latencies = [[] for _ in range(slots)]
        self.duplicates = [0] * slots
        self.complete = [0] * slots
        self.send_failures = [0] * slots
        self.frames: dict[int, str] = {}  # each send's frame, to send again when refused busy
        self.busy_resends = self.agent_resyncs = 0

        report: dict = {"mode": "latency"}
        report["connect_agents"] = await self.connect_agents()
        report["connect_customers"] = await self.connect_customers(
            [c for c in self.customers if c.ws is None]
        )
        log("connected", report["connect_agents"], report["connect_customers"])
        self.agent_count = len(self.agent_sockets)
        self.got = [bytearray(total) for _ in self.agent_sockets]
        readers = [asyncio.create_task(self.agent_read(n, ws)) for n, ws in enumerate(self.agent_sockets)]
        await asyncio.sleep(self.spec.get("settle_seconds", 1.0))

        report["steps"] = []
        start = number = 0
        failed_before = False
        for step in steps:
            if failed_before and step.get("stop_after_failure"):
                break
            for attempt in range(1 + step.get("retry", 0)):
                if attempt:
                    await asyncio.sleep(2)  # let a transient pass
                figures = await self.run_step(number, step, start)
                figures["attempt"] = attempt + 1
                report["steps"].append(figures)
                number += 1
                start += int(step["rate"] * step["seconds"])
                if figures["passed"]:
                    break
            if step.get("stop_on_failure") and not figures["passed"]:
                failed_before = True
        if self.spec.get("final_drain_seconds"):
            report["overall"] = await self.final_drain(start, self.spec["final_drain_seconds"])
        report["errors_sample"] = self.errors
        report["closed_by_server"] = self.close_codes
        await self.close_all()
        for reader in readers:
            reader.cancel()
        return report

    async def run_step(self, number: int, step: dict, start: int) -> dict:
        errors0, closed0 = self.error_count, self.closed_during_run
        meter = CpuMeter(self.pids)
        began = now()
        count, lags = await self.offer(number, step["rate"], step["seconds"], start)
        offered_seconds = now() - began
        drain_deadline = now() + step.get("drain_seconds", 5.0)
        while now() < drain_deadline and not self.drained(number, step, start, count):
            await asyncio.sleep(0.05)
        figures = self.step_figures(number, step, start, count, lags, offered_seconds)
        figures.update(meter.read())
        figures["errors"] = self.error_count - errors0 + figures["send_failures"]
        figures["sockets_closed"] = self.closed_during_run - closed0
        figures["passed"] = self.passed(figures, step)
        log(step["name"], {k: figures[k] for k in ("offered_rate", "p50_ms", "p99_ms", "lost", "passed")})
        return figures

    async def final_drain(self, count: int, seconds: float) -> dict:
        """After every step: wait (up to `seconds`) for every send to be stored and reach every
        agent; what never was is lost for good, not late."""
        deadline = now() + seconds
        sent = [i for i in range(count) if self.sent_at[i] > 0]
        while now() < deadline and not all(self.acked_at[i] > 0 for i in sent):
            await asyncio.sleep(0.1)
        return {
            "sent": len(sent),
            "never_stored": sum(1 for i in sent if self.acked_at[i] == 0.0),
            "deliveries_missing": sum(self.agent_count - self.delivered[i] for i in sent),
            "busy_resends": self.busy_resends,
            "agent_resyncs": self.agent_resyncs,
            "sockets_closed": self.closed_during_run,
        }

    def resend(self, customer, refusal: dict) -> bool:
        ref = refusal.get("ref")
        frame = self.frames.get(int(ref)) if isinstance(ref, str) and ref.isdigit() else None
        if frame is None:
            return False
        self.busy_resends += 1
        delay = refusal.get("retry_after_ms", 1000) / 1000 * (1 + random.random())

        async def again() -> None:
            await asyncio.sleep(delay)
            if customer.ws is not None:
                with contextlib.suppress(ConnectionClosed):
                    await customer.ws.send(frame)

        task = asyncio.ensure_future(again())
        self.resending.add(task)
        task.add_done_callback(self.resending.discard)
        return True

    def drained(self, number: int, step: dict, start: int, count: int) -> bool:
        """Has every sent message reached every agent (and, with "drain_acks", been acked)? The
        smoke scale waits for the acks too, so a late last ack is not counted as missing."""
        if self.complete[number] < count - self.send_failures[number]:
            return False
        if not step.get("drain_acks"):
            return True
        return all(self.acked_at[i] > 0 for i in range(start, start + count) if self.sent_at[i] > 0)

    def step_figures(self, number, step, start, count, lags, offered_seconds) -> dict:
        ended = now()
        indexes = range(start, start + count)
        sent = [i for i in indexes if self.sent_at[i] > 0]
        acked = [i for i in sent if self.acked_at[i] > 0]
        lost = sum(1 for i in sent if self.delivered[i] < self.agent_count)
        missing = sum(self.agent_count - self.delivered[i] for i in sent)
        waited = {i: (ended - self.sent_at[i]) * 1000 for i in sent}
        never = [
            (waited[i], self.agent_count - self.delivered[i])
            for i in sent
            if self.delivered[i] < self.agent_count
        ]
        ack_ms = [(self.acked_at[i] - self.sent_at[i]) * 1000 for i in acked]
        unacked = [(waited[i], 1) for i in sent if self.acked_at[i] == 0.0]
        return {
            "name": step["name"],
            "offered_rate": step["rate"],
            "seconds": step["seconds"],
            "achieved_send_rate": round(len(sent) / max(offered_seconds, 1e-6), 1),
            "sent": len(sent),
            "acked": len(acked),
            "agents": self.agent_count,
            **censored_quantiles(self.latencies[number], never),
            "arrived_only": quantiles(self.latencies[number]),
            "lost": lost,
            "missing_deliveries": missing,
            "duplicated": self.duplicates[number],
            "ack": {k: v for k, v in censored_quantiles(ack_ms, unacked).items() if k != "count"},
            "send_lag_p99_ms": quantiles(lags)["p99_ms"],
            "send_failures": self.send_failures[number],
        }

    @staticmethod
    def passed(figures: dict, step: dict) -> bool:
        """The knee's test of a step; a smoke step loosens the latency and pace limits (its
        "p99_limit_ms" and "min_send_share"), which measure the machine, not correctness."""
        limit = step.get("p99_limit_ms", 250)
        return (
            figures["sent"] > 0
            and figures["p99_ms"] is not None
            and figures["p99_ms"] <= limit
            and figures["lost"] == 0
            and figures["duplicated"] == 0
            and figures["errors"] == 0
            and figures["sent"] - figures["acked"] == 0
            and figures["achieved_send_rate"] >= step.get("min_send_share", 0.9) * figures["offered_rate"]
        )
