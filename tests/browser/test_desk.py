"""The agent desk (/desk/) in a real browser: agents signed in through its login page, each in a
browser profile of their own, working the conversations customers start in the widget (the host
page of tests/browser/conftest.py) or over SMS.

Outbound SMS delivery is driven from this (the test) process: the live Daphne is another process,
whose Celery tasks wait unconsumed in the test broker, so the test registers its own sender and
calls conversations.services.message_deliver itself; the events it publishes reach the desk through
the same Redis. Switch times (click or j/k to the conversation's last message shown) and
screenshots go to test-artifacts/.
"""

import json
import math
import re
import statistics
import struct
import zlib
from collections.abc import Callable

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agents.services import agent_create
from conversations import registry, services
from conversations.models import Contact, Conversation, Inbox, Message, OutboundDelivery
from tests.browser import test_widget as widget_journeys
from tests.browser.test_widget import WAIT_MS, wait_until
from tests.factories.conversations import ContactFactory, InboxFactory, LabelFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit  # the customer's side: the host page with the widget

PASSWORD = "tent-stove-lantern-42"


@pytest.fixture
def inbox(host_site):
    """The widget inbox, routed by hand: these journeys are about agents taking conversations
    themselves (routing has its own tests, tests/agents/test_routing.py)."""
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin, routing="manual")


class Desk:
    """One agent's desk page and what is on it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.connection = page.locator("#connection")
        self.rows = page.locator("#list .row")
        self.thread = page.locator("#thread")
        self.entries = page.locator("#messages .entry")
        self.assignee = page.locator("#assignee")
        self.presence = page.locator("#presence-line")
        self.composer = page.locator("#reply-body")
        self.private = page.locator("#private")

    def expect_online(self) -> None:
        expect(self.connection).to_have_attribute("data-state", "online")

    def row(self, conversation: Conversation) -> Locator:
        return self.page.locator(f"#list .row[data-conversation-id='{conversation.pk}']")

    def open(self, conversation: Conversation) -> None:
        self.row(conversation).locator("a").click()
        expect(self.thread).to_have_attribute("data-conversation-id", str(conversation.pk))
        expect(self.row(conversation)).to_have_class(re.compile(r"\bselected\b"))

    def message(self, text: str) -> Locator:
        """Messages of the open conversation whose body is exactly `text`."""
        exact = re.compile(r"^\s*" + re.escape(text) + r"\s*$")
        return self.page.locator("#messages .entry.message").filter(
            has=self.page.locator(".body", has_text=exact)
        )

    def write(self, text: str) -> None:
        """Type into the composer as a person does (input events, so typing is announced)."""
        self.composer.click()
        self.composer.press_sequentially(text)

    def send(self, text: str) -> None:
        self.write(text)
        self.composer.press("Enter")
        expect(self.composer).to_have_value("")  # cleared on the server's 204 (parley:sent)


@pytest.fixture
def open_desk(new_context, parley) -> Callable[..., Desk]:
    """open_desk(agent, view="all", **context_options) -> the agent's desk in a fresh browser
    profile, signed in through /desk/login/ with the form, connected to the desk socket."""

    def sign_in(agent: AbstractBaseUser, *, view: str = "all", **options) -> Desk:
        page = new_context(**options).new_page()
        page.goto(f"{parley.http}/desk/")
        expect(page).to_have_url(re.compile(r"/desk/login/"))  # the desk asks who you are first
        page.get_by_label("Username").fill(agent.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/desk/$"))
        page.goto(f"{parley.http}/desk/?view={view}")
        desk = Desk(page)
        desk.expect_online()
        return desk

    return sign_in


def new_agent(name: str, *inboxes: Inbox) -> AbstractBaseUser:
    return agent_create(
        username=name.lower(),
        email=f"{name.lower()}@acme.example",
        password=PASSWORD,
        display_name=name,
        inboxes=inboxes,
    )


def customer_writes(inbox: Inbox, contact: Contact, body: str) -> Message:
    return services.message_receive(inbox=inbox, contact=contact, body=body)


def socket_frames(context: BrowserContext) -> list[str]:
    """Every frame that the websockets of the context's pages (and of their frames) receive, from
    the pages' first moment: call it before opening a page."""
    frames: list[str] = []

    def on_socket(socket) -> None:
        socket.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else ""))

    context.on("page", lambda page: page.on("websocket", on_socket))
    return frames


