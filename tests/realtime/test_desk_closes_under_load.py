"""An agent's desk sockets close within 3 s of a logout or a deactivation, while the server is
busy: customers keep writing into the agent's inbox, so every desk socket is flooded with events
and the server's database pool is in demand. The logout and the deactivation go through the real
endpoints of the same server (the desk's logout, the admin's change form), as a browser would,
and the time is counted from the moment the request is sent. Tabs open at different moments, so
a socket's own periodic check is caught at its worst.

Only what was ended closes: a logout ends one browser's session, so the agent's other browser and
the other agents keep their sockets.
"""

import asyncio
import contextlib
import http.cookiejar
import json
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import websockets

from tests.admin.formdata import form_data
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import InboxFactory

from .harness import Client, DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True)]

CLOSE_WITHIN = 3.0  # docs/protocol.md, "Closing"
ORIGIN = "https://shop.example.com"
PASSWORD = "correct-horse-battery"  # tests/factories/agents.py
CUSTOMERS = 24
SEND_EVERY = 0.3  # each customer: within the socket's rate limit for the whole test
WARM_UP = 1.5  # seconds of load before the logout
# Tabs are opened this far apart, as people open them: whatever a socket does on a timer of its
# own, some tab is always at the worst point of its cycle when the session ends.
OPEN_EVERY = 1.25


class Browser:
    """One browser profile on the live server: its own cookies, forms posted with the CSRF token."""

    def __init__(self, server: DaphneServer) -> None:
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == name)

    def get(self, path: str) -> SimpleNamespace:
        with self.opener.open(self.server.http + path, timeout=30) as response:
            return SimpleNamespace(status_code=response.status, content=response.read(), url=response.url)

    def post(self, path: str, fields: dict) -> SimpleNamespace:
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.cookie("csrftoken")}, doseq=True)
        request = urllib.request.Request(
            self.server.http + path, data=body.encode(), headers={"Origin": self.server.http}
        )
        with self.opener.open(request, timeout=30) as response:
            return SimpleNamespace(status_code=response.status, content=response.read(), url=response.url)

    def log_in(self, login_path: str, username: str) -> None:
        self.get(login_path)  # sets the CSRF cookie
        answer = self.post(login_path, {"username": username, "password": PASSWORD})
        assert "login" not in answer.url, f"{username} could not log in at {login_path}"


@dataclass
class Tab:
    """One open desk: reads everything the server sends until it closes, and notes when."""

    owner: str
    socket: websockets.ClientConnection
    frames: int = 0
    told: list[str] = field(default_factory=list)
    pongs: set[str] = field(default_factory=set)
    closed_at: float | None = None
    reader: asyncio.Task | None = None

    @classmethod
    async def open(cls, server: DaphneServer, browser: Browser, owner: str) -> "Tab":
        socket = await websockets.connect(
            f"{server.ws}/ws/v1/desk/",
            origin=server.http,
            additional_headers={"Cookie": f"sessionid={browser.cookie('sessionid')}"},
            open_timeout=10,
        )
        hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert hello["type"] == "hello", hello
        tab = cls(owner, socket)
        tab.reader = asyncio.create_task(tab.read_until_closed())
        return tab

    async def read_until_closed(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.socket:
                self.frames += 1
                event = json.loads(frame)
                if event["type"] == "error":
                    self.told.append(event["code"])
                elif event["type"] == "pong":
                    self.pongs.add(event["ref"])
        self.closed_at = asyncio.get_running_loop().time()

    async def still_answers(self) -> bool:
        """Open and served: a ping is answered (the reader sees the pong)."""
        ref = uuid.uuid4().hex[:8]
        await self.socket.send(json.dumps({"type": "ping", "ref": ref}))
        deadline = asyncio.get_running_loop().time() + 10
        while ref not in self.pongs and self.closed_at is None:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.05)
        return self.closed_at is None

    async def close(self) -> None:
        await self.socket.close()
        await self.reader


class Load:
    """Customers writing into one inbox at once, each as fast as its socket's rate limit allows."""

    def __init__(self, server: DaphneServer, inbox) -> None:
        self.server, self.inbox = server, inbox
        self.customers: list[Client] = []
        self.acked = 0
        self.ack_seconds: list[float] = []
        self.running = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def start(self, customers: int) -> None:
        for _ in range(customers):
            status, session = await asyncio.to_thread(self.server.open_session, self.inbox.public_key, ORIGIN)
            assert status == 200, session
            customer = await Client.connect(self.server, session["connect_token"], origin=ORIGIN)
            assert (await customer.next_event(10))["type"] == "hello"
            self.customers.append(customer)
        self.running.set()
        self.tasks = [asyncio.create_task(self._write(customer)) for customer in self.customers]

    async def _write(self, customer: Client) -> None:
        loop = asyncio.get_running_loop()
        conversation_id = None
        while self.running.is_set():
            sent = loop.time()
            ack = await customer.request(
                {
                    "type": "message.send",
                    "conversation_id": conversation_id,
                    "body": "Is anyone there?",
                    "client_message_id": uuid.uuid4().hex,
                },
                timeout=30,
            )
            assert ack["type"] == "message.ack", ack
            conversation_id = ack["message"]["conversation_id"]
            self.acked += 1
            self.ack_seconds.append(loop.time() - sent)
            await asyncio.sleep(max(0.0, SEND_EVERY - (loop.time() - sent)))

    async def stop(self) -> None:
        self.running.clear()
        await asyncio.gather(*self.tasks)
        for customer in self.customers:
            await customer.close()

    def p99_ack(self) -> float:
        ordered = sorted(self.ack_seconds)
        return ordered[int(len(ordered) * 0.99)] if ordered else 0.0


