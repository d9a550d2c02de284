"""One server kind under the real-time benchmark (bench/realtime.py): Parley (Daphne) or the bare
baseline (bench/baseline_server.py), how to start it and what its clients present, and its phases,
each on freshly started server processes driven by the load generator.
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from bench import baseline_server
from bench.realtime_fixtures import Fixtures
from bench.realtime_plan import (
    CONNECT_CONCURRENCY,
    DB_POOL_MAX_SIZE,
    IDLE_CONNECTIONS,
    KNEE_RATES,
    KNEE_STEP_SECONDS,
    L1,
    L2,
    OVERLOAD,
    SCALE_OUT_PROCESSES,
    SETTLE_SECONDS,
    STORM_BACKOFF,
    STORM_CUSTOMERS,
    STORM_WRITTEN_WHILE_DOWN,
    TIMED_CONNECTIONS,
    WARMUP,
    drain,
    log,
)
from bench.realtime_report import knee_of
from bench.realtime_servers import LAYER_PREFIX, Server, accepting, run_load
from conversations import services
from conversations.models import Conversation


class Target:
    """Parley or the baseline: how to start it and what its clients present."""

    def __init__(self, kind: str, fixtures: Fixtures, workdir: Path) -> None:
        self.kind, self.fixtures, self.workdir = kind, fixtures, workdir
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        self.dsn = f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        redis_url = os.environ["REDIS_URL"]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if kind == "parley":
            env.update(
                DATABASE_URL=self.dsn,
                REDIS_URL=redis_url,
                SECRET_KEY=settings.SECRET_KEY,
                ALLOWED_HOSTS="127.0.0.1,localhost",
                DB_POOL_MAX_SIZE=str(DB_POOL_MAX_SIZE),
                LOG_LEVEL="WARNING",
            )
            argv = [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                "{port}",
                "config.asgi:application",
            ]
        else:
            self.secret = uuid.uuid4().hex
            # Redis pub/sub channels are not per database: a name of this run's own.
            self.channel = f"{LAYER_PREFIX}:baseline:{uuid.uuid4().hex}"
            argv = [
                sys.executable,
                "-m",
                "bench.baseline_server",
                "--port",
                "{port}",
                "--dsn",
                self.dsn,
                "--redis-url",
                redis_url,
                "--channel",
                self.channel,
                "--secret",
                self.secret,
            ]
            with connection.cursor() as cursor:
                cursor.execute(baseline_server.CREATE_TABLE)
        self.argv = argv
        self.server = Server(kind, argv, env, workdir)
        self.more_servers: list[Server] = []  # the scale-out phases' second process

    def customers(self, count: int) -> list[list[str]]:
        f = self.fixtures
        if self.kind == "parley":
            return [list(pair) for pair in zip(f.connect_tokens(count), f.resume_tokens[:count], strict=True)]
        return [
            [
                baseline_server.connect_token(self.secret, v.contact_id, c),
                baseline_server.resume_token(self.secret, v.contact_id, c),
            ]
            for v, c in zip(f.visitors[:count], f.conversation_ids[:count], strict=True)
        ]

    def agents(self, count: int) -> list[str]:
        if self.kind == "parley":
            return self.fixtures.agent_sessions[:count]
        return [baseline_server.agent_cookie(self.secret, agent.pk) for agent in self.fixtures.agents[:count]]

    def spec(self, mode: str, customers: int, agents: int = 0, **extra) -> dict:
        return {
            "mode": mode,
            "ws": self.server.ws,
            "ws_all": [server.ws for server in (self.server, *self.more_servers)],
            "http": self.server.http,
            "desk_origin": self.server.http,
            "server_pids": [server.pid for server in (self.server, *self.more_servers)],
            "concurrency": CONNECT_CONCURRENCY,
            "customers": self.customers(customers),
            "agents": self.agents(agents),
            "session": {
                "method": "POST" if self.kind == "parley" else "GET",
                "public_key": self.fixtures.inbox.public_key,
            },
            **extra,
        }

    def phase(self, name: str, build, *, timeout: float = 300, on_ready=None, processes: int = 1) -> dict:
        """A phase on freshly started servers (one, or `processes` sharing Redis and Postgres as
        in production, sockets spread over them): build(spec maker) -> spec; the generator's report.

        Each phase gets a channel-layer prefix of its own, so nothing a killed server published
        reaches the next phase's."""
        log(f"{self.kind}: {name}")
        self.server.env["CHANNEL_LAYER_PREFIX"] = f"{LAYER_PREFIX}-{name}"
        self.more_servers = [
            Server(self.kind, self.argv, dict(self.server.env), self.workdir, f"{self.kind}-{n}")
            for n in range(2, processes + 1)
        ]
        try:
            for server in (self.server, *self.more_servers):
                server.launch()
            for server in (self.server, *self.more_servers):
                server.wait_ready()
            report = run_load(
                f"{self.kind}-{name}", build(), self.workdir, on_ready=on_ready, timeout=timeout
            )
        except Exception as error:  # a phase that breaks is a finding, not the end of the run
            report = {"error": f"{type(error).__name__}: {error}"[:1500]}
        finally:
            for server in (self.server, *self.more_servers):
                server.stop()
            self.more_servers = []
            time.sleep(0.5)
        if "error" in report:
            log(f"{self.kind}: {name} failed: {report['error']}")
        return report

    def memory_then_l2(self) -> dict:
        spec = self.spec(
            "memory", IDLE_CONNECTIONS, L2["agents"], timed=TIMED_CONNECTIONS, settle_seconds=SETTLE_SECONDS
        )
        spec["steps"] = self.l2_steps()
        spec["then_latency_customers"] = L2["customers"]
        return spec

    @staticmethod
    def l2_steps() -> list[dict]:
        return [
            WARMUP,
            {"name": "L2", "rate": L2["rate"], "seconds": L2["seconds"], **drain(5)},
        ]

    def overload(self, knee: float | None) -> dict:
        """Twice the knee (twice L1 when the knee was not measured) for 30 s, then L1 in short
        steps with no pause between: how long until it holds again, and whether all was stored."""
        rate = OVERLOAD["factor"] * (knee or L1["rate"])
        seconds = OVERLOAD["recover_step_seconds"]
        recover = [
            {"name": f"recover-{n}", "rate": L1["rate"], "seconds": seconds, **drain(0)}
            for n in range(1, OVERLOAD["recover_steps"] + 1)
        ]
        overload = {"name": "overload", "rate": rate, "seconds": OVERLOAD["seconds"], **drain(0)}
        return self.spec(
            "latency",
            L1["customers"],
            L1["agents"],
            steps=[WARMUP, overload, *recover],
            final_drain_seconds=OVERLOAD["final_drain_seconds"],
        )

    def measure(self, phases: list[str]) -> dict:
        results: dict = {}
        plans = {
            "memory": (
                lambda: self.spec(
                    "memory", IDLE_CONNECTIONS, timed=TIMED_CONNECTIONS, settle_seconds=SETTLE_SECONDS
                ),
                {"timeout": 240},
            ),
            "L1": (
                lambda: self.spec(
                    "latency",
                    L1["customers"],
                    L1["agents"],
                    steps=[
                        WARMUP,
                        {"name": "L1", "rate": L1["rate"], "seconds": L1["seconds"], **drain(5)},
                    ],
                ),
                {},
            ),
            "knee": (
                lambda: self.spec(
                    "latency",
                    L1["customers"],
                    L1["agents"],
                    steps=[
                        WARMUP,
                        *(
                            {
                                "name": f"knee-{rate}",
                                "rate": rate,
                                "seconds": KNEE_STEP_SECONDS,
                                **drain(3),
                                "stop_on_failure": True,
                                "stop_after_failure": True,
                                "retry": 1,
                            }
                            for rate in KNEE_RATES
                        ),
                    ],
                ),
                {},
            ),
            "L2": (
                lambda: self.spec(
                    "latency",
                    L2["customers"],
                    L2["agents"],
                    steps=self.l2_steps(),
                ),
                {},
            ),
            "storm": (
                lambda: self.spec(
                    "storm",
                    STORM_CUSTOMERS,
                    **STORM_BACKOFF,
                    deadline_seconds=90,
                    written_while_down=list(STORM_WRITTEN_WHILE_DOWN),
                ),
                {"timeout": 240, "on_ready": self.restart_for_storm},
            ),
        }
        # The same loads on two server processes: what scaling out buys on this machine.
        plans["L1x2"] = (plans["L1"][0], {"processes": SCALE_OUT_PROCESSES})
        plans["kneex2"] = (plans["knee"][0], {"processes": SCALE_OUT_PROCESSES})
        plans["overload"] = (lambda: self.overload(knee_of(results.get("knee", {}))), {"timeout": 420})
        for name in phases:
            if name == "memory" and "L2" in phases:
                # One server for both: L2 goes on with the first 3,000 of the 5,000 idle sockets.
                combined = self.phase("memory+L2", self.memory_then_l2, timeout=420)
                results["memory"] = combined.get("memory", combined)
                results["L2"] = combined.get("latency", combined)
                results["L2"]["customers_kept_from_memory_phase"] = L2["customers"]
            elif name == "L2" and "memory" in phases:
                continue
            else:
                results[name] = self.phase(name, plans[name][0], **plans[name][1])
        return results

    def restart_for_storm(self) -> str:
        """Kill the server, write while it is down (so resync has something to fetch), start it again
        on the same port; the monotonic times of the kill and of the first healthy answer."""
        killed = time.monotonic()
        self.server.stop()
        stopped = time.monotonic()
        ids = [self.fixtures.conversation_ids[index] for index in STORM_WRITTEN_WHILE_DOWN]
        if self.kind == "parley":
            agent = self.fixtures.agents[0]
            for conversation in Conversation.objects.filter(pk__in=ids).select_related("inbox"):
                services.message_post_reply(
                    conversation=conversation, agent=agent, body="While you were away"
                )
        else:
            with connection.cursor() as cursor:
                for conversation_id in ids:
                    cursor.execute(
                        baseline_server.INSERT,
                        {"c": conversation_id, "cmid": uuid.uuid4().hex, "body": "While you were away"},
                    )
        written = time.monotonic()
        self.server.start(ready=accepting)
        up = time.monotonic()
        phases = {
            "stop_seconds": round(stopped - killed, 2),
            "downtime_writes": len(ids),
            "downtime_writes_seconds": round(written - stopped, 2),
            "start_seconds": round(up - written, 2),
        }
        return f"RESTARTED {killed} {up} {json.dumps(phases)}"
