"""The real-time load generator's storm mode (bench/realtime_load.py): N customers connect and
send one message each; the generator prints READY and the orchestrator restarts the server on the
same port, then writes "RESTARTED <kill> <up>" to stdin. Each client reconnects with full-jitter
exponential backoff, takes a fresh connect token from its resume token over HTTP, and sends
history.after with its last seq; its seqs are checked for gaps and duplicates.
"""

import asyncio
import collections
import contextlib
import json
import random
import sys
from urllib.parse import quote

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.realtime_clients import Customer, Sockets, bounded, first_of, http_json, log, now, open_socket


class StormMode(Sockets):
    async def fresh_token(self, customer: Customer) -> str:
        session = self.spec["session"]
        if session["method"] == "POST":
            answer = await http_json(
                self.http,
                "POST",
                "/widget/api/v1/session",
                {"public_key": session["public_key"], "resume_token": customer.resume},
            )
        else:
            answer = await http_json(
                self.http, "GET", f"/widget/api/v1/session?resume_token={quote(customer.resume)}"
            )
        return answer["connect_token"]

    async def reconnect(self, customer: Customer) -> None:
        base, cap = self.spec.get("backoff_base", 0.2), self.spec.get("backoff_cap", 5.0)
        for attempt in range(1000):
            if now() > self.storm_deadline:
                return
            await asyncio.sleep(random.uniform(0, min(cap, base * 2**attempt)))  # full jitter
            self.storm_attempts += 1
            try:
                token = await self.fresh_token(customer)
                ws = await open_socket(f"{self.ws}/ws/v1/client/?token={quote(token)}")
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError, KeyError, ValueError) as error:
                self.storm_failed_attempts += 1
                self.storm_failures[type(error).__name__ + ": " + str(error)[:60]] += 1
                continue
            try:
                # The protocol's client gives a silent socket about 60 s before it reconnects.
                hello = await first_of(ws, "hello", 60)
                server_last = customer.take_hello(hello)
                customer.history = asyncio.get_running_loop().create_future()
                customer.ws = ws
                customer.reader = asyncio.create_task(customer.read(self, ws))
                after = customer.last_seq
                await ws.send(
                    json.dumps(
                        {
                            "type": "history.after",
                            "conversation_id": customer.conversation_id,
                            "after_seq": after,
                            "limit": 100,
                            "ref": "resync",
                        }
                    )
                )
                page = await asyncio.wait_for(customer.history, 60)
            except (OSError, ConnectionClosed, TimeoutError) as error:
                self.storm_failed_attempts += 1
                if len(self.errors) < 10:
                    self.errors.append(repr(error)[:300])
                if customer.ws is ws:
                    customer.ws = None
                with contextlib.suppress(Exception):
                    ws.transport.abort()
                continue
            seqs = [m["seq"] for m in page["messages"]]
            expected = list(range(after + 1, server_last + 1))
            self.storm_gaps += len(set(expected) - set(seqs))
            self.storm_dups += len(seqs) - len(set(seqs)) + sum(1 for s in seqs if s <= after)
            self.storm_fetched += len(seqs)
            if customer.index in self.storm_acked and customer.index not in self.storm_done:
                # Its first resync, from its own message's seq: only the downtime write is new.
                written = 1 if customer.index in self.storm_written else 0
                self.storm_wrong_counts += len(seqs) != written
            if seqs:
                customer.last_seq = max(customer.last_seq, max(seqs))
            self.storm_done[customer.index] = now()
            return

    async def run_storm(self) -> dict:
        self.storm = False
        report: dict = {"mode": "storm"}
        report["connect"] = await self.connect_customers(self.customers)
        live = [c for c in self.customers if c.ws is not None]
        # Each customer sends one message and waits for its ack: its seq is the client's last seq.
        # The orchestrator then writes one message in some conversations while the server is
        # down: each of those customers (and nobody else) must fetch exactly one on resync.
        self.acked_at = None
        self.storm_written = set(self.spec.get("written_while_down", []))
        self.storm_acked: set[int] = set()
        self.storm_wrong_counts = 0
        started = now()

        async def send_one(customer: Customer) -> None:
            before = customer.last_seq
            await customer.ws.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "conversation_id": customer.conversation_id,
                        "client_message_id": f"{self.run_id}-storm-{customer.index}",
                        "body": f"storm {customer.index}",
                        "ref": "s",
                    }
                )
            )
            deadline = now() + 60
            while customer.last_seq == before and now() < deadline:
                await asyncio.sleep(0.05)
            if customer.last_seq == before:
                raise OSError(f"no ack for customer {customer.index}")
            self.storm_acked.add(customer.index)

        sent = await bounded([send_one(c) for c in live], 50)
        report["sent_one_each"] = {
            "customers": len(live),
            "failed": sum(1 for r in sent if isinstance(r, BaseException)),
            "seconds": round(now() - started, 2),
        }
        log("storm: connected and sent", report["connect"], report["sent_one_each"])
        self.storm_closed_at = {}
        self.storm_done: dict[int, float] = {}
        self.storm_attempts = self.storm_failed_attempts = 0
        self.storm_failures: collections.Counter[str] = collections.Counter()
        self.storm_gaps = self.storm_dups = self.storm_fetched = 0
        self.storm_deadline = now() + self.spec.get("deadline_seconds", 60)
        self.storm = True
        print("READY", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        parts = line.split(maxsplit=3)
        killed_at, up_at = (float(parts[1]), float(parts[2])) if len(parts) >= 3 else (now(), now())
        report["restart"] = json.loads(parts[3]) if len(parts) == 4 else {}
        while len(self.storm_done) < len(live) and now() < self.storm_deadline:
            await asyncio.sleep(0.1)
        done = sorted(self.storm_done.values())
        report.update(
            {
                "customers": len(live),
                "resynced": len(done),
                "not_resynced": len(live) - len(done),
                "seconds_from_kill_to_all_resynced": round(done[-1] - killed_at, 2)
                if done and len(done) == len(live)
                else None,
                "seconds_from_server_up_to_all_resynced": round(done[-1] - up_at, 2)
                if done and len(done) == len(live)
                else None,
                "downtime_seconds": round(up_at - killed_at, 2),
                "resync_from_kill_p50_s": round(done[len(done) // 2] - killed_at, 2) if done else None,
                "resync_from_kill_p99_s": round(
                    done[min(len(done) - 1, int(len(done) * 0.99))] - killed_at, 2
                )
                if done
                else None,
                "reconnect_attempts": self.storm_attempts,
                "failed_attempts": self.storm_failed_attempts,
                "messages_fetched_on_resync": self.storm_fetched,
                "resynced_with_wrong_count": self.storm_wrong_counts,
                "gaps": self.storm_gaps,
                "duplicates": self.storm_dups,
                "errors_sample": self.errors,
                "failed_attempts_by_error": dict(self.storm_failures.most_common(5)),
                "closed_by_server": self.close_codes,
            }
        )
        await self.close_all()
        return report