# --- 1. two agents and a customer, live ---

HELLO = "Hi, I ordered the Trailhead 2 tent last week. Has it shipped?"
REPLY = "Hi! Ana here. It left our warehouse this morning."
NOTE = "Internal: carrier is DHL, tracking 00340434161234567890"


def test_two_agents_and_a_customer_work_one_conversation_live(visit, new_context, inbox, open_desk):
    ana, ben = new_agent("Ana", inbox), new_agent("Ben", inbox)
    desk_a, desk_b = open_desk(ana), open_desk(ben, view="unassigned")
    for desk in (desk_a, desk_b):
        desk.page.evaluate("() => { window.notReloaded = true; }")
        expect(desk.rows).to_have_count(0)

    # The customer's page, listening to what its sockets receive from before the widget connects.
    customer = new_context()
    frames = socket_frames(customer)
    widget = visit(customer)
    widget.open()
    widget.start_conversation()
    widget.send(HELLO)
    widget.expect_sent(HELLO)
    conversation = Conversation.objects.get(inbox=inbox)

    # Both desks list it without a reload; both agents open it and read the message.
    for desk in (desk_a, desk_b):
        expect(desk.row(conversation)).to_be_visible()
        expect(desk.row(conversation).locator(".preview")).to_contain_text("Has it shipped?")
        assert desk.page.evaluate("() => window.notReloaded") is True
        desk.open(conversation)
        expect(desk.message(HELLO)).to_have_count(1)
        expect(desk.assignee).to_have_value("")
    expect(desk_b.presence).to_contain_text("Ana is viewing")

    # Ana takes it: Ben's header follows.
    desk_a.page.locator("#assign-me").click()
    expect(desk_a.page.locator("#assign-me")).to_have_count(0)
    expect(desk_a.assignee).to_have_value(str(ana.pk))
    expect(desk_b.assignee).to_have_value(str(ana.pk))
    expect(desk_b.row(conversation)).to_have_count(0)  # no longer in Ben's "Unassigned"
    expect(desk_b.thread).to_have_attribute("data-conversation-id", str(conversation.pk))
    wait_until(lambda: Conversation.objects.get(pk=conversation.pk).assignee_id == ana.pk, page=desk_a.page)

    # Ana types; Ben sees it while she does, then her reply, and so does the customer.
    desk_a.write(REPLY)
    expect(desk_b.presence).to_contain_text("Ana is typing…")
    desk_a.composer.press("Enter")
    expect(desk_a.composer).to_have_value("")
    for desk in (desk_a, desk_b):
        expect(desk.message(REPLY)).to_have_count(1)
    expect(desk_b.presence).not_to_contain_text("typing")
    reply = widget.message(REPLY, "theirs")
    expect(reply).to_have_count(1)
    expect(reply.locator(".sender")).to_contain_text("Ana")

    # A private note (n, from outside the composer): Ben sees it as one; the customer never does,
    # nor that Ana is typing one.
    def typing_frames() -> int:
        return sum('"agent.typing"' in frame for frame in frames)

    typed_publicly = typing_frames()
    assert typed_publicly >= 1, "the widget's socket did not hear Ana typing her reply"
    desk_a.composer.press("Escape")
    desk_a.page.keyboard.press("n")
    expect(desk_a.private).to_be_checked()
    expect(desk_a.composer).to_be_focused()
    desk_a.composer.press_sequentially(NOTE)
    desk_a.composer.press("Enter")
    expect(desk_a.composer).to_have_value("")
    for desk in (desk_a, desk_b):
        note = desk.message(NOTE)
        expect(note).to_have_count(1)
        expect(note).to_have_class(re.compile(r"\bnote\b"))
        expect(note.locator(".note-badge")).to_have_text("Private note")
    stored = Message.objects.get(body=NOTE)
    assert stored.is_private and stored.sender_agent_id == ana.pk

    widget.page.wait_for_timeout(1000)  # what a leak would have delivered, it would have by now
    expect(widget.message(REPLY, "theirs")).to_have_count(1)  # the socket is alive and served
    expect(widget.message(NOTE)).to_have_count(0)
    expect(widget.messages).to_have_count(2)
    assert any(REPLY in frame for frame in frames), "the widget's socket frames were not observed"
    assert not any("DHL" in frame for frame in frames)
    assert typing_frames() == typed_publicly
    assert (
        Message.objects.filter(conversation=conversation, is_private=False, sender_kind="agent").count() == 1
    )