@pytest.fixture
def inbox():
    return InboxFactory(name="Website", allowed_origins=ORIGIN)


@pytest.fixture
def ana(inbox):
    agent = AgentProfileFactory(display_name="Ana").user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    return agent


@pytest.fixture
def ben(inbox):
    agent = AgentProfileFactory(display_name="Ben").user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    return agent


@dataclass
class Outcome:
    close_seconds: dict[str, float | None]
    codes: dict[str, int | None]
    told: dict[str, list[str]]
    still_open: dict[str, bool]
    acked: int  # customer messages stored and acknowledged while the tabs were open
    ack_p99: float
    frames_to_ana: int


async def under_load(
    daphne, inbox, *, tabs: dict[str, tuple[Browser, int]], end, ending: set[str]
) -> Outcome:
    """Open the tabs, put the server under load, call `end()` (blocking: on a thread) and time
    how long each tab of `ending` takes to close after it was called; the other tabs must stay."""
    loop = asyncio.get_running_loop()
    opened = {}
    for owner, (browser, count) in tabs.items():
        for n in range(count):
            opened[f"{owner} {n}"] = await Tab.open(daphne, browser, owner)
            await asyncio.sleep(OPEN_EVERY)
    load = Load(daphne, inbox)
    await load.start(CUSTOMERS)
    try:
        await asyncio.sleep(WARM_UP)
        started = loop.time()
        await asyncio.to_thread(end)
        deadline = started + 15
        ended = [tab for tab in opened.values() if tab.owner in ending]
        while any(tab.closed_at is None for tab in ended) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        still_open = {
            name: await tab.still_answers() for name, tab in opened.items() if tab.owner not in ending
        }
    finally:
        await load.stop()
        for tab in opened.values():
            if tab.closed_at is None:
                await tab.close()
    return Outcome(
        close_seconds={
            name: None if tab.closed_at is None else round(tab.closed_at - started, 3)
            for name, tab in opened.items()
            if tab.owner in ending
        },
        codes={name: tab.socket.close_code for name, tab in opened.items() if tab.owner in ending},
        told={name: tab.told for name, tab in opened.items() if tab.owner in ending},
        still_open=still_open,
        acked=load.acked,
        ack_p99=round(load.p99_ack(), 3),
        frames_to_ana=sum(tab.frames for tab in opened.values() if tab.owner.startswith("ana")),
    )


def assert_closed_in_time(outcome: Outcome) -> None:
    print(
        f"closed after (s): {outcome.close_seconds}; load: {outcome.acked} customer messages "
        f"acked, p99 ack {outcome.ack_p99} s; {outcome.frames_to_ana} frames to Ana's desks"
    )
    assert outcome.frames_to_ana > 100, "the desks were not under load"
    assert outcome.acked >= CUSTOMERS, "the customers did not keep writing"
    assert set(outcome.codes.values()) == {4012}, outcome.codes
    assert all(told == ["logged_out"] for told in outcome.told.values()), outcome.told
    slowest = max(float("inf") if seconds is None else seconds for seconds in outcome.close_seconds.values())
    assert slowest < CLOSE_WITHIN, f"the slowest desk closed after {slowest} s: {outcome.close_seconds}"
    assert all(outcome.still_open.values()), outcome.still_open


def test_a_logout_closes_that_browsers_desks_within_3_s_under_load(daphne, inbox, ana, ben):
    ana_here, ana_elsewhere, ben_browser = Browser(daphne), Browser(daphne), Browser(daphne)
    ana_here.log_in("/desk/login/", ana.username)
    ana_elsewhere.log_in("/desk/login/", ana.username)
    ben_browser.log_in("/desk/login/", ben.username)

    def log_out() -> None:
        answer = ana_here.post("/desk/logout/", {})
        assert answer.url.endswith("/desk/login/"), answer.url

    outcome = asyncio.run(
        under_load(
            daphne,
            inbox,
            tabs={"ana here": (ana_here, 4), "ana elsewhere": (ana_elsewhere, 1), "ben": (ben_browser, 1)},
            end=log_out,
            ending={"ana here"},
        )
    )
    assert_closed_in_time(outcome)


def test_a_deactivation_in_the_admin_closes_all_the_agents_desks_within_3_s_under_load(
    daphne, inbox, ana, ben
):
    ana_here, ana_elsewhere, ben_browser = Browser(daphne), Browser(daphne), Browser(daphne)
    ana_here.log_in("/desk/login/", ana.username)
    ana_elsewhere.log_in("/desk/login/", ana.username)
    ben_browser.log_in("/desk/login/", ben.username)
    admin = Browser(daphne)
    admin.log_in("/admin/login/", UserFactory(username="boss", is_superuser=True).username)
    change = f"/admin/auth/user/{ana.pk}/change/"
    form = form_data(admin.get(change))
    assert form["is_active"] == "on"
    del form["is_active"]  # the box unticked

    def deactivate() -> None:
        answer = admin.post(change, form)
        assert answer.url.endswith("/admin/auth/user/"), answer.url

    outcome = asyncio.run(
        under_load(
            daphne,
            inbox,
            tabs={"ana here": (ana_here, 4), "ana elsewhere": (ana_elsewhere, 1), "ben": (ben_browser, 1)},
            end=deactivate,
            ending={"ana here", "ana elsewhere"},
        )
    )
    ana.refresh_from_db()
    assert not ana.is_active
    assert_closed_in_time(outcome)
