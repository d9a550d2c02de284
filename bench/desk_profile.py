"""Where a desk list page and a history page spend their time, in process: the bench's seed (bench/
desk_seed.py, full scale unless BENCH_DESK_CONVERSATIONS/MESSAGES say less), the bench's request
mix (bench/desk_load.Chooser), each request made through Django's test client (the sync handler)
and through its async client (Django's ASGI handler, as Daphne runs it: the middleware's
loop/thread switches included), timed, then profiled with cProfile.

    PYTHONPATH=. DATABASE_URL=postgres://…/parley_x python -m bench.desk_profile [requests] [--times]

The seeded database (PARLEY_TEST_DB, default parley_bench_deskprof) is kept between runs, so a
change can be profiled again in seconds; DESK_PROFILE_DROP=1 drops it at the end. `--times`
leaves the profiler out (only the timings).
"""

import os
import sys

os.environ.setdefault("SECRET_KEY", "parley-bench-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("PARLEY_TEST_DB", "parley_bench_deskprof")

import django

django.setup()

import asyncio  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import AsyncClient, Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench import desk, desk_seed  # noqa: E402
from bench.desk_load import AgentPlan, Chooser  # noqa: E402
from bench.measure import quantiles  # noqa: E402
from conversations.models import Conversation  # noqa: E402

KINDS = ("list", "history")
# Functions whose cumulative time the report names, whatever their rank.
WATCHED = [
    ("view: history_before", "desk/views/conversation.py", "history_before"),
    ("view: conversation_list", "desk/views/desk.py", "conversation_list"),
    ("shortcuts.render", "django/shortcuts.py", "render"),
    ("Template.render (outermost)", "django/template/backends/django.py", "render"),
    ("present_entries", "desk/views/entries.py", "present_entries"),
    ("present_rows", "desk/views/rows.py", "present_rows"),
    ("SQL: CursorWrapper.execute", "django/db/backends/utils.py", "execute"),
    ("ORM: SQLCompiler.as_sql", "django/db/models/sql/compiler.py", "as_sql"),
    ("ORM: results_iter", "django/db/models/sql/compiler.py", "results_iter"),
    ("session load", "django/contrib/sessions/backends/db.py", "load"),
    ("auth get_user", "django/contrib/auth/__init__.py", "get_user"),
    ("message_html filter", "desk/templatetags/desk.py", "message_html"),
]


def _seeded() -> tuple[list, list[int]]:
    """The agents and the long conversations, seeding first when the database is empty."""
    agents = list(get_user_model().objects.filter(is_staff=True).order_by("pk"))
    if not agents:
        seeded = desk_seed.seed(desk.database_url(), conversations=desk.CONVERSATIONS, messages=desk.MESSAGES)
        print(f"seeded in {seeded.seconds['total']} s", file=sys.stderr)
        return seeded.agents, seeded.long_conversation_ids
    longest = Conversation.objects.order_by("-last_seq").values_list("pk", flat=True)[
        : len(desk_seed.LONG_CONVERSATIONS)
    ]
    return agents, sorted(longest)


def _requests(plans: list[AgentPlan], count: int) -> list[tuple[int, str, str]]:
    """(agent index, kind, path), the bench's mix, next pages chosen from real first pages."""
    client, out = Client(), []
    choosers = [Chooser(plan, random.Random(plan.agent_id)) for plan in plans]
    for number in range(count):
        index = number % len(plans)
        kind, variant, path = choosers[index].request()
        client.cookies["sessionid"] = plans[index].cookie
        choosers[index].saw(kind, variant, path, client.get(path).content)
        out.append((index, kind, path))
    return out


def _timed_sync(clients: list[Client], requests) -> dict[str, dict]:
    """Wall time, CPU time (the process's, less sensitive to a shared machine) and SQL time."""
    times: dict[str, dict[str, list[float]]] = {kind: {"view": [], "cpu": [], "sql": []} for kind in KINDS}
    for index, kind, path in requests:
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            response = clients[index].get(path)
            times[kind]["view"].append((time.perf_counter() - started) * 1000)
            times[kind]["cpu"].append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        times[kind]["sql"].append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    return {
        kind: {name: quantiles(values) for name, values in figures.items()} for kind, figures in times.items()
    }


async def _timed_async(cookies: list[str], requests) -> dict[str, dict]:
    clients = []
    for cookie in cookies:
        client = AsyncClient()
        client.cookies["sessionid"] = cookie
        clients.append(client)
    times: dict[str, dict[str, list[float]]] = {kind: {"view": [], "cpu": []} for kind in KINDS}
    for index, kind, path in requests:
        started, cpu = time.perf_counter(), time.process_time()
        response = await clients[index].get(path)
        times[kind]["view"].append((time.perf_counter() - started) * 1000)
        times[kind]["cpu"].append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return {
        kind: {name: quantiles(values) for name, values in figures.items()} for kind, figures in times.items()
    }


def _profile(clients: list[Client], requests, kind: str) -> str:
    chosen = [r for r in requests if r[1] == kind]
    profiler = cProfile.Profile()
    profiler.enable()
    for index, _, path in chosen:
        clients[index].get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    per = 1000 / len(chosen)
    lines = [f"--- {kind}: cProfile over {len(chosen)} requests (ms per request, profiler on)"]
    for label, file, name in WATCHED:
        found = [
            (value[3], value[1])
            for (path, _, function), value in stats.stats.items()
            if path.endswith(file) and function == name
        ]
        if found:
            cumulative = max(found)[0]
            calls = sum(c for _, c in found)
            lines.append(f"  {label:<34}{cumulative * per:8.2f} ms  {calls / len(chosen):7.1f} calls")
    text = io.StringIO()
    stats.stream = text
    stats.sort_stats("tottime").print_stats(25)
    return "\n".join(lines) + "\n" + text.getvalue()


def main(count: int, *, profile: bool) -> None:
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    try:
        agents, long_ids = _seeded()
        plans = desk.agent_plans(desk_seed.Seeded([], agents, {}, long_conversation_ids=long_ids))
        requests = _requests(plans, count)
        clients = []
        for plan in plans:
            client = Client()
            client.cookies["sessionid"] = plan.cookie
            clients.append(client)
        _timed_sync(clients, requests)  # warm: templates, plans, caches
        print("sync handler (test client):", _timed_sync(clients, requests))
        print("ASGI handler (async client):", asyncio.run(_timed_async([p.cookie for p in plans], requests)))
        for kind in ("history", "list") if profile else ():
            print(_profile(clients, requests, kind))
    finally:
        if os.environ.get("DESK_PROFILE_DROP"):
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    main(int(numbers[0]) if numbers else 400, profile="--times" not in sys.argv[1:])