# --- 2. a failed SMS shows why, and Retry sends it again ---

SMS_REPLY = "Your replacement pole ships today. Reply STOP to opt out."


def test_a_failed_sms_shows_its_reason_and_retry_really_sends_it_again(open_desk, sms_inbox, sms_sender):
    ana = new_agent("Ana", sms_inbox)
    contact = ContactFactory(name="Noah Berg", phone="+4915112345678", email="")
    conversation = customer_writes(
        sms_inbox, contact, "My tent pole snapped. Can you send a new one?"
    ).conversation
    desk = open_desk(ana)
    desk.open(conversation)
    desk.send(SMS_REPLY)
    entry = desk.message(SMS_REPLY)
    expect(entry).to_have_attribute("data-status", "pending")
    message = Message.objects.get(body=SMS_REPLY)
    assert OutboundDelivery.objects.get(message=message).state == OutboundDelivery.State.QUEUED

    # The provider refuses for good: the desk says so, live, with the provider's reason.
    sms_sender.failures.append(
        registry.PermanentDeliveryError("Unreachable destination handset", code="30003")
    )
    assert services.message_deliver(message_id=message.pk).state == OutboundDelivery.State.DEAD
    expect(entry).to_have_attribute("data-status", "failed")
    expect(entry.locator(".delivery")).to_have_text(
        re.compile(r"Not delivered: Unreachable destination handset \(30003\)\s*Retry")
    )
    assert sms_sender.sent == []

    entry.get_by_role("button", name="Retry").click()
    expect(entry).to_have_attribute("data-status", "pending")
    expect(entry.locator(".delivery")).to_have_text("Pending")
    message.refresh_from_db()
    assert (message.delivery_status, message.provider_error) == ("pending", "")
    assert OutboundDelivery.objects.get(message=message).state == OutboundDelivery.State.QUEUED

    # The retry's queued delivery, run here: the provider takes it this time.
    assert services.message_deliver(message_id=message.pk).state == OutboundDelivery.State.DONE
    assert sms_sender.sent == [message.pk]
    expect(entry).to_have_attribute("data-status", "sent")
    expect(entry.locator(".delivery")).to_have_text("Sent")
    expect(entry.get_by_role("button", name="Retry")).to_have_count(0)
    message.refresh_from_db()
    assert message.provider_message_id == f"SM{message.pk:030d}"

    # Providers report in bursts: the last of two reports a few milliseconds apart is what shows.
    services.message_update_delivery_status(message_id=message.pk, status="delivered")
    services.message_update_delivery_status(message_id=message.pk, status="read")
    expect(entry).to_have_attribute("data-status", "read")
    expect(entry.locator(".delivery")).to_have_text("Read")
    expect(desk.message(SMS_REPLY)).to_have_count(1)


# --- 3. switching between 30 conversations: correct, and how fast ---

