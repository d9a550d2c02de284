"""Browser journeys through the web widget: Debian's Chromium driven by Playwright's sync API, a
live Daphne on the test database and Redis (tests/realtime/harness.py), and a host page on another
origin, as a business's site would be.

STACK-NOTES "Tests": browsers cannot be downloaded here, so Playwright launches /usr/bin/chromium;
the sync API leaves an event loop running in the main thread, so these tests allow Django's
synchronous ORM under it (DJANGO_ALLOW_ASYNC_UNSAFE, set only once the first browser test starts)
and run after every other test (the collection hook in tests/conftest.py).
"""

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils.html import escape
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from agents.models import AgentConnection, AgentProfile
from tests.backends import ON_POSTGRES, ON_REDIS
from tests.factories.conversations import InboxFactory
from tests.realtime.harness import ROOT, CeleryWorker, DaphneServer, free_port, live_daphne

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
WAIT_MS = 10_000  # generous, bounded: every expect() in the browser suite

expect.set_options(timeout=WAIT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def browser_prerequisites() -> None:
    """Live Postgres, Redis and Chromium, or a skip (CI must have them all: a failure there)."""
    missing = []
    if not (ON_POSTGRES and ON_REDIS):
        missing.append("Postgres and Redis")
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        reason = "browser journeys need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def parley(browser_prerequisites, django_db_setup, django_db_blocker) -> Iterator[DaphneServer]:
    """One live Parley (Daphne) for the browser session, at http://127.0.0.1:<port>."""
    with live_daphne(ARTIFACTS / "daphne-browser.log", django_db_blocker) as server:
        yield server


@pytest.fixture(scope="module")
def celery_worker_env() -> dict[str, str]:
    """What the module's worker runs with beyond the server's environment (override it in a test
    module: provider URLs, say)."""
    return {}


@pytest.fixture(scope="module")
def celery_worker_process(parley, celery_worker_env, request) -> Iterator[CeleryWorker]:
    """A real Celery worker beside the live Parley, for the journeys whose work happens in tasks
    (the answer bot's turns, SMS delivery); its log is test-artifacts/celery-<module>.log.
    Module-scoped, not session-scoped: the other browser modules drive deliveries from the test
    process and expect the broker to keep their tasks."""
    log = ARTIFACTS / f"celery-{request.module.__name__.rsplit('.', 1)[-1]}.log"
    log.write_bytes(b"")
    worker = CeleryWorker(parley, log_path=log, env=celery_worker_env)
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process, transactional_db) -> Iterator[CeleryWorker]:
    """The module's worker for one test. Torn down before the tables are flushed, once the worker
    has finished what the test queued: a task left running would find its rows gone."""
    yield celery_worker_process
    celery_worker_process.wait_idle()


class HostSite:
    """A business's site on another origin than Parley (localhost against 127.0.0.1, and another
    port): `/?key=<public key>` is a page that embeds the widget with the one documented tag;
    `&frame=direct` embeds the widget's frame page itself, with no loader."""

    def __init__(self, parley_url: str) -> None:
        self.parley_url = parley_url
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                body = site.page(query.get("key", [""])[0], direct=query.get("frame") == ["direct"])
                payload = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="host-site", daemon=True)
        self.thread.start()

    def page(self, key: str, *, direct: bool = False) -> str:
        key = escape(key)
        if direct:
            embed = f'<iframe id="direct" src="{self.parley_url}/widget/frame/?key={key}"></iframe>'
        else:
            embed = f'<script src="{self.parley_url}/widget.js" data-parley-key="{key}" async></script>'
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Acme Outdoor</title></head>"
            '<body style="font-family: sans-serif; margin: 2rem">'
            "<h1>Acme Outdoor</h1><p>Tents, stoves and everything in between.</p>"
            f"{embed}</body></html>"
        )

    def url(self, key: str, **query: str) -> str:
        extra = "".join(f"&{name}={value}" for name, value in query.items())
        return f"{self.origin}/?key={key}{extra}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def host_site(parley) -> Iterator[HostSite]:
    site = HostSite(parley.http)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def chromium(browser_prerequisites) -> Iterator[Browser]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # from here on Playwright's loop is running
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(chromium, parley, transactional_db, request) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(**options) -> a fresh browser profile (own localStorage). Every context is closed
    before the tables are flushed (this fixture asks for transactional_db, so its teardown runs
    first); a failed test leaves a screenshot of each of its pages in test-artifacts/."""
    contexts: list[BrowserContext] = []

    journal: list[str] = []  # what the pages said: printed (shown by pytest) if the test fails

    def make(**options) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = chromium.new_context(**options)
        context.on("console", lambda message: journal.append(f"console.{message.type}: {message.text}"))
        context.on("weberror", lambda error: journal.append(f"page error: {error.error}"))
        context.on("requestfailed", lambda req: journal.append(f"failed: {req.url} {req.failure}"))
        context.on(
            "response",
            lambda response: (
                journal.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
            ),
        )
        contexts.append(context)
        return context

    yield make
    connected = set(AgentConnection.objects.values_list("agent_id", flat=True))
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    name = re.sub(r"[^\w.-]+", "-", request.node.name)
    if failed and journal:
        print("What the browser reported:", *journal, sep="\n  ")
    for context in contexts:
        if failed:
            for n, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # a crashed page has no screenshot to give
                    page.screenshot(path=str(ARTIFACTS / f"failed-{name}-{n}.png"))
        context.close()
    # Let Daphne finish what the closed sockets left in flight before the tables are truncated.
    time.sleep(0.3)
    _wait_until_desks_settled(connected)


def _wait_until_desks_settled(agent_ids: set[int], seconds: float = 10) -> None:
    """Until the server has handled the closed desk sockets of these agents: their connections
    deleted, then (a second transaction) their availability settled to offline. Truncating the
    tables in between makes that settling insert a profile for a deleted user."""
    deadline = time.monotonic() + seconds
    while agent_ids and time.monotonic() < deadline:
        if not AgentConnection.objects.filter(agent_id__in=agent_ids).exists() and not (
            AgentProfile.objects.filter(user_id__in=agent_ids)
            .exclude(availability=AgentProfile.Availability.OFFLINE)
            .exists()
        ):
            return
        time.sleep(0.05)


@pytest.fixture
def inbox(host_site):
    """The widget inbox the host site may embed (overrides tests/conftest.py's inbox)."""
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin)


@pytest.fixture
def artifacts() -> Path:
    return ARTIFACTS