# Armed before each switch: the next click or key press starts the clock, and the clock stops at
# the first DOM change after which the pane shows the wanted conversation and its last message.
SWITCH_WATCH = """() => {
  if (window.switchWatch) return;
  const shown = (want) => {
    const thread = document.getElementById("thread");
    if (!thread || thread.dataset.conversationId !== want.id) return false;
    const bodies = thread.querySelectorAll("#messages .entry.message .body");
    return bodies.length > 0 && bodies[bodies.length - 1].textContent.trim() === want.text;
  };
  window.switchWatch = { want: null, started: null, took: null };
  const start = () => {
    const watch = window.switchWatch;
    if (watch.want && watch.started === null) watch.started = performance.now();
  };
  document.addEventListener("click", start, true);
  document.addEventListener("keydown", start, true);
  new MutationObserver(() => {
    const watch = window.switchWatch;
    if (watch.want && watch.started !== null && watch.took === null && shown(watch.want)) {
      watch.took = performance.now() - watch.started;
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""
ARM = "(want) => { Object.assign(window.switchWatch, { want: want, started: null, took: null }); }"


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def test_switching_between_thirty_conversations_shows_each_ones_last_message(open_desk, inbox, artifacts):
    ana = new_agent("Ana", inbox)
    last_text: dict[str, str] = {}
    for n in range(30):
        contact = ContactFactory(name=f"Customer {n:02d}")
        conversation = customer_writes(
            inbox, contact, f"Question {n}: where is my order #{4100 + n}?"
        ).conversation
        services.conversation_assign(conversation=conversation, assignee=ana, actor=ana)
        for line in range(3):
            customer_writes(inbox, contact, f"Follow-up {line} from customer {n}")
        last_text[str(conversation.pk)] = f"Last words of customer {n}: thanks!"
        customer_writes(inbox, contact, last_text[str(conversation.pk)])
    desk = open_desk(ana, view="mine", viewport={"width": 1440, "height": 900})
    expect(desk.rows).to_have_count(30)
    page = desk.page
    page.evaluate(SWITCH_WATCH)
    row_ids = desk.rows.evaluate_all("rows => rows.map(row => row.dataset.conversationId)")
    assert sorted(row_ids) == sorted(last_text)

    def switch(to_id: str, act: Callable[[], None]) -> float:
        page.evaluate(ARM, {"id": to_id, "text": last_text[to_id]})
        act()
        page.wait_for_function("() => window.switchWatch.took !== null", timeout=WAIT_MS)
        expect(page.locator("#list .row.selected")).to_have_attribute("data-conversation-id", to_id)
        expect(page).to_have_url(re.compile(rf"[?&]c={to_id}\b"))
        return page.evaluate("() => window.switchWatch.took")

    def click_row(to_id: str) -> None:
        # Opening a conversation marks it read, and the read refreshes the list a moment later. A
        # click that lands while the list is swapped reaches no row (the watch never sees it start),
        # as it would for a person, who clicks again: so does the test. The time counts from the
        # click that landed.
        for _ in range(3):
            page.locator(f"#list .row[data-conversation-id='{to_id}'] a").click()
            try:
                page.wait_for_function("() => window.switchWatch.started !== null", timeout=1_000)
                return
            except PlaywrightTimeout:
                continue
        raise AssertionError(f"three clicks on row {to_id} never reached the desk")

    clicks: list[float] = []
    order = [row_ids[(7 * n + 12) % 30] for n in range(30)]  # every row once, jumping; row 5 last
    for to_id in order:
        clicks.append(switch(to_id, lambda to_id=to_id: click_row(to_id)))

    keys: list[float] = []
    at = row_ids.index(order[-1])
    for key in ["j"] * 10 + ["k"] * 5 + ["j"] * 5:  # rows 6..15, back to 10, on to 15
        at += 1 if key == "j" else -1
        keys.append(switch(row_ids[at], lambda key=key: page.keyboard.press(key)))

    assert len(clicks) == 30 and len(keys) == 20

    def summary(samples: list[float]) -> dict:
        return {
            "n": len(samples),
            "p50": round(statistics.median(samples), 1),
            "p95": round(percentile(samples, 0.95), 1),
        }

    report = {
        "conversations": 30,
        "measure": "ms from the click or key press to the pane showing that conversation's last message",
        "click": summary(clicks),
        "keys_j_k": summary(keys),
        "all": summary(clicks + keys),
        "samples_ms": {"click": [round(ms, 1) for ms in clicks], "keys": [round(ms, 1) for ms in keys]},
    }
    (artifacts / "desk-switch.json").write_text(json.dumps(report, indent=2))
    print(
        "desk switch ms: click p50 {:.0f} p95 {:.0f}; j/k p50 {:.0f} p95 {:.0f}".format(
            report["click"]["p50"],
            report["click"]["p95"],
            report["keys_j_k"]["p50"],
            report["keys_j_k"]["p95"],
        )
    )


# --- 4. what the desk looks like, at two laptop sizes ---


def tent_png(width: int = 360, height: int = 240) -> bytes:
    """A real PNG of a small picture (sky, a green tent, grass), drawn here so no file is needed."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            in_tent = (
                y > height * 0.35 and abs(x - width / 2) < (y - height * 0.35) * 0.9 and y < height * 0.8
            )
            if in_tent:
                pixel = (46, 125, 50) if abs(x - width / 2) > 14 else (27, 67, 30)
            elif y >= height * 0.8:
                pixel = (110, 160, 70)
            else:
                pixel = (120 + y * 100 // height, 170 + y * 60 // height, 235)
            rows += bytes(pixel)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def test_the_desk_with_a_conversation_open_fits_1440_and_1024_wide_screens(
    open_desk, inbox, sms_inbox, artifacts
):
    inbox.name = "Acme Support"
    inbox.save(update_fields=["name"])
    ana = new_agent("Ana", inbox, sms_inbox)
    ben = new_agent("Ben", inbox, sms_inbox)
    shipping, warranty = LabelFactory(name="shipping"), LabelFactory(name="warranty")

    def start(inbox_, name: str, lines: list[str], **contact) -> Conversation:
        person = ContactFactory(name=name, **contact)
        for line in lines:
            message = customer_writes(inbox_, person, line)
        return message.conversation

    lena = start(inbox, "Lena Fischer", ["Do you ship to Norway? And how long does it take to Oslo?"])
    services.conversation_update(conversation=lena, actor=ana, labels=[shipping])
    noah = start(
        sms_inbox,
        "Noah Berg",
        ["Can I still change the delivery address for order A-10398?"],
        phone="+4915112345678",
        email="",
    )
    services.conversation_update(conversation=noah, actor=ana, priority=Conversation.Priority.HIGH)
    tomas = start(inbox, "Tomás Rivera", ["Which stove fits inside the Trailhead cookset?"])
    services.conversation_assign(conversation=tomas, assignee=ben, actor=ben)
    start(inbox, "Priya Natarajan", ["Got the return label, thank you!"])
    maya = start(
        inbox,
        "Maya Lindqvist",
        [
            "Hi! The zipper on my Trailhead 2 tent door broke on the second night 😕",
            "I bought it in March, order A-10442. Is that covered?",
        ],
        custom_attributes={"plan": "Outdoor Club", "orders": 7},
    )
    services.conversation_assign(conversation=maya, assignee=ana, actor=ana)
    services.conversation_update(conversation=maya, actor=ana, labels=[warranty])

    desk = open_desk(ana, viewport={"width": 1440, "height": 900})
    expect(desk.rows).to_have_count(5)
    desk.open(maya)
    # A reply with a picture, sent through the composer as an agent does.
    desk.page.locator("#reply-file").set_input_files(
        files=[{"name": "tent-door.png", "mimeType": "image/png", "buffer": tent_png()}]
    )
    expect(desk.page.locator("#file-name")).to_have_text("tent-door.png")
    desk.send(
        "Sorry to hear that, Maya! Zippers are covered for two years. The slider's size is printed here:"
    )
    image = desk.page.locator("#messages .entry.message.agent .attachment.image img")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("naturalWidth", 360)  # what the desk stored, /media/ served
    desk.page.locator("#private").check()
    desk.send("Warranty OK: paid 14 Mar. Send slider kit ZK-5.")
    customer_writes(inbox, maya.contact, "Found it, it says YKK 5. Thanks for the quick answer!")
    expect(desk.message("Found it, it says YKK 5. Thanks for the quick answer!")).to_be_visible()
    desk.page.locator("#private").uncheck()

    # Each size as an agent would have it: the conversation opened at that size.
    page = desk.page
    for width, height in ((1440, 900), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        desk.open(maya)
        expect(image).to_have_js_property("complete", True)
        for control in ("#reply-body", "#send", "#assignee", "#resolve", "#list .row.selected"):
            expect(page.locator(control)).to_be_in_viewport()
        expect(desk.entries.last).to_be_in_viewport()  # opened at its newest message
        expect(desk.entries.last).to_contain_text("Found it, it says YKK 5.")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the desk scrolls sideways by {overflow}px at {width}x{height}"
        spill = image.evaluate(
            "img => img.getBoundingClientRect().right - img.closest('.entry').getBoundingClientRect().right"
        )
        assert spill <= 0, f"the picture sticks out of its message by {spill}px at {width}x{height}"
        customer_panel = page.locator("aside.customer")
        expect(customer_panel).to_be_visible()
        expect(customer_panel).to_contain_text("Outdoor Club")
        page.mouse.move(0, 0)
        page.wait_for_timeout(300)  # the list's debounced refresh after the last read marker
        page.screenshot(path=str(artifacts / f"desk-{width}x{height}.png"))


# --- 5. the keyboard: ?, a, e ---


def test_the_keyboard_opens_the_shortcuts_assigns_and_resolves(open_desk, inbox):
    ana = new_agent("Ana", inbox)
    conversation = customer_writes(
        inbox, ContactFactory(name="Kim Ode"), "Is the lantern waterproof?"
    ).conversation
    desk = open_desk(ana, view="unassigned")
    page = desk.page
    desk.open(conversation)

    help_dialog = page.locator("#shortcuts")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_have_attribute("open", "")
    expect(help_dialog).to_contain_text("Assign to me")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("a")
    expect(desk.assignee).to_have_value(str(ana.pk))
    expect(page.locator("#assign-me")).to_have_count(0)
    wait_until(lambda: Conversation.objects.get(pk=conversation.pk).assignee_id == ana.pk, page=page)

    page.keyboard.press("e")
    expect(page.locator("#conv-status")).to_have_text("Resolved")
    expect(page.locator("#reopen")).to_be_visible()
    wait_until(lambda: Conversation.objects.get(pk=conversation.pk).status == "resolved", page=page)
    # Keys typed into the composer are text, not commands.
    page.locator("#reopen").click()
    expect(page.locator("#conv-status")).to_have_text("Open")
    desk.composer.click()
    desk.composer.press_sequentially("e")
    expect(desk.composer).to_have_value("e")
    page.wait_for_timeout(300)
    assert Conversation.objects.get(pk=conversation.pk).status == "open"


# --- 6. a reconnect resyncs: nothing missed while the desk was cut off, nothing twice ---


class DeskNetwork(widget_journeys.Network):
    """Cuts and restores the desk socket alone (the page's HTTP keeps working)."""

    SOCKETS = re.compile(r"/ws/v1/desk/")
    CUTS_HTTP = False


def test_after_a_reconnect_the_desk_shows_what_happened_while_it_was_cut_off(new_context, parley, inbox):
    ana = new_agent("Ana", inbox)
    kim = ContactFactory(name="Kim Park")
    open_conversation = customer_writes(inbox, kim, "Is the stove in stock?").conversation
    context = new_context()
    network = DeskNetwork(context)
    page = context.new_page()
    page.goto(f"{parley.http}/desk/login/")
    page.get_by_label("Username").fill(ana.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{parley.http}/desk/?view=all")
    desk = Desk(page)
    desk.expect_online()
    desk.open(open_conversation)
    page.wait_for_timeout(1000)  # the list refresh that followed the hello (debounced) is done

    network.cut()
    expect(desk.connection).to_have_attribute("data-state", "offline")
    customer_writes(inbox, kim, "Hello? Still there?")
    newcomer = customer_writes(inbox, ContactFactory(name="Lee Chen"), "Do you ship to Canada?").conversation
    page.wait_for_timeout(500)
    expect(desk.row(newcomer)).to_have_count(0)  # nothing tells the page while it is cut off
    expect(desk.message("Hello? Still there?")).to_have_count(0)

    network.restore()
    desk.expect_online()
    expect(desk.row(newcomer)).to_have_count(1)
    expect(desk.message("Hello? Still there?")).to_have_count(1)
    expect(desk.message("Is the stove in stock?")).to_have_count(1)
